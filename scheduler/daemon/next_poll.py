"""When the next feed is due: read from the ``feeds`` table, and worded for the daemon's log.

The daemon reads the table read-only, as it reads the ``runs`` row after each child, and asks
``polling.due_times`` when each configured feed is due: the same rule ``newswatch crawl --due``
selects its feeds by, under the same (last good) config. So when this says a feed is due, the
child will poll it; when it says none is, a child would start Scrapy only to poll nothing.

Cycles are batched: one starts at most every ``cycle_gap`` (a fifth of
``schedule.min_interval``, 60 s by default). Polls are spread over the interval (see
``polling.spread_wait``), so some feed is nearly always due; a cycle started for each would
run cycle after cycle, paying the child's fixed cost (Python and Scrapy start, config, topic
matching, delivery: about 4 s) hundreds of times an interval for a few hundred feeds each. The
gap bounds that cost to a share of the time (4 s a minute) while a feed waits about the gap at
most past its due time, a fifth of even the shortest interval. Miniflux batches
the same way: a job every ``POLLING_FREQUENCY`` takes the feeds whose next check has passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ...storage.store import Store
from ..config import Config
from ..polling import due_times


@dataclass(frozen=True)
class NextPoll:
    """The feed due first, and when (a time at or before now: it is due)."""

    feed: str
    at: datetime

    def due(self, now: datetime) -> bool:
        return self.at <= now


def feeds_due(config: Config, now: datetime) -> dict[str, datetime]:
    """When each configured feed is due; with no database yet, every feed is due now.

    Raises ``sqlite3.Error`` when the table cannot be read (e.g. a child died before it made
    the schema): the caller cannot know then, and falls back to the interval.
    """
    states: dict = {}
    if config.database.exists():
        with Store(config.database, readonly=True) as store:
            states = store.feed_states()
    return due_times(config, states, now)


CYCLE_GAP_SHARE = 0.2


def cycle_gap(config: Config) -> float:
    """The least time between the starts of two cycles, in seconds (see the module's doc)."""
    return config.schedule.min_interval * CYCLE_GAP_SHARE


def first_due(due: dict[str, datetime], not_before: datetime | None = None) -> NextPoll:
    """The feed due first (on a tie, the first in the config), and when its cycle may start:
    when it is due, but not before ``not_before`` (the last cycle's start plus the gap)."""
    first = min(due, key=due.__getitem__)
    at = due[first]
    if not_before is not None and not_before > at:
        at = not_before
    return NextPoll(first, at)


def after_cycle(
    before: dict[str, datetime],
    after: dict[str, datetime],
    started: datetime,
    now: datetime,
    interval: float,
) -> dict[str, datetime]:
    """The due times after a cycle that started at ``started`` and ended well, at ``now``.

    A feed due when the cycle started was given to its crawl; if it is still due, the crawl
    did not poll it, and polling it again at once would start crawl after crawl for nothing:
    it is due again one interval from now (the cadence of the old fixed tick). A feed that
    became due while the crawl ran is due now. With ``before`` unknown (empty), every feed
    still due counts as one the crawl was given.
    """
    again = now + timedelta(seconds=interval)
    return {
        feed: again if at <= now and before.get(feed, started) <= started else at
        for feed, at in after.items()
    }


def idle_line(plan: NextPoll, now: datetime, timezone: str) -> str:
    """``next poll at 19:05:30 WIB (feed antara-dunia)``, in ``schedule.timezone``; the date is
    added when it is not today there. Seconds are shown: intervals can be that short."""
    zone = ZoneInfo(timezone)
    at = plan.at.astimezone(zone)
    shape = "%H:%M:%S %Z" if at.date() == now.astimezone(zone).date() else "%Y-%m-%d %H:%M:%S %Z"
    return f"next poll at {at.strftime(shape)} (feed {plan.feed})"
