"""Article pages parsed in worker processes, on the cores the reactor thread leaves idle.

Parsing a page (lxml, trafilatura, htmldate) is pure CPU and holds the GIL, so threads do not
help and a crawl parsing on the reactor thread uses one core of the machine. This extension
hands each page to a pool of worker processes, one per usable core (``crawl.parse_workers``,
"auto": ``len(os.sched_getaffinity(0))``), and the spider's async callback awaits the result;
many pages are in flight at once, queued in the pool. On one usable core there is no pool: the
page is parsed on the reactor thread as before, under :func:`.limits.time_limit`.

Changed feeds are parsed in the pool too (feedparser is 41% of the reactor thread's time in a
first poll of 10,000 feeds), in batches: a task costs the pool about 1.4 ms of CPU in all
(pickling, pipes, pebble's threads beside the reactor's), more than feedparser's 1.1 ms on a
1.5 KB feed, so one feed a task made that first poll 58 s of CPU instead of 44. Feeds wait up
to ``FEED_WAIT`` for others (at most ``FEED_BATCH``) to share a task; a batch that fails (over
its time, its worker dead) is parsed again one feed a task, so only the culprit fails.

The pool is ``pebble.ProcessPool``, not hand-written process management: ``schedule(fn,
timeout=...)`` stops a worker whose parse runs over ``NEWSWATCH_PARSE_SECONDS`` (a process is
stopped wherever it is stuck, even in C code that never looks for the SIGALRM of the inline
path), and a worker that dies (a segfault in a C library, the OOM killer) fails only
its own page with ``ProcessExpired``; either way pebble starts a new worker, and the page is
kept from its feed entry with the reason, like any unreadable page.

Workers come from a ``forkserver``: a fresh interpreter that imports the parser and
trafilatura once (its preload) and forks each worker from that state. ``fork`` from the crawl
process would copy a process that runs threads (the reactor's DNS pool, pebble's own loops; a
fork then may inherit a held lock), the reactor's descriptors and signal wakeup fd, Scrapy's
signal handlers and the cycle's open SQLite connection; ``spawn`` would import trafilatura
again in every worker, each replacement included. Measured on the 2-core dev box: the
forkserver costs about 0.2 s of CPU (the imports), each worker 0.01-0.02 s, and the pool is
ready 0.2-0.3 s after the first page asks for it. (Run as the ``newswatch`` console script
rather than ``python -m newswatch``, as the daemon runs its crawls, multiprocessing imports
that script again in each worker: about 0.2 s more per worker.) The pool is started at the
first page to parse, by a thread, so a warm cycle that finds no new article pays nothing and
the reactor goes on meanwhile. It is stopped at ``spider_closed`` and, after a forced stop in
which Scrapy closes nothing, by ``run_crawl``. What workers do with signals, and why none
outlives the crawl process, is in :mod:`.parse_worker`.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import multiprocessing
import os
import select
import time
from dataclasses import dataclass
from datetime import date
from typing import Any

from scrapy import signals

from .article import Article, ExtractRules, parse_article
from .feeds import ParsedFeed, parse_feed
from .limits import TimeLimitExceeded, time_limit

logger = logging.getLogger("newswatch.crawl")

# What the forkserver imports once for every worker: the worker's module (the parser with it)
# and what the parser imports only when first called.
PRELOAD = ["newswatch.crawler.parse_worker", "trafilatura", "trafilatura.metadata", "htmldate"]


FEED_BATCH = 32  # feeds parsed in one task
FEED_WAIT = 0.005  # seconds a changed feed waits for others to share its task


class _Unusable(Exception):
    """The pool cannot be used (it would not start, or broke): parse in this process."""


class _Failed(Exception):
    """This one parse failed in its worker; ``reason`` says how, for the log line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Page:
    """A fetched page to parse: its bytes and what the parser is told of it (``unread_url`` is
    where an unread article is kept: the page's own URL, normalised)."""

    body: bytes
    url: str
    content_type: str | None
    rules: ExtractRules | None
    as_of: date
    unread_url: str


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def pool_size(setting: Any) -> int:
    """How many workers: the setting as a number, or the usable cores for "auto" (or unset)."""
    if setting in (None, "", "auto"):
        return usable_cores()
    return max(1, int(setting))


def worker_ended(exitcode: int | None) -> str:
    """How a worker process ended, in words: "signal 9", "exit status 3"."""
    if exitcode is None:
        return "unknown"
    return f"signal {-exitcode}" if exitcode < 0 else f"exit status {exitcode}"


