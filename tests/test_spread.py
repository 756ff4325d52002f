"""The load of ``--due`` cycles over simulated hours: the real planning code on a fake clock
(tests/benchmarks/daemon_spread.py, run small), each cycle taking a share of the feeds."""

from __future__ import annotations

import pytest
from benchmarks.daemon_spread import make_config, simulate, steady

SCHEDULE = {"interval": "15m", "min_interval": "5m", "max_interval": "6h"}
FEEDS = 2000
HOURS = 2.0


@pytest.mark.parametrize("start", ["cold", "locked"])
def test_pinned_feeds_settle_into_a_cycle_a_minute_of_a_share_of_them(start):
    # "cold": no feed polled yet; "locked": all polled at one instant an interval ago, as a
    # database planned before the spread is.
    config = make_config(FEEDS, 900.0, SCHEDULE)
    cycles = simulate(config, HOURS, seed=3, start=start)
    assert cycles[0].feeds == FEEDS  # the first cycle polls every feed at once...
    late = steady(cycles, 3600, HOURS * 3600)
    # ...then, in the second hour, a cycle a minute at most, none with over 12% of the feeds
    # (a fifteenth, 6.7%, is even).
    assert late["max_feeds"] <= 0.12 * FEEDS, late
    starts = [c.start for c in cycles]
    assert min(b - a for a, b in zip(starts, starts[1:], strict=False)) >= 60
    # Every feed is polled four times an hour, as its interval says: no more, no less.
    assert sum(c.feeds for c in cycles if c.start >= 3600) == 4 * FEEDS
    # Planned as before the spread, every cycle took them all: the case this is about.
    before = steady(simulate(config, HOURS, seed=3, start=start, mode="before"), 3600, 7200)
    assert before["max_feeds"] == FEEDS


def test_adaptive_feeds_settle_too():
    config = make_config(FEEDS, None, SCHEDULE)
    late = steady(simulate(config, HOURS, seed=4), 3600, HOURS * 3600)
    assert late["max_feeds"] <= 0.12 * FEEDS, late
    assert late["cpu"] < 0.1  # 4 s a minute of fixed cost, and 1.6 ms a feed
