"""A progress bar on a terminal, fed by the crawl's own stats (a Scrapy extension)."""

from __future__ import annotations

import sys

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task


class ProgressExtension:
    """Shows feeds and articles done; only when stderr is a terminal."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.progress = None
        self.loop = None

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("NEWSWATCH_PROGRESS", sys.stderr.isatty()):
            raise NotConfigured
        ext = cls(crawler)
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def opened(self, spider):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.progress = Progress(
            TextColumn("{task.description:<9}"),
            BarColumn(),
            MofNCompleteColumn(),
            transient=True,
        )
        self.feeds = self.progress.add_task("feeds", total=self._get("feeds_total"))
        self.articles = self.progress.add_task("articles", total=0)
        self.progress.start()
        self.loop = task.LoopingCall(self.refresh)
        self.loop.start(0.2)

    def _get(self, key: str) -> int:
        return self.crawler.stats.get_value(f"newswatch/{key}", 0)

    def refresh(self):
        self.progress.update(
            self.feeds, completed=self._get("feeds_done"), total=self._get("feeds_total")
        )
        self.progress.update(
            self.articles,
            completed=self._get("articles_done"),
            total=self._get("articles_scheduled"),
        )

    def closed(self, spider):
        if self.loop and self.loop.running:
            self.loop.stop()
        if self.progress:
            self.refresh()
            self.progress.stop()
