"""``newswatch topics test``: what a topic query would match among the stored stories.

The database is opened read-only, so a dry run never writes and never waits for a running
cycle. Text from the web is flattened and shown as rich ``Text`` (never markup).
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from ...storage.search import MARK_CLOSE, MARK_OPEN, search_stories
from ...storage.store import reading
from ..config import Config
from ..delivery.copies import add_copies
from ..delivery.plain_text import flatten, one_line
from .story_lines import by_report, copies_line, since_iso, story_meta


def highlighted(snippet: str) -> Text:
    """A snippet on one line with its FTS5 match markers shown in bold."""
    text = Text()
    for part in snippet.split(MARK_OPEN):
        inside, marked, after = part.partition(MARK_CLOSE)
        if not marked:
            inside, after = "", part
        text.append(flatten(inside), style="bold")
        text.append(flatten(after))
    return text


def print_dry_run(
    config: Config,
    query: str,
    since: float | None = None,
    limit: int = 20,
    console: Console | None = None,
    collapse: bool = False,
) -> int:
    """The stored stories ``query`` matches, with snippets and a count; writes nothing.

    ``collapse``: one entry per report (story cluster), the outlets of its copies named."""
    console = console or Console(soft_wrap=False, highlight=False)
    with reading(config.database) as conn:
        if conn is None:
            console.print(Text(f"no database yet at {config.database}; 0 matching stories"))
            return 0
        rows = search_stories(conn, query, since_iso(since))
        for row in rows:
            row["story_id"] = row["id"]
        if collapse:
            add_copies(conn, rows)
    shown_rows = [group[0] for group in by_report(rows)] if collapse else rows
    for row in shown_rows[:limit]:
        console.print(Text(one_line(row["title"] or row["url"]), style="bold"))
        console.print(Text("  " + story_meta(row, config.schedule.timezone)))
        if row["snippet"]:
            console.print(Text("  ") + highlighted(row["snippet"]))
        if row["terms"]:
            console.print(Text("  terms: " + ", ".join(one_line(t) for t in row["terms"])))
        copies = copies_line(row)
        if copies:
            console.print(Text("  " + copies))
        console.print()
    shown = f" (showing {limit})" if len(shown_rows) > limit else ""
    count = f"{len(rows)} matching stor{'y' if len(rows) == 1 else 'ies'}"
    if collapse:
        count += f" in {len(shown_rows)} report{'s' if len(shown_rows) != 1 else ''}"
    console.print(Text(count + shown))
    return len(rows)
