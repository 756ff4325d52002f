"""The crawl child and the one line the daemon logs about it: how a child is stopped (its deadline
and shutdown on a fake monotonic clock, real processes), its exit read back, and its counts read
from the ``runs`` row it wrote, worded exactly as ``newswatch crawl`` prints them."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys

import pytest
from test_crawl import page

from newswatch import command
from newswatch.scheduler.daemon.child import Child, ChildResult, StopSteps, stop_group
from newswatch.scheduler.daemon.cycle_line import cycle_line, run_summary
from newswatch.scheduler.locks import LockFile, crawl_lock_path
from newswatch.scheduler.summary import CycleSummary
from newswatch.storage.store import Store

from conftest import SAFETY_NET_S, daemon_config, process_gone, rss, run_newswatch, stand_in


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def daemon_lines(caplog) -> list[str]:
    """The daemon's lines but its "next poll at" ones (tests/test_daemon_next_poll.py's)."""
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "newswatch.daemon" and not r.getMessage().startswith("next poll at ")
    ]


# -- stopping a child ---------------------------------------------------------------------------


class FakeProcess:
    """A process that ends only after ``ends_after`` waits (never, by default)."""

    pid = 4242

    def __init__(self, ends_after: int = 0) -> None:
        self.ends_after = ends_after
        self.waits: list[float] = []

    def wait(self, timeout: float | None = None) -> int:
        self.waits.append(timeout)
        if len(self.waits) == self.ends_after:
            return 0
        raise subprocess.TimeoutExpired("crawl", timeout)


def test_a_stop_is_sigterm_a_second_sigterm_2s_later_then_sigkill_5s_after_that():
    sent = []
    deaf = FakeProcess()
    assert stop_group(deaf, killpg=lambda pid, sig: sent.append((pid, sig))) == "SIGKILL"
    assert sent == [(4242, signal.SIGTERM), (4242, signal.SIGTERM), (4242, signal.SIGKILL)]
    assert deaf.waits == [2.0, 5.0, 5.0]

    sent.clear()
    forced = FakeProcess(ends_after=2)  # drops its requests at the second SIGTERM
    assert stop_group(forced, killpg=lambda pid, sig: sent.append(sig)) == "SIGTERM twice"
    assert sent == [signal.SIGTERM, signal.SIGTERM]


HANG = "import signal; signal.pause()"  # a crawl that never ends on its own
DEAF_WITH_A_CHILD = (
    "import signal, subprocess, sys\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"  # deaf to SIGTERM: it takes SIGKILL
    f"g = subprocess.Popen([sys.executable, '-c', {HANG!r}])\n"
    "print(g.pid, flush=True)\n"
    "signal.pause()\n"
)


def test_a_child_past_its_deadline_is_killed_with_everything_it_started(daemon_clock):
    child = Child(
        python(DEAF_WITH_A_CHILD),
        clock=daemon_clock.monotonic,
        steps=StopSteps(force_after_seconds=0, kill_after_seconds=0),
        stdout=subprocess.PIPE,
    )
    with child.proc.stdout:
        grandchild = int(child.proc.stdout.readline())  # printed once SIGTERM is ignored
        daemon_clock.mono += 1.0
        result = child.supervise(1.0, lambda: None)
    assert (result.stopped, result.stop_signal, result.status) == ("deadline", "SIGKILL", -9)
    assert process_gone(grandchild)
    _, line = cycle_line(1, result, "", deadline=1.0, grace=20)
    assert line == (
        "cycle 1 overran its deadline of 1s: crawl stopped with SIGKILL after 1.0s;"
        " the next cycle runs as scheduled"
    )


def test_a_shutdown_stops_the_child_once_its_grace_is_over(daemon_clock):
    child = Child(
        python(HANG),
        clock=daemon_clock.monotonic,
        steps=StopSteps(SAFETY_NET_S, SAFETY_NET_S),
    )
    asked = iter([None, None])  # the signal comes while the child runs; its grace is over at once
    result = child.supervise(1800.0, lambda: next(asked, daemon_clock.mono))
    assert (result.stopped, result.stop_signal, result.status) == ("shutdown", "SIGTERM", -15)


def test_a_child_that_ends_in_time_is_left_alone(daemon_clock):
    child = Child(python("import sys; sys.exit(0)"), clock=daemon_clock.monotonic)
    result = child.supervise(1800.0, lambda: None)
    assert (result.stopped, result.stop_signal, result.status) == (None, None, 0)


def test_a_signal_gives_the_crawl_its_grace_and_a_second_one_stops_it_now(
    make_daemon, daemon_clock
):
    d = make_daemon(grace=20)
    d.scheduler.start(paused=True)  # as ``serve`` would have; the signal shuts it down
    d.scheduler_started.set()
    d._on_signal(signal.SIGTERM, None)
    assert d.stopping.is_set() and d.stop_at == daemon_clock.mono + 20
    daemon_clock.mono += 3
    d._on_signal(signal.SIGINT, None)
    assert d.stop_at == daemon_clock.mono
    d.crawl_job()  # a start after the signal runs no crawl
    assert d.cycle == 0
    for thread in d.signal_threads:  # their log lines belong to this test, not the next
        thread.join(SAFETY_NET_S)
    assert not d.scheduler.running


# -- the line per cycle -------------------------------------------------------------------------


def test_each_way_a_cycle_ends_has_its_line():
    def line(status=0, stopped=None, stop_signal=None, summary="feeds: 1 ok", skipped=0):
        result = ChildResult(
            pid=1, status=status, seconds=3.44, stopped=stopped, stop_signal=stop_signal
        )
        return cycle_line(12, result, summary, deadline=1800, grace=20, skipped=skipped)

    assert line(skipped=1) == (
        logging.INFO,
        "cycle 12 ok in 3.4s: feeds: 1 ok (it ran past 1 scheduled start)",
    )
    assert line(status=1, stopped="shutdown", stop_signal="SIGTERM twice") == (
        logging.WARNING,
        "cycle 12 stopped at shutdown with SIGTERM twice after 3.4s (grace 20s): feeds: 1 ok",
    )
    assert line(status=3, summary="") == (
        logging.WARNING,
        "cycle 12 skipped: another crawl is running on this database",
    )
    assert line(status=-9, summary="") == (
        logging.ERROR,
        "cycle 12 failed: crawl killed by SIGKILL after 3.4s",
    )
    assert line(status=2, summary="") == (
        logging.ERROR,
        "cycle 12 failed: crawl exited with status 2 (config error) after 3.4s",
    )
    assert line(status=1, stopped="deadline", stop_signal="SIGTERM")[1] == (
        "cycle 12 overran its deadline of 30m: crawl stopped with SIGTERM after 3.4s:"
        " feeds: 1 ok; the next cycle runs as scheduled"
    )


def write_run(**counts) -> str:
    """A stand-in child that writes a finished ``runs`` row, as ``newswatch crawl`` does."""
    return (
        "import sys; from newswatch.scheduler.config import load_config\n"
        "from newswatch.storage.store import Store\n"
        "with Store(load_config(sys.argv[1]).database) as store:\n"
        f"    store.finish_run(store.start_run(), **{counts!r})\n"
    )


FINISHED = dict(feeds=1, feeds_not_modified=1, known_skipped=4, seconds=2.6)
FINISHED_LINE = (
    "feeds: 1 ok (1 unchanged), 0 failed; new stories: 0; known links skipped: 4; alerts: 0;"
    " errors: 0; 2.6s"
)


def test_a_crawl_exit_is_logged_and_the_next_cycle_runs(make_daemon, daemon_clock, caplog):
    caplog.set_level(logging.INFO, "newswatch")
    d = make_daemon("import sys; print('feeds: 9 ok'); sys.exit(7)")
    d.crawl_job()
    for code in (
        "import os, signal; os.kill(os.getpid(), signal.SIGKILL)",
        "import sys; sys.exit(3)",
        write_run(**FINISHED, completed=True),
    ):
        d.command = stand_in(code)
        daemon_clock.mono += 1  # each tick a second on: past the cycle gap
        d.crawl_job()
    assert daemon_lines(caplog) == [
        "cycle 1 failed: crawl exited with status 7 after 0.0s",  # its stdout is not read
        "cycle 2 failed: crawl killed by SIGKILL after 0.0s",
        "cycle 3 skipped: another crawl is running on this database",
        f"cycle 4 ok in 0.0s: {FINISHED_LINE}",
    ]


def test_the_counts_are_the_childs_own_run(make_daemon, caplog):
    caplog.set_level(logging.INFO, "newswatch")
    # Other processes (manual crawls, say) finish runs just before and just after the child's.
    other = "subprocess.run([sys.executable, '-c', OTHER, sys.argv[1]], check=True)\n"
    code = (
        f"import subprocess, sys\nOTHER = {write_run(feeds=5, feeds_ok=5, completed=True)!r}\n"
        + other
        + write_run(**FINISHED, completed=False)
        + other
    )
    make_daemon(code).crawl_job()
    assert daemon_lines(caplog) == [f"cycle 1 ok in 0.0s: interrupted: {FINISHED_LINE}"]


def test_a_child_that_dies_before_finishing_its_run_has_no_counts(
    make_daemon, daemon_clock, caplog
):
    caplog.set_level(logging.INFO, "newswatch")
    code = (
        "import os, signal, sys; from newswatch.scheduler.config import load_config\n"
        "from newswatch.storage.store import Store\n"
        "Store(load_config(sys.argv[1]).database).start_run()\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    d = make_daemon(code)
    d.crawl_job()
    d.command = stand_in(write_run(**FINISHED, completed=True))
    daemon_clock.mono += 1  # past the cycle gap
    d.crawl_job()
    assert daemon_lines(caplog) == [
        "cycle 1 failed: crawl killed by SIGKILL after 0.0s",
        f"cycle 2 ok in 0.0s: {FINISHED_LINE}",  # not the unfinished run before it
    ]


@pytest.mark.parametrize(
    "summary",
    [
        CycleSummary(feeds=2, feeds_ok=1, feeds_failed=1, new_stories=3, alerts=1, seconds=2.56),
        CycleSummary(new_stories=4, new_from_feed=2, read_on_retry=1, errors=2, completed=True),
    ],
)
def test_a_runs_row_reads_back_as_the_summary_it_keeps(tmp_path, summary):
    with Store(tmp_path / "newswatch.db") as store:
        before = store.last_run_id()
        store.finish_run(store.start_run(), **summary.run_counts())
    assert run_summary(tmp_path / "newswatch.db", os.getpid(), before) == summary.line()
    assert run_summary(tmp_path / "newswatch.db", os.getpid(), before + 1) == ""


def test_the_daemon_words_a_crawls_counts_as_the_crawl_prints_them(server, tmp_path):
    server.add("/news/a.html", page("Talks open", "/news/a.html"))
    server.add("/news/b.html", "gone", status=500)  # kept from its feed entry
    items = [{"title": t, "link": server.url(f"/news/{t}.html")} for t in ("a", "b")]
    server.add("/world.xml", rss(items), content_type="application/rss+xml")
    config = daemon_config(tmp_path, [("world", server.url("/world.xml"))])
    crawl = subprocess.Popen(
        command("crawl", "-c", str(config), "--no-progress"),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    printed = crawl.communicate(timeout=SAFETY_NET_S)[0].splitlines()[-1]
    assert "new stories: 2 (1 from feed entries)" in printed
    assert run_summary(tmp_path / "newswatch.db", crawl.pid, 0) == printed


def test_crawl_refuses_while_another_crawl_holds_the_database(tmp_path):
    config = daemon_config(tmp_path, [("a", "http://127.0.0.1:9/feed.xml")])
    lock = crawl_lock_path(tmp_path / "newswatch.db")
    with LockFile(lock, "newswatch crawl"):
        result = run_newswatch("crawl", "-c", str(config), timeout=60)
    assert result.returncode == 3
    assert f"another newswatch crawl (pid {os.getpid()}) holds {lock}" in result.stderr


def test_the_daemon_leaves_scrapy_to_its_child():
    # The daemon runs for months: the crawl's libraries load (and leak) in each cycle's child.
    probe = "import sys, newswatch.scheduler.daemon; print('scrapy' in sys.modules)"
    assert subprocess.run(python(probe), capture_output=True, text=True).stdout == "False\n"
