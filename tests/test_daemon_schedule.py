"""The daemon's schedule at explicit moments: the jobs we give APScheduler (read back through its
public API), our CatchUpInterval's arithmetic, the watchdog on a fake monotonic clock, the
scheduler events we count, and the daily digest's date on a fake wall clock."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobExecutionEvent,
    JobSubmissionEvent,
)

from newswatch.scheduler.daemon.schedule import CRAWL_JOB, DIGEST_JOB

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
MINUTE = timedelta(seconds=60)


def due_runs(trigger, next_run_time: datetime, now: datetime, limit: int = 1000) -> list:
    """The run times a job whose next run is ``next_run_time`` has due at ``now``: the ones
    APScheduler walks with the trigger's public ``get_next_fire_time`` before it coalesces them.
    Stops at ``limit`` steps, so a trigger that would walk millions says so quickly."""
    runs = []
    while next_run_time is not None and next_run_time <= now and len(runs) < limit:
        runs.append(next_run_time)
        next_run_time = trigger.get_next_fire_time(next_run_time, now)
    return runs


def test_first_cycle_at_start_then_every_interval(make_daemon):
    d = make_daemon(schedule={"interval": "60s"})
    d.add_jobs()
    job = d.scheduler.get_job(CRAWL_JOB)
    assert job.func == d.crawl_job
    assert job.next_run_time == T0  # the first cycle at once
    assert job.trigger.get_next_fire_time(T0, T0) == T0 + MINUTE
    # 59 s after the first cycle nothing is due yet; at 60 s one cycle is.
    assert due_runs(job.trigger, T0 + MINUTE, T0 + MINUTE - timedelta(seconds=1)) == []
    assert due_runs(job.trigger, T0 + MINUTE, T0 + MINUTE) == [T0 + MINUTE]
    # Only one cycle at a time; runs missed together become one; a late start still runs.
    assert (job.max_instances, job.coalesce, job.misfire_grace_time) == (1, True, 60)


def test_after_a_suspend_one_catch_up_cycle_not_a_burst(make_daemon):
    d = make_daemon(schedule={"interval": "60s"})
    d.add_jobs()
    job = d.scheduler.get_job(CRAWL_JOB)
    woke = T0 + 10 * MINUTE + timedelta(seconds=5)  # SIGSTOP for ten intervals
    missed = due_runs(job.trigger, T0 + MINUTE, woke)
    assert missed == [T0 + MINUTE, T0 + 10 * MINUTE]  # coalesced: one run, the latest...
    assert (woke - missed[-1]).total_seconds() <= job.misfire_grace_time  # ...within its grace
    assert job.trigger.get_next_fire_time(missed[-1], woke) == T0 + 11 * MINUTE


def test_a_clock_jump_of_months_costs_one_cycle(make_daemon):
    d = make_daemon(schedule={"interval": "60s"})
    d.add_jobs()
    trigger = d.scheduler.get_job(CRAWL_JOB).trigger
    later = T0 + timedelta(days=90)
    # Two steps, not the 129,600 an interval trigger walks one minute at a time.
    assert due_runs(trigger, T0 + MINUTE, later) == [T0 + MINUTE, later]
    assert trigger.get_next_fire_time(later, later) == later + MINUTE


def test_a_clock_set_back_does_not_stop_the_cycles(make_daemon, daemon_clock, caplog):
    d = make_daemon(schedule={"interval": "60s"})
    d.add_jobs()
    job = d.scheduler.get_job(CRAWL_JOB)
    daemon_clock.wall -= timedelta(hours=2)  # the wall-clock schedule alone would wait two hours
    daemon_clock.mono += 119
    assert not d.watchdog.check()
    with d.busy:  # a cycle running is no stall
        daemon_clock.mono += 600
        assert not d.watchdog.check()
    assert d.watchdog.check()  # two intervals of monotonic time without a cycle
    assert job.next_run_time == daemon_clock.wall  # the next cycle starts now
    assert "no check for due feeds for 719s although the interval is 1m" in caplog.text
    assert not d.watchdog.check()  # one nudge per stall
    d.watchdog.ticked()
    daemon_clock.mono += 119
    assert not d.watchdog.check()


def test_a_cycle_still_running_skips_the_next_start_and_says_so_once(
    make_daemon, daemon_clock, caplog
):
    caplog.set_level(logging.INFO, "newswatch")
    d = make_daemon(schedule={"interval": "60s"})
    d.add_jobs()
    for minutes in (1, 2, 3):  # what APScheduler reports at each start the cycle ran past
        starts = [T0 + minutes * MINUTE]
        event = JobSubmissionEvent(EVENT_JOB_MAX_INSTANCES, CRAWL_JOB, "default", starts)
        d.schedule.on_event(event)
    d.crawl_job()
    daemon_clock.mono += 1  # past the cycle gap (a fifth of min_interval, 1s)
    d.crawl_job()
    lines = [
        r.getMessage()
        for r in caplog.records
        if r.name == "newswatch.daemon" and r.getMessage().startswith("cycle ")
    ]
    assert lines == [
        "cycle 1 ok in 0.0s (it ran past 3 scheduled starts)",
        "cycle 2 ok in 0.0s",
    ]
    # APScheduler's own warning per skipped start is not logged: the cycle's line says it.
    assert not logging.getLogger("apscheduler.scheduler").isEnabledFor(logging.WARNING)


def test_a_missed_start_and_a_failed_job_are_logged(make_daemon, caplog):
    d = make_daemon()
    d.schedule.on_event(JobExecutionEvent(EVENT_JOB_MISSED, CRAWL_JOB, "default", T0))
    failure = JobExecutionEvent(
        EVENT_JOB_ERROR, DIGEST_JOB, "default", T0, exception=OSError("disk")
    )
    d.schedule.on_event(failure)
    assert "a crawl cycle missed its start time (2026-03-01 12:00:00+00:00)" in caplog.text
    assert "digest job failed: OSError('disk')" in caplog.text
    assert d.schedule.take_skipped() == 0


def test_daily_digest_is_a_dated_file_in_its_time_zone(make_daemon, daemon_clock, tmp_path, caplog):
    caplog.set_level(logging.INFO, "newswatch")
    d = make_daemon(schedule={"digest_at": "07:00", "timezone": "Asia/Jakarta"})
    d.add_jobs()
    job = d.scheduler.get_job(DIGEST_JOB)
    # T0 is 19:00 in Jakarta: the next digest is at 07:00 there the next morning.
    assert job.trigger.get_next_fire_time(None, T0) == datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    assert (job.coalesce, job.misfire_grace_time) == (True, 3600)
    daemon_clock.wall = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # 06:30 on 2 March in Jakarta
    job.func()
    assert [p.name for p in tmp_path.glob("digest-*.md")] == ["digest-2026-03-02.md"]
    assert "daily digest: 0 alerts in" in caplog.text
    assert "daylight saving" not in caplog.text


def test_a_digest_time_in_a_zone_with_dst_is_warned_about(make_daemon, caplog):
    d = make_daemon(schedule={"digest_at": "02:30", "timezone": "Europe/Berlin"})
    d.add_jobs()
    assert "schedule.timezone Europe/Berlin has daylight saving time" in caplog.text


def test_no_digest_job_without_digest_at(make_daemon):
    d = make_daemon()
    d.add_jobs()
    assert [job.id for job in d.scheduler.get_jobs()] == [CRAWL_JOB]
