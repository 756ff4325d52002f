"""``newswatch alerts`` and ``newswatch topics test``: read-only views of alerts and matches.

Both open the database read-only, so they never write and never wait for a running cycle.
Text from the web is flattened with ``one_line`` and shown as rich ``Text`` (never markup), so
a title cannot inject terminal escapes or rich styling.
"""

from __future__ import annotations

from datetime import timedelta

from rich.console import Console
from rich.text import Text

from ..storage import alerts as sql
from ..storage.store import iso, utcnow
from .alerting import alert_record
from .config import Config
from .sanitize import flatten, json_line, one_line


def since_iso(seconds: float | None) -> str | None:
    return None if seconds is None else iso(utcnow() - timedelta(seconds=seconds))


def print_alerts(
    config: Config,
    since: float | None = None,
    topic: str | None = None,
    as_json: bool = False,
    console: Console | None = None,
) -> int:
    """Stored alerts, newest first, a few lines each or JSON lines; returns how many."""
    console = console or Console(soft_wrap=False, highlight=False)
    conn = sql.open_readonly(config.database)
    rows = [] if conn is None else sql.alerts_since(conn, since_iso(since), topic)
    if conn is not None:
        conn.close()
    if as_json:
        for row in rows:
            record = alert_record(row)
            record["delivered"] = row["delivered"]
            console.file.write(json_line(record))
        console.file.flush()
        return len(rows)
    if not rows:
        console.print(Text("no alerts"))
        return 0
    for row in rows:
        head = Text(one_line(row["created"]).replace("T", " ")[:16] + "  ", style="dim")
        head.append(one_line(row["topic"]), style="cyan")
        head.append("  ")
        head.append(one_line(row["title"] or row["url"]), style="bold")
        console.print(head)
        console.print(Text("  " + _meta(row)))
        if row["snippet"]:
            console.print(Text("  " + one_line(row["snippet"]), style="italic"))
    console.print(Text(f"{len(rows)} alert{'s' if len(rows) != 1 else ''}"))
    return len(rows)


def _meta(row: dict) -> str:
    """Feed, time and link of a story, on one line."""
    when = row.get("published") or row.get("first_seen")
    return " · ".join(one_line(value) for value in (row["feed"], when, row["url"]) if value)


def highlighted(snippet: str) -> Text:
    """A snippet on one line with its FTS5 match markers shown in bold."""
    text = Text()
    for part in snippet.split(sql.MARK_OPEN):
        inside, marked, after = part.partition(sql.MARK_CLOSE)
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
) -> int:
    """The stored stories ``query`` matches, with snippets and a count; writes nothing."""
    console = console or Console(soft_wrap=False, highlight=False)
    conn = sql.open_readonly(config.database)
    if conn is None:
        console.print(Text(f"no database yet at {config.database}; 0 matching stories"))
        return 0
    try:
        rows = sql.search_stories(conn, query, since_iso(since))
    finally:
        conn.close()
    for row in rows[:limit]:
        console.print(Text(one_line(row["title"] or row["url"]), style="bold"))
        console.print(Text("  " + _meta(row)))
        if row["snippet"]:
            console.print(Text("  ") + highlighted(row["snippet"]))
        if row["terms"]:
            console.print(Text("  terms: " + ", ".join(one_line(t) for t in row["terms"])))
        console.print()
    shown = f" (showing {limit})" if len(rows) > limit else ""
    console.print(Text(f"{len(rows)} matching stor{'y' if len(rows) == 1 else 'ies'}{shown}"))
    return len(rows)
