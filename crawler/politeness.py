"""robots.txt ``Crawl-delay``, honoured through Scrapy's own ``robots_parsed`` signal.

Scrapy parses the directive but does not act on it; this extension spaces the requests to
that host accordingly. The delay is capped, so a hostile robots.txt cannot stall a cycle.
"""

from __future__ import annotations

import logging

from scrapy import signals
from scrapy.exceptions import NotConfigured

logger = logging.getLogger("newswatch.crawl")

MAX_CRAWL_DELAY = 60.0


class CrawlDelayExtension:
    def __init__(self, crawler):
        self.crawler = crawler
        self.user_agent = crawler.settings.get("USER_AGENT") or "*"

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured
        ext = cls(crawler)
        crawler.signals.connect(ext.robots_parsed, signal=signals.robots_parsed)
        return ext

    def robots_parsed(self, robotparser, request):
        try:
            delay = robotparser.crawl_delay(self.user_agent)
        except Exception:  # a parser backend without the directive, or a broken value
            return
        if not delay or delay <= 0:
            return
        delay = min(float(delay), MAX_CRAWL_DELAY)
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        if slot is not None and slot.delay < delay:
            slot.delay = delay
            logger.info("robots.txt of %s asks for Crawl-delay %gs", key, delay)
