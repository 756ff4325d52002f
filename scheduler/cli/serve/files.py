"""The digest and the Atom feeds of alerts, served at fixed paths beside the store.

A Datasette plugin (``register_routes``). The paths are fixed, whatever the files are called
on disk, so a bookmark or a feed reader keeps working when the config moves them:

- ``/-/newswatch/digest``: ``alerts.digest``, as ``text/html`` or ``text/markdown``;
- ``/-/newswatch/alerts.atom``: the feed of every topic;
- ``/-/newswatch/alerts-<topic>.atom``: one topic's feed, for the topics in the config.

Each feed's URL name is its file's (``delivery/atom.py`` names them). Only those names are
served, each from the path the product writes it to, so no URL can reach another file. A file
not written yet is a 404.
"""

from __future__ import annotations

from pathlib import Path

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response

from .served import served_by

PREFIX = "/-/newswatch/"
DIGEST_URL = PREFIX + "digest"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
MARKDOWN_TYPE = "text/markdown; charset=utf-8"
# The digest escapes every word from the web; this keeps a page that slipped through inert
# (no script, no request to anywhere; its own inline style only).
DIGEST_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


def feed_url(path: Path) -> str:
    """A feed's URL: its file's name under the prefix (``/-/newswatch/alerts.atom``)."""
    return PREFIX + path.name


def _file(path: Path, content_type: str, headers: dict[str, str] | None = None) -> Response:
    try:
        body = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise NotFound(f"{path.name} has not been written yet") from None
    fixed = {"cache-control": "no-cache", "x-content-type-options": "nosniff"}
    return Response(body, content_type=content_type, headers=fixed | (headers or {}))


async def digest(datasette) -> Response:
    served = served_by(datasette)
    if served is None:
        raise NotFound("no digest here")
    if served.digest.suffix.lower() in (".html", ".htm"):
        return _file(served.digest, HTML_TYPE, {"content-security-policy": DIGEST_POLICY})
    return _file(served.digest, MARKDOWN_TYPE)


async def feed(datasette, request) -> Response:
    served = served_by(datasette)
    path = served.feed_named(request.url_vars["name"]) if served else None
    if path is None:
        raise NotFound("no such feed: its topic is not in the config")
    return _file(path, ATOM_TYPE)


@hookimpl
def register_routes():
    # Datasette asks at construction, before ``remember``; the views look their Datasette up.
    return [
        (r"^/-/newswatch/digest$", digest),
        (r"^/-/newswatch/(?P<name>[a-z0-9-]+\.atom)$", feed),
    ]
