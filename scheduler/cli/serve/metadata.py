"""Datasette's metadata for the store: ``metadata.yaml`` (shipped in the package), plus the
links to the digest and the Atom feeds of the config's topics on the index page."""

from __future__ import annotations

from importlib import resources

import yaml
from markupsafe import Markup

from .files import DIGEST_URL, feed_url
from .served import Served


def shipped() -> dict:
    """``metadata.yaml`` as Datasette reads it: titles, descriptions, hidden tables, facets,
    the default sort and the canned queries."""
    text = resources.files(__package__).joinpath("metadata.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def metadata(served: Served) -> dict:
    """The shipped metadata, with the index page linking the digest and every feed."""
    data = shipped()
    feeds = [
        (feed_url(path), "Atom feed of every alert" if topic is None else f"{topic} (Atom)")
        for topic, path in served.feeds.items()
    ]
    links = Markup(" · ").join(
        Markup('<a href="{}">{}</a>').format(url, label)
        for url, label in [(DIGEST_URL, "the digest"), *feeds]
    )
    data["description_html"] = Markup("<p>{}</p><p>{}</p>").format(
        Markup(data["description_html"]), links
    )
    return data
