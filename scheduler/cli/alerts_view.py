"""``newswatch alerts``: stored alerts, newest first, as a person or a script reads them.

It opens the database read-only, so it never writes and never waits for a running cycle.
Text from the web is flattened with ``one_line`` and shown as rich ``Text`` (never markup), so
a title cannot inject terminal escapes or rich styling. On a terminal an alert takes a few
lines, wrapped to its width; into a pipe or a file each alert is one plain line of
tab-separated fields, never wrapped, so ``grep``, ``cut`` and ``sort`` see whole URLs.
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from ...storage.alerts import alerts_since, newest_per_topic
from ...storage.store import reading
from ..config import Config
from ..delivery.alert_log import alert_record
from ..delivery.copies import add_copies
from ..delivery.local_time import local_time
from ..delivery.plain_text import json_line, one_line
from .story_lines import by_report, copies_line, since_iso, story_meta


def unknown_topic(config: Config, topic: str) -> str | None:
    """Why ``--topic`` names nothing, listing the topics; None for a topic of the config or one
    that has stored alerts (a topic removed from the config keeps them)."""
    known = [t.name for t in config.topics]
    if topic in known:
        return None
    with reading(config.database) as conn:
        if conn is not None and topic in newest_per_topic(conn):
            return None
    listed = ", ".join(known) or "none in the config"
    return f"--topic: no topic named {topic!r} (topics: {listed})"


def topics_of(group: list[dict], order: dict[str, int]) -> str:
    """The topics of a report's alerts, in config order (topics since removed last)."""
    names = sorted({row["topic"] for row in group}, key=lambda t: (order.get(t, len(order)), t))
    return ", ".join(names)


PLAIN_FIELDS = ("created", "topic", "feed", "published", "title", "url", "also_in")


def plain_line(row: dict, zone: str) -> str:
    """One alert as one line: the ``PLAIN_FIELDS`` (times in ``zone``) between tabs; each field
    is flattened, so no tab or line break of a title can add a field or a line."""
    created = local_time(row["created"], zone)
    published = local_time(row.get("published") or row.get("first_seen"), zone)
    copies = ", ".join(row.get("also_in") or ())  # every one: a program counts them
    values = (created, row["topic"], row["feed"], published, row["title"], row["url"], copies)
    return "\t".join(one_line(value or "") for value in values) + "\n"


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
    order = {topic.name: i for i, topic in enumerate(config.topics)}  # a report's topics so
    groups = by_report(rows) if collapse else [[row] for row in rows]
    if not console.is_terminal:
        for group in groups:
            row = group[0] | {"topic": topics_of(group, order)}
            console.file.write(plain_line(row, config.schedule.timezone))
        console.file.flush()
        return len(rows)
    if not rows:
        console.print(Text("no alerts"))
        return 0
    for group in groups:
        row = group[0]
        created = local_time(row["created"], config.schedule.timezone)
        head = Text(one_line(created) + "  ", style="dim")
        topics = one_line(topics_of(group, order))
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
