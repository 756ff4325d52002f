"""``newswatch run``: the job and its child, the lock, the schedule on a fake clock, and the
daemon end to end against loopback feeds (a 1 s interval; each cycle is a real crawl child)."""

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
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from apscheduler.executors.debug import DebugExecutor
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.base import BaseScheduler
from test_crawl import page

from newswatch import command
from newswatch.scheduler import daemon as daemon_module
from newswatch.scheduler.config import load_config
from newswatch.scheduler.daemon import CRAWL_JOB, DIGEST_JOB, Daemon, snapshot_path
from newswatch.scheduler.locks import LockFile, LockHeld, crawl_lock_path, daemon_lock_path

from conftest import rss, run_newswatch, write_config

PY = sys.executable
FAST = {"interval": "1s", "min_interval": "1s", "max_interval": "1s", "deadline": "20s"}


def fast_config(tmp_path: Path, feeds, topics=(("talks", "talks"),), schedule=None, **sections):
    return write_config(
        tmp_path, feeds, list(topics), schedule={**FAST, **(schedule or {})}, **sections
    )


def child(code: str):
    """A stand-in for the crawl child: the daemon's command hook, given the config file."""
    return lambda config_file: [PY, "-c", code, str(config_file)]


def gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state == "Z"


# -- the lock -----------------------------------------------------------------------------------


def test_lock_refuses_a_second_holder_and_names_the_first(tmp_path):
    path = daemon_lock_path(tmp_path / "newswatch.db")
    with LockFile(path, "newswatch run"):
        with pytest.raises(LockHeld) as caught:
            LockFile(path, "newswatch run").acquire()
        assert str(caught.value) == f"another newswatch run (pid {os.getpid()}) holds {path}"
    LockFile(path, "newswatch run").acquire().release()  # the file stays; the lock does not


def test_crawl_refuses_while_another_crawl_holds_the_database(tmp_path):
    config = fast_config(tmp_path, [("a", "http://127.0.0.1:9/feed.xml")])
    lock = crawl_lock_path(tmp_path / "newswatch.db")
    with LockFile(lock, "newswatch crawl"):
        result = run_newswatch("crawl", "-c", str(config), timeout=60)
    assert result.returncode == 3
    assert f"another newswatch crawl (pid {os.getpid()}) holds {lock}" in result.stderr


# -- the job and its child ----------------------------------------------------------------------


@pytest.fixture
def make_daemon(tmp_path):
    def make(code: str = "pass", schedule=None, scheduler=None, **kwargs) -> Daemon:
        config = load_config(
            fast_config(tmp_path, [("a", "http://127.0.0.1:9/feed.xml")], schedule=schedule)
        )
        scheduler = scheduler or ManualScheduler(timezone="UTC")
        return Daemon(config, command=child(code), scheduler=scheduler, **kwargs)

    return make


def test_child_exit_status_is_logged_and_the_next_cycle_runs(make_daemon, caplog):
    caplog.set_level(logging.INFO, "newswatch")
    d = make_daemon("import sys; print('half a summary'); sys.exit(7)")
    d.crawl_job()
    d.command = child("import os, signal; os.kill(os.getpid(), signal.SIGKILL)")
    d.crawl_job()
    d.command = child("import sys; sys.exit(3)")
    d.crawl_job()
    d.command = child("print('feeds: 1 ok (1 unchanged), 0 failed; new stories: 0')")
    d.crawl_job()
    lines = [r.getMessage() for r in caplog.records if r.name == "newswatch.daemon"]
    assert re.match(r"cycle 1 failed: crawl exited with status 7 after [\d.]+s: half", lines[0])
    assert re.match(r"cycle 2 failed: crawl killed by SIGKILL after", lines[1])
    assert lines[2] == "cycle 3 skipped: another crawl is running on this database"
    assert re.match(r"cycle 4 ok in [\d.]+s: feeds: 1 ok \(1 unchanged\)", lines[3])


