"""The daemon's jobs on an APScheduler 3.x scheduler: the crawl job's ticks and the daily digest,
set and changed through the scheduler's public API only.

The crawl job's trigger ticks once every ``schedule.interval``. That is its upper bound, not its
plan: after each tick the daemon moves the next one to when the next feed is due, if that comes
sooner (``next_tick``). When a tick cannot plan (the job raised), the trigger's time stands, so
the daemon never waits longer than an interval to look again.

Times come from a wall clock the daemon hands in (a fake one in tests), never from a hidden
``datetime.now``, so every decision here can be checked at an explicit moment.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobEvent,
)
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from ..config import ScheduleConfig

logger = logging.getLogger("newswatch.daemon")

CRAWL_JOB = "crawl"
DIGEST_JOB = "digest"
DIGEST_GRACE_SECONDS = 3600  # a digest an hour late beats none

WallClock = Callable[[], datetime]


class CatchUpInterval(IntervalTrigger):
    """An interval trigger that jumps straight to the last missed run time.

    APScheduler walks every missed fire time one by one before coalescing them; after a clock
    jump of months at a short interval that is millions of steps. Runs are always coalesced
    here, so skipping the intermediate ones changes nothing else.
    """

    def get_next_fire_time(self, previous_fire_time, now):
        if previous_fire_time is not None:
            behind = (now - previous_fire_time) // self.interval
            if behind > 1:
                previous_fire_time += (behind - 1) * self.interval
        return super().get_next_fire_time(previous_fire_time, now)


def crawl_grace_seconds(interval: float) -> int:
    """A start missed by up to one interval still runs (late); a later one waits for the next."""
    return max(1, round(interval))


class DaemonSchedule:
    """The crawl and digest jobs, and what the scheduler tells us about them."""

    def __init__(self, scheduler: BaseScheduler, now: WallClock) -> None:
        self.scheduler = scheduler
        self.now = now
        self.skipped = 0  # scheduled starts that found the previous cycle still running

    def add_crawl(self, job: Callable[[], None], interval: float) -> None:
        """The crawl job: the first tick now, then at least one every ``interval`` seconds."""
        now = self.now()
        self.scheduler.add_job(
            job,
            CatchUpInterval(seconds=interval, start_date=now),
            id=CRAWL_JOB,
            name="crawl",
            max_instances=1,
            coalesce=True,  # after a suspend or a long cycle: one catch-up run, not a burst
            misfire_grace_time=crawl_grace_seconds(interval),
            next_run_time=now,
            replace_existing=True,
        )
        self.scheduler.add_listener(
            self.on_event, EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED | EVENT_JOB_ERROR
        )
        # Its warning per skipped start is noise at a short interval; the cycle's line says it.
        logging.getLogger("apscheduler").setLevel(logging.ERROR)

    def set_interval(self, interval: float) -> None:
        """A new interval takes effect at once: the next tick is one new interval from now
        (or sooner, once the tick that reloaded plans it)."""
        next_run = self.now() + timedelta(seconds=interval)
        self.scheduler.modify_job(
            CRAWL_JOB,
            trigger=CatchUpInterval(seconds=interval, start_date=next_run),
            next_run_time=next_run,
            misfire_grace_time=crawl_grace_seconds(interval),
        )

    def next_tick(self, at: datetime) -> None:
        """Move the crawl job's next tick to ``at`` (a time past runs it now).

        APScheduler sets a job's next run from its trigger when it starts the job, under the
        lock this change takes too, so a tick planning its successor is never undone by it.
        A scheduler shut down meanwhile (a signal) has no job left to move.
        """
        with contextlib.suppress(JobLookupError):
            self.scheduler.modify_job(CRAWL_JOB, next_run_time=max(at, self.now()))

    def crawl_now(self) -> None:
        """Move the next tick to now (the watchdog's nudge)."""
        self.next_tick(self.now())

    def set_digest(self, job: Callable[[], None], schedule: ScheduleConfig) -> None:
        """The daily digest job at ``digest_at`` in ``timezone``; none when it is not set."""
        if self.scheduler.get_job(DIGEST_JOB):
            self.scheduler.remove_job(DIGEST_JOB)
        if schedule.digest_at is None:
            return
        hour, minute = (int(part) for part in schedule.digest_at.split(":"))
        self.scheduler.add_job(
            job,
            CronTrigger(hour=hour, minute=minute, timezone=schedule.timezone),
            id=DIGEST_JOB,
            name="daily digest",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=DIGEST_GRACE_SECONDS,
            replace_existing=True,
        )
        if has_dst(schedule.timezone, self.now().year):
            logger.warning(
                "schedule.timezone %s has daylight saving time: on the days clocks change, a"
                " digest_at inside the skipped or repeated hour runs not at all or twice",
                schedule.timezone,
            )

    def on_event(self, event: JobEvent) -> None:
        """The scheduler's word about a job: a skipped start is counted, the rest logged."""
        if event.job_id != CRAWL_JOB:
            if event.code == EVENT_JOB_ERROR:
                logger.error("%s job failed: %r", event.job_id, getattr(event, "exception", None))
            return
        if event.code == EVENT_JOB_MAX_INSTANCES:
            self.skipped += 1  # reported once, in the line of the cycle that ran long
        elif event.code == EVENT_JOB_MISSED:
            logger.warning(
                "a crawl cycle missed its start time (%s) by more than its grace; the next one"
                " runs as scheduled",
                event.scheduled_run_time,
            )
        elif event.code == EVENT_JOB_ERROR:
            logger.error("crawl job failed: %r", getattr(event, "exception", None))

    def take_skipped(self) -> int:
        """The starts skipped since the last call (the running cycle's line reports them)."""
        skipped, self.skipped = self.skipped, 0
        return skipped


def has_dst(timezone: str, year: int) -> bool:
    zone = ZoneInfo(timezone)
    return (
        datetime(year, 1, 1, tzinfo=zone).utcoffset()
        != datetime(year, 7, 1, tzinfo=zone).utcoffset()
    )
