"""The crawl child: one ``newswatch crawl`` process per cycle, stopped at its deadline or at
shutdown.

Each cycle is a fresh process: Scrapy's reactor cannot restart, a crash or a leak stays in the
child, and a hung crawl can be killed. It runs in its own process group (a new session), so one
signal reaches everything it started, but for its parse workers, which keep out of its signals
and end with it (crawler/parse_worker.py). Its counts are not read from here: the child keeps
them in its ``runs`` row (see ``cycle_line``), so its stdout goes nowhere.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from ... import command as newswatch_argv

# After the first SIGTERM (graceful: Scrapy finishes the requests in flight), the child gets this
# long before a second SIGTERM makes it drop them; after that, this long before SIGKILL.
FORCE_AFTER_SECONDS = 2.0
KILL_AFTER_SECONDS = 5.0
# How often a supervising job thread looks whether a shutdown wants its child stopped sooner.
POLL_SECONDS = 0.5

Command = Callable[[Path], list[str]]
Clock = Callable[[], float]


def crawl_command(log_file: Path | None = None) -> Command:
    """The child's argv for a config file: the same ``newswatch crawl`` a person runs."""

    def command(config_file: Path) -> list[str]:
        argv = newswatch_argv("crawl", "-c", str(config_file))
        argv += ["--due", "--no-progress"]  # per-feed intervals decide which feeds are polled
        if log_file is not None:
            argv += ["--log-file", str(log_file)]
        return argv

    return command


@dataclasses.dataclass(frozen=True)
class StopSteps:
    """How long the child gets after each signal of a stop (see ``stop_group``)."""

    force_after_seconds: float = FORCE_AFTER_SECONDS
    kill_after_seconds: float = KILL_AFTER_SECONDS

    @property
    def most_seconds(self) -> float:
        """The longest a stop can take, SIGKILL's wait included."""
        return self.force_after_seconds + 2 * self.kill_after_seconds


STOP_STEPS = StopSteps()  # the README's: SIGTERM, 2 s, SIGTERM, 5 s, SIGKILL


@dataclasses.dataclass
class ChildResult:
    pid: int
    status: int  # the exit status; negative: killed by that signal
    seconds: float
    stopped: str | None = None  # "deadline" or "shutdown" when we had to stop it
    stop_signal: str | None = None  # what it took: "SIGTERM", "SIGTERM twice" or "SIGKILL"


def stop_group(
    proc: subprocess.Popen,
    steps: StopSteps = STOP_STEPS,
    killpg: Callable[[int, int], None] = os.killpg,
) -> str:
    """Stop the child's process group; returns what it took.

    One SIGTERM lets Scrapy finish the requests in flight (up to ``crawl.timeout``); a second
    one makes it drop them, after which the cycle still stores its polls and delivers the alerts
    for what it has; SIGKILL if even that does not end it.
    """
    plan = (
        (signal.SIGTERM, steps.force_after_seconds, "SIGTERM"),
        (signal.SIGTERM, steps.kill_after_seconds, "SIGTERM twice"),
        (signal.SIGKILL, steps.kill_after_seconds, "SIGKILL"),
    )
    for sig, wait_seconds, name in plan:
        try:
            killpg(proc.pid, sig)
        except ProcessLookupError:  # it ended on its own just now
            return name
        try:
            proc.wait(timeout=wait_seconds)
            return name
        except subprocess.TimeoutExpired:
            continue
    return "SIGKILL"


class Child:
    """A started crawl child; ``supervise`` waits for it and stops it when it must.

    ``clock`` is the monotonic clock the deadline and the shutdown time are read on; ``stdout``
    is where the child's stdout goes (nowhere: its counts are in its ``runs`` row).
    """

    def __init__(
        self,
        argv: list[str],
        *,
        clock: Clock = time.monotonic,
        steps: StopSteps = STOP_STEPS,
        stdout: int | IO | None = subprocess.DEVNULL,
    ) -> None:
        self.clock = clock
        self.steps = steps
        self.started = clock()
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            start_new_session=True,  # a kill reaches anything it started (see above)
        )
        self.pid = self.proc.pid

    def supervise(
        self, deadline_seconds: float, shutdown_at: Callable[[], float | None]
    ) -> ChildResult:
        """Wait for the child to end; stop it at its deadline, or at the time ``shutdown_at``
        names once a shutdown has set one (it can come, or move closer, while we wait)."""
        due = self.started + deadline_seconds
        stopped = stop_signal = None
        while True:
            stop_at = shutdown_at()
            limit = due if stop_at is None else min(due, stop_at)
            left = limit - self.clock()
            if left <= 0:
                stopped = "deadline" if limit == due else "shutdown"
                stop_signal = stop_group(self.proc, self.steps)
                self.proc.wait()
                break
            try:
                self.proc.wait(timeout=min(left, POLL_SECONDS))
                break
            except subprocess.TimeoutExpired:
                continue
        return ChildResult(
            pid=self.pid,
            status=self.proc.returncode,
            seconds=self.clock() - self.started,
            stopped=stopped,
            stop_signal=stop_signal,
        )
