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
from dataclasses import dataclass
from typing import Any

from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro

from ..storage.store import NewStory, Store, utcnow
from .feeds import Entry
from .jobs import ArticleJob

logger = logging.getLogger("newswatch.store")


@dataclass
class Credit:
    """A story this crawl created: the feed and backfill flag it was stored with, and every
    link that led to it in this crawl."""

    feed: str
    backfill: bool
    links: set[str]


class StoragePipeline:
    """Writes stories; a known canonical URL only adds link variants.

    A story that several feeds list is credited, once the crawl is over, to the first of them
    in the config, whichever answered first; and it stays backfill only when every feed that
    listed it was on its first poll.
    """

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.store: Store | None = None
        self.replaced: list[int] = []  # stories whose page, read on a retry, replaced the entry
        # link -> (the feed's place in the config, its name, its backfill) for each feed that
        # listed the link in this crawl
        self.listed: dict[str, list[tuple[int, str, bool]]] = {}
        self.created: dict[int, Credit] = {}  # story id -> how it was stored
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
            if self.failed is None:
                try:
                    self.credit_stories()
                except sqlite3.DatabaseError as exc:  # unusable since the last page was stored
                    self.failed = exc
            self.store.close()
            self.store = None

    # -- what the spider asks ---------------------------------------------------------------------

    def note_listing(self, link: str, place: int, feed: str, backfill: bool) -> None:
        """The feed at ``place`` in the config listed ``link`` in this crawl."""
        self.listed.setdefault(link, []).append((place, feed, backfill))

    def credit_stories(self) -> None:
        """Each story this crawl created goes to the first feed in the config that listed one
        of its links, and is backfill only if every such feed was on its first poll.

        Decided at the end, because feeds answer in any order and a page may be stored before
        an earlier feed that lists it has answered; stories stored before this crawl are never
        touched.
        """
        for story_id, story in self.created.items():
            listers = sorted(
                {lister for link in story.links for lister in self.listed.get(link, ())}
            )
            if not listers:
                continue
            feed = listers[0][1]
            backfill = all(backfill for _, _, backfill in listers)
            if (feed, backfill) != (story.feed, story.backfill):
                self.store.credit_story(story_id, feed, backfill)
        self.created.clear()

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
            self.created[story_id] = Credit(item.feed, item.backfill, set())
            stats.inc_value("newswatch/new_stories")
            stats.inc_value(f"newswatch/new_stories_{item.extraction}")
        else:
            stats.inc_value("newswatch/known_canonical")
            logger.debug("known story %s under a new link: %s", story_id, item.links)
        if story_id in self.created:
            self.created[story_id].links.update((item.url, *item.links))
        return item
