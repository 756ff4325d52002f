"""robots.txt ``Crawl-delay``: the extension sets the host's download slot delay, capped."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from scrapy import Request
from scrapy.core.downloader import Downloader, Slot
from scrapy.robotstxt import ProtegoRobotParser
from scrapy.utils.test import get_crawler

from newswatch.crawler.politeness import MAX_CRAWL_DELAY, CrawlDelayExtension


def slot_delay_after(robots: bytes, slot_delay: float = 0.0) -> float:
    """The delay of the slot for http://a.test after its robots.txt was parsed."""
    crawler = get_crawler(settings_dict={"ROBOTSTXT_OBEY": True, "USER_AGENT": "newswatch-test"})
    downloader = Downloader(crawler)
    crawler.engine = SimpleNamespace(downloader=downloader)
    extension = CrawlDelayExtension.from_crawler(crawler)
    request = Request("http://a.test/robots.txt")
    slot = downloader.slots[downloader.get_slot_key(request)] = Slot(2, slot_delay)
    extension.robots_parsed(ProtegoRobotParser(robots, None), request)
    return slot.delay


@pytest.mark.parametrize(
    ("robots", "delay"),
    [
        (b"User-agent: *\nCrawl-delay: 7\n", 7.0),
        (b"User-agent: *\nCrawl-delay: 100000\n", MAX_CRAWL_DELAY),  # a hostile value, capped
        (b"User-agent: *\nDisallow: /private\n", 0.0),  # no directive: the config's delay
        (b"User-agent: *\nCrawl-delay: soon\n", 0.0),  # a broken value is ignored
    ],
)
def test_crawl_delay_becomes_the_hosts_slot_delay(robots, delay):
    assert slot_delay_after(robots) == delay


def test_a_longer_configured_delay_is_kept():
    assert slot_delay_after(b"User-agent: *\nCrawl-delay: 2\n", slot_delay=5.0) == 5.0
