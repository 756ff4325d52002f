"""Test-only: a ``newswatch crawl`` whose parse workers report to the test and misbehave on cue.

``crawl(config, seconds, hook)`` runs the CLI's crawl in this process (tests/test_parse_pool.py
starts it with ``python -c``) with ``NEWSWATCH_PARSE_SECONDS`` set to ``seconds``, and, when
``hook`` is true, with :func:`parse_page` below in place of the worker's own: the pool pickles
it by reference, and each worker imports this module (the forkserver has the test's sys.path).
Nothing in the product knows about it.

In a worker, each parse first asks the page's own server for ``/parsing/<pid>/<ppid>`` (a 404;
the test reads the request log: which worker parsed, when, and its parent, the forkserver),
then acts on a marker in the page:

- ``<!-- hook: hold -->``: asks for ``/held?<pid>`` and waits for its answer (the test's
  release);
- ``<!-- hook: kill -->``: the worker SIGKILLs itself; ``<!-- hook: exit -->``: exits with 3;
- ``<!-- hook: burn -->``: spends half a second of CPU first;
- a feed asks for ``/feed-parsing/<pid>`` first, and the one named by ``slow_feed`` never ends;
- anything else is parsed as usual.

With ``workers_die``, every worker exits as it starts, whatever ``hook`` says.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import sys
import time
import urllib.error
import urllib.request
from urllib.parse import urljoin

from newswatch.crawler import parse_worker

real_parse_page = parse_worker.parse_page
real_parse_feeds = parse_worker.parse_feeds


def ask(url: str, path: str) -> None:
    with contextlib.suppress(urllib.error.HTTPError):
        urllib.request.urlopen(urljoin(url, path), timeout=120).close()


def parse_page(body: bytes, url: str, *args):
    ask(url, f"/parsing/{os.getpid()}/{os.getppid()}")
    if b"<!-- hook: hold -->" in body:
        ask(url, f"/held?{os.getpid()}")
    if b"<!-- hook: kill -->" in body:
        os.kill(os.getpid(), signal.SIGKILL)
    if b"<!-- hook: exit -->" in body:
        os._exit(3)
    if b"<!-- hook: burn -->" in body:
        end = time.process_time() + 0.5
        while time.process_time() < end:
            pass
    return real_parse_page(body, url, *args)


def parse_feeds(feeds):
    slow = os.environ.get("PARSE_HOOKS_SLOW_FEED")  # set by ``crawl``; workers inherit it
    for _, url, _ in feeds:
        ask(url, f"/feed-parsing/{os.getpid()}")
        if slow and url.endswith(slow):
            while True:  # a feed whose parse never ends: the pool's time limit stops it
                pass
    return real_parse_feeds(feeds)


def dying_worker() -> None:
    """In place of the pool's initializer: every worker exits as it starts (as one does whose
    forkserver died, see ``parse_worker.start_worker``), and the pool breaks."""
    os._exit(3)


def crawl(
    config: str,
    seconds: float,
    hook: bool,
    slow_feed: str | None = None,
    workers_die: bool = False,
) -> None:
    from newswatch.crawler import run
    from newswatch.scheduler.cli import main

    settings = run.scrapy_settings

    def with_parse_seconds(crawl_config):
        return {**settings(crawl_config), "NEWSWATCH_PARSE_SECONDS": seconds}

    run.scrapy_settings = with_parse_seconds
    if hook:
        if slow_feed:
            os.environ["PARSE_HOOKS_SLOW_FEED"] = slow_feed
        parse_worker.parse_page = parse_page
        parse_worker.parse_feeds = parse_feeds
    if workers_die:
        parse_worker.start_worker = dying_worker
    try:
        main(["crawl", "-c", config], prog_name="newswatch")
    finally:  # the crawl process's own CPU time, for the test that adds up its children's
        own = resource.getrusage(resource.RUSAGE_SELF)
        print(f"own-cpu={own.ru_utime + own.ru_stime:.3f}", file=sys.stderr)
