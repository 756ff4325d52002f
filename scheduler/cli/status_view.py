"""``newswatch status``: a few short lines per configured feed, read from the feeds table.

A block per feed rather than a table: nine columns folded every cell over five to nine lines at
80 columns. Each line but the last error fits 80 columns; that one is never cut or folded, and
text from the web is shown as rich ``Text`` (never markup).
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from ...storage.store import Store
from ..config import Config, show_span
from ..delivery.local_time import local_time
from ..delivery.plain_text import one_line


def health_cell(health: dict) -> str:
    """ "body/date/auth 95/90/40%" as one compact cell, "-" before any story."""
    if not health.get("n"):
        return "-"
    shares = (health["share_body"], health["share_date"], health["share_authors"])
    return "/".join(str(round(100 * s)) for s in shares) + f"% of {health['n']}"


def _interval(pinned: float | None, adapted: float | None) -> str:
    """The feed's interval as a person reads it (always ``show_span``: "9m22s", "15m"); "pinned"
    when the config fixes it."""
    if pinned is not None:
        return f"{show_span(pinned)} pinned"
    return show_span(adapted) if adapted else "-"


def feed_rows(config: Config) -> list[dict]:
    """The configured feeds, each with what the database knows of it (times in local time)."""
    zone = config.schedule.timezone
    states, counts, health = {}, {}, {}
    if config.database.exists():  # status never creates or changes the database
        with Store(config.database, readonly=True) as store:
            states = store.feed_states()
            counts = store.story_counts()
            health = {feed.name: store.extraction_health(feed.name) for feed in config.feeds}
    rows = []
    for feed in config.feeds:
        state = states.get(feed.name, {})
        rows.append(
            {
                "feed": feed.name,
                "last_poll": local_time(state.get("last_poll"), zone) or "never",
                "result": state.get("last_result") or "-",
                "stories": counts.get(feed.name, 0),
                "errors": state.get("errors", 0),
                "last_error": state.get("last_error") or "",
                "next_poll": local_time(state.get("next_poll"), zone) or "next cycle",
                "interval": _interval(
                    feed.interval, state.get("interval") or config.interval_for(feed)
                ),
                "extraction": health_cell(health.get(feed.name, {})),
            }
        )
    return rows


def _count(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def feed_block(row: dict) -> list[Text]:
    """One feed: name and outcome; its polls and interval; its extraction; its last error."""
    head = Text(one_line(row["feed"]), style="bold")
    head.append(f"  {row['result']} · {_count(row['stories'], 'story', 'stories')}")
    head.append(f" · {_count(row['errors'], 'error', 'errors')}")
    polled = "never polled" if row["last_poll"] == "never" else f"polled {row['last_poll']}"
    lines = [head, Text(f"  {polled} · due {row['next_poll']} · every {row['interval']}")]
    if row["extraction"] != "-":
        lines.append(Text(f"  body/date/auth {row['extraction']}"))
    if row["last_error"]:
        lines.append(Text("  last error: " + one_line(row["last_error"])))
    return lines


def print_status(config: Config, console: Console | None = None) -> None:
    console = console or Console(soft_wrap=True, highlight=False)
    feeds = _count(len(config.feeds), "feed", "feeds")
    rows = feed_rows(config)  # read first: a database that cannot be read prints nothing else
    console.print(Text(f"newswatch: {feeds} in {config.database.name}"))
    for row in rows:
        for line in feed_block(row):
            console.print(line, soft_wrap=True)
    if config.notify:
        from .notify_view import channel_blocks

        for line in channel_blocks(config):
            console.print(line, soft_wrap=True)
