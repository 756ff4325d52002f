"""When each feed is polled next: adaptive intervals, backoff on errors, Retry-After.

Pure functions of a feed's poll outcome, the config and the clock, so the policy is tested on a
fake clock. (The daemon imports this module too: it must never import Scrapy.)

- A feed with its own ``interval`` in the config is pinned to it.
- Otherwise the interval adapts to how often the feed brings news (in the spirit of Miniflux's
  entry frequency, but needing no history): a poll that finds new links halves it, a poll that
  finds none lengthens it by a quarter, always within ``schedule.min_interval`` and
  ``schedule.max_interval``. A feed that has news on most polls settles near the minimum; a
  quiet one drifts to the maximum and comes back as soon as it has news again.
- A failed poll backs off exponentially (2, 4, 8 ... times the interval, capped at
  ``max_interval``) with up to 25% jitter, so feeds that failed together do not retry together.
- A 429 or 503 with ``Retry-After`` is never polled before that time.
- Successful polls are spread, so that a ``--due`` cycle takes a share of the feeds, not all
  of them. Left alone, feeds synchronise: every feed of a new config (or a new database) is
  first polled in one cycle, at one ``now``, and a cycle plans all its polls from its end, so
  feeds with one interval would be due at one instant, cycle after cycle, for ever. So each
  feed has its own phase in the interval, a stable hash of its name (``feed_phase``), and a
  successful poll is next polled at the feed's next slot (see ``spread_wait``): never later
  than its interval, never sooner than ``schedule.min_interval``.

``due_time`` reads such a plan back, under the config in force now (see its docstring).
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from .config import Config, FeedConfig

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
    phase: float | None = None,
    rng: random.Random | None = None,
) -> Plan:
    """The interval and next poll time after one poll.

    ``result`` is "ok", "not_modified" or "error"; ``errors`` counts consecutive failures
    including this one; ``new_entries`` the links this poll saw for the first time; ``phase``
    is the feed's ``feed_phase`` (without it a successful poll waits its whole interval).
    """
    rng = rng or random
    if pinned is not None:
        interval = pinned
    else:
        interval = previous_interval or default
        if result == "ok" and new_entries > 0:
            interval *= SHRINK_ON_NEWS
        elif result != "error":
            interval *= GROW_ON_QUIET
        interval = min(max(interval, min_interval), max_interval)
    if result == "error":
        wait = interval
        if errors > 0:
            backoff = min(interval * 2 ** min(errors, 20), max(max_interval, interval))
            wait = backoff * (1 + JITTER * rng.random())
    else:
        wait = interval if phase is None else spread_wait(interval, min_interval, phase, now, rng)
    if retry_after is not None:
        wait = max(wait, retry_after)
    return Plan(interval=interval, next_poll=now + timedelta(seconds=wait))


def feed_phase(name: str) -> float:
    """Where in its interval a feed is polled, as a share of it in [0, 1): a hash of its name,
    the same in every process and after every restart (unlike ``hash``), and spread evenly
    over many names."""
    return zlib.crc32(name.encode()) / 2**32


def spread_wait(
    interval: float, min_interval: float, phase: float, now: datetime, rng: random.Random
) -> float:
    """The wait after a successful poll: until the feed's next slot, at most the interval.

    A feed's slots are the moments whose time since the epoch, modulo its interval, is its
    ``phase`` of the interval. Feeds with one interval thus take turns over all of it, and the
    feeds of one cycle (however many) are next due at their own slots, not at once. A feed
    polled on its slot (a little late: a cycle takes the feeds due when it starts, and plans
    them when it ends) waits a little less than its interval, so its polls keep its cadence
    and never drift past it.

    A slot sooner than ``min_interval`` away (the feed was polled off its slot: its first
    poll, a poll after an error, a reload that changed the interval, a long stall) is not
    used: the wait is then drawn at random between ``min_interval`` and the interval, and
    from there the feed falls on its slots (random, not a fixed mapping: a fixed one can send
    a feed that is polled a minute late back into the same gap, poll after poll). So a pinned
    interval is never exceeded, no feed is polled more often than ``min_interval``, and the
    feeds of a cold start, or of a database whose feeds were all planned at one instant before
    this, come due each at its own time over the interval.
    """
    floor = min(min_interval, interval)
    until_slot = interval - (now.timestamp() - phase * interval) % interval  # in (0, interval]
    if until_slot >= floor:
        return until_slot
    return floor + (interval - floor) * rng.random()


def due_time(state: Mapping | None, longest: float, now: datetime) -> datetime:
    """When a feed is due, from its row in the ``feeds`` table: it is due once this is ``<= now``.

    ``longest`` is the longest interval the config in force now allows the feed: its pinned
    ``interval``, else ``schedule.max_interval``. The row's ``next_poll`` was planned under the
    config of its last poll, so a reload that shortened the interval since brings it forward:

    - A feed never polled (no row, no ``next_poll``) is due now.
    - After a poll that succeeded, the wait was at most the interval (``spread_wait`` only
      shortens it), so the feed is due at ``last_poll + longest`` if that comes sooner than
      ``next_poll``. A longer interval never postpones a planned poll; the poll after it is
      planned with the new one.
    - After a failed poll the plan stands: backoff and ``Retry-After`` are politeness owed to
      the server, and the table does not say which part of the wait was which. The next poll
      is planned under the new config.
    - A ``last_poll`` later than ``now`` means the wall clock was set back since: a plan made
      on that clock would hold a successful feed back by as much as the clock moved, so it is
      due now (once: that poll plans it on the present clock). A failed feed waits out its plan.

    The crawl child (``newswatch crawl --due``) and the daemon both read the table through
    this, so the daemon starts a crawl exactly when the child will find a feed due.
    """
    state = state or {}
    try:
        next_poll = datetime.fromisoformat(state["next_poll"])
        last_poll = datetime.fromisoformat(state["last_poll"]) if state.get("last_poll") else None
    except (KeyError, TypeError, ValueError):  # never polled (or a value we did not write)
        return now
    if (state.get("errors") or 0) > 0 or last_poll is None:
        return next_poll
    if last_poll > now:
        return now
    return min(next_poll, last_poll + timedelta(seconds=longest))


def longest_interval(config: Config, feed: FeedConfig) -> float:
    """The longest wait the config allows ``feed`` between two successful polls: its pinned
    ``interval``, else ``schedule.max_interval``. ``schedule.interval`` is only where an
    adaptive interval starts, so lowering it re-plans no feed that has been polled."""
    return feed.interval if feed.interval is not None else config.schedule.max_interval


def due_times(
    config: Config, states: dict, now: datetime, feeds: Sequence[FeedConfig] | None = None
) -> dict[str, datetime]:
    """When each configured feed (or each of ``feeds``) is due, by ``due_time``: the
    plan its last poll stored, brought forward when the config now allows a shorter interval."""
    return {
        feed.name: due_time(states.get(feed.name), longest_interval(config, feed), now)
        for feed in (config.feeds if feeds is None else feeds)
    }
