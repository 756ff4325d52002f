"""The service: ``newswatch run`` from start to stop, and the crawl job that ties a cycle together.

The crawl job ticks at least once every ``schedule.interval``. A tick re-reads the config and
asks the ``feeds`` table when each feed is due (``next_poll``). Only when one is due does it
run a cycle: one crawl child to its end (or its deadline), then one line with the counts the
child kept in its ``runs`` row. Then it plans the next tick: when the next feed is due, but no
sooner than the cycle gap after the last cycle started (next_poll.py says why), and at most
one interval away. An idle tick costs a config read and a table read, not a Scrapy start and a
``runs`` row. SIGTERM/SIGINT stop the scheduling; a running crawl gets the grace period, a
second signal stops it at once.
"""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.events import EVENT_SCHEDULER_STARTED
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from ..config import Config, show_duration
from ..locks import LockFile, daemon_lock_path
from .child import STOP_STEPS, Child, ChildResult, Command, StopSteps, crawl_command
from .cycle_line import cycle_line, last_run_id, run_summary
from .daily_digest import write_daily_digest
from .next_poll import NextPoll, after_cycle, cycle_gap, feeds_due, first_due, idle_line
from .reload import ConfigReloader
from .schedule import DaemonSchedule
from .watchdog import Watchdog

logger = logging.getLogger("newswatch.daemon")

# After the grace and a full stop of the child, how much longer ``serve`` waits for the job
# thread to say the cycle ended before it exits anyway.
EXIT_SLACK_SECONDS = 5.0


def utc_now() -> datetime:
    return datetime.now(UTC)


