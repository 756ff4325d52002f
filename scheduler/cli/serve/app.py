"""The Datasette that ``newswatch serve`` runs: the store read-only under the name
``newswatch``, the shipped metadata, and our plugins (the fixed paths of the digest and the
Atom feeds, the stories table's default columns, highlighted snippets, quiet 4xx errors).

The plugins are registered with Datasette's plugin manager when this module is imported, not
through a ``datasette`` entry point: a plain ``datasette`` run in the same environment never
loads them.
"""

from __future__ import annotations

from importlib import resources

from datasette.app import Datasette
from datasette.plugins import pm

from ...config import Config
from . import errors, files, snippets, stories_page
from .metadata import metadata
from .readonly import ReadOnlyDatabase
from .served import DATABASE, Served, remember

PLUGINS = (files, stories_page, snippets, errors)
for _plugin in PLUGINS:
    if not pm.is_registered(_plugin):
        pm.register(_plugin, name=f"newswatch.{_plugin.__name__.rsplit('.', 1)[-1]}")
DATASETTE_ERRORS = "datasette.handle_exception"  # ``errors`` takes its place and calls it
if pm.has_plugin(DATASETTE_ERRORS):
    pm.unregister(name=DATASETTE_ERRORS)

STATIC = "/-/newswatch/static"  # metadata.yaml's extra_css_urls points here
SETTINGS = {
    "suggest_facets": False,  # the facets that help are in the metadata; guesses cost time
    "allow_download": False,  # never hand out the file (Datasette refuses it for ours anyway)
}


def build_datasette(config: Config) -> Datasette:
    """A Datasette on ``config.database`` (which must exist): read-only, described, ours."""
    served = Served.of(config)
    here = resources.files(__package__)
    datasette = Datasette(
        metadata=metadata(served),
        settings=SETTINGS,
        template_dir=str(here / "templates"),  # a story's page
        static_mounts=[(STATIC.strip("/"), str(here / "static"))],  # the stylesheet
    )
    remember(datasette, served)
    datasette.remove_database("_memory")  # Datasette adds it when given no file
    datasette.add_database(ReadOnlyDatabase(datasette, config.database), name=DATABASE)
    return datasette
