"""``newswatch notify test`` and the channels in ``newswatch status``: a channel by its name and
service, never by its URL (it holds secrets)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from rich.console import Console
from rich.text import Text

from ...storage import deliveries
from ...storage.store import Store
from ..config import ChannelConfig, Config
from ..delivery.local_time import local_time
from ..delivery.messages import test_message
from ..delivery.notify import SEND_SECONDS
from ..delivery.plain_text import one_line
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


def channel_blocks(config: Config) -> list[Text]:
    """A few short lines per channel for ``newswatch status`` (a table folded its eight columns
    at 80): name and service with its counts; last success and next try; its last error."""
    lines = [
        Text(f"{len(config.notify)} notification channel{'s' if len(config.notify) != 1 else ''}")
    ]
    for row in channel_rows(config):
        head = Text(row["channel"], style="bold")
        head.append(f" ({row['service']})  {row['sent']} sent · {row['pending']} pending")
        head.append(f" · {row['failed']} failed")
        lines.append(head)
        when = f"  last ok {row['last_ok']}"
        if row["pending"]:
            when += f" · next try {row['next_try']}"
        lines.append(Text(when))
        if row["last_error"]:
            lines.append(Text("  last error: " + one_line(row["last_error"])))
    return lines
