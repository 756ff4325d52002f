"""What runs inside a parse worker process: one page's bytes in, one :class:`Article` out (or
one feed's bytes in, its :class:`~.feeds.ParsedFeed` out).

The crawl process (see :mod:`.parse_pool`) hands each page over as plain values: its bytes, URL,
Content-Type, the feed's ``extract:`` rules as a plain mapping, and the day it is read. The
result comes back as the ``Article`` dataclass, which pickles as plain fields.

A worker is a fresh process forked from the forkserver, which imported this module (and so the
parser and trafilatura) once: it holds no reactor, no signal handler of Scrapy's and no database
connection. What it must still get right is signals and stderr:

- Signals meant for the crawl are not the workers'. A Ctrl-C in the terminal reaches the whole
  foreground process group, and the daemon stops a crawl with SIGTERM to its process group: the
  crawl process handles both (Scrapy finishes the pages in flight, and their parses with them,
  or drops them at a second signal) and then stops the pool. So the forkserver moves itself into
  a process group of its own when it imports this module, and its workers are born in it; they
  also ignore SIGINT (no KeyboardInterrupt traceback, whoever sends it).
- SIGTERM, sent by the pool itself (a parse over its time, the pool's shutdown), kills a worker
  at once: its default action, not pebble's Python handler, which runs only when the
  interpreter looks for signals, and so not while a C library that never does is stuck.
- No worker outlives the crawl process, however that one ends (SIGKILL included): the
  forkserver exits when the write ends of its "alive" pipe are all closed, and each worker asks
  the kernel for SIGKILL when its parent, the forkserver, dies (``PR_SET_PDEATHSIG``), which
  works even while the worker is stuck in C code. multiprocessing hands every process it forks
  a copy of that write end (for a child that starts processes of its own); a worker starts
  none, and closes its copy, so that the crawl process is the one that keeps the forkserver
  alive.
- The parser is pure and does not log; what trafilatura or htmldate log would go to Python's
  last-resort handler, the crawl's stderr. Logging and warnings are switched off here.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import sys
import warnings
from datetime import date
from functools import lru_cache
from multiprocessing import forkserver
from typing import Any

from .article import Article, ExtractRules, parse_article
from .feeds import ParsedFeed, parse_feed

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _in_forkserver() -> bool:
    """Whether this import is the forkserver's preload (and not the crawl process's)."""
    frame = sys._getframe()
    while frame is not None:
        if frame.f_code.co_name == "main" and (
            frame.f_globals.get("__name__") == "multiprocessing.forkserver"
        ):
            return True
        frame = frame.f_back
    return False


SERVER_PID = None  # the forkserver's pid, in the forkserver and the workers it forks
if _in_forkserver():
    SERVER_PID = os.getpid()
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)


def start_worker() -> None:
    """The pool's initializer, run once in each new worker (see the module docstring)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the pool's stop (and pebble's atexit) only
        pass
    if SERVER_PID is not None and os.getppid() != SERVER_PID:
        os._exit(1)  # the forkserver died before the request above was made
    server = getattr(forkserver, "_forkserver", None)
    alive = getattr(server, "_forkserver_alive_fd", None)
    if isinstance(alive, int):  # a private name (should it change, test_parse_pool.py fails)
        os.close(alive)
        server._forkserver_alive_fd = None
    logging.disable(logging.CRITICAL)
    logging.getLogger().addHandler(logging.NullHandler())  # no last-resort handler either
    warnings.simplefilter("ignore")


def plain_rules(rules: ExtractRules | None) -> tuple[tuple[str, Any], ...] | None:
    """A feed's rules as plain, hashable values, to cross the process boundary (the compiled
    selectors do not pickle)."""
    if rules is None:
        return None
    values = ((name, getattr(rules, name)) for name in ExtractRules.__dataclass_fields__)
    return tuple((name, tuple(v) if isinstance(v, list) else v) for name, v in values)


@lru_cache(maxsize=256)
def _rules(plain: tuple[tuple[str, Any], ...]) -> ExtractRules:
    """The same rules as an ``ExtractRules`` again, one per feed and worker, so each worker
    compiles a feed's selectors and patterns once."""
    return ExtractRules(**dict(plain))


def parse_page(
    body: bytes,
    url: str,
    content_type: str | None,
    rules: tuple[tuple[str, Any], ...] | None,
    as_of: date,
) -> Article:
    """``parse_article`` on plain values, as a worker runs it."""
    headers = {"Content-Type": content_type} if content_type else None
    return parse_article(body, url, headers, rules=_rules(rules) if rules else None, as_of=as_of)


def parse_feeds(feeds: list[tuple[bytes, str, str]]) -> list[ParsedFeed]:
    """``parse_feed`` on several feeds in one task: a task costs the pool about 1.4 ms, more
    than feedparser on one feed."""
    return [parse_feed(*feed) for feed in feeds]
