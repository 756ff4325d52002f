"""The watchdog: a tick on monotonic time when the wall-clock schedule has stalled.

APScheduler plans on the wall clock. Set that clock back by two hours and the next tick is two
hours away; monotonic time does not move back, so it notices two intervals without a tick (the
crawl job ticks at least once an interval, whether or not a feed is due). The tick it starts
finds due the feeds the set-back clock would hold back (see ``polling.due_time``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from ..config import show_duration

logger = logging.getLogger("newswatch.daemon")

STALLED_INTERVALS = 2  # intervals without a tick before the watchdog starts one


class Watchdog:
    """Calls ``start_tick`` when no tick has ended for two intervals and none is running.

    ``interval`` reads the current interval (a reload may change it), ``busy`` tells whether a
    tick (and its cycle, if any) is running, ``clock`` is the monotonic clock (a fake one in
    tests).
    """

    def __init__(
        self,
        interval: Callable[[], float],
        busy: Callable[[], bool],
        start_tick: Callable[[], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = interval
        self.busy = busy
        self.start_tick = start_tick
        self.clock = clock
        self.last_end = clock()  # when the last tick ended (or the daemon started)

    def ticked(self) -> None:
        self.last_end = self.clock()

    def check(self) -> bool:
        """Start a tick now if none has ended for two intervals; True if it had to."""
        interval = self.interval()
        quiet = self.clock() - self.last_end
        if self.busy() or quiet < STALLED_INTERVALS * interval:
            return False
        logger.warning(
            "no check for due feeds for %s although the interval is %s (was the clock set"
            " back?); checking now",
            show_duration(round(quiet)),
            show_duration(interval),
        )
        self.start_tick()
        self.last_end = self.clock()  # one nudge per stall
        return True

    def run(self, stopping: threading.Event) -> None:
        """Check once per interval until ``stopping`` is set (the body of its thread)."""
        while not stopping.wait(self.interval()):
            self.check()
