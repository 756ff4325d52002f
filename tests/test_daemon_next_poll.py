"""The daemon starts a crawl only when a feed is due: on a fake clock, with the scheduler's part
played by ``run_for`` (each tick at the crawl job's next run time, as APScheduler would), and a
stand-in crawl child that polls the due feeds as ``newswatch crawl --due`` does, at the fake time.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from apscheduler.schedulers.background import BackgroundScheduler

from newswatch.scheduler.config import load_config
from newswatch.scheduler.daemon import Daemon
from newswatch.scheduler.daemon.schedule import CRAWL_JOB
from newswatch.storage.store import FeedPoll, Store, iso

from conftest import write_config

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)  # 19:00 in Asia/Jakarta
MINUTE = timedelta(minutes=1)

# The crawl child: a runs row, and each due feed polled at the time in argv[2] (the fake clock's
# when the daemon started it), planned at its pinned interval.
POLL_DUE = (
    "import sys; from datetime import datetime, timedelta\n"
    "from newswatch.scheduler.config import load_config\n"
    "from newswatch.scheduler.polling import due_times\n"
    "from newswatch.storage.store import FeedPoll, Store, iso\n"
    "config = load_config(sys.argv[1]); now = datetime.fromisoformat(sys.argv[2])\n"
    "with Store(config.database, clock=lambda: now) as store:\n"
    "    run = store.start_run()\n"
    "    due = due_times(config, store.feed_states(), now)\n"
    "    store.record_polls(\n"
    "        FeedPoll(f.name, f.url, 'ok', interval=f.interval,\n"
    "                 next_poll=iso(now + timedelta(seconds=f.interval)))\n"
    "        for f in config.feeds if due[f.name] <= now\n"
    "    )\n"
    "    store.finish_run(run, feeds_ok=1)\n"
)


def feeds_config(tmp_path, intervals: dict[str, str], tick: str = "15m", least: str = "1s"):
    """Feeds pinned to ``intervals``; the daemon looks at the table every ``tick``; ``least``
    is ``schedule.min_interval`` (a fifth of it the cycle gap)."""
    path = write_config(
        tmp_path,
        [(name, f"http://127.0.0.1:9/{name}.xml") for name in intervals],
        [("talks", "talks")],
        schedule={
            "interval": tick,
            "min_interval": least,
            "timezone": "Asia/Jakarta",
            "deadline": "1m",
        },
    )
    data = yaml.safe_load(path.read_text())
    for feed in data["feeds"]:
        feed["interval"] = intervals[feed["name"]]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def polled(config_file, at: datetime, only: str | None = None) -> None:
    """Every feed (or ``only`` that one) polled well at ``at``, its next poll planned at its
    interval."""
    config = load_config(config_file)
    with Store(config.database, clock=lambda: at) as store:
        store.record_polls(
            FeedPoll(
                f.name,
                f.url,
                "ok",
                interval=f.interval,
                next_poll=iso(at + timedelta(seconds=f.interval)),
            )
            for f in config.feeds
            if only in (None, f.name)
        )


@pytest.fixture
def daemon(tmp_path, daemon_clock):
    """A daemon on the fake clocks whose crawl child is POLL_DUE, and a record of the fake
    times it started children at."""
    started: list[datetime] = []

    def command(config_file):
        started.append(daemon_clock.wall)
        return [sys.executable, "-c", POLL_DUE, str(config_file), daemon_clock.wall.isoformat()]

    def make(config_file) -> Daemon:
        d = Daemon(
            load_config(config_file),
            command=command,
            scheduler=BackgroundScheduler(timezone="UTC"),
            now=daemon_clock.now,
            clock=daemon_clock.monotonic,
        )
        d.started = started
        d.add_jobs()
        return d

    return make


def run_for(d: Daemon, clock, span: timedelta) -> int:
    """Tick as the scheduler would until ``span`` from now: move the clocks to the crawl job's
    next run time, let its trigger plan the run after (APScheduler does so before it starts
    the job), run the job. Returns the number of ticks."""
    end = clock.wall + span
    ticks = 0
    job = d.scheduler.get_job(CRAWL_JOB)
    while job.next_run_time <= end:
        at = max(job.next_run_time, clock.wall)
        clock.mono += (at - clock.wall).total_seconds()
        clock.wall = at
        upcoming = job.trigger.get_next_fire_time(job.next_run_time, at)
        d.scheduler.modify_job(CRAWL_JOB, next_run_time=upcoming)
        d.crawl_job()
        ticks += 1
        assert ticks < 10_000, "the daemon ticks without its clock moving"
        job = d.scheduler.get_job(CRAWL_JOB)
    if clock.wall < end:  # a crawl may have taken the clock past it
        clock.mono += (end - clock.wall).total_seconds()
        clock.wall = end
    return ticks


def runs_rows(config_file) -> int:
    with Store(load_config(config_file).database) as store:
        return store.count("runs")


def next_poll_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("next poll at")]


def test_with_no_feed_due_no_crawl_starts_and_no_runs_row_is_written(
    daemon, daemon_clock, tmp_path, caplog
):
    caplog.set_level(logging.INFO, "newswatch")
    config_file = feeds_config(tmp_path, {"a": "1h", "b": "2h"}, tick="10s")
    polled(config_file, T0 - MINUTE)  # both polled a minute ago: the first is due in 59m
    d = daemon(config_file)
    ticks = run_for(d, daemon_clock, 30 * MINUTE)
    assert ticks == 181  # it looked every 10 s, at start too...
    assert d.started == [] and d.cycle == 0  # ...and started no crawl
    assert runs_rows(config_file) == 0
    # One line says when the next poll is, not one per tick.
    assert next_poll_lines(caplog) == ["next poll at 19:59:00 WIB (feed a)"]


def test_it_sleeps_until_the_earliest_feed_is_due_then_crawls(daemon, daemon_clock, tmp_path):
    config_file = feeds_config(tmp_path, {"a": "40m", "b": "25m"}, tick="15m")
    polled(config_file, T0)
    d = daemon(config_file)
    run_for(d, daemon_clock, timedelta(0))  # the tick at start: nothing due
    # The next tick is the next interval (15 m), before b is due at 25 m...
    assert d.scheduler.get_job(CRAWL_JOB).next_run_time == T0 + 15 * MINUTE
    run_for(d, daemon_clock, 15 * MINUTE)
    # ...then when b is due, not a fixed tick later.
    assert d.scheduler.get_job(CRAWL_JOB).next_run_time == T0 + 25 * MINUTE
    assert d.started == []
    run_for(d, daemon_clock, 30 * MINUTE)  # to 45 m: b at 25 m, a at 40 m
    assert d.started == [T0 + 25 * MINUTE, T0 + 40 * MINUTE]
    assert runs_rows(config_file) == 2
    assert d.scheduler.get_job(CRAWL_JOB).next_run_time == T0 + 50 * MINUTE  # b again


def test_the_next_poll_is_logged_in_the_schedules_time_zone(daemon, daemon_clock, tmp_path, caplog):
    caplog.set_level(logging.INFO, "newswatch")
    config_file = feeds_config(tmp_path, {"a": "6h", "b": "20m"}, tick="5m")
    d = daemon(config_file)  # no database yet: every feed is due at once
    run_for(d, daemon_clock, 21 * MINUTE)
    assert d.started == [T0, T0 + 20 * MINUTE]
    lines = [r.getMessage() for r in caplog.records if r.name == "newswatch.daemon"]
    assert [line[: len("cycle 1 ok")] if line.startswith("cycle") else line for line in lines] == [
        "cycle 1 ok",
        "next poll at 19:20:00 WIB (feed b)",
        "cycle 2 ok",
        "next poll at 19:40:00 WIB (feed b)",
    ]
    # A poll on another day there carries its date.
    config_file.write_text(config_file.read_text().replace("20m", "6h"))
    run_for(d, daemon_clock, 20 * MINUTE)
    assert next_poll_lines(caplog)[-1] == "next poll at 2026-03-02 01:00:00 WIB (feed a)"


def test_a_reload_that_shortens_an_interval_brings_the_next_poll_forward(
    daemon, daemon_clock, tmp_path, caplog
):
    caplog.set_level(logging.INFO, "newswatch")
    config_file = feeds_config(tmp_path, {"a": "2h"}, tick="5m")
    polled(config_file, T0)
    d = daemon(config_file)
    run_for(d, daemon_clock, 6 * MINUTE)
    assert next_poll_lines(caplog) == ["next poll at 21:00:00 WIB (feed a)"]
    # At 12:06 the feed's interval becomes 30m: planned at 14:00, it is now due at 12:30.
    config_file.write_text(config_file.read_text().replace("interval: 2h", "interval: 30m"))
    run_for(d, daemon_clock, 5 * MINUTE)  # the tick at 12:10 reloads
    assert "config reloaded: feeds changed" in caplog.text
    assert next_poll_lines(caplog)[-1] == "next poll at 19:30:00 WIB (feed a)"
    assert d.started == []
    run_for(d, daemon_clock, 20 * MINUTE)
    assert d.started == [T0 + 30 * MINUTE]
    # Shortened below the time since the last poll: due at the next tick, then every minute.
    config_file.write_text(config_file.read_text().replace("interval: 30m", "interval: 1m"))
    run_for(d, daemon_clock, 5 * MINUTE)
    assert d.started == [T0 + 30 * MINUTE, T0 + 35 * MINUTE, T0 + 36 * MINUTE]


def test_a_feed_the_crawl_did_not_poll_waits_an_interval_not_a_crawl_after_crawl(
    daemon, daemon_clock, tmp_path
):
    config_file = feeds_config(tmp_path, {"a": "1h"}, tick="10m")
    d = daemon(config_file)

    def polls_nothing(config_file):
        d.started.append(daemon_clock.wall)
        return [sys.executable, "-c", "pass"]

    d.command = polls_nothing
    run_for(d, daemon_clock, 25 * MINUTE)  # a crawl that polls nothing leaves a due
    assert d.started == [T0, T0 + 10 * MINUTE, T0 + 20 * MINUTE]  # the old cadence, no faster


def test_a_feed_due_while_a_crawl_ran_gets_the_next_crawl_from_the_same_tick(
    daemon, daemon_clock, tmp_path
):
    config_file = feeds_config(tmp_path, {"a": "10m", "b": "10m"}, tick="15m")
    polled(config_file, T0 - 10 * MINUTE)  # a is due now...
    polled(config_file, T0 - 10 * MINUTE + timedelta(seconds=2), only="b")  # ...b in 2 s
    d = daemon(config_file)
    crawl = d.command

    def five_seconds_long(config_file):
        argv = crawl(config_file)
        daemon_clock.wall += timedelta(seconds=5)
        daemon_clock.mono += 5
        return argv

    d.command = five_seconds_long
    assert run_for(d, daemon_clock, timedelta(0)) == 1
    # One tick, two crawls: the second at once, not by moving the running job's own next run
    # to now (APScheduler would find the job still running and skip that start).
    assert d.started == [T0, T0 + timedelta(seconds=5)]
    assert d.scheduler.get_job(CRAWL_JOB).next_run_time == T0 + 10 * MINUTE


def test_cycles_start_at_most_once_per_cycle_gap_and_take_the_feeds_due_by_then(
    daemon, daemon_clock, tmp_path, caplog
):
    caplog.set_level(logging.INFO, "newswatch")
    intervals = {"a": "5m", "b": "5m", "c": "5m", "d": "5m"}
    config_file = feeds_config(tmp_path, intervals, tick="15m", least="5m")  # gap: 1m
    for offset, name in enumerate(intervals):  # due at T0, +10 s, +20 s, +90 s
        at = T0 - 5 * MINUTE + timedelta(seconds=(0, 10, 20, 90)[offset])
        polled(config_file, at, only=name)
    d = daemon(config_file)
    run_for(d, daemon_clock, timedelta(0))
    assert d.started == [T0]  # a alone: b and c wait for the gap, not a crawl each
    assert next_poll_lines(caplog) == ["next poll at 19:01:00 WIB (feed b)"]
    run_for(d, daemon_clock, 4 * MINUTE)
    # b and c together at 1m; d, due at 1m30s, a gap after that, at 2m.
    assert d.started == [T0, T0 + MINUTE, T0 + 2 * MINUTE]
    assert runs_rows(config_file) == 3
    assert d.scheduler.get_job(CRAWL_JOB).next_run_time == T0 + 5 * MINUTE  # a again


def test_the_cycle_gap_is_on_the_monotonic_clock(daemon, daemon_clock, tmp_path):
    config_file = feeds_config(tmp_path, {"a": "5m", "b": "5m"}, least="5m")
    polled(config_file, T0 - 5 * MINUTE, only="a")
    polled(config_file, T0 - 4 * MINUTE, only="b")
    d = daemon(config_file)
    run_for(d, daemon_clock, timedelta(0))
    assert d.started == [T0]
    # The wall clock is set back an hour and b falls due 2 minutes later (by the monotonic
    # clock): its crawl is not held back until the wall clock passes T0 + 1m again.
    daemon_clock.wall -= timedelta(hours=1)
    polled(config_file, daemon_clock.wall - 5 * MINUTE, only="b")
    daemon_clock.mono += 120  # the gap is 1m
    d.crawl_job()
    assert d.started == [T0, daemon_clock.wall]
