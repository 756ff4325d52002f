"""Run one crawl: one Scrapy crawler process, once, in this process (the reactor cannot restart)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from scrapy.crawler import AsyncCrawlerProcess

from ..storage.store import Store
from .settings import scrapy_settings
from .spider import NewsSpider


def run_crawl(
    crawl: Any,
    feeds: Sequence[Any],
    store: Store,
    progress: bool | None = None,
    states: dict | None = None,
):
    """Crawl the given feeds into the store; returns its ``newswatch/*`` stats and feed polls.

    The polls are not recorded here: the caller plans each feed's next poll first.
    """
    settings = scrapy_settings(crawl)
    if progress is not None:
        settings["NEWSWATCH_PROGRESS"] = progress
    process = AsyncCrawlerProcess(settings)
    crawler = process.create_crawler(NewsSpider)
    process.crawl(crawler, feeds=feeds, store=store, states=states)
    process.start()
    prefix = "newswatch/"
    stats = {
        key[len(prefix) :]: value
        for key, value in crawler.stats.get_stats().items()
        if key.startswith(prefix)
    }
    # "finished" when complete; None when a second signal stopped the reactor outright.
    stats["finish_reason"] = crawler.stats.get_value("finish_reason")
    stats["upgraded_ids"] = list(crawler.spider.upgraded)
    return stats, crawler.spider.final_polls(stats["finish_reason"])
