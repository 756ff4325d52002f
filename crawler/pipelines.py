"""Item pipeline: each story the spider yields is stored once, keyed by its canonical URL."""

from __future__ import annotations

import logging

from ..storage.store import NewStory

logger = logging.getLogger("newswatch.store")


class StoragePipeline:
    """Writes stories through the spider's Store; a known canonical URL only adds link variants."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item):
        if not isinstance(item, NewStory):
            return item
        store = self.crawler.spider.store
        if item.upgrade_of is not None:
            if store.upgrade_story(item):
                self.crawler.stats.inc_value("newswatch/upgraded")
                self.crawler.spider.upgraded.append(item.upgrade_of)
            return item
        story_id, created = store.add_story(item)
        stats = self.crawler.stats
        if created:
            stats.inc_value("newswatch/new_stories")
            stats.inc_value(f"newswatch/new_stories_{item.extraction}")
        else:
            stats.inc_value("newswatch/known_canonical")
            logger.debug("known story %s under a new link: %s", story_id, item.links)
        return item
