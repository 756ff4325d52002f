"""Lock files next to the database, so a second daemon (or crawl) on it refuses at once.

The lock is an ``flock`` on the open file, so the kernel drops it when the holder dies, even by
SIGKILL: a stale file never blocks a restart. The file itself stays (it only carries the pid for
the message); unlinking a lock file races with a process that has just opened it.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class LockHeld(Exception):
    """Another process holds the lock; the message names it."""

    def __init__(self, what: str, path: Path, pid: int | None) -> None:
        self.what, self.path, self.pid = what, path, pid
        holder = f"another {what} (pid {pid})" if pid else f"another {what}"
        super().__init__(f"{holder} holds {path}")


def daemon_lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


def crawl_lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".crawl.lock")


class LockFile:
    """An exclusive, non-blocking ``flock`` held for as long as the holder wants it."""

    def __init__(self, path: Path, what: str) -> None:
        self.path = Path(path)
        self.what = what
        self.fd: int | None = None

    def acquire(self) -> LockFile:
        """Take the lock or raise LockHeld with the holder's pid."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _read_pid(fd)
            os.close(fd)
            raise LockHeld(self.what, self.path, pid) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> LockFile:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