class ParsePool:
    """The crawl's parser: in worker processes, or inline on one usable core."""

    def __init__(self, crawler) -> None:
        settings = crawler.settings
        self.seconds = settings.getfloat("NEWSWATCH_PARSE_SECONDS")
        self.workers = pool_size(settings.get("NEWSWATCH_PARSE_WORKERS", "auto"))
        self.pool = None  # the pebble pool, once started
        self.starting: asyncio.Future | None = None
        self.closed = False
        self.feeds: list[tuple[tuple[bytes, str, str], asyncio.Future]] = []  # the next batch
        self.flush: asyncio.TimerHandle | None = None
        crawler.signals.connect(self.close, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler) -> ParsePool:
        return cls(crawler)

    @property
    def inline(self) -> bool:
        return self.workers < 2

    async def parse(self, page: Page) -> Article:
        """The page's article; a parse that ran over its time or whose worker died gives an
        unread article under ``page.unread_url``, with the reason."""
        if self.inline:
            return self.parse_inline(page)
        from .parse_worker import parse_page, plain_rules

        args = (page.body, page.url, page.content_type, plain_rules(page.rules), page.as_of)
        try:
            return await self._in_worker(parse_page, args)
        except _Unusable as exc:
            self._give_up(exc.__cause__)
            return self.parse_inline(page)
        except _Failed as failed:
            logger.debug("article parse failed for %s: %s", page.url, failed.reason)
            return Article.unread(page.unread_url, failed.reason)

    async def parse_feed(self, data: bytes, url: str, content_type: str) -> ParsedFeed:
        """The feed's entries, parsed in a worker with others; one whose parse ran over its
        time or whose worker died is a feed with that problem (a failed poll)."""
        if self.inline:
            return parse_feed(data, url, content_type)
        loop = asyncio.get_running_loop()
        parsed = loop.create_future()
        self.feeds.append(((data, url, content_type), parsed))
        if len(self.feeds) >= FEED_BATCH:
            self._flush_feeds()
        elif self.flush is None:
            self.flush = loop.call_later(FEED_WAIT, self._flush_feeds)
        return await parsed

    def _flush_feeds(self) -> None:
        if self.flush is not None:
            self.flush.cancel()
            self.flush = None
        batch, self.feeds = self.feeds, []
        if batch:
            asyncio.ensure_future(self._parse_feeds(batch))

    async def _parse_feeds(self, batch) -> None:
        feeds = [feed for feed, _ in batch]
        try:
            results = await self._feeds_in_worker(feeds)
        except _Failed:  # one feed of them, or a dead worker: again, one feed a task
            results = await asyncio.gather(*(self._feed_alone(feed) for feed in feeds))
        for (_, parsed), result in zip(batch, results, strict=True):
            if not parsed.done():
                parsed.set_result(result)

    async def _feed_alone(self, feed: tuple[bytes, str, str]) -> ParsedFeed:
        try:
            return (await self._feeds_in_worker([feed]))[0]
        except _Failed as failed:
            return ParsedFeed(problem=f"feed {failed.reason}")

    async def _feeds_in_worker(self, feeds: list[tuple[bytes, str, str]]) -> list[ParsedFeed]:
        """The feeds parsed in one task; in this process once the pool cannot be used."""
        from .parse_worker import parse_feeds

        try:
            return await self._in_worker(parse_feeds, (feeds,))
        except _Unusable as exc:
            self._give_up(exc.__cause__)
            return [parse_feed(*feed) for feed in feeds]

    async def _in_worker(self, function, args: tuple):
        """``function(*args)`` in a worker. Raises ``_Failed`` (over its time, its worker died,
        a result that did not come back) or ``_Unusable`` (no pool to run it in)."""
        from concurrent.futures.process import BrokenProcessPool

        from pebble import ProcessExpired

        try:
            pool = await self._started()
            future = pool.schedule(function, args=args, timeout=self.seconds or None)
        except (OSError, RuntimeError) as exc:  # the pool would not start, or stopped working
            raise _Unusable from exc
        try:
            return await asyncio.wrap_future(future)
        except TimeoutError:
            raise _Failed("parse timed out") from None
        except ProcessExpired as exc:
            raise _Failed(f"the parse worker died ({worker_ended(exc.exitcode)})") from None
        except BrokenProcessPool as exc:
            raise _Unusable from exc
        except Exception as exc:  # noqa: BLE001 - the parsers never raise; a result that does
            # not pickle back, say, costs its page only
            logger.debug("parse failed in its worker (%s): %r", function.__name__, exc)
            raise _Failed("parse error") from None

    def _give_up(self, exc: BaseException | None) -> None:
        """The pool cannot be used: said once, and everything is parsed inline from now on."""
        if not self.inline:
            logger.warning("the parse pool failed (%s); pages are parsed in the crawl process", exc)
            self.workers = 1
            self.close()

    def parse_inline(self, page: Page) -> Article:
        """The parse on the reactor thread, cut short by SIGALRM (see :mod:`.limits`)."""
        headers = {"Content-Type": page.content_type} if page.content_type else None
        try:  # the parser is pure: its time limit (trafilatura has none) is ours to put on it
            with time_limit(self.seconds):
                return parse_article(
                    page.body, page.url, headers, rules=page.rules, as_of=page.as_of
                )
        except TimeLimitExceeded:
            logger.debug("article parse timed out for %s after %g s", page.url, self.seconds)
            return Article.unread(page.unread_url, "parse timed out")

    async def _started(self):
        """The pool, started at the first page by a thread: starting the forkserver and the
        workers blocks until trafilatura is imported, and the reactor goes on meanwhile."""
        if self.starting is None:
            self.starting = asyncio.ensure_future(asyncio.to_thread(self._start))
        return await asyncio.shield(self.starting)

    def _start(self):
        from pebble import ProcessPool

        from .parse_worker import start_worker

        began = time.monotonic()
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        pool = ProcessPool(
            max_workers=self.workers,
            initializer=start_worker,
            context=context,
        )
        if not pool.active:  # starts the workers (pebble starts them at first use)
            raise RuntimeError("the parse pool did not start")
        self.pool = pool
        if self.closed:  # the crawl was stopped meanwhile
            self.close()
        logger.debug(
            "parse pool: %d workers started in %.2f s", self.workers, time.monotonic() - began
        )
        return pool

    def close(self) -> None:
        """Stop the workers (a parse still running is abandoned: after a forced stop), then the
        forkserver, waited for: see ``stop_forkserver``."""
        self.closed = True
        pool, self.pool = self.pool, None
        if pool is not None:
            pool.stop()
            pool.join()
            del pool  # its locks unregister from the resource tracker as they go
            gc.collect()
            stop_forkserver()
            stop_resource_tracker()


