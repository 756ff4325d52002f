"""The notify step of a cycle: each channel gets its alerts at least once, none holds up another.

It runs after the alert log and the digest are written, inside a time budget of its own that
ends before the cycle's deadline. A channel that fails (refused, 5xx, no answer, bad
credentials) is retried at the next cycle, then with backoff; an alert is given up after it
was tried ``MAX_ATTEMPTS`` times, or after its channel failed that many times in a row since
before it was queued (``storage.deliveries.mark_failed``). Channels are sent to in parallel,
each from its own thread with its own connection to the database, and a delivery is marked
sent only after its channel accepted the message.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ...storage import deliveries
from ...storage.store import Store, iso, utcnow
from ..config import ChannelConfig, Config
from ..secrets import redact
from .copies import add_copies
from .messages import Message, batches, single
from .sender import Answer, send

logger = logging.getLogger("newswatch.notify")

BUDGET_SECONDS = 60.0  # the most a cycle spends notifying; what is left waits for the next
SEND_SECONDS = 20.0  # one message: a channel that has not answered by then has failed
MIN_SEND_SECONDS = 1.0  # a send is not started with less time than this left
REPORT_SECONDS = 2.0  # each send ends this long before the budget, to report in time
DEADLINE_MARGIN_SECONDS = 15.0  # kept free before schedule.deadline for the cycle to end
MAX_ATTEMPTS = 10  # tries of an alert, or failures in a row of its channel, before giving up
FIRST_BACKOFF_SECONDS = 300.0  # after a second failure in a row; doubling after each next one
MAX_BACKOFF_SECONDS = 6 * 3600.0
PENDING_PER_CYCLE = 500  # alerts one channel is sent per cycle, oldest first


@dataclass
class ChannelOutcome:
    name: str
    service: str
    sent: int = 0  # alerts the channel accepted this cycle
    messages: int = 0
    failed: str | None = None  # why the channel failed, if it did
    given_up: int = 0  # alerts given up after this failure
    cut: bool = False  # the cycle's budget ended a send: no fault of the channel's
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
    left = config.schedule.deadline - elapsed - DEADLINE_MARGIN_SECONDS
    return max(0.0, min(BUDGET_SECONDS, left))


def backoff(failures: int, now: datetime) -> str:
    """When a channel that failed ``failures`` times in a row is tried again: at the next cycle
    after its first failure, then after 5 minutes, 10, 20, ... at most 6 hours."""
    if failures <= 1:
        return iso(now)
    seconds = min(FIRST_BACKOFF_SECONDS * 2 ** (failures - 2), MAX_BACKOFF_SECONDS)
    return iso(now + timedelta(seconds=seconds))


Sender = Callable[[ChannelConfig, Message, float], Answer]


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
        add_copies(store, rows)
        for message in messages_for(channel, rows, config):
            left = deadline - REPORT_SECONDS - time.monotonic()
            if left < MIN_SEND_SECONDS:
                outcome.skipped = "no time left in this cycle"
                break
            timeout = min(SEND_SECONDS, left)
            answer = sender(channel, message, timeout)
            if answer.ok:
                deliveries.mark_sent(store, channel.name, message.alert_ids)
                outcome.sent += len(message.alert_ids)
                outcome.messages += 1
                continue
            if answer.timed_out and timeout < SEND_SECONDS:
                outcome.cut = True  # the budget's doing: the same message goes next cycle
                break
            failures = deliveries.failures(store, channel.name) + 1
            outcome.failed = answer.reason
            outcome.given_up = deliveries.mark_failed(
                store,
                channel.name,
                message.alert_ids,
                answer.reason,
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
    ``budget`` seconds. Logs one line per channel that failed or was cut short. The channels
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
            reason = redact(f"{type(exc).__name__}: {exc}")
            results[channel.name] = ChannelOutcome(channel.name, channel.url.service, failed=reason)

    threads = [
        threading.Thread(target=work, args=(channel,), name=f"notify-{channel.name}", daemon=True)
        for channel in config.notify
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    for channel in config.notify:
        outcome = results.get(channel.name)
        where = f"channel={channel.name} ({channel.url.service})"
        if outcome is None:
            report.unfinished.append(channel.name)
            logger.warning(
                "notify: %s still sending after %.0fs; what it has not confirmed is sent"
                " again next cycle",
                where,
                budget,
            )
            continue
        report.outcomes.append(outcome)
        if outcome.failed:
            gave_up = f"; {outcome.given_up} alerts given up" if outcome.given_up else ""
            logger.warning(
                "notify failed: %s reason=%s; retried at a later cycle%s",
                where,
                outcome.failed,
                gave_up,
            )
        elif outcome.cut or outcome.skipped == "no time left in this cycle":
            logger.warning("notify: %s: the cycle's time ran out; sent next cycle", where)
    report.seconds = time.monotonic() - started
    return report
