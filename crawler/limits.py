"""A wall-clock limit on one piece of work in the main thread.

trafilatura has no time limit of its own outside its command line (trafilatura#704: an
extraction that never ends; #651: a regex running for minutes on image attributes). One such
page must not hold up a crawl until the daemon's deadline kills it, and then again every cycle:
its parse is cut short, and the page is stored from its feed entry like any unreadable page.

SIGALRM is the one interrupt Python code cannot ignore, and Scrapy runs callbacks in the main
thread. Elsewhere (another thread, no ``setitimer``), the work runs without a limit.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class TimeLimitExceeded(BaseException):
    """Raised inside the limited work when its time is up.

    A BaseException, like KeyboardInterrupt, so that ``except Exception`` in a library does
    not swallow it and carry on with the slow work.
    """


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`TimeLimitExceeded` in the block after ``seconds`` (0: no limit)."""
    usable = (
        seconds > 0
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return

    armed = [True]  # a signal handled after the work ended (in ``finally``) raises nothing

    def expire(signum, frame):
        if armed[0]:
            raise TimeLimitExceeded(f"over {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        armed[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
