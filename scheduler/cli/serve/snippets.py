"""Matched words highlighted in the snippets of the "search stories" query.

The query marks them the way Markdown marks bold, ``**word**``, which reads well in its JSON
and CSV too; on the HTML page this ``render_cell`` hook shows them highlighted instead. It
applies to query results only (a table's cells stay as stored) and escapes everything else.
The alert queries' ``snippet`` is stored text without marks; a literal ``**`` pair in a story
would show highlighted there too, which is all it can do.
"""

from __future__ import annotations

from datasette import hookimpl
from markupsafe import Markup, escape

from .served import DATABASE, served_by

MARK = "**"


def highlighted(text: str) -> Markup:
    """``a **b** c`` as ``a <mark>b</mark> c``, every other character escaped; an unpaired
    mark stays as it is."""
    parts = text.split(MARK)
    if len(parts) < 3:
        return Markup(escape(text))
    html = [escape(parts[0])]
    for index in range(1, len(parts), 2):
        if index + 1 < len(parts):
            html.append(Markup("<mark>%s</mark>") % parts[index])
            html.append(escape(parts[index + 1]))
        else:  # an odd mark at the end: text, as it came
            html.append(escape(MARK + parts[index]))
    return Markup("").join(html)


@hookimpl
def render_cell(value, column, table, database, datasette):
    if (
        table is None
        and database == DATABASE
        and column == "snippet"
        and isinstance(value, str)
        and MARK in value
        and served_by(datasette) is not None
    ):
        return highlighted(value)
    return None
