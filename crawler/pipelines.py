"""The storage side of the crawl: it owns the cycle's Store and writes each story once.

The Store is opened from the ``NEWSWATCH_DATABASE`` setting when the crawl opens and closed when
it closes, like any resource a Scrapy component holds. The spider asks it (through
``crawler.get_item_pipeline``) the two questions only storage can answer: does a stored story
name this link, and how often has this page's parse been started.
"""

from __future__ import annotations

import logging

from ..storage.store import NewStory, Store

logger = logging.getLogger("newswatch.store")

REPLACED_IDS = "newswatch/replaced_ids"  # stats key: stories whose page text replaced the entry's


class StoragePipeline:
    """Writes stories; a known canonical URL only adds link variants."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.store: Store | None = None

    @classmethod
    def from_crawler(cls, crawler) -> StoragePipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        self.store = Store(self.crawler.settings["NEWSWATCH_DATABASE"])

    def close_spider(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None

    # -- what the spider asks ---------------------------------------------------------------------

    def link_is_stored(self, url: str) -> bool:
        return self.store.story_for_link(url) is not None

    def parse_started(self, url: str) -> int:
        """Count a parse about to start (committed first); returns how many have started."""
        return self.store.note_parse(url)

    # -- items ------------------------------------------------------------------------------------

    def process_item(self, item):
        if not isinstance(item, NewStory):
            return item
        stats = self.crawler.stats
        if item.replaces is not None:
            if self.store.replace_entry_story(item):
                stats.inc_value("newswatch/pages_read_on_retry")
                replaced = stats.get_value(REPLACED_IDS) or []
                stats.set_value(REPLACED_IDS, [*replaced, item.replaces])
            return item
        story_id, created = self.store.add_story(item)
        if created:
            stats.inc_value("newswatch/new_stories")
            stats.inc_value(f"newswatch/new_stories_{item.extraction}")
        else:
            stats.inc_value("newswatch/known_canonical")
            logger.debug("known story %s under a new link: %s", story_id, item.links)
        return item
