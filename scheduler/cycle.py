"""One crawl cycle, the single refresh path shared by ``newswatch crawl`` and the daemon."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from crawler.run import run_crawl
from storage.store import Store

from .alerting import match_and_deliver, start_alerts
from .config import Config
from .digest import update_digest

logger = logging.getLogger("newswatch.cycle")


@dataclass
class CycleSummary:
    feeds: int = 0
    feeds_ok: int = 0
    feeds_not_modified: int = 0
    feeds_failed: int = 0
    new_stories: int = 0
    new_from_feed: int = 0
    known_skipped: int = 0
    errors: int = 0
    alerts: int = 0
    seconds: float = 0.0
    stats: dict = field(default_factory=dict)

    def line(self) -> str:
        """The one summary line a person (or journald) reads after a cycle."""
        return (
            f"feeds: {self.feeds_ok + self.feeds_not_modified} ok"
            f" ({self.feeds_not_modified} unchanged), {self.feeds_failed} failed;"
            f" new stories: {self.new_stories}"
            + (f" ({self.new_from_feed} from feed entries)" if self.new_from_feed else "")
            + f"; known links skipped: {self.known_skipped}; alerts: {self.alerts};"
            f" errors: {self.errors}; {self.seconds:.1f}s"
        )


def select_feeds(config: Config, names: Sequence[str] = ()) -> list:
    if not names:
        return list(config.feeds)
    wanted = set(names)
    return [feed for feed in config.feeds if feed.name in wanted]


def run_cycle(config: Config, feed_names: Sequence[str] = (), progress: bool | None = None):
    """Crawl the feeds, store new stories, then match topics and deliver alerts."""
    started = time.monotonic()
    feeds = select_feeds(config, feed_names)
    with Store(config.database) as store:
        run_id = store.start_run()
        before = start_alerts(store, config)  # also delivers what a crashed cycle left
        stats = run_crawl(config.crawl, feeds, store, progress=progress)
        summary = CycleSummary(
            feeds=len(feeds),
            feeds_ok=stats.get("feeds_ok", 0),
            feeds_not_modified=stats.get("feeds_not_modified", 0),
            feeds_failed=stats.get("feeds_error", 0),
            new_stories=stats.get("new_stories", 0),
            new_from_feed=stats.get("new_stories_feed", 0),
            known_skipped=stats.get("known_skipped", 0),
            errors=stats.get("errors", 0),
            stats=stats,
        )
        summary.alerts = match_and_deliver(store, config, before)
        update_digest(store, config, summary.alerts)
        summary.seconds = time.monotonic() - started
        store.finish_run(
            run_id,
            feeds_ok=summary.feeds_ok,
            feeds_not_modified=summary.feeds_not_modified,
            feeds_failed=summary.feeds_failed,
            new_stories=summary.new_stories,
            known_skipped=summary.known_skipped,
            errors=summary.errors,
            alerts=summary.alerts,
        )
    return summary
