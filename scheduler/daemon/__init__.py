"""``newswatch run``: one ``newswatch crawl`` child per cycle, on an APScheduler 3.x schedule.

Each cycle is a fresh process (Scrapy's reactor cannot restart; a crash or a leak stays in the
child; a hung crawl can be killed). The daemon itself only schedules, reloads the config, relays
the child's summary line into its log and writes the optional daily digest.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobEvent,
)
from apscheduler.schedulers.base import BaseScheduler, SchedulerNotRunningError
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from ... import command as newswatch_argv
from ..config import Config, ConfigError, load_config, show_duration
from ..locks import LockFile, daemon_lock_path

logger = logging.getLogger("newswatch.daemon")

CRAWL_JOB = "crawl"
DIGEST_JOB = "digest"
FORCE_AFTER = 2.0  # seconds between a child's first SIGTERM (graceful) and its second (forced)
KILL_AFTER = 5.0  # seconds between the second SIGTERM and SIGKILL
POLL = 0.5  # how often a waiting job thread looks for a shutdown request
EXIT_CONFIG = 2  # ``newswatch crawl`` exit statuses the daemon explains
EXIT_LOCKED = 3

Command = Callable[[Path], list[str]]


def snapshot_path(database: Path) -> Path:
    return database.with_name(database.name + ".last-good-config.yaml")


def crawl_command(log_file: Path | None = None) -> Command:
    """The child's argv for a config file: the same ``newswatch crawl`` a person runs."""

    def command(config_file: Path) -> list[str]:
        argv = newswatch_argv("crawl", "-c", str(config_file))
        argv += ["--due", "--no-progress"]  # per-feed intervals decide which feeds are polled
        if log_file is not None:
            argv += ["--log-file", str(log_file)]
        return argv

    return command


