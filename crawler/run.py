"""Run one crawl: one Scrapy crawler process, once, in this process (the reactor cannot restart)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scrapy.crawler import AsyncCrawlerProcess

from ..storage.store import FeedPoll, Store
from .feeds import Entry
from .jobs import ArticleJob
from .pipelines import REPLACED_IDS
from .settings import scrapy_settings
from .spider import NewsSpider

STATS_PREFIX = "newswatch/"


def retry_jobs(store: Store, feeds: Sequence[Any]) -> list[ArticleJob]:
    """The pages of stories kept from their feed entries that are due another try.

    Each try is spent before the crawl starts, so a crash can never retry a page forever.
    """
    by_name = {feed.name: feed for feed in feeds}
    jobs = []
    for row in store.stories_to_retry(by_name):
        store.spend_retry(row["id"])
        entry = Entry(row["url"], row["title"], row["body"], row["published"])
        feed = by_name[row["feed"]]
        jobs.append(ArticleJob(entry, feed, bool(row["backfill"]), (row["url"],), row["id"]))
    return jobs


def run_crawl(
    crawl: Any,
    feeds: Sequence[Any],
    database: Path,
    states: dict[str, dict],
    retries: Sequence[ArticleJob] = (),
    progress: bool | None = None,
) -> tuple[dict[str, Any], list[FeedPoll]]:
    """Crawl the feeds into the database; returns its ``newswatch/*`` stats and feed polls.

    ``states`` are the feeds' rows of the feeds table (validators, first poll). The polls are
    not recorded here: the caller plans each feed's next poll first.
    """
    settings = scrapy_settings(crawl)
    settings["NEWSWATCH_DATABASE"] = str(database)
    if progress is not None:
        settings["NEWSWATCH_PROGRESS"] = progress
    process = AsyncCrawlerProcess(settings)
    crawler = process.create_crawler(NewsSpider)
    process.crawl(crawler, feeds=feeds, states=states, retries=retries)
    process.start()
    stats = {
        key[len(STATS_PREFIX) :]: value
        for key, value in crawler.stats.get_stats().items()
        if key.startswith(STATS_PREFIX)
    }
    # "finished" when complete; None when a second signal stopped the reactor outright.
    stats["finish_reason"] = crawler.stats.get_value("finish_reason")
    stats["replaced_ids"] = list(crawler.stats.get_value(REPLACED_IDS) or [])
    return stats, crawler.spider.final_polls(stats["finish_reason"])
