"""When each feed is polled next: adaptive intervals, backoff on errors, Retry-After.

Pure functions of a feed's poll outcome and the clock, so the policy is tested on a fake clock.

- A feed with its own ``interval`` in the config is pinned to it.
- Otherwise the interval adapts to how often the feed brings news (in the spirit of Miniflux's
  entry frequency, but needing no history): a poll that finds new links halves it, a poll that
  finds none lengthens it by a quarter, always within ``schedule.min_interval`` and
  ``schedule.max_interval``. A feed that has news on most polls settles near the minimum; a
  quiet one drifts to the maximum and comes back as soon as it has news again.
- A failed poll backs off exponentially (2, 4, 8 ... times the interval, capped at
  ``max_interval``) with up to 25% jitter, so feeds that failed together do not retry together.
- A 429 or 503 with ``Retry-After`` is never polled before that time.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

SHRINK_ON_NEWS = 0.5
GROW_ON_QUIET = 1.25
JITTER = 0.25
MAX_RETRY_AFTER = 30 * 86400.0


@dataclass(frozen=True)
class Plan:
    interval: float  # seconds: the feed's current (adapted or pinned) interval
    next_poll: datetime


def parse_retry_after(value: str | bytes | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    if isinstance(value, bytes):
        value = value.decode("latin-1", "replace")
    value = value.strip()
    if value.isascii() and value.isdigit():
        seconds = float(value)
    else:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if moment.tzinfo is None:
            return None
        seconds = (moment - now).total_seconds()
    # A server's number is not to be trusted with our schedule: at most 30 days.
    return min(max(0.0, seconds), MAX_RETRY_AFTER)


def plan_next(
    *,
    now: datetime,
    result: str,
    new_entries: int,
    previous_interval: float | None,
    errors: int,
    pinned: float | None,
    default: float,
    min_interval: float,
    max_interval: float,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> Plan:
    """The interval and next poll time after one poll.

    ``result`` is "ok", "not_modified" or "error"; ``errors`` counts consecutive failures
    including this one; ``new_entries`` the links this poll saw for the first time.
    """
    if pinned is not None:
        interval = pinned
    else:
        interval = previous_interval or default
        if result == "ok" and new_entries > 0:
            interval *= SHRINK_ON_NEWS
        elif result != "error":
            interval *= GROW_ON_QUIET
        interval = min(max(interval, min_interval), max_interval)
    wait = interval
    if result == "error" and errors > 0:
        backoff = min(interval * 2 ** min(errors, 20), max(max_interval, interval))
        wait = backoff * (1 + JITTER * (rng or random).random())
    if retry_after is not None:
        wait = max(wait, retry_after)
    return Plan(interval=interval, next_poll=now + timedelta(seconds=wait))
