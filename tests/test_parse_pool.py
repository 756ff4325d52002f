"""Pages parsed in worker processes: the same stories as inline, and a bad page costs one page.

The crawls run for real against the loopback server, with two workers whatever the machine
(``crawl.parse_workers: 2``). What a worker does is read from the server's request log: with
tests/parse_hooks.py in place, each parse asks for ``/parsing/<pid>/<ppid>`` first.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import yaml
from scrapy.utils.test import get_crawler
from test_crawl import page

from newswatch.crawler.parse_pool import Page, ParsePool, pool_size
from newswatch.scheduler.config import load_config

from conftest import (
    SAFETY_NET_S,
    config_problems,
    minimal_config,
    process_gone,
    rss,
    run_newswatch,
    write_config,
)

TESTS = Path(__file__).parent
FIELDS = ("url", "title", "body", "published", "authors", "feed", "extraction", "source")


def stories(db: Path) -> dict[str, tuple]:
    conn = sqlite3.connect(db)
    rows = conn.execute(f"SELECT {', '.join(FIELDS)} FROM stories").fetchall()
    conn.close()
    return {row[0]: row for row in rows}


def outlet(server, pages: dict[str, str | bytes]) -> str:
    """A feed listing ``pages`` (path -> HTML), each entry titled "entry <path>"; its URL."""
    for path, html in pages.items():
        server.add(path, html)
    items = [{"title": f"entry {path}", "link": server.url(path)} for path in pages]
    server.add("/feed.xml", rss(items), content_type="application/rss+xml")
    return server.url("/feed.xml")


def config(tmp_path: Path, feed_url: str, workers, extract: dict | None = None) -> Path:
    path = write_config(tmp_path, [("f", feed_url)], crawl={"parse_workers": workers})
    if extract:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["feeds"][0]["extract"] = extract
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def crawl(config_file: Path, seconds: float = 30, hook: bool = False, workers_die=False, **popen):
    """``newswatch crawl`` through parse_hooks.py (see its docstring), as a child process."""
    code = (
        f"import sys; sys.path.insert(0, {str(TESTS)!r}); import parse_hooks; "
        f"parse_hooks.crawl({str(config_file)!r}, {seconds!r}, {hook!r}, "
        f"workers_die={workers_die!r})"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def finished(child: subprocess.Popen) -> tuple[str, str]:
    out, err = child.communicate(timeout=SAFETY_NET_S)
    assert child.returncode == 0, err
    return out, err


def parsers(server) -> dict[int, int]:
    """The workers that parsed (pid -> its parent, the forkserver), from the request log."""
    found = {}
    for path in server.hits("/parsing/"):
        pid, ppid = path.split("/")[2:4]
        found[int(pid)] = int(ppid)
    return found


def fixture_pages() -> dict[str, bytes]:
    fixtures = TESTS / "fixtures" / "pages"
    pages = {
        "/news/korut.html": (fixtures / "tribun_korut.html").read_bytes(),
        "/news/drone.html": (fixtures / "english_jsonld.html").read_bytes(),
    }
    for i in range(6):
        pages[f"/news/{i}.html"] = page(f"Story {i}", f"/news/{i}.html").encode()
    return pages


def test_stories_from_the_workers_are_the_stories_parsed_inline(tmp_path, server):
    feed = outlet(server, fixture_pages())
    results = {}
    for workers in (2, 1):
        home = tmp_path / f"workers-{workers}"
        home.mkdir()
        result = run_newswatch("crawl", "-c", str(config(home, feed, workers)))
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        results[workers] = stories(home / "newswatch.db")
    assert len(results[2]) == 8
    assert all(row[6] == "page" for row in results[2].values())
    assert results[2] == results[1]


def two_held(tmp_path, server) -> tuple[dict, subprocess.Popen]:
    """A crawl with two workers whose pages 0 and 1 each hold a worker until the server's
    release (one in each worker, so both are known); its pages and the crawl."""
    pages = fixture_pages()
    for path in ("/news/0.html", "/news/1.html"):
        pages[path] = pages[path].replace(b"</body>", b"<!-- hook: hold --></body>")
    server.add("/held", "released", hold=True)
    feed = outlet(server, pages)
    return pages, crawl(config(tmp_path, feed, 2), hook=True)


def test_many_pages_are_in_flight_while_two_parse_at_once(tmp_path, server):
    pages, child = two_held(tmp_path, server)
    try:
        # Both workers are held inside a parse, each of a page it asked the server about...
        server.wait_for("/held", count=2)
        assert len(parsers(server)) == 2
        # ... and the crawl went on fetching every other page meanwhile, queued for parsing.
        server.wait_for("/news/", count=len(pages))
    finally:
        server.release()
    out, err = finished(child)
    rows = stories(tmp_path / "newswatch.db")
    assert len(rows) == len(pages) and all(row[6] == "page" for row in rows.values()), err


def test_a_parse_over_its_time_is_stopped_in_its_worker_and_the_rest_go_on(tmp_path, server):
    """A line pattern that backtracks for hours on three pages, two workers: each is stopped
    at the limit and replaced, the rest are read."""
    pages = fixture_pages()
    slow = ["/news/0.html", "/news/1.html", "/news/2.html"]
    for path in slow:
        pages[path] = pages[path].replace(b"<p>Paragraph 0", b"<p>" + b"a" * 40 + b"!</p><p>P")
    feed = outlet(server, pages)
    extract = {"drop_lines": ["^(a+)+$"]}
    _, err = finished(crawl(config(tmp_path, feed, 2, extract), seconds=1.5))
    rows = stories(tmp_path / "newswatch.db")
    for path in slow:
        url = server.url(path)
        assert rows[url][1:3] == (f"entry {path}", "") and rows[url][6] == "feed"
        assert err.count(f"url={url} reason=parse timed out") == 1, err
    assert sum(row[6] == "page" for row in rows.values()) == len(pages) - 3
    assert "Traceback" not in err


def test_a_worker_that_dies_costs_its_page_only_and_is_replaced(tmp_path, server):
    pages = fixture_pages()
    deaths = {"/news/0.html": "kill", "/news/1.html": "kill", "/news/2.html": "exit"}
    for path, how in deaths.items():
        pages[path] = pages[path].replace(b"</body>", f"<!-- hook: {how} --></body>".encode())
    feed = outlet(server, pages)
    _, err = finished(crawl(config(tmp_path, feed, 2), hook=True))
    rows = stories(tmp_path / "newswatch.db")
    reasons = {"kill": "signal 9", "exit": "exit status 3"}
    for path, how in deaths.items():
        url = server.url(path)
        assert rows[url][6] == "feed"
        line = f"url={url} reason=the parse worker died ({reasons[how]})"
        assert err.count(line) == 1, err
    assert sum(row[6] == "page" for row in rows.values()) == len(pages) - 3
    # Three pages killed three workers of a pool of two: at least one was a replacement (the
    # pages they parsed before dying may be all the others, so there may be no fourth).
    assert len(parsers(server)) >= 3
    assert "Traceback" not in err


def test_a_pool_whose_workers_die_as_they_start_is_given_up_and_all_is_parsed_inline(
    tmp_path, server
):
    """Every worker exits as it starts (one whose forkserver died does, see start_worker):
    pebble breaks the pool ("All workers expired"). That is said once, and the feed and every
    page are parsed in the crawl process instead: none is lost, none waits for ever."""
    pages = fixture_pages()
    child = crawl(config(tmp_path, outlet(server, pages), 2), workers_die=True)
    _, err = finished(child)
    rows = stories(tmp_path / "newswatch.db")
    assert len(rows) == len(pages) and all(row[6] == "page" for row in rows.values()), err
    assert err.count("the parse pool failed (All workers expired)") == 1, err
    assert "Traceback" not in err


def test_no_worker_outlives_a_crawl_that_ends(tmp_path, server):
    _, child = two_held(tmp_path, server)
    try:
        server.wait_for("/held", count=2)
    finally:
        server.release()
    finished(child)  # its output ends once every process holding the pipes is gone
    workers = parsers(server)
    assert len(workers) == 2 and len(set(workers.values())) == 1  # one forkserver
    for pid in [*workers, *workers.values()]:
        assert process_gone(pid), f"process {pid} outlived the crawl"


def test_the_cpu_time_of_the_parse_is_the_crawl_processs(tmp_path, server):
    """What the workers spend counts in the crawl's rusage once it has ended (it reaps the
    forkserver, which reaped them): what ``time``, the benchmarks and a process accountant
    read of a crawl is all it cost."""
    import resource

    pages = fixture_pages()
    for path in ("/news/0.html", "/news/1.html", "/news/2.html"):  # half a second each
        pages[path] = pages[path].replace(b"</body>", b"<!-- hook: burn --></body>")
    feed = outlet(server, pages)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    _, err = finished(crawl(config(tmp_path, feed, 2), hook=True))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    children = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    own = float(err.rsplit("own-cpu=", 1)[1].split()[0])
    assert children - own >= 1.4, err[-2000:]  # the workers' 1.5 s, beside the crawl's own


def test_a_crawl_with_a_pool_leaves_its_process_group_empty(tmp_path, server):
    """Nothing of the pool (the resource tracker the forkserver starts included) is left in the
    crawl's process group once it has exited: a supervisor that then kills the group (the
    benchmarks do) finds no process and kills none mid-cleanup."""
    child = crawl(config(tmp_path, outlet(server, fixture_pages()), 2), start_new_session=True)
    finished(child)
    with pytest.raises(ProcessLookupError):
        os.killpg(child.pid, 0)


def test_no_worker_outlives_a_crawl_that_is_killed_nor_takes_its_signals(tmp_path, server):
    pages = fixture_pages()
    pages["/news/0.html"] = pages["/news/0.html"].replace(b"</body>", b"<!-- hook: hold --></body>")
    server.add("/held", "released", hold=True)
    feed = outlet(server, pages)
    child = crawl(config(tmp_path, feed, 2), hook=True, start_new_session=True)
    try:
        [held] = server.wait_for("/held")
        worker = int(held.split("?")[1])
        forkserver = parsers(server)[worker]
        # A Ctrl-C or the daemon's stop reaches the crawl's process group: not the workers'.
        assert os.getpgid(worker) == os.getpgid(forkserver) != os.getpgid(child.pid)
        os.killpg(child.pid, signal.SIGKILL)  # the daemon's last resort
        # Its output ends once every process holding the pipes is gone: the workers, too.
        child.communicate(timeout=SAFETY_NET_S)
        assert process_gone(forkserver) and process_gone(worker)
    finally:
        server.release()


def test_one_usable_core_parses_in_the_crawl_process_without_a_pool():
    crawler = get_crawler(settings_dict={"NEWSWATCH_PARSE_WORKERS": "auto"})
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(before)})
    try:
        parser = ParsePool(crawler)
    finally:
        os.sched_setaffinity(0, before)
    html = page("One core", "/news/one.html").encode()
    url = "http://127.0.0.1:9/news/one.html"
    one = Page(html, url, "text/html", None, date(2025, 1, 1), url)
    article = asyncio.run(parser.parse(one))
    assert parser.inline and article.title == "One core" and not article.problem
    assert parser.pool is None and parser.starting is None


@pytest.mark.parametrize(("value", "workers"), [("auto", len(os.sched_getaffinity(0))), (3, 3)])
def test_parse_workers_is_auto_or_a_count(tmp_path, value, workers):
    path = write_config(
        tmp_path, [("f", "http://127.0.0.1:9/f.xml")], crawl={"parse_workers": value}
    )
    assert pool_size(load_config(path).crawl.parse_workers) == workers


@pytest.mark.parametrize("value", [0, "many", True, 1.5])
def test_parse_workers_refuses_anything_else(tmp_path, value):
    problems = config_problems(tmp_path, minimal_config(crawl={"parse_workers": value}))
    assert [p.split(":")[0] for p in problems] == ["crawl.parse_workers"]


def test_feeds_are_parsed_in_the_workers_and_a_feed_over_its_time_fails_alone(tmp_path, server):
    """A changed feed is parsed in a worker too (feedparser is most of a first poll's CPU); one
    whose parse runs over its time is a failed poll with the reason, the others go on."""
    fast = outlet(server, fixture_pages())
    server.add("/slow.xml", rss([{"title": "slow", "link": server.url("/news/0.html")}]))
    path = write_config(
        tmp_path, [("fast", fast), ("slow", server.url("/slow.xml"))], crawl={"parse_workers": 2}
    )
    code = (
        f"import sys; sys.path.insert(0, {str(TESTS)!r}); import parse_hooks; "
        f"parse_hooks.crawl({str(path)!r}, 1.5, True, slow_feed='/slow.xml')"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    _, err = finished(child)
    assert f"feed=slow url={server.url('/slow.xml')} reason=feed parse timed out" in err
    rows = stories(tmp_path / "newswatch.db")
    assert len(rows) == len(fixture_pages())  # the fast feed's pages, all read
    feed_parsers = {int(p.split("/")[2]) for p in server.hits("/feed-parsing/")}
    assert feed_parsers and not feed_parsers & {os.getpid(), child.pid}  # in workers