def stop_forkserver(within: float = 5.0) -> None:
    """Stop the forkserver and reap it, so the CPU time of the parse is the crawl's.

    A process's children's CPU time counts for it only once it has reaped them. The forkserver
    reaps the workers (``pool.join`` returns once it has), but nothing reaped the forkserver: it
    exited after the crawl process, an orphan, and every second the workers spent parsing was
    missing from what ``time``, the daemon's accounting and the benchmarks read of a crawl
    (newsbench read 12 ms of CPU per page instead of the 40 spent). Closing our end of its
    "alive" pipe ends it (the workers closed theirs, see ``parse_worker``); the wait is bounded,
    should anything still hold the pipe open. (``_forkserver`` and its fields are private names
    of multiprocessing; should they change, the forkserver ends with the crawl as before, and
    test_parse_pool.py's CPU test fails.)
    """
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    pid = getattr(server, "_forkserver_pid", None)
    alive = getattr(server, "_forkserver_alive_fd", None)
    if not isinstance(pid, int) or not isinstance(alive, int):
        return
    os.close(alive)
    server._forkserver_alive_fd = None
    try:
        handle = os.pidfd_open(pid)
    except OSError:  # already gone (and reaped), or no pidfd on this kernel
        return
    try:
        if select.select([handle], [], [], within)[0]:
            os.waitpid(pid, 0)
            server._forkserver_pid = None
    except ChildProcessError:
        server._forkserver_pid = None
    finally:
        os.close(handle)


def stop_resource_tracker() -> None:
    """Stop and reap multiprocessing's resource tracker, which the forkserver started beside
    the crawl: it would otherwise outlive the crawl process for a moment (in its process group,
    which a supervisor may kill), and its time would not be the crawl's."""
    from multiprocessing import resource_tracker

    tracker = getattr(resource_tracker, "_resource_tracker", None)
    if getattr(tracker, "_pid", None) is None:
        return
    with contextlib.suppress(Exception):  # a private method: at worst it ends with the crawl
        tracker._stop()
