"""``newswatch status``: one row per configured feed, read from the feeds table."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ..storage.store import Store
from .config import Config, show_duration

HEALTH_WINDOW = 10  # stories per window when comparing recent extraction with the one before
HEALTH_LOW = 0.5  # a share below this in the latest window...
HEALTH_WAS_OK = 0.8  # ...after at least this in the window before is a layout change


def health_cell(health: dict) -> str:
    """ "body/date/auth 95/90/40%" as one compact cell, "-" before any story."""
    if not health.get("n"):
        return "-"
    shares = (health["share_body"], health["share_date"], health["share_authors"])
    return "/".join(str(round(100 * s)) for s in shares) + f"% of {health['n']}"


def extraction_warnings(store: Store, feeds: list[str]) -> list[str]:
    """Feeds whose last 10 stories lost a field the 10 before mostly had (a layout change).

    Only feeds with at least 20 stories are judged, so a new feed never warns.
    """
    warnings = []
    for feed in feeds:
        recent = store.extraction_health(feed, HEALTH_WINDOW)
        before = store.extraction_health(feed, HEALTH_WINDOW, skip=HEALTH_WINDOW)
        if recent["n"] < HEALTH_WINDOW or before["n"] < HEALTH_WINDOW:
            continue
        for field in ("body", "date", "authors"):
            now, was = recent[f"share_{field}"], before[f"share_{field}"]
            if now < HEALTH_LOW and was >= HEALTH_WAS_OK:
                warnings.append(
                    f"extraction health: feed={feed} {field} in {now:.0%} of the last "
                    f"{HEALTH_WINDOW} stories, was {was:.0%}: has the site changed its layout? "
                    "(see feeds[].extract in config.yaml)"
                )
    return warnings


def _interval(pinned: float | None, adapted: float | None) -> str:
    """The feed's interval as a person reads it; "pinned" when the config fixes it."""
    if pinned is not None:
        return f"{show_duration(pinned)} pinned"
    return show_duration(adapted) if adapted else "-"


def feed_rows(config: Config) -> list[dict]:
    """The configured feeds, each with what the database knows of it."""
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
                "last_poll": state.get("last_poll") or "never",
                "result": state.get("last_result") or "-",
                "stories": counts.get(feed.name, 0),
                "errors": state.get("errors", 0),
                "last_error": state.get("last_error") or "",
                "next_poll": state.get("next_poll") or "next cycle",
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