class Daemon:
    """The scheduler, its jobs and the state a shutdown needs; ``serve`` blocks until stopped.

    ``now`` is the wall clock the schedule is planned on, ``clock`` the monotonic clock of the
    deadline, the grace and the watchdog; tests hand in fake ones.
    """

    def __init__(
        self,
        config: Config,
        *,
        grace: float = 20.0,
        command: Command | None = None,
        scheduler: BaseScheduler | None = None,
        now: Callable[[], datetime] = utc_now,
        clock: Callable[[], float] = time.monotonic,
        steps: StopSteps = STOP_STEPS,
    ) -> None:
        self.reloader = ConfigReloader(config)
        self.grace = grace
        self.command = command or crawl_command()
        self.scheduler = scheduler or BlockingScheduler(timezone=config.schedule.timezone)
        self.now = now
        self.clock = clock
        self.steps = steps
        self.schedule = DaemonSchedule(self.scheduler, now)
        self.cycle = 0
        self.stopping = threading.Event()
        self.stop_at: float | None = None  # monotonic time a running child must be gone by
        self.busy = threading.Lock()  # held while a cycle runs
        self.watchdog = Watchdog(
            interval=lambda: self.config.schedule.interval,
            busy=self.busy.locked,
            start_tick=self.schedule.crawl_now,
            clock=clock,
        )
        self.scheduler_started = threading.Event()
        self.signal_threads: list[threading.Thread] = []  # what the signal handler started
        self.said_idle: NextPoll | None = None  # the plan the last "next poll at" line named
        self.plan_problem: str | None = None  # why the feeds table could not be read, said once
        self.cycle_started: float | None = None  # monotonic time the last cycle started

    @property
    def config(self) -> Config:
        """The last good config."""
        return self.reloader.config

    # -- jobs ---------------------------------------------------------------------------------

    def add_jobs(self) -> None:
        """The crawl job (first tick now) and the daily digest job when one is configured."""
        self.schedule.add_crawl(self.crawl_job, self.config.schedule.interval)
        self.schedule.set_digest(self.digest_job, self.config.schedule)

    def crawl_job(self) -> None:
        """One tick: reload the config, run cycles while a feed is due, plan the next tick.

        A cycle runs when a feed is due (at start too: a feed never polled is due at once),
        or when the ``feeds`` table cannot be read (the crawl then decides, as it always did).
        A feed that became due while a cycle ran gets the next cycle at once, from this same
        tick: a tick that moved its own job to now would find itself still running, and
        APScheduler would skip that start. Either way a cycle starts no sooner than the cycle
        gap after the last one started: the feeds due before then wait for the next tick.
        """
        if self.stopping.is_set():
            return
        with self.busy:
            config = self.reload()
            started = self.now()
            due = self.read_due(config, started)
            while due is None or (
                any(at <= started for at in due.values()) and self.gap_left(config) <= 0
            ):
                self.cycle_started = self.clock()
                result = self.run_cycle(config)
                self.said_idle = None  # going idle after a cycle is said again
                if self.stopping.is_set() or result.status != 0 or result.stopped is not None:
                    due = None  # a feed the failed crawl did not poll waits an interval
                    break
                now = self.now()
                after = self.read_due(config, now)
                if after is None:
                    due = None
                    break
                due = after_cycle(due or {}, after, started, now, config.schedule.interval)
                config, started = self.reload(), now
            if not self.stopping.is_set():
                not_before = self.now() + timedelta(seconds=self.gap_left(config))
                self.plan_next_tick(config, first_due(due, not_before) if due else None)
            self.watchdog.ticked()

    def gap_left(self, config: Config) -> float:
        """Seconds until a cycle may start: the cycle gap less the time since the last cycle
        started, on the monotonic clock (a wall clock set back must not hold cycles back)."""
        if self.cycle_started is None:
            return 0.0
        return max(0.0, cycle_gap(config) - (self.clock() - self.cycle_started))

    def run_cycle(self, config: Config) -> ChildResult:
        """One crawl child, to its end or its deadline, and the line that says how it went."""
        self.cycle += 1
        before = last_run_id(config.database)
        argv = self.command(self.reloader.child_config)
        child = Child(argv, clock=self.clock, steps=self.steps)
        result = child.supervise(config.schedule.deadline, lambda: self.stop_at)
        level, line = cycle_line(
            self.cycle,
            result,
            run_summary(config.database, result.pid, before),
            deadline=config.schedule.deadline,
            grace=self.grace,
            skipped=self.schedule.take_skipped(),
        )
        logger.log(level, line)
        return result

    def read_due(self, config: Config, now: datetime) -> dict[str, datetime] | None:
        """When each feed is due, or None when the ``feeds`` table cannot be read (said once)."""
        try:
            due = feeds_due(config, now)
        except sqlite3.Error as exc:
            problem = f"cannot read when the next feed is due ({exc})"
            if problem != self.plan_problem:
                every = show_duration(config.schedule.interval)
                logger.warning("%s; a crawl runs every %s until it can", problem, every)
                self.plan_problem = problem
            return None
        self.plan_problem = None
        return due

    def plan_next_tick(self, config: Config, plan: NextPoll | None) -> None:
        """The next tick: when ``plan``'s feed is due, but at most one interval away.

        Ticking at least once an interval keeps a config edit taking effect within one, as
        it did when every tick was a crawl (a shorter interval may make a feed due sooner).
        With no plan (the table could not be read, or the cycle failed) the next tick is one
        interval away. The daemon logs when it goes idle, once per plan, not at every tick.
        """
        now = self.now()
        one_interval = now + timedelta(seconds=config.schedule.interval)
        if plan is None:
            self.schedule.next_tick(one_interval)
        elif plan.due(now):
            self.schedule.next_tick(now)  # due since the last look: the next tick starts now
        else:
            if plan != self.said_idle:
                logger.info(idle_line(plan, now, config.schedule.timezone))
                self.said_idle = plan
            self.schedule.next_tick(min(plan.at, one_interval))

    def reload(self) -> Config:
        """Re-read the config; a new interval or digest time changes the schedule at once (the
        tick plans itself from the new config's intervals)."""
        old = self.config
        new = self.reloader.reload()
        if new.schedule.interval != old.schedule.interval:
            self.schedule.set_interval(new.schedule.interval)
            logger.info("crawl interval is now %s", show_duration(new.schedule.interval))
        digest = (new.schedule.digest_at, new.schedule.timezone)
        if digest != (old.schedule.digest_at, old.schedule.timezone):
            self.schedule.set_digest(self.digest_job, new.schedule)
        return new

    def digest_job(self) -> None:
        write_daily_digest(self.config, self.now())

    # -- lifecycle ----------------------------------------------------------------------------

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)

    def _on_signal(self, signum: int, frame: object) -> None:
        # Only flags here: logging and the scheduler take locks the interrupted code may hold.
        name = signal.Signals(signum).name
        if self.stopping.is_set():
            self.stop_at = self.clock()  # a second signal: stop the crawl now
            self._in_thread(self._log_forced, name)
            return
        self.stop_at = self.clock() + self.grace
        self.stopping.set()
        self._in_thread(self._shutdown, name)

    def _in_thread(self, work, name: str) -> None:
        thread = threading.Thread(target=work, args=(name,), daemon=True)
        self.signal_threads.append(thread)
        thread.start()

    def _log_forced(self, name: str) -> None:
        logger.warning("%s again: stopping the running crawl now", name)

    def _shutdown(self, name: str) -> None:
        running = (
            f"; a running crawl gets {show_duration(self.grace)}" if self.busy.locked() else ""
        )
        logger.info("%s: stopping%s", name, running)
        # The signal may come before ``serve`` has started the scheduler: wait until it has (if
        # it saw the signal first, it never starts it, and this thread ends with the process).
        self.scheduler_started.wait()
        self.scheduler.shutdown(wait=False)

    def serve(self) -> int:
        """Run until SIGTERM/SIGINT; returns the exit status (0 after a clean stop)."""
        s = self.config.schedule
        digest = f"; daily digest at {s.digest_at} {s.timezone}" if s.digest_at else ""
        logger.info(
            "newswatch run (pid %d): %s, a crawl when a feed is due (checked every %s),"
            " deadline %s%s",
            os.getpid(),
            self.config.database,
            show_duration(s.interval),
            show_duration(s.deadline),
            digest,
        )
        if not self.reloader.snapshot_ok:
            logger.warning("cannot keep a copy of the config at %s", self.reloader.snapshot)
        self.add_jobs()
        self.scheduler.add_listener(
            lambda event: self.scheduler_started.set(), EVENT_SCHEDULER_STARTED
        )
        threading.Thread(
            target=self.watchdog.run, args=(self.stopping,), name="watchdog", daemon=True
        ).start()
        if not self.stopping.is_set():
            self.scheduler.start()  # blocks until a signal shuts it down
        # The job thread stops the child once the grace is over; wait for it to say so.
        if self.busy.acquire(timeout=self.grace + self.steps.most_seconds + EXIT_SLACK_SECONDS):
            self.busy.release()
        else:
            logger.error("the running cycle did not end; exiting anyway")
        logger.info("stopped")
        return 0


def run_daemon(config: Config, *, grace: float = 20.0, log_file: Path | None = None) -> int:
    """Hold the database's daemon lock (LockHeld if taken) and serve until a signal."""
    with LockFile(daemon_lock_path(config.database), "newswatch run"):
        daemon = Daemon(config, grace=grace, command=crawl_command(log_file))
        daemon.install_signal_handlers()
        return daemon.serve()