def test_a_child_past_its_deadline_is_killed_with_everything_it_started(
    make_daemon, caplog, monkeypatch
):
    caplog.set_level(logging.INFO, "newswatch")
    monkeypatch.setattr(daemon_module, "FORCE_AFTER", 0.3)
    monkeypatch.setattr(daemon_module, "KILL_AFTER", 0.3)
    code = (
        "import signal, subprocess, sys, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"  # a child deaf to SIGTERM: SIGKILL
        "g = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "print(g.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    d = make_daemon(code, schedule={"deadline": "1s"})
    started = time.monotonic()
    result = d.run_child(d.command(d.snapshot), 1.0)
    assert time.monotonic() - started < 4
    assert (result.stopped, result.stop_signal, result.status) == ("deadline", "SIGKILL", -9)
    grandchild = int(result.summary)
    deadline = time.monotonic() + 5
    while not gone(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gone(grandchild)
    d.log_cycle(result, 1.0)
    assert "overran its deadline of 1s: crawl stopped with SIGKILL" in caplog.text


def test_a_bad_config_while_running_keeps_the_last_good_one(make_daemon, tmp_path, caplog):
    caplog.set_level(logging.INFO, "newswatch")
    # The child prints the database of the config it was given.
    d = make_daemon(
        "import sys; from newswatch.scheduler.config import load_config;"
        " print(load_config(sys.argv[1]).database)"
    )
    d.schedule()
    config_file = tmp_path / "config.yaml"
    good = config_file.read_text()
    config_file.write_text(good.replace("interval: 1s", "interval: soon", 1))
    d.crawl_job()
    d.crawl_job()
    assert caplog.text.count("config error, keeping the last good config:") == 1  # once
    assert "schedule.interval: " in caplog.text
    assert "cycle 2 ok in" in caplog.text and str(tmp_path / "newswatch.db") in caplog.text
    assert load_config(snapshot_path(tmp_path / "newswatch.db")).database == d.config.database

    # Fixed, with a new interval: the job is rescheduled.
    data = yaml.safe_load(good)
    data["schedule"]["interval"] = "7s"
    config_file.write_text(yaml.safe_dump(data))
    d.crawl_job()
    assert "config is good again" in caplog.text
    assert "crawl interval is now 7s" in caplog.text
    assert d.scheduler.get_job(CRAWL_JOB).trigger.interval == timedelta(seconds=7)


def test_the_snapshot_resolves_paths_like_the_original(tmp_path):
    config = load_config(fast_config(tmp_path, [("a", "http://127.0.0.1:9/feed.xml")]))
    snapshot = snapshot_path(config.database)
    assert daemon_module.write_snapshot(config, snapshot)
    copy = load_config(snapshot)
    assert (copy.database, copy.alerts.log, copy.alerts.digest) == (
        config.database,
        config.alerts.log,
        config.alerts.digest,
    )
    assert not list(tmp_path.glob(".*.tmp"))


def test_daily_digest_is_a_dated_file(make_daemon, tmp_path, caplog):
    caplog.set_level(logging.INFO, "newswatch")
    d = make_daemon(schedule={"digest_at": "07:00", "timezone": "Asia/Jakarta"})
    d.schedule()
    trigger = d.scheduler.get_job(DIGEST_JOB).trigger
    assert str(trigger.timezone) == "Asia/Jakarta"
    assert {f.name: str(f) for f in trigger.fields}["hour"] == "7"
    d.digest_job()
    written = list(tmp_path.glob("digest-????-??-??.md"))
    assert len(written) == 1 and "daily digest: 0 alerts in" in caplog.text


# -- the schedule on a fake clock ---------------------------------------------------------------


class ManualScheduler(BaseScheduler):
    """Jobs run only when a test calls ``_process_jobs``, at the time the fake clock says."""

    def wakeup(self) -> None:
        pass

    def shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait)

    def _create_default_executor(self):
        return DebugExecutor()  # run the job inside _process_jobs


@pytest.fixture
def clock(monkeypatch):
    """Freeze ``datetime.now`` where APScheduler and the daemon read it; ``clock.now`` moves."""

    class Clock:
        now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    class FakeDatetime(datetime):
        @classmethod
        def now(cls, tz=None):
            return Clock.now.astimezone(tz) if tz else Clock.now.replace(tzinfo=None)

    for module in (
        "apscheduler.schedulers.base",
        "apscheduler.executors.base",
        "newswatch.scheduler.daemon",
    ):
        monkeypatch.setattr(f"{module}.datetime", FakeDatetime)
    return Clock


def counting(d: Daemon) -> list[datetime]:
    runs: list[datetime] = []
    d.crawl_job = lambda: runs.append(datetime.now(UTC))  # before schedule() binds the job
    return runs


def test_first_cycle_at_start_then_every_interval(make_daemon, clock):
    d = make_daemon(schedule={"interval": "60s"})
    runs = counting(d)
    d.schedule()
    d.scheduler.start()
    d.scheduler._process_jobs()
    clock.now += timedelta(seconds=59)
    d.scheduler._process_jobs()
    clock.now += timedelta(seconds=1)
    d.scheduler._process_jobs()
    assert len(runs) == 2
    job = d.scheduler.get_job(CRAWL_JOB)
    assert (job.max_instances, job.coalesce, job.misfire_grace_time) == (1, True, 60)


def test_after_a_suspend_one_catch_up_cycle_not_a_burst(make_daemon, clock):
    d = make_daemon(schedule={"interval": "60s"})
    runs = counting(d)
    d.schedule()
    d.scheduler.start()
    d.scheduler._process_jobs()
    start = clock.now
    clock.now += timedelta(seconds=10 * 60 + 5)  # SIGSTOP for ten intervals
    d.scheduler._process_jobs()
    assert len(runs) == 2
    assert d.scheduler.get_job(CRAWL_JOB).next_run_time == start + timedelta(seconds=11 * 60)


def test_a_clock_jump_of_months_costs_one_cycle(make_daemon, clock):
    d = make_daemon(schedule={"interval": "60s"})
    runs = counting(d)
    d.schedule()
    d.scheduler.start()
    d.scheduler._process_jobs()
    clock.now += timedelta(days=90)
    cpu = time.process_time()
    d.scheduler._process_jobs()
    assert len(runs) == 2 and time.process_time() - cpu < 0.1


def test_a_clock_set_back_does_not_stop_the_cycles(make_daemon, clock, caplog):
    d = make_daemon(schedule={"interval": "60s"})
    runs = counting(d)
    d.schedule()
    d.scheduler.start()
    d.scheduler._process_jobs()
    clock.now -= timedelta(hours=2)  # wall-clock scheduling alone would wait two hours
    d.scheduler._process_jobs()
    assert len(runs) == 1 and not d.check_stalled()
    d.last_end -= 121  # two intervals of monotonic time without a cycle
    assert d.check_stalled()
    d.scheduler._process_jobs()
    assert len(runs) == 2
    assert "no crawl cycle for 121s although the interval is 1m" in caplog.text


def test_a_cycle_still_running_skips_the_next_start_and_says_so_once(make_daemon, clock, caplog):
    caplog.set_level(logging.INFO, "newswatch")
    d = make_daemon(
        schedule={"interval": "60s"},
        scheduler=ManualScheduler(timezone="UTC", executors={"default": ThreadPoolExecutor(2)}),
    )
    release, running = threading.Event(), threading.Event()

    def long_cycle():
        running.set()
        release.wait(10)

    d.crawl_job = long_cycle
    d.schedule()
    d.scheduler.start()
    d.scheduler._process_jobs()
    assert running.wait(5)
    for _ in range(3):
        clock.now += timedelta(seconds=60)
        d.scheduler._process_jobs()
    assert d.skipped == 3
    release.set()
    d.scheduler.shutdown(wait=True)
    d.log_cycle(daemon_module.ChildResult(status=0, seconds=200.0, summary="s"), 60)
    assert "cycle 0 ok in 200.0s: s (it ran past 3 scheduled starts)" in caplog.text
    assert "maximum number of running instances" not in caplog.text


# -- end to end: ``newswatch run`` in a subprocess ----------------------------------------------


class RunningDaemon:
    """``newswatch run`` started as a user would; its log file is what the tests read."""

    def __init__(self, config: Path, grace: float = 10) -> None:
        self.dir = config.parent
        self.log = config.parent / "daemon.log"
        self.offset = 0
        self.proc = subprocess.Popen(
            command("run", "-c", str(config), "--log-file", str(self.log))
            + ["--grace", str(grace)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8") if self.log.exists() else ""

    def wait_for(self, pattern: str, timeout: float = 30, since_mark: bool = True) -> re.Match:
        """Wait for ``pattern`` in the log (after the last ``mark()`` unless told otherwise)."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.text()
            found = re.search(pattern, text[self.offset if since_mark else 0 :])
            if found:
                return found
            if time.monotonic() > deadline or self.proc.poll() is not None:
                pytest.fail(f"no {pattern!r} in the daemon log:\n{text[-3000:]}")
            time.sleep(0.05)

    def mark(self) -> None:
        self.offset = len(self.text())

    def children(self) -> list[int]:
        """Crawl children, found by the config snapshot in their command line."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if (
                str(self.dir) in cmdline
                and "last-good-config" in cmdline
                and not gone(int(entry.name))
            ):
                found.append(int(entry.name))
        return found

    def wait_for_child(self, timeout: float = 20) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if kids := self.children():
                return kids[0]
            time.sleep(0.02)
        pytest.fail("no crawl child started")

    def kill(self) -> None:
        for pid in self.children():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate(timeout=10)


@pytest.fixture
def start_daemon():
    started: list[RunningDaemon] = []

    def start(config: Path, grace: float = 10) -> RunningDaemon:
        started.append(RunningDaemon(config, grace))
        return started[-1]

    yield start
    for d in started:
        d.kill()


def feed_of(server, path: str, titles: list[str], slow: set[str] = frozenset()) -> None:
    items = []
    for title in titles:
        article = f"/news/{title.lower().replace(' ', '-')}.html"
        server.add(article, page(title, article), delay=3 if title in slow else 0)
        items.append({"title": title, "link": server.url(article)})
    server.add(path, rss(items), content_type="application/rss+xml", conditional=True)


def alert_log(tmp_path: Path) -> list[dict]:
    path = tmp_path / "alerts.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def wait_for_alerts(tmp_path: Path, count: int, timeout: float = 30) -> list[dict]:
    deadline = time.monotonic() + timeout
    while len(alerts := alert_log(tmp_path)) < count:
        if time.monotonic() > deadline:
            pytest.fail(f"{len(alerts)} alerts, wanted {count}")
        time.sleep(0.05)
    return alerts


def test_a_new_item_is_alerted_within_an_interval_then_sigterm_exits_0(
    server, tmp_path, start_daemon
):
    feed_of(server, "/world.xml", ["Peace talks open"])
    config = fast_config(tmp_path, [("world", server.url("/world.xml"))])
    d = start_daemon(config, grace=10)
    wait_for_alerts(tmp_path, 1)
    d.wait_for(r"cycle \d+ ok in [\d.]+s: feeds: 1 ok .*alerts: 1")

    # A reader holds a read transaction and another process a short write lock: no cycle fails.
    reader = sqlite3.connect(tmp_path / "newswatch.db")
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM stories").fetchone()
    writer = sqlite3.connect(tmp_path / "newswatch.db", check_same_thread=False)
    writer.execute("BEGIN IMMEDIATE")
    threading.Timer(1.5, writer.rollback).start()

    d.mark()
    added = time.monotonic()
    feed_of(server, "/world.xml", ["Peace talks open", "Border talks stall"])
    alerts = wait_for_alerts(tmp_path, 2, timeout=20)
    took = time.monotonic() - added
    assert alerts[1]["title"] == "Border talks stall"
    # One interval (1 s), plus at worst the cycle already past the feed and the next cycle.
    assert took < 10, took
    d.wait_for(r"cycle \d+ ok in [\d.]+s: feeds: 1 ok \(0 unchanged\).* alerts: 1")
    reader.rollback()
    assert "failed" not in d.text().replace("0 failed", "")

    d.proc.send_signal(signal.SIGTERM)
    assert d.proc.wait(timeout=10 + 3) == 0
    assert d.children() == []
    assert d.text().rstrip().endswith("stopped")


def test_sigterm_mid_crawl_stops_the_child_within_the_grace(server, tmp_path, start_daemon):
    feed_of(server, "/world.xml", ["Slow talks"], slow={"Slow talks"})
    server.routes["/news/slow-talks.html"].delay = 30
    config = fast_config(tmp_path, [("world", server.url("/world.xml"))])
    d = start_daemon(config, grace=1)
    kid = d.wait_for_child()
    time.sleep(1.5)  # well into the crawl: the article request hangs
    stopped = time.monotonic()
    d.proc.send_signal(signal.SIGTERM)
    limit = 1 + daemon_module.FORCE_AFTER + daemon_module.KILL_AFTER
    assert d.proc.wait(timeout=limit + 3) == 0
    assert time.monotonic() - stopped < limit + 2
    assert gone(kid) and d.children() == []
    d.wait_for(r"cycle 1 stopped at shutdown with SIG(TERM|KILL)")


def test_a_second_run_is_refused_and_a_bad_config_edit_is_survived(server, tmp_path, start_daemon):
    feed_of(server, "/world.xml", ["Peace talks open"])
    config = fast_config(tmp_path, [("world", server.url("/world.xml"))])
    d = start_daemon(config)
    d.wait_for(r"cycle 1 ok")
    started = time.monotonic()
    second = run_newswatch("run", "-c", str(config), timeout=30)
    assert second.returncode == 1 and time.monotonic() - started < 10
    lock = tmp_path / "newswatch.db.lock"
    assert f"another newswatch run (pid {d.proc.pid}) holds {lock}" in second.stderr

    d.mark()
    config.write_text(config.read_text().replace("feeds:", "feeds: [", 1))
    d.wait_for(r"config error, keeping the last good config: .*YAML syntax error")
    d.wait_for(r"cycle \d+ ok in [\d.]+s: feeds: 1 ok")
    d.proc.send_signal(signal.SIGINT)
    assert d.proc.wait(timeout=15) == 0


def test_sigkill_then_restart_loses_no_story_and_repeats_no_alert(server, tmp_path, start_daemon):
    titles = ["Peace talks open", "Trade talks", "Water talks"]
    feed_of(server, "/world.xml", titles)
    config = fast_config(tmp_path, [("world", server.url("/world.xml"))])
    d = start_daemon(config)
    wait_for_alerts(tmp_path, 3)

    # Two more stories, one slow: kill -9 the daemon and its child in the middle of that crawl.
    titles += ["Late talks", "Slow talks"]
    feed_of(server, "/world.xml", titles, slow={"Slow talks"})
    deadline = time.monotonic() + 20
    while not server.hits("/news/slow-talks.html") and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.hits("/news/slow-talks.html")
    d.kill()

    again = start_daemon(config)
    alerts = wait_for_alerts(tmp_path, 5, timeout=40)
    again.wait_for(r"cycle \d+ ok in [\d.]+s: feeds: 1 ok \(1 unchanged\)")
    again.proc.send_signal(signal.SIGTERM)
    assert again.proc.wait(timeout=15) == 0

    conn = sqlite3.connect(tmp_path / "newswatch.db")
    stories = {row[0] for row in conn.execute("SELECT title FROM stories")}
    table = sorted(row[0] for row in conn.execute("SELECT id FROM alerts"))
    assert stories == set(titles)
    ids = [a["alert_id"] for a in alert_log(tmp_path)]
    assert len(ids) == len(set(ids)) == 5 and sorted(ids) == table
    assert {a["title"] for a in alerts} == set(titles)


def test_a_hanging_feed_does_not_hold_the_others_past_the_deadline(server, tmp_path, start_daemon):
    feed_of(server, "/world.xml", ["Peace talks open", "Trade talks"])
    server.add("/hang.xml", rss([]), delay=60)
    config = fast_config(
        tmp_path,
        [("hang", server.url("/hang.xml")), ("world", server.url("/world.xml"))],
        schedule={"deadline": "4s"},
        crawl={"timeout": 30},  # the request would wait longer than the cycle may
    )
    d = start_daemon(config)
    # Stopped at the deadline, the crawl still stores and alerts what the other feed brought.
    d.wait_for(
        r"cycle 1 overran its deadline of 4s: crawl stopped with SIGTERM twice after [\d.]+s:"
        r".*feeds: 1 ok \(0 unchanged\), 1 failed; new stories: 2;.* alerts: 2",
        20,
    )
    assert {a["title"] for a in alert_log(tmp_path)} == {"Peace talks open", "Trade talks"}
    # The feed that never answered is recorded as failed, so it backs off (here, bounded by
    # max_interval 1s, only a little: the next cycle still overruns on it).
    conn = sqlite3.connect(tmp_path / "newswatch.db")
    errors, reason = conn.execute(
        "SELECT errors, last_error FROM feeds WHERE name='hang'"
    ).fetchone()
    conn.close()
    assert errors >= 1 and reason.startswith("no answer before the crawl stopped")
    d.wait_for(r"cycle 2 overran", 20)


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
