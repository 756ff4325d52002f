"""Whether the database and its folder can be used: one line that says what is wrong.

A crawl (and the daemon) checks before it writes a thing, the lock files included: a folder that
is not a folder or cannot be written (read-only, a read-only filesystem), a full disk, a file
that is a folder or read-only, or that is no SQLite database. What only shows once SQLite has
the file (a database corrupt past its header, a write lock held longer than the busy timeout)
is worded from SQLite's error by ``unusable_line``. Every such case ends the command with
``EXIT_UNUSABLE`` and that one line.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

EXIT_UNUSABLE = 4  # ``newswatch`` exit status: the database or its folder cannot be used

SQLITE_HEADER = b"SQLite format 3\x00"
# OSErrors that say the place cannot be written, with how they read.
_OS_REASONS = {
    errno.EROFS: "is on a read-only filesystem",
    errno.EACCES: "cannot be written (permission denied)",
    errno.EPERM: "cannot be written (operation not permitted)",
    errno.ENOSPC: "cannot be written: the disk is full",
    errno.EDQUOT: "cannot be written: the disk quota is used up",
    errno.ENOTDIR: "has a file where a folder should be",
    errno.EISDIR: "is a folder, not a database file",
}


class DatabaseUnusable(Exception):
    """The database or its folder cannot be used; the message is the line to print."""


def check_writable(database: Path) -> None:
    """Raise DatabaseUnusable unless a crawl can create or write ``database``; writes nothing."""
    database = Path(database)
    folder = database.parent
    existing = folder
    while not os.path.lexists(existing) and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise DatabaseUnusable(f"{database}: {existing} is a file, not a folder")
    if os.statvfs(existing).f_flag & os.ST_RDONLY:
        raise DatabaseUnusable(f"{database}: the folder {existing} is on a read-only filesystem")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise DatabaseUnusable(f"{database}: the folder {existing} is read-only for this user")
    if disk_is_full(existing):
        raise DatabaseUnusable(f"{database}: the disk holding {existing} is full")
    if not os.path.lexists(database):
        return
    if database.is_dir():
        raise DatabaseUnusable(f"{database}: is a folder, not a database file")
    for path in (database, *(Path(f"{database}{end}") for end in ("-wal", "-shm"))):
        if path.exists() and not os.access(path, os.R_OK | os.W_OK):
            raise DatabaseUnusable(f"{database}: {path.name} is read-only for this user")
    check_header(database)


def check_header(database: Path) -> None:
    """A file that is not empty must start as every SQLite database does; reads 16 bytes."""
    try:
        with open(database, "rb") as file:
            head = file.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise DatabaseUnusable(os_line(database, exc)) from exc
    if head and head != SQLITE_HEADER:
        raise DatabaseUnusable(f"{database}: is not an SQLite database (or it is corrupt)")


def disk_is_full(folder: Path) -> bool:
    """No block left for us (root may still use the blocks reserved for it)."""
    stat = os.statvfs(folder)
    free = stat.f_bfree if os.geteuid() == 0 else stat.f_bavail
    return free == 0


def _nearly_full(folder: Path) -> bool:
    """Less room than a WAL write needs: SQLite says "disk I/O error" then, not "full"."""
    try:
        stat = os.statvfs(folder)
    except OSError:
        return False
    free = stat.f_bfree if os.geteuid() == 0 else stat.f_bavail
    return free * stat.f_frsize < 256 * 1024


def os_line(database: Path, exc: OSError) -> str:
    """The one line for an OSError met on the database, its folder or a lock file beside it."""
    where = Path(exc.filename) if exc.filename else database
    what = _OS_REASONS.get(exc.errno or 0, f"cannot be used: {exc.strerror or exc}")
    name = "the database" if where == database else str(where)
    return f"{database}: {name} {what}"


def is_database_os_error(database: Path, exc: OSError) -> bool:
    """Whether an OSError is about the database, its folder or a file beside it."""
    if exc.filename is None:
        return False
    where = Path(os.path.abspath(exc.filename))
    folder = Path(os.path.abspath(database)).parent
    return where == folder or where.parent == folder or folder.is_relative_to(where)


def sqlite_line(database: Path, exc: sqlite3.Error, busy_timeout: float) -> str:
    """The one line for SQLite's error on the database."""
    text = str(exc)
    lower = text.lower()
    if "locked" in lower or "busy" in lower:
        why = f"another process held its write lock for longer than {busy_timeout:g}s"
    elif "readonly" in lower or "read-only" in lower:
        why = "is read-only (the file or its folder)"
    elif "full" in lower:
        why = "cannot be written: the disk is full"
    elif "disk i/o error" in lower and _nearly_full(Path(database).parent):
        why = f"cannot be written: the disk is full ({text})"
    elif "not a database" in lower:
        why = "is not an SQLite database (or it is corrupt)"
    elif "malformed" in lower or "corrupt" in lower:
        why = f"is corrupt ({text})"
    elif "unable to open" in lower:
        why = f"cannot be opened ({text}): is its folder readable, and writable?"
    else:
        why = f"cannot be used: {text}"
    return f"{database}: {why}"
