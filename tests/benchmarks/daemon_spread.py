"""Daemon spread: with 100,000 feeds, does each ``--due`` cycle take a share of the feeds?

Not part of the test run (no ``test_`` prefix; tests/test_spread.py runs a small one). A fake
clock drives the real planning code over hours of simulated polling, without processes or a
database: ``cycle.plan_polls`` (so ``polling.plan_next`` and ``spread_wait``) plans each poll
at the end of its cycle, ``polling.due_time`` reads each plan back as ``crawl --due`` and the
daemon do, and the daemon's rule for when a cycle may start (``next_poll.first_due`` with
``cycle_gap``, as ``Daemon.crawl_job`` applies it) picks the next cycle. A cycle takes every
feed due at its start and "runs" for ``fixed + per_feed * n`` seconds (``cold_per_feed`` for a
feed's first poll); each poll finds news with probability ``churn`` and is a 304 otherwise, so
adaptive intervals move as they do in real life.

Three planning modes are compared: ``before`` (a successful poll waits its whole interval and
a cycle starts whenever a feed is due, the code before the spread), ``no-gap`` (polls spread,
cycles back to back) and ``after`` (polls spread, one cycle start per ``cycle_gap``). Each is
run with every feed pinned to ``--interval`` (the issue's case) and with adaptive intervals
(``schedule.interval`` where they start, quiet feeds drifting to ``max_interval``).

For each run: per ``--bucket`` of simulated time, the cycles started, feeds polled, the longest
cycle and the CPU share (busy time / wall time); then the steady state after ``--settle``:
median and largest cycle in feeds, longest cycle in seconds, CPU share.

Usage, from the repository root::

    python tests/benchmarks/daemon_spread.py [--feeds 100000] [--interval 15m] [--hours 1]
        [--fixed 4] [--per-feed-ms 1.6] [--cold-per-feed-ms 7.8] [--churn 0.02]
        [--start cold|locked] [--modes before no-gap after] [--intervals pinned adaptive]
"""

from __future__ import annotations

import argparse
import dataclasses
import heapq
import random
import statistics
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newswatch.scheduler import polling
from newswatch.scheduler.config import load_config
from newswatch.scheduler.config.durations import parse_duration, show_duration
from newswatch.scheduler.config.schema import FeedConfig
from newswatch.scheduler.cycle import plan_polls
from newswatch.scheduler.daemon.next_poll import cycle_gap, first_due
from newswatch.storage.store import FeedPoll, iso

T0 = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
MODES = ("before", "no-gap", "after")


@dataclass(frozen=True)
class Cost:
    fixed: float = 4.0  # seconds a cycle costs whatever it polls: imports, config, after-crawl
    per_feed: float = 0.0016  # seconds of CPU per warm feed request (mostly 304s)
    cold_per_feed: float = 0.0078  # per feed on its first poll (13 min for 100,000 cold)

    def seconds(self, warm: int, cold: int) -> float:
        return self.fixed + self.per_feed * warm + self.cold_per_feed * cold


@dataclass(frozen=True)
class Cycle:
    start: float  # seconds since the simulation began
    seconds: float
    feeds: int

    @property
    def end(self) -> float:
        return self.start + self.seconds


@contextmanager
def todays_planning() -> Iterator[None]:
    """The planning before the spread: a successful poll waits exactly its interval."""
    spread = polling.spread_wait
    polling.spread_wait = lambda interval, min_interval, phase, now, rng: interval
    try:
        yield
    finally:
        polling.spread_wait = spread


