"""``newswatch notify test`` and the channels in ``newswatch status``: a channel by its name and
service, never by its URL (it holds secrets)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ...storage import deliveries
from ...storage.store import Store
from ..config import ChannelConfig, Config
from ..delivery.local_time import local_time
from ..delivery.messages import test_message
from ..delivery.notify import SEND_SECONDS
from ..delivery.sender import send
from ..secrets import redact


def send_tests(channels: Sequence[ChannelConfig], console: Console | None = None) -> bool:
    """A test message to each channel, one line per answer; True when every one accepted it."""
    console = console or Console(soft_wrap=True, highlight=False)
    all_ok = True
    for channel in channels:
        try:
            answer = send(channel, test_message(channel.name, channel.url.service), SEND_SECONDS)
            reason = answer.reason
        except Exception as exc:  # noqa: BLE001 - one channel's crash is its answer
            reason = redact(f"{type(exc).__name__}: {exc}")
        line = Text(f"{channel.name} ({channel.url.service}): ")
        if reason is None:
            line.append("ok, the channel accepted the test message", style="green")
        else:
            all_ok = False
            line.append(f"failed: {reason}", style="red")
        console.print(line)
    return all_ok


def channel_rows(config: Config) -> list[dict]:
    """Each configured channel with what the database knows of its deliveries."""
    zone = config.schedule.timezone
    report: dict[str, dict] = {}
    if config.database.exists():
        with Store(config.database, readonly=True) as store:
            try:
                report = deliveries.channel_report(store)
            except sqlite3.OperationalError:  # a database no crawl of this version has opened
                report = {}
    rows = []
    for channel in config.notify:
        state = report.get(channel.name, {})
        rows.append(
            {
                "channel": channel.name,
                "service": channel.url.service,
                "sent": state.get("sent", 0),
                "pending": state.get("pending", 0),
                "failed": state.get("failed", 0),
                "last_ok": local_time(state.get("last_ok"), zone) or "never",
                "next_try": local_time(state.get("retry_at"), zone) or "next cycle",
                "last_error": state.get("last_error") or "",
            }
        )
    return rows


def channel_table(config: Config) -> Table:
    table = Table(title=f"{len(config.notify)} notification channels")
    columns = ("channel", "service", "sent", "pending", "failed", "last ok", "next try")
    for column in (*columns, "last error"):
        table.add_column(column, overflow="fold")
    for row in channel_rows(config):
        table.add_row(
            row["channel"],
            row["service"],
            str(row["sent"]),
            str(row["pending"]),
            str(row["failed"]),
            row["last_ok"],
            row["next_try"] if row["pending"] else "-",
            row["last_error"],
        )
    return table
