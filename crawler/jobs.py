"""What one article request carries, as one value: the entry, its feed, and why it is asked.

Scrapy hands it from the request that fetches a page to the callback that reads it, and to the
errback that keeps the feed entry when the page cannot be read. Plain data, so it can as well
cross a process boundary.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from .feeds import Entry


@dataclass(frozen=True)
class ArticleJob:
    """One page to read for a story."""

    entry: Entry  # the feed entry: what is kept when the page cannot be read
    feed: Any  # the feed's config (name, url, extract rules)
    backfill: bool  # found on the feed's first poll: stored, not alerted (unless asked)
    links: tuple[str, ...]  # every link that led here: all name this one story
    retry_of: int | None = None  # a story kept from its feed entry whose page is asked again

    def via(self, url: str) -> ArticleJob:
        """The same job, reached through one more link (a redirect, an AMP page's canonical)."""
        return self if url in self.links else replace(self, links=(*self.links, url))
