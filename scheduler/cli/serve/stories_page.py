"""The stories table opens on headline, outlet, date and link, not on every story's whole body.

Datasette 0.65 has no metadata key for the columns a table shows by default; it has ``?_col=``
in the URL. So the bare table page, ``/newswatch/stories`` with no query string (the link from
the index and the database page), is redirected to that view (``_col=title&_col=feed&...``,
newest first). Everything else is Datasette's own: the URL says what is shown, the column menu's
"Show all columns" and "Hide column" work (the sort stays in the URL, so the page they lead to
is not the bare one), facets and the search box keep the columns, a story's own page shows its
whole text, and the JSON and CSV of the bare table stay whole.

The alternatives were worse: a SQL view needs a write to the database (``serve`` writes
nothing, and the schema is the crawl's); a ``render_cell`` hook cutting the body short still
shows eight other columns a person does not need first; a template that hides columns disagrees
with the URL and with Datasette's column menu.
"""

from __future__ import annotations

from urllib.parse import urlencode

from datasette import hookimpl
from datasette.utils.asgi import Response

from .served import DATABASE, served_by

STORIES = f"/{DATABASE}/stories"
DEFAULT_COLUMNS = ("title", "feed", "published", "url")
DEFAULT_VIEW = f"{STORIES}?" + urlencode(
    [*(("_col", column) for column in DEFAULT_COLUMNS), ("_sort_desc", "first_seen")]
)


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def default_columns(scope, receive, send):
            if (
                scope["type"] == "http"
                and served_by(datasette) is not None
                and scope["method"] in ("GET", "HEAD")
                and scope["path"] == STORIES
                and not scope.get("query_string")
            ):
                await Response.redirect(DEFAULT_VIEW).asgi_send(send)
                return
            await app(scope, receive, send)

        return default_columns

    return wrap
