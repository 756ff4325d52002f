"""The storage side of the crawl: the crawl's own connection to the database, and every write.

The Store is opened from the ``NEWSWATCH_DATABASE`` setting when the crawl opens and closed
when it closes, like any resource a Scrapy component holds (``run_crawl`` closes it too, after
a forced stop in which Scrapy closes nothing). The spider asks it (through
``crawler.get_item_pipeline``) what only storage can answer: does a stored story name this
link, how often has this page's parse been started, and which pages are due another try.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro

from ..storage.store import NewStory, Store, utcnow
from .feeds import Entry
from .jobs import ArticleJob

logger = logging.getLogger("newswatch.store")


class StoragePipeline:
    """Writes stories; a known canonical URL only adds link variants."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.store: Store | None = None
        self.replaced: list[int] = []  # stories whose page, read on a retry, replaced the entry
        # SQLite's error when the database stopped being usable mid-crawl (a write lock held
        # past the busy timeout, a full disk): the crawl closes, and ``run_crawl`` raises it.
        self.failed: sqlite3.DatabaseError | None = None

    def _give_up(self, exc: sqlite3.DatabaseError) -> None:
        """Close the crawl once: nothing more can be stored (no traceback per page)."""
        if self.failed is None:
            self.failed = exc
            logger.debug("the database cannot be used: %s; closing the crawl", exc)
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="database unusable"))

    @classmethod
    def from_crawler(cls, crawler) -> StoragePipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        settings = self.crawler.settings
        clock = settings.get("NEWSWATCH_CLOCK") or utcnow  # the cycle's clock (a fake in tests)
        self.store = Store(settings["NEWSWATCH_DATABASE"], clock=clock)

    def close_spider(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None

    # -- what the spider asks ---------------------------------------------------------------------

    def link_is_stored(self, url: str) -> bool:
        """Whether a stored story names ``url``; every link is, once the database failed (so
        nothing more is asked for)."""
        if self.failed is not None:
            return True
        try:
            return self.store.story_for_link(url) is not None
        except sqlite3.DatabaseError as exc:
            self._give_up(exc)
            return True

    def count_parse_start(self, url: str) -> int:
        """Count a parse about to start (committed first); returns how many have started."""
        if self.failed is not None:
            return 0
        try:
            return self.store.note_parse(url)
        except sqlite3.DatabaseError as exc:
            self._give_up(exc)
            return 0

    def retry_jobs(self, feeds: Sequence[Any]) -> Iterator[ArticleJob]:
        """The pages of stories kept from their feed entries that are due another try.

        Each try is spent (committed) just before its job is handed out, so a crash can never
        retry a page forever.
        """
        by_name = {feed.name: feed for feed in feeds}
        try:
            rows = self.store.stories_to_retry(by_name)
        except sqlite3.DatabaseError as exc:
            self._give_up(exc)
            return
        for row in rows:
            try:
                self.store.spend_retry(row["id"])
            except sqlite3.DatabaseError as exc:
                self._give_up(exc)
                return
            entry = Entry(row["url"], row["title"], row["body"], row["published"])
            feed = by_name[row["feed"]]
            yield ArticleJob(entry, feed, bool(row["backfill"]), (row["url"],), row["id"])

    # -- items ------------------------------------------------------------------------------------

    def process_item(self, item):
        if not isinstance(item, NewStory):
            return item
        if self.failed is not None:
            raise DropItem("the database cannot be used")
        try:
            return self._store(item)
        except sqlite3.DatabaseError as exc:
            self._give_up(exc)
            raise DropItem("the database cannot be used") from None

    def _store(self, item: NewStory) -> NewStory:
        stats = self.crawler.stats
        if item.replaces is not None:
            if self.store.replace_entry_story(item):
                stats.inc_value("newswatch/pages_read_on_retry")
                self.replaced.append(item.replaces)
            return item
        story_id, created = self.store.add_story(item)
        if created:
            stats.inc_value("newswatch/new_stories")
            stats.inc_value(f"newswatch/new_stories_{item.extraction}")
        else:
            stats.inc_value("newswatch/known_canonical")
            logger.debug("known story %s under a new link: %s", story_id, item.links)
        return item
