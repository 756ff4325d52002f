"""``newswatch alerts``: stored alerts, newest first, as a person or a script reads them.

It opens the database read-only, so it never writes and never waits for a running cycle.
Text from the web is flattened with ``one_line`` and shown as rich ``Text`` (never markup), so
a title cannot inject terminal escapes or rich styling.
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from ...storage.alerts import alerts_since
from ...storage.store import reading
from ..config import Config
from ..delivery.alert_log import alert_record
from ..delivery.copies import add_copies
from ..delivery.local_time import local_time
from ..delivery.plain_text import json_line, one_line
from .story_lines import by_report, copies_line, since_iso, story_meta


def print_alerts(
    config: Config,
    since: float | None = None,
    topic: str | None = None,
    as_json: bool = False,
    console: Console | None = None,
    collapse: bool = False,
) -> int:
    """Stored alerts, newest first, a few lines each or JSON lines; returns how many.

    ``collapse``: one entry per report (story cluster), its topics together."""
    console = console or Console(soft_wrap=False, highlight=False)
    with reading(config.database) as conn:
        rows = [] if conn is None else alerts_since(conn, since_iso(since), topic)
        if rows:
            add_copies(conn, rows)
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
    groups = by_report(rows) if collapse else [[row] for row in rows]
    order = {topic.name: i for i, topic in enumerate(config.topics)}  # a report's topics so
    for group in groups:
        row = group[0]
        created = local_time(row["created"], config.schedule.timezone)
        head = Text(one_line(created) + "  ", style="dim")
        names = sorted({other["topic"] for other in group}, key=lambda t: (order.get(t, 1e9), t))
        topics = ", ".join(one_line(name) for name in names)
        head.append(topics, style="cyan")
        head.append("  ")
        head.append(one_line(row["title"] or row["url"]), style="bold")
        console.print(head)
        console.print(Text("  " + story_meta(row, config.schedule.timezone)))
        copies = copies_line(row)
        if copies:
            console.print(Text("  " + copies, style="dim"))
        if row["snippet"]:
            console.print(Text("  " + one_line(row["snippet"]), style="italic"))
    count = f"{len(rows)} alert{'s' if len(rows) != 1 else ''}"
    if collapse:
        count += f" on {len(groups)} report{'s' if len(groups) != 1 else ''}"
    console.print(Text(count))
    return len(rows)
