"""Run one crawl: one Scrapy crawler process, once, in this process (the reactor cannot restart)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from scrapy.crawler import AsyncCrawlerProcess

from ..storage.store import FeedPoll, utcnow
from .settings import scrapy_settings
from .spider import NewsSpider

STATS_PREFIX = "newswatch/"


def run_crawl(
    crawl: Any,
    feeds: Sequence[Any],
    database: Path,
    states: dict[str, dict],
    progress: bool | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> tuple[dict[str, Any], list[FeedPoll]]:
    """Crawl the feeds into the database; returns its ``newswatch/*`` stats and feed polls.

    ``states`` are the feeds' rows of the feeds table (validators, first poll). The polls are
    not recorded here: the caller plans each feed's next poll first. ``stats["replaced_ids"]``
    are the stories whose text a page read on a retry replaced (to be matched again).
    """
    settings = scrapy_settings(crawl)
    settings["NEWSWATCH_DATABASE"] = str(database)
    settings["NEWSWATCH_CLOCK"] = clock
    if progress is not None:
        settings["NEWSWATCH_PROGRESS"] = progress
    process = AsyncCrawlerProcess(settings)
    # Scrapy's logging setup (just run) puts its loggers at DEBUG: a record made for every
    # request ("Crawled (304) ...") that our handlers drop anyway (below ERROR, see logs.py).
    logging.getLogger("scrapy").setLevel(logging.WARNING)
    crawler = process.create_crawler(NewsSpider)
    process.crawl(crawler, feeds=feeds, states=states)
    process.start()
    if crawler.spider.parser is not None:
        crawler.spider.parser.close()  # already closed, unless a second signal stopped the reactor
    storage = crawler.spider.storage
    replaced = list(storage.replaced) if storage is not None else []
    if storage is not None:
        storage.close_spider()  # already closed, unless a second signal stopped the reactor
        if storage.failed is not None:  # the database stopped being usable: say so, once
            raise storage.failed
    stats = {
        key[len(STATS_PREFIX) :]: value
        for key, value in crawler.stats.get_stats().items()
        if key.startswith(STATS_PREFIX)
    }
    # "finished" when complete; None when a second signal stopped the reactor outright.
    stats["finish_reason"] = crawler.stats.get_value("finish_reason")
    stats["replaced_ids"] = replaced
    return stats, crawler.spider.final_polls(stats["finish_reason"])
