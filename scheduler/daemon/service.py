"""The service: ``newswatch run`` from start to stop, and the crawl job that ties a cycle together.

A cycle re-reads the config, runs one crawl child to its end (or its deadline), then logs one
line with the counts the child kept in its ``runs`` row. SIGTERM/SIGINT stop the scheduling; a
running crawl gets the grace period, a second signal stops it at once.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from apscheduler.events import EVENT_SCHEDULER_STARTED
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from ..config import Config, show_duration
from ..locks import LockFile, daemon_lock_path
from .child import STOP_STEPS, Child, Command, StopSteps, crawl_command
from .cycle_line import cycle_line, last_run_id, run_summary
from .daily_digest import write_daily_digest
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
            start_cycle=self.schedule.crawl_now,
            clock=clock,
        )
        self.scheduler_started = threading.Event()
        self.signal_threads: list[threading.Thread] = []  # what the signal handler started

    @property
    def config(self) -> Config:
        """The last good config."""
        return self.reloader.config

    # -- jobs ---------------------------------------------------------------------------------

    def add_jobs(self) -> None:
        """The crawl job (first run now) and the daily digest job when one is configured."""
        self.schedule.add_crawl(self.crawl_job, self.config.schedule.interval)
        self.schedule.set_digest(self.digest_job, self.config.schedule)

    def crawl_job(self) -> None:
        """One cycle: reload the config, run the crawl child, log one line about it."""
        if self.stopping.is_set():
            return
        with self.busy:
            self.cycle += 1
            config = self.reload()
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
            self.watchdog.cycle_ended()

    def reload(self) -> Config:
        """Re-read the config; a new interval or digest time changes the schedule at once."""
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
            "newswatch run (pid %d): %s, every %s, deadline %s%s",
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
