"""Scrapy settings, made from the config's ``crawl`` block in this one place.

Components are handed over as classes, not dotted paths: a path names a module by where it was
installed, and a class is what it is wherever the package lives.
"""

from __future__ import annotations

from typing import Any

from scrapy.downloadermiddlewares.httpauth import HttpAuthMiddleware
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.extensions.corestats import CoreStats
from scrapy.extensions.logcount import LogCount
from scrapy.settings import default_settings
from scrapy.spidermiddlewares.depth import DepthMiddleware
from scrapy.spidermiddlewares.metacopy import MetaCopyDetectionMiddleware

from .middlewares import SafetyMiddleware
from .parse_pool import ParsePool
from .pipelines import StoragePipeline
from .politeness import CrawlDelayExtension
from .progress import ProgressExtension
from .resolver import PublicOnlyResolver

# Scrapy imports every component its lists name, switched off or not. These two are off (no
# cookies; no remote control) and their imports alone cost a cycle 0.3 s of CPU (aiohttp,
# tldextract and requests), so they are left out of the lists Scrapy starts from.
_NEVER_LOADED = {
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware",
    "scrapy.extensions.remote_control.RemoteControl",
}


def _base(name: str) -> dict[str, int]:
    return {k: v for k, v in getattr(default_settings, name).items() if k not in _NEVER_LOADED}


def scrapy_settings(crawl: Any) -> dict[str, Any]:
    """Settings for one cycle's crawler; ``crawl`` is the validated ``crawl`` config block."""
    return {
        "BOT_NAME": "newswatch",
        "USER_AGENT": crawl.user_agent,
        "ROBOTSTXT_OBEY": crawl.obey_robots,
        "CONCURRENT_REQUESTS": crawl.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrency_per_host,
        "DOWNLOAD_DELAY": crawl.delay,
        "RANDOMIZE_DOWNLOAD_DELAY": False,
        "DOWNLOAD_TIMEOUT": crawl.timeout,
        "DOWNLOAD_MAXSIZE": crawl.max_page_bytes,
        "DOWNLOAD_WARNSIZE": 0,
        "REDIRECT_MAX_TIMES": crawl.max_redirects,
        # A failed page falls back to its feed entry; a failed feed is retried next poll.
        "RETRY_ENABLED": False,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        # Scrapy 2.19's remote control is a loopback HTTP server that runs any Python code
        # sent with its token, which it writes to a job file in the user's state folder (one
        # left behind by every crawl that is killed). A crawl has no use for it.
        "REMOTE_CONTROL_ENABLED": False,
        # Its check re-reads the callback's source on every response (the cache misses on
        # bound methods): 6 ms per feed, the largest cost of a warm cycle.
        "WARN_ON_GENERATOR_RETURN_VALUE": False,
        # Scrapy starts this many asyncio tasks per callback output (each response); ours are
        # stored synchronously, one at a time whatever the number (100 cost ~1 ms per response).
        "CONCURRENT_ITEMS": 1,
        "LOG_ENABLED": False,  # our own logging is configured by the CLI
        "LOG_INSTALL_ROOT_HANDLER": False,
        # Only http(s): Scrapy would otherwise read file:// and data: links from a hostile feed.
        "DOWNLOAD_HANDLERS": {"file": None, "data": None, "s3": None, "ftp": None},
        # Scrapy parts this crawl has no use for, each a cost on every request or response
        # (a warm cycle is some 10,000 of them, nearly all answered 304): byte and status
        # counts no one reads (each request's HTTP text rebuilt to count it), a Referer header,
        # depth meta, a count of log records by level, a memory check and a log of the rates.
        "DOWNLOADER_STATS": False,
        "REFERER_ENABLED": False,
        "MEMUSAGE_ENABLED": False,
        "LOGSTATS_INTERVAL": 0,
        "DOWNLOADER_MIDDLEWARES_BASE": _base("DOWNLOADER_MIDDLEWARES_BASE"),
        "EXTENSIONS_BASE": _base("EXTENSIONS_BASE"),
        "DOWNLOADER_MIDDLEWARES": {
            # Before robots.txt (100), so not even robots.txt is asked of a refused host.
            SafetyMiddleware: 50,
            # No spider allowed_domains and no credentials: both let every request through,
            # the first after a request_scheduled signal each.
            OffsiteMiddleware: None,
            HttpAuthMiddleware: None,
        },
        "SPIDER_MIDDLEWARES": {
            DepthMiddleware: None,  # no DEPTH_LIMIT: a feed's links are one step deep
            MetaCopyDetectionMiddleware: None,  # our requests build their meta afresh
        },
        "ITEM_PIPELINES": {StoragePipeline: 300},
        "EXTENSIONS": {
            # Its one figure we read, the finish reason, the spider records (spider.closed).
            CoreStats: None,
            LogCount: None,
            ProgressExtension: 500,
            CrawlDelayExtension: 500,
            ParsePool: 500,
        },
        "NEWSWATCH_ALLOW_PRIVATE_ADDRESSES": crawl.allow_private_addresses,
        # One page's parse may take this long (trafilatura has no limit of its own).
        "NEWSWATCH_PARSE_SECONDS": 30,
        # Worker processes that parse pages: "auto" is one per usable core (parse_pool.py).
        "NEWSWATCH_PARSE_WORKERS": crawl.parse_workers,
        "DNSCACHE_ENABLED": True,
        "TWISTED_DNS_RESOLVER": PublicOnlyResolver,
        "REACTOR_THREADPOOL_MAXSIZE": 10,
    }
