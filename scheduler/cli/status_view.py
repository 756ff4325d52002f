"""``newswatch status``: one row per configured feed, read from the feeds table."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ...storage.store import Store
from ..config import Config, show_duration
from ..delivery.local_time import local_time


def health_cell(health: dict) -> str:
    """ "body/date/auth 95/90/40%" as one compact cell, "-" before any story."""
    if not health.get("n"):
        return "-"
    shares = (health["share_body"], health["share_date"], health["share_authors"])
    return "/".join(str(round(100 * s)) for s in shares) + f"% of {health['n']}"


def _interval(pinned: float | None, adapted: float | None) -> str:
    """The feed's interval as a person reads it; "pinned" when the config fixes it."""
    if pinned is not None:
        return f"{show_duration(pinned)} pinned"
    return show_duration(adapted) if adapted else "-"


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
                "interval": _interval(feed.interval, state.get("interval")),
                "extraction": health_cell(health.get(feed.name, {})),
            }
        )
    return rows


def print_status(config: Config, console: Console | None = None) -> None:
    console = console or Console(soft_wrap=False)
    table = Table(title=f"newswatch: {len(config.feeds)} feeds in {config.database.name}")
    columns = (
        "feed",
        "last poll",
        "result",
        "stories",
        "errors",
        "next poll",
        "interval",
        "last error",
    )
    for column in columns:
        table.add_column(column, overflow="fold")
    table.add_column("body/date/auth", overflow="fold")
    for row in feed_rows(config):
        table.add_row(
            row["feed"],
            row["last_poll"],
            row["result"],
            str(row["stories"]),
            str(row["errors"]),
            row["next_poll"],
            row["interval"],
            row["last_error"],
            row["extraction"],
        )
    console.print(table)
    if config.notify:
        from .notify_view import channel_table

        console.print(channel_table(config))