def make_config(feeds: int, pinned: float | None, schedule: dict[str, str]):
    """A real Config with ``feeds`` feeds (pinned to ``pinned`` seconds, or adaptive)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config.yaml"
        lines = [f"  {key}: {value}" for key, value in schedule.items()]
        path.write_text(
            "feeds:\n  - name: f\n    url: https://news.example/rss.xml\n"
            "topics:\n  - name: t\n    query: t\n"
            "schedule:\n" + "\n".join(lines) + "\n"
        )
        config = load_config(path)
    return dataclasses.replace(
        config,
        feeds=tuple(
            FeedConfig(f"feed-{i}", f"https://news{i}.example/rss.xml", pinned)
            for i in range(feeds)
        ),
    )


def simulate(
    config,
    hours: float,
    cost: Cost = Cost(),
    churn: float = 0.02,
    seed: int = 1,
    mode: str = "after",
    start: str = "cold",
) -> list[Cycle]:
    """The cycles the daemon runs over ``hours`` of simulated time (see the module's doc).

    ``start`` "cold": no feed was ever polled (a new config or database), so all are due at
    once. "locked": every feed was polled at one instant an interval ago, by the planning
    before the spread, as an existing database would be.
    """
    rng = random.Random(seed)
    outcome = random.Random(seed + 1)
    gap = cycle_gap(config) if mode == "after" else 0.0
    feeds = {feed.name: feed for feed in config.feeds}
    longest = {feed.name: polling.longest_interval(config, feed) for feed in config.feeds}
    states: dict[str, dict] = {}
    queue: list[tuple[float, str]] = []  # (due, feed), in seconds since T0
    for feed in config.feeds:
        due = 0.0
        if start == "locked":
            wait = config.interval_for(feed)
            polled = T0 - timedelta(seconds=wait)
            states[feed.name] = row(polled, polled + timedelta(seconds=wait), wait, 0)
        heapq.heappush(queue, (due, feed.name))
    end = hours * 3600.0
    cycles: list[Cycle] = []
    now, last_start = 0.0, None
    with todays_planning() if mode == "before" else _nothing():
        while queue:
            # The daemon's tick: when the first feed is due, not before the gap allows.
            not_before = at(last_start + gap) if last_start is not None else None
            name = queue[0][1]
            plan = first_due({name: at(queue[0][0])}, not_before)
            now = max(now, (plan.at - T0).total_seconds())
            if now >= end:
                break
            batch = []
            while queue and queue[0][0] <= now:  # the child takes every feed due at its start
                batch.append(heapq.heappop(queue)[1])
            cold = sum(1 for name in batch if not (states.get(name) or {}).get("first_polled"))
            cycle = Cycle(now, cost.seconds(len(batch) - cold, cold), len(batch))
            cycles.append(cycle)
            last_start, now = now, cycle.end
            finished = at(now)
            polls = [
                FeedPoll(name, feeds[name].url, "ok", new_entries=1)
                if outcome.random() < churn
                else FeedPoll(name, feeds[name].url, "not_modified")
                for name in batch
            ]
            view = dataclasses.replace(config, feeds=tuple(feeds[name] for name in batch))
            plan_polls(view, polls, states, finished, rng)
            for poll in polls:
                state = row(finished, datetime.fromisoformat(poll.next_poll), poll.interval, 0)
                states[poll.name] = state
                due = polling.due_time(state, longest[poll.name], finished)
                heapq.heappush(queue, ((due - T0).total_seconds(), poll.name))
    return cycles


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def row(polled: datetime, next_poll: datetime, interval: float, errors: int) -> dict:
    """A ``feeds`` row as ``Store.record_polls`` writes it (the columns planning reads)."""
    return {
        "last_poll": iso(polled),
        "next_poll": iso(next_poll),
        "interval": interval,
        "errors": errors,
        "first_polled": iso(polled),
    }


def busy_between(cycles: list[Cycle], lo: float, hi: float) -> float:
    return sum(max(0.0, min(c.end, hi) - max(c.start, lo)) for c in cycles)


def buckets(cycles: list[Cycle], width: float, end: float) -> list[dict]:
    rows = []
    lo = 0.0
    while lo < end:
        hi = lo + width
        inside = [c for c in cycles if lo <= c.start < hi]
        rows.append(
            {
                "from": lo,
                "cycles": len(inside),
                "feeds": sum(c.feeds for c in inside),
                "longest": max((c.seconds for c in inside), default=0.0),
                "cpu": busy_between(cycles, lo, hi) / width,
            }
        )
        lo = hi
    return rows


def steady(cycles: list[Cycle], settle: float, end: float) -> dict:
    """The cycles that start after ``settle``: median and largest in feeds, the longest, and
    the CPU share from ``settle`` to ``end``."""
    late = [c for c in cycles if c.start >= settle]
    if not late:
        return {"cycles": 0, "median_feeds": 0, "max_feeds": 0, "longest": 0.0, "cpu": 0.0}
    return {
        "cycles": len(late),
        "median_feeds": statistics.median(c.feeds for c in late),
        "max_feeds": max(c.feeds for c in late),
        "longest": max(c.seconds for c in late),
        "cpu": busy_between(cycles, settle, end) / (end - settle),
    }


def clock(seconds: float) -> str:
    return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}"


def report(title: str, cycles: list[Cycle], width: float, settle: float, end: float) -> None:
    print(f"\n{title}")
    print(f"  {'from':>5} {'cycles':>6} {'feeds':>8} {'longest':>9} {'CPU':>5}")
    for b in buckets(cycles, width, end):
        print(
            f"  {clock(b['from']):>5} {b['cycles']:>6} {b['feeds']:>8,}"
            f" {b['longest']:>8.1f}s {b['cpu']:>5.0%}"
        )
    s = steady(cycles, settle, end)
    print(
        f"  after {clock(settle)}: {s['cycles']} cycles, feeds per cycle median"
        f" {s['median_feeds']:,.0f} max {s['max_feeds']:,}, longest {s['longest']:.1f}s,"
        f" CPU {s['cpu']:.0%}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=100_000)
    parser.add_argument("--interval", default="15m", help="schedule.interval and the pin")
    parser.add_argument("--min-interval", default="5m")
    parser.add_argument("--max-interval", default="6h")
    parser.add_argument("--hours", type=float, default=1.0)
    parser.add_argument("--fixed", type=float, default=Cost.fixed, help="seconds per cycle")
    parser.add_argument("--per-feed-ms", type=float, default=Cost.per_feed * 1000)
    parser.add_argument("--cold-per-feed-ms", type=float, default=Cost.cold_per_feed * 1000)
    parser.add_argument("--churn", type=float, default=0.02, help="share of polls with news")
    parser.add_argument("--start", choices=("cold", "locked"), default="cold")
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--intervals", nargs="+", choices=("pinned", "adaptive"))
    parser.add_argument("--bucket", default="5m")
    parser.add_argument("--settle", default="15m", help="the steady state is after this")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    cost = Cost(args.fixed, args.per_feed_ms / 1000, args.cold_per_feed_ms / 1000)
    schedule = {
        "interval": args.interval,
        "min_interval": args.min_interval,
        "max_interval": args.max_interval,
    }
    end, width = args.hours * 3600, parse_duration(args.bucket)
    settle = parse_duration(args.settle)
    print(
        f"{args.feeds:,} feeds, {args.hours:g} h simulated from a {args.start} start;"
        f" schedule interval {args.interval}, min {args.min_interval}, max {args.max_interval};"
        f" a cycle costs {cost.fixed:g} s + {cost.per_feed * 1000:g} ms per warm feed"
        f" ({cost.cold_per_feed * 1000:g} ms cold); news on {args.churn:.0%} of polls;"
        f" seed {args.seed}",
        flush=True,
    )
    for kind in args.intervals or ("pinned", "adaptive"):
        pinned = parse_duration(args.interval) if kind == "pinned" else None
        config = make_config(args.feeds, pinned, schedule)
        for mode in args.modes:
            cycles = simulate(config, args.hours, cost, args.churn, args.seed, mode, args.start)
            gap = show_duration(cycle_gap(config)) if mode == "after" else "none"
            title = f"{mode}: {kind} intervals ({args.interval if pinned else 'adaptive'})"
            report(f"{title}, cycle gap {gap}", cycles, width, settle, end)
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