def write_snapshot(config: Config, path: Path) -> bool:
    """Save ``config`` with absolute paths, so the child can run it whatever the file says now.

    Returns False (and leaves the old snapshot) when the file no longer reads back as ``config``,
    e.g. it changed while we read it.
    """
    try:
        data = yaml.safe_load(config.path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False
    if not isinstance(data, dict):
        return False
    data["database"] = str(config.database)
    alerts = data.get("alerts") if isinstance(data.get("alerts"), dict) else {}
    alerts.update(log=str(config.alerts.log), digest=str(config.alerts.digest))
    data["alerts"] = alerts
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        head = f"# newswatch run: the last good copy of {config.path}, paths made absolute.\n"
        tmp.write_text(head + yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        same = dataclasses.replace(load_config(tmp), path=config.path) == config
        if same:
            os.replace(tmp, path)
        return same
    except (OSError, ConfigError):
        return False
    finally:
        tmp.unlink(missing_ok=True)


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


@dataclasses.dataclass
class ChildResult:
    status: int  # the exit status; negative: killed by that signal
    seconds: float
    summary: str  # the child's last line on stdout (its cycle summary), or ""
    stopped: str | None = None  # "deadline" or "shutdown" when we had to stop it
    stop_signal: str | None = None


class Daemon:
    """The scheduler, its jobs and the state a shutdown needs; ``serve`` blocks until stopped."""

    def __init__(
        self,
        config: Config,
        *,
        grace: float = 20.0,
        command: Command | None = None,
        scheduler: BaseScheduler | None = None,
    ) -> None:
        self.config = config  # the last good config
        self.config_path = config.path
        self.grace = grace
        self.command = command or crawl_command()
        self.scheduler = scheduler or BlockingScheduler(timezone=config.schedule.timezone)
        self.snapshot = snapshot_path(config.database)
        self.snapshot_ok = write_snapshot(config, self.snapshot)
        self.cycle = 0
        self.skipped = 0  # scheduled runs that found the previous cycle still running
        self.stopping = threading.Event()
        self.stop_at: float | None = None  # monotonic time a running child must be gone by
        self.busy = threading.Lock()  # held while a cycle runs
        self.last_end = time.monotonic()  # when the last cycle ended (or the daemon started)
        self.child: subprocess.Popen | None = None
        self._config_problem: str | None = None

    # -- scheduling -------------------------------------------------------------------------------

    def schedule(self) -> None:
        """Add the crawl job (first run now) and the daily digest job when one is configured."""
        interval = self.config.schedule.interval
        self.scheduler.add_job(
            self.crawl_job,
            CatchUpInterval(seconds=interval),
            id=CRAWL_JOB,
            name="crawl",
            max_instances=1,
            coalesce=True,  # after a suspend or a long cycle: one catch-up run, not a burst
            misfire_grace_time=max(1, round(interval)),
            next_run_time=datetime.now(ZoneInfo(self.config.schedule.timezone)),
            replace_existing=True,
        )
        self.scheduler.add_listener(
            self._on_event, EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED | EVENT_JOB_ERROR
        )
        # Its warning per skipped start is noise at a short interval; _on_event says it once.
        logging.getLogger("apscheduler").setLevel(logging.ERROR)
        self._schedule_digest()

    def _schedule_digest(self) -> None:
        if self.scheduler.get_job(DIGEST_JOB):
            self.scheduler.remove_job(DIGEST_JOB)
        schedule = self.config.schedule
        if schedule.digest_at is None:
            return
        hour, minute = (int(part) for part in schedule.digest_at.split(":"))
        self.scheduler.add_job(
            self.digest_job,
            CronTrigger(hour=hour, minute=minute, timezone=schedule.timezone),
            id=DIGEST_JOB,
            name="daily digest",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=3600,  # a digest an hour late beats none
            replace_existing=True,
        )
        if _has_dst(schedule.timezone):
            logger.warning(
                "schedule.timezone %s has daylight saving time: on the days clocks change, a"
                " digest_at inside the skipped or repeated hour runs not at all or twice",
                schedule.timezone,
            )

    def _on_event(self, event: JobEvent) -> None:
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

    def watchdog(self) -> None:
        """Wall-clock scheduling stalls when the clock is set back; monotonic time does not."""
        while not self.stopping.wait(self.config.schedule.interval):
            self.check_stalled()

    def check_stalled(self) -> bool:
        """Start a cycle now if none has started for two intervals; True if it had to."""
        interval = self.config.schedule.interval
        if self.busy.locked() or time.monotonic() - self.last_end < 2 * interval:
            return False
        logger.warning(
            "no crawl cycle for %s although the interval is %s (was the clock set back?);"
            " starting one now",
            show_duration(round(time.monotonic() - self.last_end)),
            show_duration(interval),
        )
        now = datetime.now(ZoneInfo(self.config.schedule.timezone))
        self.scheduler.modify_job(CRAWL_JOB, next_run_time=now)
        self.last_end = time.monotonic()  # one nudge per stall
        return True

    # -- config -------------------------------------------------------------------------------

    def reload(self) -> Config:
        """Re-read the config file; on any problem keep the last good config and say why."""
        try:
            new = load_config(self.config_path)
        except ConfigError as exc:
            problems = "; ".join(exc.problems)
            if problems != self._config_problem:
                logger.error("config error, keeping the last good config: %s", problems)
                self._config_problem = problems
            return self.config
        if new.database != self.config.database:
            problems = (
                f"database: changing it needs a restart of newswatch run"
                f" ({self.config.database} -> {new.database})"
            )
            if problems != self._config_problem:
                logger.error("config error, keeping the last good config: %s", problems)
                self._config_problem = problems
            return self.config
        if self._config_problem is not None:
            logger.info("config is good again: %s", self.config_path)
            self._config_problem = None
        if new != self.config:
            self._apply(new)
        return self.config

    def _apply(self, new: Config) -> None:
        old, self.config = self.config, new
        changed = [
            f.name
            for f in dataclasses.fields(Config)
            if getattr(old, f.name) != getattr(new, f.name)
        ]
        logger.info("config reloaded: %s changed", ", ".join(changed))
        self.snapshot_ok = write_snapshot(new, self.snapshot)
        if new.schedule.interval != old.schedule.interval:
            interval = new.schedule.interval
            self.scheduler.modify_job(CRAWL_JOB, misfire_grace_time=max(1, round(interval)))
            self.scheduler.reschedule_job(CRAWL_JOB, trigger=CatchUpInterval(seconds=interval))
            logger.info("crawl interval is now %s", show_duration(interval))
        if (new.schedule.digest_at, new.schedule.timezone) != (
            old.schedule.digest_at,
            old.schedule.timezone,
        ):
            self._schedule_digest()

    # -- jobs ---------------------------------------------------------------------------------

    def crawl_job(self) -> None:
        """One cycle: reload the config, run the crawl child, log one line about it."""
        if self.stopping.is_set():
            return
        with self.busy:
            self.cycle += 1
            config = self.reload()
            config_file = self.snapshot if self.snapshot_ok else config.path
            result = self.run_child(self.command(config_file), config.schedule.deadline)
            self.log_cycle(result, config.schedule.deadline)
            self.last_end = time.monotonic()

    def run_child(self, argv: list[str], deadline: float) -> ChildResult:
        """Run the child in its own process group; stop it at the deadline or at shutdown."""
        started = time.monotonic()
        due = started + deadline
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,  # its summary line; its log goes where ours goes
            text=True,
            errors="replace",
            start_new_session=True,  # a kill reaches anything it started
        )
        self.child = proc
        stopped = stop_signal = None
        try:
            while True:
                limit = due if self.stop_at is None else min(due, self.stop_at)
                left = limit - time.monotonic()
                if left <= 0:
                    stopped = "deadline" if limit == due else "shutdown"
                    stop_signal = self._stop(proc)
                    out = proc.communicate()[0]
                    break
                try:
                    out = proc.communicate(timeout=min(left, POLL))[0]
                    break
                except subprocess.TimeoutExpired:
                    continue
        finally:
            self.child = None
        lines = [line.strip() for line in (out or "").splitlines() if line.strip()]
        return ChildResult(
            status=proc.returncode,
            seconds=time.monotonic() - started,
            summary=lines[-1][:500] if lines else "",
            stopped=stopped,
            stop_signal=stop_signal,
        )

    @staticmethod
    def _stop(proc: subprocess.Popen) -> str:
        """Stop the child's process group; returns how it took to stop.

        One SIGTERM lets Scrapy finish the requests in flight (up to ``crawl.timeout``); a second
        one makes it drop them, after which the cycle still stores its polls and delivers the
        alerts for what it has; SIGKILL if even that does not end it.
        """
        steps = (
            (signal.SIGTERM, FORCE_AFTER, "SIGTERM"),
            (signal.SIGTERM, KILL_AFTER, "SIGTERM twice"),
            (signal.SIGKILL, KILL_AFTER, "SIGKILL"),
        )
        for sig, wait, name in steps:
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:  # it ended on its own just now
                return name
            try:
                proc.wait(timeout=wait)
                return name
            except subprocess.TimeoutExpired:
                continue
        return "SIGKILL"

    def log_cycle(self, result: ChildResult, deadline: float) -> None:
        """The one line per cycle (journald-friendly); the child's summary carries the counts."""
        head = f"cycle {self.cycle}"
        took = f"{result.seconds:.1f}s"
        summary = f": {result.summary}" if result.summary else ""
        late = ""
        if self.skipped:
            late = f" (it ran past {self.skipped} scheduled start{'s' if self.skipped > 1 else ''})"
            self.skipped = 0
        if result.stopped == "deadline":
            logger.error(
                "%s overran its deadline of %s: crawl stopped with %s after %s%s; the next cycle"
                " runs as scheduled",
                head,
                show_duration(deadline),
                result.stop_signal,
                took,
                summary,
            )
        elif result.stopped == "shutdown":
            logger.warning(
                "%s stopped at shutdown with %s after %s (grace %s)%s",
                head,
                result.stop_signal,
                took,
                show_duration(self.grace),
                summary,
            )
        elif result.status == 0:
            logger.info("%s ok in %s%s%s", head, took, summary, late)
        elif result.status == EXIT_LOCKED:
            logger.warning("%s skipped: another crawl is running on this database", head)
        elif result.status < 0:
            name = _signal_name(-result.status)
            logger.error("%s failed: crawl killed by %s after %s%s", head, name, took, summary)
        else:
            why = " (config error)" if result.status == EXIT_CONFIG else ""
            logger.error(
                "%s failed: crawl exited with status %d%s after %s%s",
                head,
                result.status,
                why,
                took,
                summary,
            )

    def digest_job(self) -> None:
        """The daily digest: a dated copy next to ``alerts.digest``, kept after later cycles."""
        from ..delivery.digest import write_from_database

        config = self.config
        try:
            day = datetime.now(ZoneInfo(config.schedule.timezone)).date().isoformat()
            target = config.alerts.digest
            path = target.with_name(f"{target.stem}-{day}{target.suffix}")
            path, count = write_from_database(config, path)
            logger.info("daily digest: %d alert%s in %s", count, "s" * (count != 1), path)
        except Exception:  # the daemon outlives a digest that failed; the next day runs
            logger.exception("daily digest not written")

    # -- lifecycle ----------------------------------------------------------------------------

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)

    def _on_signal(self, signum: int, frame: object) -> None:
        # Only flags here: logging and the scheduler take locks the interrupted code may hold.
        name = signal.Signals(signum).name
        if self.stopping.is_set():
            self.stop_at = time.monotonic()  # a second signal: stop the crawl now
            threading.Thread(target=self._log_forced, args=(name,), daemon=True).start()
            return
        self.stop_at = time.monotonic() + self.grace
        self.stopping.set()
        threading.Thread(target=self._shutdown, args=(name,), daemon=True).start()

    def _log_forced(self, name: str) -> None:
        logger.warning("%s again: stopping the running crawl now", name)

    def _shutdown(self, name: str) -> None:
        running = (
            f"; a running crawl gets {show_duration(self.grace)}" if self.busy.locked() else ""
        )
        logger.info("%s: stopping%s", name, running)
        for _ in range(100):  # the signal may come before start() has set the scheduler running
            try:
                self.scheduler.shutdown(wait=False)
                return
            except SchedulerNotRunningError:
                time.sleep(0.05)

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
        if not self.snapshot_ok:
            logger.warning("cannot keep a copy of the config at %s", self.snapshot)
        self.schedule()
        threading.Thread(target=self.watchdog, name="watchdog", daemon=True).start()
        if not self.stopping.is_set():
            self.scheduler.start()  # blocks until a signal shuts it down
        # The job thread stops the child once the grace is over; wait for it to say so.
        if self.busy.acquire(timeout=self.grace + FORCE_AFTER + 2 * KILL_AFTER + 5):
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


def _has_dst(timezone: str) -> bool:
    zone = ZoneInfo(timezone)
    year = datetime.now(zone).year
    return (
        datetime(year, 1, 1, tzinfo=zone).utcoffset()
        != datetime(year, 7, 1, tzinfo=zone).utcoffset()
    )


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
