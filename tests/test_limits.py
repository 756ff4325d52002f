"""The time limit on one page's parse: armed by the spider around the pure parser."""

from __future__ import annotations

import asyncio
import signal
from types import SimpleNamespace

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from newswatch.crawler import parse_pool
from newswatch.crawler.feeds import Entry
from newswatch.crawler.jobs import ArticleJob
from newswatch.crawler.limits import TimeLimitExceeded, time_limit
from newswatch.crawler.pipelines import StoragePipeline
from newswatch.crawler.spider import NewsSpider
from newswatch.storage.store import NewStory


def endless() -> None:
    while True:  # trafilatura#704: an extraction that never ends
        pass


def stubborn() -> None:
    while True:
        try:
            endless()
        except Exception:  # noqa: BLE001 - what some libraries do
            continue


@pytest.mark.parametrize("work", [endless, stubborn])
def test_work_over_its_time_is_cut_short_and_nothing_stays_armed(work) -> None:
    before = signal.getsignal(signal.SIGALRM)
    with pytest.raises(TimeLimitExceeded), time_limit(0.05):
        work()
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) is before


def test_work_within_its_time_is_untouched() -> None:
    before = signal.getsignal(signal.SIGALRM)
    with time_limit(30):
        total = sum(range(1000))
    assert total == 499500
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) is before


async def collect(outputs) -> list:
    return [output async for output in outputs]


def test_a_page_whose_parse_runs_over_its_time_is_kept_from_its_feed_entry(
    tmp_path, monkeypatch, caplog
) -> None:
    def endless_parse(*args, **kwargs):
        endless()

    monkeypatch.setattr(parse_pool, "parse_article", endless_parse)
    settings = {
        "NEWSWATCH_PARSE_SECONDS": 0.05,
        "NEWSWATCH_PARSE_WORKERS": 1,  # in this process: the time limit is SIGALRM's
        "NEWSWATCH_DATABASE": str(tmp_path / "n.db"),
    }
    crawler = get_crawler(NewsSpider, settings)
    spider = NewsSpider.from_crawler(crawler, feeds=[], states={})
    # what ``start`` finds through the crawler
    spider.storage = StoragePipeline(crawler)
    spider.parser = parse_pool.ParsePool(crawler)
    spider.storage.open_spider()
    url = "http://127.0.0.1:8765/news/slow.html"
    page = HtmlResponse(
        url + "?utm_source=rss",
        body=b"<html><body><p>A page that takes forever.</p></body></html>",
        headers={"Content-Type": "text/html; charset=utf-8"},
        request=Request(url),
    )
    entry = Entry(url, "Feed title", "Feed summary", "2025-01-01T00:00:00+00:00")
    job = ArticleJob(entry, SimpleNamespace(name="outlet", extract=None), False, (url,))

    with caplog.at_level("INFO"):
        stories = asyncio.run(collect(spider.parse_article(page, job)))
    spider.storage.close_spider()

    assert stories == [
        NewStory(
            url=url,
            title="Feed title",
            body="Feed summary",
            published="2025-01-01T00:00:00+00:00",
            authors=[],
            feed="outlet",
            links=[url],
            extraction="feed",
        )
    ]
    assert "reason=parse timed out" in caplog.text
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
