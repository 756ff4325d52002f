"""A client's mistake (a page or feed that is not there, a bad query) answered without a
traceback on the terminal.

Datasette 0.65 prints every exception it answers, a 404 included, as a rich traceback with its
local variables when rich is installed (newswatch depends on it): a feed reader asking every
few minutes for a feed not written yet would fill the terminal, and every hook runs, so no
other hook can stop that print. So this one takes the place of Datasette's default handler
(``app.py`` swaps them when it registers the plugins): it answers a 4xx error with Datasette's
own error page or JSON, quietly, and hands everything else to Datasette's handler, traceback
and all, since a 5xx is a bug.
"""

from __future__ import annotations

from datasette import hookimpl
from datasette.utils.asgi import Base400, Response
from datasette.views.base import DatasetteError
from markupsafe import Markup

from .served import served_by


def client_error(exception: Exception) -> dict | None:
    """What Datasette answers for a 4xx error (``ok``, ``error``, ``status``, ``title`` and the
    error's own details), None for anything else."""
    if isinstance(exception, Base400):
        message = exception.args[0] if exception.args else ""
        return {"ok": False, "error": message, "status": exception.status, "title": None}
    if isinstance(exception, DatasetteError) and 400 <= exception.status < 500:
        message = exception.message
        if exception.message_is_html:
            message = Markup(message)
        return exception.error_dict | {
            "ok": False,
            "error": message,
            "status": exception.status,
            "title": exception.title,
        }
    return None


@hookimpl
def handle_exception(datasette, request, exception):
    info = client_error(exception) if served_by(datasette) is not None else None
    if info is None:
        # Imported here: imported before Datasette's plugin manager, that module would be
        # registered half-initialised, without its hook.
        from datasette.handle_exception import handle_exception as datasette_default

        return datasette_default(datasette, request, exception)
    status = info["status"]

    async def inner():
        if request.path.endswith(".json"):
            return Response.json(info, status=status)
        template = datasette.jinja_env.select_template([f"{status}.html", "error.html"])
        context = info | {
            "urls": datasette.urls,
            "app_css_hash": datasette.app_css_hash(),
            "menu_links": lambda: [],
        }
        return Response.html(await template.render_async(context), status=status)

    return inner
