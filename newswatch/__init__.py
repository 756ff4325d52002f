"""newswatch: watch news feeds for topics, store each story once, alert on matches.

The repository's folders install as this one import package: ``crawler/`` as
``newswatch.crawler`` (the Scrapy side), ``storage/`` as ``newswatch.storage`` (SQLite) and
``scheduler/`` as ``newswatch.scheduler`` (config, the cycle, delivery, the daemon, the CLI).
Nothing else lands at the top level of site-packages, so no other distribution's ``crawler``
or ``storage`` is overwritten, and a ``scheduler/`` folder in the current directory cannot
shadow the child processes, which run ``python -m newswatch``.
"""

from __future__ import annotations

import sys


def command(*args: str) -> list[str]:
    """The argv of a ``newswatch`` child process, in this same Python: ``command("crawl")``."""
    return [sys.executable, "-m", "newswatch", *args]
