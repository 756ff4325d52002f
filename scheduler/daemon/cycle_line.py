"""The one log line per cycle: how the child ended, and the counts its ``runs`` row keeps.

The counts are worded by ``CycleSummary.line()``, the same function that prints
``newswatch crawl``'s summary, so the daemon's log and the crawl's stdout cannot drift apart.
The child's row is found by its pid among the rows added after the last one that existed before
it started (``Store.run_of``). A child that died before it finished its run (SIGKILL, a crash, a
config error) left an unfinished row or none: its line then has no counts.
"""

from __future__ import annotations

import logging
import signal
import sqlite3
from pathlib import Path

from ...storage.store import Store
from ...storage.usable import EXIT_UNUSABLE  # the crawl printed the line that says why
from ..config import show_duration
from ..summary import CycleSummary
from .child import ChildResult

EXIT_CONFIG = 2  # ``newswatch crawl`` exit statuses the daemon explains
EXIT_LOCKED = 3


def last_run_id(database: Path) -> int:
    """The newest ``runs`` row before a child starts; 0 with no database (or none readable)."""
    if not database.exists():
        return 0
    try:
        with Store(database, readonly=True) as store:
            return store.last_run_id()
    except sqlite3.Error:
        return 0


def run_summary(database: Path, pid: int, after: int) -> str:
    """The summary line of the run child ``pid`` finished after run ``after``; "" if it did not."""
    if not database.exists():
        return ""
    try:
        with Store(database, readonly=True) as store:
            row = store.run_of(pid, after)
    except sqlite3.Error:  # e.g. a child that died before it brought the schema up to date
        return ""
    if row is None or row["finished"] is None:
        return ""
    return CycleSummary.from_run(row).line()


def cycle_line(
    number: int,
    result: ChildResult,
    summary: str,
    *,
    deadline: float,
    grace: float,
    skipped: int = 0,
) -> tuple[int, str]:
    """The log level and the line for cycle ``number`` (journald-friendly: one line).

    ``skipped`` is how many scheduled starts found this cycle still running.
    """
    head = f"cycle {number}"
    took = f"{result.seconds:.1f}s"
    counts = f": {summary}" if summary else ""
    late = ""
    if skipped:
        late = f" (it ran past {skipped} scheduled start{'s' if skipped > 1 else ''})"
    if result.stopped == "deadline":
        return logging.ERROR, (
            f"{head} overran its deadline of {show_duration(deadline)}: crawl stopped with"
            f" {result.stop_signal} after {took}{counts}; the next cycle runs as scheduled"
        )
    if result.stopped == "shutdown":
        return logging.WARNING, (
            f"{head} stopped at shutdown with {result.stop_signal} after {took}"
            f" (grace {show_duration(grace)}){counts}"
        )
    if result.status == 0:
        return logging.INFO, f"{head} ok in {took}{counts}{late}"
    if result.status == EXIT_LOCKED:
        return logging.WARNING, f"{head} skipped: another crawl is running on this database"
    if result.status < 0:
        name = _signal_name(-result.status)
        return logging.ERROR, f"{head} failed: crawl killed by {name} after {took}{counts}"
    why = {
        EXIT_CONFIG: " (config error)",
        EXIT_UNUSABLE: " (the database or its folder cannot be used; the crawl said why)",
    }.get(result.status, "")
    return logging.ERROR, (
        f"{head} failed: crawl exited with status {result.status}{why} after {took}{counts}"
    )


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
