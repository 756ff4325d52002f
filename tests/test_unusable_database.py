"""A database or folder that cannot be used (read-only, full, corrupt, locked too long) ends a
command with one line naming the database and what is wrong, exit status 4, and nothing
written."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import test_daemon_e2e
from click.testing import CliRunner

from newswatch import command
from newswatch.scheduler.cli import main
from newswatch.scheduler.daemon.child import ChildResult
from newswatch.scheduler.daemon.cycle_line import cycle_line
from newswatch.storage import store as store_module
from newswatch.storage import usable
from newswatch.storage.store import Store
from newswatch.storage.usable import EXIT_UNUSABLE, DatabaseUnusable, check_writable

from conftest import daemon_config, rss, run_newswatch, write_config

start_daemon = test_daemon_e2e.start_daemon  # the fixture: a daemon stopped at teardown

COMMANDS = ("crawl", "run", "status", "alerts")  # the writers, then the readers
FEEDS = [("f", "http://feed.nowhere.invalid/rss.xml")]  # never asked: the crawl stops first


def files_under(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def one_line(result) -> str:
    assert result.returncode == EXIT_UNUSABLE, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert result.stdout == ""
    return lines[0]


def test_a_corrupt_database_is_one_line_for_every_command(tmp_path):
    config = write_config(tmp_path, FEEDS)
    db = tmp_path / "newswatch.db"
    db.write_bytes(b"this is not a database at all" * 100)
    before = files_under(tmp_path)
    for name in COMMANDS:
        line = one_line(run_newswatch(name, "-c", str(config)))
        assert line == f"newswatch: {db}: is not an SQLite database (or it is corrupt)", name
    assert files_under(tmp_path) == before  # no lock file, no -wal, no runs row


def test_a_database_folder_that_is_a_file_is_one_line(tmp_path):
    config = write_config(tmp_path, FEEDS, database="data/newswatch.db")
    (tmp_path / "data").write_text("a file where the folder should be")
    before = files_under(tmp_path)
    for name in ("crawl", "run"):
        line = one_line(run_newswatch(name, "-c", str(config)))
        db = tmp_path / "data" / "newswatch.db"
        assert line == f"newswatch: {db}: {tmp_path / 'data'} is a file, not a folder"
    assert files_under(tmp_path) == before


def test_a_database_that_is_a_folder_is_one_line(tmp_path):
    config = write_config(tmp_path, FEEDS)
    (tmp_path / "newswatch.db").mkdir()
    line = one_line(run_newswatch("crawl", "-c", str(config)))
    assert line.endswith("newswatch.db: is a folder, not a database file")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through chmod; see the ro mount test")
@pytest.mark.parametrize("what", ["folder", "file"])
def test_a_read_only_folder_or_file_is_one_line(tmp_path, what):
    data = tmp_path / "data"
    data.mkdir()
    config = write_config(tmp_path, FEEDS, database=str(data / "newswatch.db"))
    with Store(data / "newswatch.db"):
        pass
    target = data if what == "folder" else data / "newswatch.db"
    target.chmod(0o555 if what == "folder" else 0o444)
    try:
        before = files_under(tmp_path)
        for name in ("crawl", "run"):
            line = one_line(run_newswatch(name, "-c", str(config)))
            assert "read-only" in line and str(data / "newswatch.db") in line
        assert files_under(tmp_path) == before
    finally:
        target.chmod(0o755)


def _can_mount_read_only() -> bool:
    if shutil.which("unshare") is None or shutil.which("mount") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount -o remount,ro,bind / / 2>/dev/null || true; true"],
        capture_output=True,
        timeout=10,
    )
    return probe.returncode == 0


@pytest.mark.skipif(not _can_mount_read_only(), reason="needs unshare -m and mount (root)")
@pytest.mark.parametrize("name", ["crawl", "run", "status", "alerts"])
def test_a_database_folder_on_a_read_only_filesystem_is_exactly_one_line(tmp_path, name):
    """The issue's case: before, a 29-line traceback from the crawl lock file and exit 1."""
    data = tmp_path / "data"
    data.mkdir()
    config = write_config(tmp_path, FEEDS, database=str(data / "newswatch.db"))
    readers = ("status", "alerts")
    if name in readers:  # readers of an existing database: they read, and write nothing
        with Store(data / "newswatch.db") as store:
            store.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = files_under(tmp_path)
    argv = " ".join(f"'{arg}'" for arg in command(name, "-c", str(config)))
    script = f"mount --bind '{data}' '{data}' && mount -o remount,ro,bind '{data}' && {argv}"
    result = subprocess.run(
        ["unshare", "-m", "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, COLUMNS="200"),
    )
    if name in readers:  # what is stored is still shown
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
        assert "never" in result.stdout or name == "alerts"  # piped, no alerts print nothing
    else:
        line = one_line(result)
        assert line == (
            f"newswatch: {data / 'newswatch.db'}: the folder {data} is on a read-only filesystem"
        )
    assert files_under(tmp_path) == before


def test_a_write_lock_held_past_the_busy_timeout_is_one_line(tmp_path, monkeypatch):
    config = write_config(tmp_path, FEEDS)
    db = tmp_path / "newswatch.db"
    with Store(db):
        pass
    holder = sqlite3.connect(db)
    holder.execute("BEGIN IMMEDIATE")  # another process writing, and never done
    try:
        before = files_under(tmp_path)
        monkeypatch.setattr(store_module, "BUSY_TIMEOUT_S", 0.2)
        result = CliRunner().invoke(main, ["crawl", "-c", str(config)])
        assert result.exit_code == EXIT_UNUSABLE, result.output
        assert result.stderr == (
            f"newswatch: {db}: another process held its write lock for longer than 0.2s\n"
        )
        assert "Traceback" not in result.output
        after = files_under(tmp_path)
        after.pop("newswatch.db.crawl.lock", None)  # taken (and released) before the wait
        assert {k: v for k, v in after.items() if not k.endswith(("-wal", "-shm"))} == {
            k: v for k, v in before.items() if not k.endswith(("-wal", "-shm"))
        }
    finally:
        holder.rollback()
        holder.close()
    with Store(db, readonly=True) as store:
        assert store.count("runs") == 0  # nothing was written


def test_a_full_disk_is_said_before_anything_is_written(tmp_path, monkeypatch):
    real = os.statvfs

    class Full:
        def __init__(self, stat):
            self.f_flag = stat.f_flag

        f_bfree = f_bavail = 0

    monkeypatch.setattr(usable.os, "statvfs", lambda path: Full(real(path)))
    with pytest.raises(DatabaseUnusable) as info:
        check_writable(tmp_path / "newswatch.db")
    assert str(info.value) == f"{tmp_path / 'newswatch.db'}: the disk holding {tmp_path} is full"
    assert list(tmp_path.iterdir()) == []


def test_sqlite_errors_read_as_what_is_wrong():
    db = Path("/srv/news/newswatch.db")
    line = usable.sqlite_line
    assert line(db, sqlite3.OperationalError("database or disk is full"), 30).endswith(
        "cannot be written: the disk is full"
    )
    assert "is read-only" in line(
        db, sqlite3.OperationalError("attempt to write a readonly database"), 30
    )
    assert "is corrupt (database disk image is malformed)" in line(
        db, sqlite3.DatabaseError("database disk image is malformed"), 30
    )
    assert line(db, sqlite3.OperationalError("database is locked"), 30).endswith(
        "another process held its write lock for longer than 30s"
    )


def test_a_cycle_whose_crawl_found_the_database_unusable_says_so():
    result = ChildResult(pid=1, status=EXIT_UNUSABLE, seconds=0.4)
    level, line = cycle_line(7, result, "", deadline=600, grace=20)
    assert line == (
        "cycle 7 failed: crawl exited with status 4 (the database or its folder cannot be used;"
        " the crawl said why) after 0.4s"
    )


def test_the_daemon_lock_on_an_unusable_folder_is_one_line(tmp_path):
    """An OSError from a file beside the database (a lock file) is worded like the rest."""
    exc = PermissionError(13, "Permission denied", str(tmp_path / "newswatch.db.lock"))
    assert usable.is_database_os_error(tmp_path / "newswatch.db", exc)
    assert usable.os_line(tmp_path / "newswatch.db", exc) == (
        f"{tmp_path / 'newswatch.db'}: {tmp_path / 'newswatch.db.lock'}"
        " cannot be written (permission denied)"
    )
    elsewhere = PermissionError(13, "Permission denied", "/etc/shadow")
    assert not usable.is_database_os_error(tmp_path / "newswatch.db", elsewhere)


def test_a_daemon_cycle_whose_database_turned_unusable_says_so_in_two_lines(
    tmp_path, server, start_daemon
):
    """The database is replaced by junk while the daemon runs: each cycle's crawl prints its
    one line and exits 4, the daemon logs the cycle as failed with that status, and goes on."""
    server.add("/feed.xml", rss([]), content_type="application/rss+xml")
    config = daemon_config(tmp_path, [("f", server.url("/feed.xml"))])
    daemon = start_daemon(config)
    daemon.wait_for(r"cycle 1 ok")
    db = tmp_path / "newswatch.db"
    daemon.mark()
    for end in ("-wal", "-shm"):
        Path(f"{db}{end}").unlink(missing_ok=True)
    db.write_bytes(b"this is not a database at all" * 100)
    daemon.wait_for(r"cycle \d+ failed: crawl exited with status 4 \(the database or its folder")
    daemon.proc.send_signal(signal.SIGTERM)
    assert daemon.exited() == 0
    log = daemon.text()
    assert f"newswatch: {db}: is not an SQLite database (or it is corrupt)" in log
    assert "Traceback" not in log
    assert db.read_bytes() == b"this is not a database at all" * 100


SHORT_BUSY_CRAWL = (
    "import newswatch.storage.store as store; store.BUSY_TIMEOUT_S = 0.5\n"
    "from newswatch.scheduler.cli import main; main(prog_name='newswatch')"
)


def test_a_write_lock_held_past_the_busy_timeout_mid_crawl_is_one_line(tmp_path, server):
    """The lock is taken while a page is in flight: the crawl stops storing, closes, and says
    so in one line (no Scrapy traceback per page), exit status 4."""
    body = "<p>" + "Isi berita yang cukup panjang untuk dibaca sebagai artikel. " * 20 + "</p>"
    server.add("/a.html", f"<html><head><title>A</title></head><body>{body}</body>", hold=True)
    server.add(
        "/feed.xml",
        rss([{"title": "A", "link": server.url("/a.html"), "description": "s"}]),
        content_type="application/rss+xml",
    )
    config = write_config(tmp_path, [("f", server.url("/feed.xml"))])
    db = tmp_path / "newswatch.db"
    with Store(db):
        pass
    argv = [sys.executable, "-c", SHORT_BUSY_CRAWL, "crawl", "-c", str(config)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    holder = sqlite3.connect(db)
    try:
        server.wait_for("/a.html")
        holder.execute("BEGIN IMMEDIATE")  # another process writing, and never done
        server.release()
        out, err = proc.communicate(timeout=120)
    finally:
        holder.rollback()
        holder.close()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == EXIT_UNUSABLE, err
    assert err == f"newswatch: {db}: another process held its write lock for longer than 0.5s\n"
    assert out == ""
    with Store(db, readonly=True) as store:
        assert store.count("stories") == 0


@pytest.mark.skipif(not _can_mount_read_only(), reason="needs unshare -m and mount (root)")
@pytest.mark.parametrize("room_kib", [0, 4])
def test_a_full_disk_is_one_line(tmp_path, room_kib):
    """A small tmpfs, filled up to ``room_kib`` KiB: the check sees a full disk, or SQLite
    does when it writes; one line either way, exit status 4."""
    data = tmp_path / "data"
    data.mkdir()
    config = write_config(tmp_path, FEEDS, database=str(data / "newswatch.db"))
    db = str(data / "newswatch.db")
    code = f"from newswatch.storage.store import Store; Store({db!r}).close()"
    make = shlex.join([sys.executable, "-c", code])
    fill = f"dd if=/dev/zero of='{data}/filler' bs=1k 2>/dev/null"
    if room_kib:
        fill = f"{fill}; rm '{data}/filler'; dd if=/dev/zero of='{data}/filler' bs=1k"
        fill += f" count=$(( $(df -k --output=avail '{data}' | tail -1) - {room_kib} )) 2>/dev/null"
    crawl = shlex.join(command("crawl", "-c", str(config)))
    script = f"mount -t tmpfs -o size=512k tmpfs '{data}' && {make} && {fill}; {crawl}"
    result = subprocess.run(
        ["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=120
    )
    line = one_line(result)
    assert line.startswith(f"newswatch: {data / 'newswatch.db'}: ")
    assert "the disk" in line and "is full" in line, line
