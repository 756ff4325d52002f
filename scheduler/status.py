"""``newswatch status``: one row per configured feed, read from the feeds table."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from storage.store import Store

from .config import Config


def feed_rows(config: Config) -> list[dict]:
    """The configured feeds, each with what the database knows of it."""
    with Store(config.database) as store:
        states = store.feed_states()
    rows = []
    for feed in config.feeds:
        state = states.get(feed.name, {})
        rows.append(
            {
                "feed": feed.name,
                "last_poll": state.get("last_poll") or "never",
                "result": state.get("last_result") or "-",
                "stories": state.get("stories", 0),
                "errors": state.get("errors", 0),
                "last_error": state.get("last_error") or "",
                "next_poll": state.get("next_poll") or "next cycle",
            }
        )
    return rows


def print_status(config: Config, console: Console | None = None) -> None:
    console = console or Console(soft_wrap=False)
    table = Table(title=f"newswatch: {len(config.feeds)} feeds in {config.database.name}")
    for column in ("feed", "last poll", "result", "stories", "errors", "next poll", "last error"):
        table.add_column(column, overflow="fold")
    for row in feed_rows(config):
        table.add_row(
            row["feed"],
            row["last_poll"],
            row["result"],
            str(row["stories"]),
            str(row["errors"]),
            row["next_poll"],
            row["last_error"],
        )
    console.print(table)
