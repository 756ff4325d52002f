"""The notify step of a cycle: each channel gets its alerts at least once, none holds up another.

It runs after the alert log and the digest are written, inside a time budget of its own: a
channel that fails (refused, 5xx, a timeout, bad credentials) is retried at the next cycle,
then with backoff, and its alerts are given up after ``MAX_ATTEMPTS``; a channel that hangs is
cut at the send timeout and, failing that, left behind when the budget is spent. Channels are
sent to in parallel, each from its own thread with its own connection to the database, and a
delivery is marked sent only after its channel accepted the message.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ...storage import deliveries
from ...storage.store import Store, iso, utcnow
from ..config import ChannelConfig, Config
from .channel_url import apprise_log, redact
from .messages import Message, batches, single

logger = logging.getLogger("newswatch.notify")

BUDGET_SECONDS = 60.0  # the most a cycle spends notifying; what is left waits for the next
SEND_SECONDS = 20.0  # one message; apprise's own socket timeouts (4 s by default) come first
DEADLINE_MARGIN_SECONDS = 15.0  # kept free before schedule.deadline, for the crawl to finish
MAX_ATTEMPTS = 10  # failed sends in a row after which a channel's owed alerts are given up
FIRST_BACKOFF_SECONDS = 300.0  # after a second failure in a row; doubling after each next one
MAX_BACKOFF_SECONDS = 6 * 3600.0
PENDING_PER_CYCLE = 500  # alerts one channel is sent per cycle, oldest first
REASON_CHARS = 200
# A send is cut at its own timeout (by apprise); the step waits this much longer for the cut
# sends to report back, then leaves behind a thread that still has not (its alerts stay owed).
REPORT_SLACK_SECONDS = 10.0


@dataclass
class ChannelOutcome:
    name: str
    service: str
    sent: int = 0  # alerts the channel accepted this cycle
    messages: int = 0
    failed: str | None = None  # why the last send failed, if one did
    given_up: int = 0  # alerts whose last attempt this was
    skipped: str | None = None  # why the channel was not tried this cycle


@dataclass
class NotifyReport:
    outcomes: list[ChannelOutcome] = field(default_factory=list)
    seconds: float = 0.0
    unfinished: list[str] = field(default_factory=list)  # channels still sending at the budget

    @property
    def sent(self) -> int:
        return sum(outcome.sent for outcome in self.outcomes)


def budget_left(config: Config, started: float, now: float | None = None) -> float:
    """The notify step's budget: ``BUDGET_SECONDS``, less when the cycle's deadline is near."""
    elapsed = (time.monotonic() if now is None else now) - started
    return max(
        0.0, min(BUDGET_SECONDS, config.schedule.deadline - elapsed - DEADLINE_MARGIN_SECONDS)
    )


def backoff(failures: int, now: datetime) -> str:
    """When a channel that failed ``failures`` times in a row is tried again: at the next cycle
    after its first failure, then after 5 minutes, 10, 20, ... at most 6 hours."""
    if failures <= 1:
        return iso(now)
    seconds = min(FIRST_BACKOFF_SECONDS * 2 ** (failures - 2), MAX_BACKOFF_SECONDS)
    return iso(now + timedelta(seconds=seconds))


def send(
    channel: ChannelConfig, message: Message, timeout: float, body_format: str | None = None
) -> str | None:
    """Send one message; None when the channel accepted it, else why not (no secret in it).

    The body goes as plain text unless ``body_format`` says otherwise (the digest, already
    escaped as Markdown or HTML); apprise escapes plain text for the channel's own format.
    """
    import apprise  # its plugins load in a tenth of a second: only when there is a channel

    sender = apprise.Apprise()
    with apprise_log() as told:
        if not sender.add(channel.url.value):
            return "apprise cannot use this URL"
        result = sender.notify(
            title=message.title,
            body=message.body,
            body_format=body_format or apprise.NotifyFormat.TEXT,
            timeout=max(timeout, 0.1),
        )
    if result:
        return None
    words = [entry.message for entry in result.logs()] or told.getvalue().splitlines()
    reason = next((w for w in reversed(words) if w.strip()), "") or str(result.status.name)
    if result.status.name == "TIMEOUT":
        reason = f"no answer within {round(timeout, 1):g}s"
    return redact(" ".join(reason.split()))[:REASON_CHARS]


Sender = Callable[[ChannelConfig, Message, float], str | None]


def send_digest(channels: Sequence[ChannelConfig], text: str, name: str, markdown: bool) -> None:
    """The daily digest to the channels that asked for it (``digest: true``); one line each.

    Best effort, once: the digest is also a file, and the next day brings another.
    """
    import apprise

    fmt = apprise.NotifyFormat.MARKDOWN if markdown else apprise.NotifyFormat.HTML
    for channel in channels:
        message = Message(f"newswatch: {name}", text, ())
        reason = send(channel, message, SEND_SECONDS, body_format=fmt)
        if reason is None:
            logger.info("daily digest sent: channel=%s (%s)", channel.name, channel.url.service)
        else:
            logger.warning(
                "daily digest not sent: channel=%s (%s) reason=%s",
                channel.name,
                channel.url.service,
                reason,
            )


def messages_for(channel: ChannelConfig, rows: list[dict], config: Config) -> list[Message]:
    for row in rows:
        if isinstance(row.get("terms"), str):
            row["terms"] = json.loads(row["terms"] or "[]")
    zone = config.schedule.timezone
    if channel.batch:
        return batches(rows, zone, [topic.name for topic in config.topics])
    return [single(row, zone) for row in rows]


def notify_channel(
    config: Config,
    channel: ChannelConfig,
    deadline: float,
    clock: Callable[[], datetime] = utcnow,
    sender: Sender = send,
) -> ChannelOutcome:
    """Send ``channel`` what it is owed, oldest first, until done, a failure, or ``deadline``
    (monotonic); its own connection, so channels never wait for each other."""
    outcome = ChannelOutcome(channel.name, channel.url.service)
    with Store(config.database, clock=clock) as store:
        due = deliveries.retry_at(store, channel.name)
        if due is not None and due > iso(clock()):
            outcome.skipped = f"backing off until {due}"
            return outcome
        rows = deliveries.pending(store, channel.name, PENDING_PER_CYCLE)
        for message in messages_for(channel, rows, config):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            reason = sender(channel, message, min(SEND_SECONDS, left))
            if reason is None:
                deliveries.mark_sent(store, channel.name, message.alert_ids)
                outcome.sent += len(message.alert_ids)
                outcome.messages += 1
                continue
            failures = deliveries.failures(store, channel.name) + 1
            outcome.failed = reason
            outcome.given_up = deliveries.mark_failed(
                store,
                channel.name,
                message.alert_ids,
                reason,
                backoff(failures, clock()),
                MAX_ATTEMPTS,
            )
            break
    return outcome


def notify(
    store: Store,
    config: Config,
    budget: float,
    clock: Callable[[], datetime] = utcnow,
    sender: Sender = send,
) -> NotifyReport:
    """The notify step: queue each channel's new alerts, then send, in parallel, for at most
    ``budget`` seconds. Logs one line per channel that failed or was left behind. The channels
    were registered before the crawl (``before_crawl``), so they are owed this cycle's alerts."""
    started = time.monotonic()
    report = NotifyReport()
    for channel in config.notify:
        deliveries.queue(store, channel.name, channel.topics)
    deadline = started + budget
    results: dict[str, ChannelOutcome] = {}

    def work(channel: ChannelConfig) -> None:
        try:
            results[channel.name] = notify_channel(config, channel, deadline, clock, sender)
        except Exception as exc:  # noqa: BLE001 - one channel never fails the cycle
            results[channel.name] = ChannelOutcome(
                channel.name, channel.url.service, failed=redact(f"{type(exc).__name__}: {exc}")
            )

    threads = [
        threading.Thread(target=work, args=(channel,), name=f"notify-{channel.name}", daemon=True)
        for channel in config.notify
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline + REPORT_SLACK_SECONDS - time.monotonic()))
    for channel in config.notify:
        outcome = results.get(channel.name)
        if outcome is None:
            report.unfinished.append(channel.name)
            logger.warning(
                "notify: channel=%s (%s) still sending after %.0fs; what it has not confirmed"
                " is sent again next cycle",
                channel.name,
                channel.url.service,
                budget + REPORT_SLACK_SECONDS,
            )
            continue
        report.outcomes.append(outcome)
        if outcome.failed:
            gave_up = f"; {outcome.given_up} alerts given up" if outcome.given_up else ""
            logger.warning(
                "notify failed: channel=%s (%s) reason=%s; retried at a later cycle%s",
                channel.name,
                channel.url.service,
                outcome.failed,
                gave_up,
            )
    report.seconds = time.monotonic() - started
    return report
