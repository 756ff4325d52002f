"""``newswatch run`` end to end, started as a user would against loopback feeds (a 1 s interval;
each cycle is a real crawl child). The tests wait on signals, never on time: the daemon's log as
it comes through a pipe, the test server telling when a request arrived, a held request that
answers only when the test releases it, and the processes themselves."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from test_crawl import page

from newswatch import command
from newswatch.scheduler.locks import LockFile, LockHeld, daemon_lock_path
from newswatch.storage.store import Store

from conftest import SAFETY_NET_S, NewsServer, daemon_config, process_gone, rss, run_newswatch

CRAWL = {"timeout": 120}  # no loopback request times out, however busy the machine is
SCHEDULE = {"deadline": "5m"}  # a deadline must be longer than crawl.timeout


class RunningDaemon:
    """``newswatch run`` in a subprocess; its log (and its crawl children's) read from stderr."""

    def __init__(self, config: Path, grace: float = 10) -> None:
        self.dir = config.parent
        self.proc = subprocess.Popen(
            command("run", "-c", str(config), "--grace", str(grace)),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self.ended = False  # the pipe reached its end: the daemon and its children are gone
        self.offset = 0
        self.arrived = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            with self.arrived:
                self.lines.append(line)
                self.arrived.notify_all()
        with self.arrived:
            self.ended = True
            self.arrived.notify_all()

    def text(self) -> str:
        with self.arrived:
            return "".join(self.lines)

    def mark(self) -> None:
        """Later ``wait_for`` calls look only at the lines logged from now on."""
        with self.arrived:
            self.offset = len(self.lines)

    def wait_for(self, pattern: str) -> re.Match:
        """Block until a line logged since the last ``mark()`` matches ``pattern``."""

        def search() -> re.Match | None:
            found = (re.search(pattern, line) for line in self.lines[self.offset :])
            return next(filter(None, found), None)

        with self.arrived:
            self.arrived.wait_for(lambda: search() or self.ended, SAFETY_NET_S)
            if found := search():
                return found
        pytest.fail(f"no {pattern!r} in the daemon log:\n{self.text()[-3000:]}")

    def exited(self) -> int:
        """Wait for the daemon to exit and its log to end; its exit status."""
        status = self.proc.wait(timeout=SAFETY_NET_S)
        self.reader.join(SAFETY_NET_S)
        return status

    def children(self) -> list[int]:
        """Crawl children alive now, found by the config snapshot in their command line."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if str(self.dir) in cmdline and "last-good-config" in cmdline and state != "Z":
                found.append(int(entry.name))
        return found

    def kill(self) -> None:
        """SIGKILL the daemon and its crawl child, as ``kill -9`` on both would."""
        kids = self.children()
        for pid in kids:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        if self.proc.poll() is None:
            self.proc.kill()
        assert all(process_gone(pid) for pid in kids)
        self.exited()


@pytest.fixture
def start_daemon():
    started: list[RunningDaemon] = []

    def start(config: Path, grace: float = 10) -> RunningDaemon:
        started.append(RunningDaemon(config, grace))
        return started[-1]

    yield start
    for d in started:
        d.kill()


def feed_of(server, path: str, titles: list[str], held: set[str] = frozenset()) -> None:
    """A feed of one article per title; a ``held`` article answers when the test releases it."""
    items = []
    for title in titles:
        article = f"/news/{title.lower().replace(' ', '-')}.html"
        server.add(article, page(title, article), hold=title in held)
        items.append({"title": title, "link": server.url(article)})
    server.add(path, rss(items), content_type="application/rss+xml", conditional=True)


def alert_log(tmp_path: Path) -> list[dict]:
    path = tmp_path / "alerts.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_lock_refuses_a_second_holder_and_names_the_first(tmp_path):
    path = daemon_lock_path(tmp_path / "newswatch.db")
    with LockFile(path, "newswatch run"):
        with pytest.raises(LockHeld) as caught:
            LockFile(path, "newswatch run").acquire()
        assert str(caught.value) == f"another newswatch run (pid {os.getpid()}) holds {path}"
    LockFile(path, "newswatch run").acquire().release()  # the file stays; the lock does not


def test_a_new_item_is_alerted_within_an_interval_then_sigterm_exits_0(
    server, tmp_path, start_daemon
):
    feed_of(server, "/world.xml", ["Peace talks open"])
    config = daemon_config(
        tmp_path, [("world", server.url("/world.xml"))], schedule=SCHEDULE, crawl=CRAWL
    )
    d = start_daemon(config, grace=10)
    d.wait_for(r"cycle 1 ok in [\d.]+s: feeds: 1 ok .*alerts: 1")
    assert [a["title"] for a in alert_log(tmp_path)] == ["Peace talks open"]

    # A reader holds a read transaction across the cycles that follow: none of them fails.
    reader = sqlite3.connect(tmp_path / "newswatch.db")
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM stories").fetchone()

    d.mark()
    feed_of(server, "/world.xml", ["Peace talks open", "Border talks stall"])
    alerted = d.wait_for(r"cycle (\d+) ok in [\d.]+s: feeds: 1 ok \(0 unchanged\).* alerts: 1")
    reader.rollback()
    # Within an interval: the cycle running when the item came may have read the feed before
    # it; the next cycle, one interval later, alerts it.
    logged = re.findall(r"newswatch.daemon: cycle (\d+) ", "".join(d.lines[d.offset :]))
    assert len([n for n in logged if int(n) <= int(alerted.group(1))]) <= 2
    assert [a["title"] for a in alert_log(tmp_path)] == ["Peace talks open", "Border talks stall"]
    assert "failed" not in d.text().replace("0 failed", "")

    d.proc.send_signal(signal.SIGTERM)
    assert d.exited() == 0
    assert d.children() == []
    assert d.text().rstrip().endswith("stopped")


def test_every_connection_waits_up_to_30s_for_a_writer_rather_than_failing(tmp_path):
    # Another process holding the write lock briefly (sqlite3, a script) makes a crawl's write
    # wait; SQLite's busy timeout does the waiting (nothing outside SQLite can see it wait), so
    # we check it is set on the connections a crawl and a reader open.
    with Store(tmp_path / "newswatch.db") as store:
        assert store.db.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000
    with Store(tmp_path / "newswatch.db", readonly=True) as reader:
        assert reader.db.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000


def test_sigterm_mid_crawl_stops_the_child_once_the_grace_is_over(server, tmp_path, start_daemon):
    feed_of(server, "/world.xml", ["Slow talks"], held={"Slow talks"})
    config = daemon_config(
        tmp_path, [("world", server.url("/world.xml"))], schedule=SCHEDULE, crawl=CRAWL
    )
    d = start_daemon(config, grace=1)
    server.wait_for("/news/slow-talks.html")  # the crawl waits for a page that does not come
    [kid] = d.children()
    d.proc.send_signal(signal.SIGTERM)
    assert d.exited() == 0
    assert process_gone(kid) and d.children() == []
    assert re.search(r"cycle 1 stopped at shutdown with SIG(TERM|KILL).* \(grace 1s\)", d.text())
    assert "SIGTERM: stopping; a running crawl gets 1s" in d.text()


def test_a_second_run_is_refused_and_a_bad_config_edit_is_survived(server, tmp_path, start_daemon):
    feed_of(server, "/world.xml", ["Peace talks open"])
    config = daemon_config(
        tmp_path, [("world", server.url("/world.xml"))], schedule=SCHEDULE, crawl=CRAWL
    )
    d = start_daemon(config)
    d.wait_for(r"cycle 1 ok")
    second = run_newswatch("run", "-c", str(config), timeout=SAFETY_NET_S)
    assert second.returncode == 1
    lock = tmp_path / "newswatch.db.lock"
    assert f"another newswatch run (pid {d.proc.pid}) holds {lock}" in second.stderr

    d.mark()
    config.write_text(config.read_text().replace("feeds:", "feeds: [", 1))
    d.wait_for(r"config error, keeping the last good config: .*YAML syntax error")
    d.wait_for(r"cycle \d+ ok in [\d.]+s: feeds: 1 ok")
    d.proc.send_signal(signal.SIGINT)
    assert d.exited() == 0


def test_sigkill_then_restart_loses_no_story_and_repeats_no_alert(server, tmp_path, start_daemon):
    titles = ["Peace talks open", "Trade talks", "Water talks"]
    feed_of(server, "/world.xml", titles)
    config = daemon_config(
        tmp_path, [("world", server.url("/world.xml"))], schedule=SCHEDULE, crawl=CRAWL
    )
    d = start_daemon(config)
    d.wait_for(r"cycle 1 ok in [\d.]+s: .*alerts: 3")

    # Two more stories: kill -9 the daemon and its child while the crawl waits for one of them.
    titles += ["Late talks", "Slow talks"]
    feed_of(server, "/world.xml", titles, held={"Slow talks"})
    server.wait_for("/news/slow-talks.html")
    d.kill()
    server.release()

    again = start_daemon(config)
    again.wait_for(r"cycle \d+ ok in [\d.]+s: feeds: 1 ok \(1 unchanged\)")  # all caught up
    again.proc.send_signal(signal.SIGTERM)
    assert again.exited() == 0

    conn = sqlite3.connect(tmp_path / "newswatch.db")
    stories = {row[0] for row in conn.execute("SELECT title FROM stories")}
    table = sorted(row[0] for row in conn.execute("SELECT id FROM alerts"))
    conn.close()
    assert stories == set(titles)
    logged = alert_log(tmp_path)
    ids = [a["alert_id"] for a in logged]
    assert len(ids) == len(set(ids)) == 5 and sorted(ids) == table
    assert {a["title"] for a in logged} == set(titles)


@pytest.fixture
def other_server():
    """A second outlet: a host of its own (its own port), with its own robots.txt."""
    srv = NewsServer()
    srv.server.start()
    yield srv
    srv.release()
    srv.server.close()


def test_a_hanging_feed_does_not_hold_the_others_past_the_deadline(
    server, other_server, tmp_path, start_daemon
):
    feed_of(server, "/world.xml", ["Peace talks open", "Trade talks"])
    # No single request outlasts the deadline (crawl.timeout must be below it), but a host that
    # hangs on robots.txt and then on its feed takes two timeouts, longer than the cycle may.
    other_server.add("/robots.txt", "", hold=True)
    other_server.add("/hang.xml", rss([]), hold=True)
    config = daemon_config(
        tmp_path,
        [("hang", other_server.url("/hang.xml")), ("world", server.url("/world.xml"))],
        schedule={"deadline": "10s"},
        crawl={"timeout": 6},
    )
    d = start_daemon(config)
    # Stopped at the deadline, the crawl still stores and alerts what the other feed brought.
    d.wait_for(
        r"cycle 1 overran its deadline of 10s: crawl stopped with SIGTERM twice after [\d.]+s:"
        r" interrupted: feeds: 1 ok \(0 unchanged\), 1 failed; new stories: 2;.* alerts: 2"
    )
    assert {a["title"] for a in alert_log(tmp_path)} == {"Peace talks open", "Trade talks"}
    # The feed that never answered is recorded as failed, so it backs off (here, bounded by
    # max_interval 1s, only a little), and the next cycle runs as scheduled and asks it again.
    conn = sqlite3.connect(tmp_path / "newswatch.db")
    errors, reason = conn.execute(
        "SELECT errors, last_error FROM feeds WHERE name='hang'"
    ).fetchone()
    conn.close()
    assert errors >= 1 and reason.startswith("no answer before the crawl stopped")
    other_server.wait_for("/robots.txt", 2)


def test_log_lines_for_journald_carry_a_priority_and_no_timestamp(tmp_path, monkeypatch):
    from newswatch.scheduler.cli.logs import setup_logging

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    with open(tmp_path / "stderr", "w+", encoding="utf-8") as err:
        st = os.fstat(err.fileno())
        monkeypatch.setattr(sys, "stderr", err)
        monkeypatch.setenv("JOURNAL_STREAM", f"{st.st_dev}:{st.st_ino}")
        try:
            setup_logging()
            logging.getLogger("newswatch.daemon").warning("cycle 3 skipped")
            logging.getLogger("newswatch.daemon").info("cycle 4 ok")
        finally:
            root.handlers[:], level = saved
            root.setLevel(level)
        err.seek(0)
        assert err.read().splitlines() == [
            "<4>WARNING newswatch.daemon: cycle 3 skipped",
            "<6>INFO newswatch.daemon: cycle 4 ok",
        ]
