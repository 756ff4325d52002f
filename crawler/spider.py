"""The one spider of a cycle: feeds in, article items out.

Feeds are asked with their validators (ETag / Last-Modified), parsed by feedparser from bytes,
and only links never seen before are fetched. Each article page goes through the pure
``parse_article``; a page that fails still yields a story from its feed entry, marked as such.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError

from ..storage.store import FeedPoll, NewStory, Store
from .article import Article, amp_canonical, parse_article
from .feeds import Entry, parse_feed
from .limits import TimeLimitExceeded, time_limit
from .middlewares import UnsafeRequest
from .urls import normalize_url

logger = logging.getLogger("newswatch.crawl")

FEED_PRIORITY = 100  # feeds first, so every known link is known before any page is fetched
ARTICLE_PRIORITY = 0
HTML_TYPES = (b"text/html", b"application/xhtml+xml")
# A page that failed for a passing reason (5xx, timeout) is asked again at the feed's next
# polls, this many times; when it answers, its text replaces the feed entry's.
PAGE_RETRIES = 2
# A page whose parse was started this many times without finishing is not parsed again.
PARSE_STARTS = 2
_PASSING = (
    DownloadTimeoutError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    ResponseDataLossError,
    CannotResolveHostError,
)


def is_passing(failure) -> bool:
    """Whether a download failed for a reason that may be gone by the next poll."""
    exc = failure.value
    if isinstance(exc, HttpError):
        status = exc.response.status
        return status >= 500 or status in (408, 429)
    return isinstance(exc, _PASSING)


def stat(crawler, key: str, count: int = 1) -> None:
    crawler.stats.inc_value(f"newswatch/{key}", count)


def failure_reason(failure, timeout: float | None = None) -> str:
    """A short, human reason for a failed download."""
    exc = failure.value
    if isinstance(exc, HttpError):
        return f"HTTP {exc.response.status}"
    if isinstance(exc, UnsafeRequest):
        return f"refused: {exc}"
    if isinstance(exc, DownloadTimeoutError):
        return f"timed out after {timeout:g}s" if timeout else "timed out"
    if isinstance(exc, DownloadCancelledError):
        return f"too large: {exc}"
    if isinstance(exc, CannotResolveHostError):
        return str(exc) or "DNS lookup failed"  # also a private answer refused at connect time
    if isinstance(exc, DownloadConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, IgnoreRequest):
        return str(exc) or "ignored (robots.txt or too many redirects)"
    return f"{type(exc).__name__}: {exc}".strip()


class NewsSpider(scrapy.Spider):
    name = "newswatch"

    def __init__(
        self, feeds: Sequence[Any], store: Store, states: dict | None = None, **kwargs: Any
    ):
        super().__init__(**kwargs)
        self.feeds = list(feeds)
        self.store = store
        self.states = states  # each feed's row in the feeds table, when the caller has read it
        self.polls: dict[str, FeedPoll] = {}
        self.requested: set[str] = set()
        self.upgraded: list[int] = []  # feed-entry stories whose page was read on a retry

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.crawler.stats.set_value("newswatch/feeds_total", len(self.feeds))
        states = self.states if self.states is not None else self.store.feed_states()
        for feed in self.feeds:
            state = states.get(feed.name) or {}
            headers = {}
            if state.get("etag"):
                headers["If-None-Match"] = state["etag"]
            if state.get("last_modified"):
                headers["If-Modified-Since"] = state["last_modified"]
            yield scrapy.Request(
                feed.url,
                callback=self.parse_feed,
                errback=self.feed_failed,
                headers=headers,
                priority=FEED_PRIORITY,
                dont_filter=True,
                meta={"handle_httpstatus_list": [304], "newswatch_kind": "feed"},
                cb_kwargs={"feed": feed, "state": state},
            )
        by_name = {feed.name: feed for feed in self.feeds}
        for row in self.store.stories_to_retry(by_name):
            self.store.spend_retry(row["id"])
            entry = Entry(row["url"], row["title"], row["body"], row["published"])
            self.requested.add(row["url"])
            stat(self.crawler, "articles_scheduled")
            stat(self.crawler, "page_retries")
            yield self._article_request(
                row["url"],
                entry,
                by_name[row["feed"]],
                bool(row["backfill"]),
                [row["url"]],
                upgrade_of=row["id"],
            )

    # -- feeds --------------------------------------------------------------------------------

    def _feed_done(self, poll: FeedPoll) -> None:
        self.polls[poll.name] = poll
        stat(self.crawler, f"feeds_{poll.result}")
        stat(self.crawler, "feeds_done")

    def feed_failed(self, failure):
        feed = failure.request.cb_kwargs["feed"]
        reason = failure_reason(failure, self.settings.getfloat("DOWNLOAD_TIMEOUT"))
        response = getattr(failure.value, "response", None)
        logger.warning("feed failed: feed=%s url=%s reason=%s", feed.name, feed.url, reason)
        stat(self.crawler, "errors")
        poll = FeedPoll(feed.name, feed.url, "error", None, reason)
        if response is not None:
            poll.http_status = response.status
            retry_after = response.headers.get(b"Retry-After")
            poll.retry_after = retry_after.decode("latin-1") if retry_after else None
        self._feed_done(poll)

    def parse_feed(self, response, feed, state):
        headers = response.headers
        validators = {
            "etag": (headers.get(b"ETag") or b"").decode("latin-1") or None,
            "last_modified": (headers.get(b"Last-Modified") or b"").decode("latin-1") or None,
        }
        if response.status == 304:
            self._feed_done(FeedPoll(feed.name, feed.url, "not_modified", 304))
            return
        body_hash = hashlib.sha256(response.body).hexdigest()
        if state.get("body_hash") == body_hash:
            # Same bytes as last time: no news, whatever the server's validators say.
            self._feed_done(
                FeedPoll(
                    feed.name,
                    feed.url,
                    "not_modified",
                    200,
                    None,
                    body_hash=body_hash,
                    **validators,
                )
            )
            return
        parsed = parse_feed(response.body, response.url)
        if parsed.problem:
            logger.warning(
                "feed failed: feed=%s url=%s reason=%s", feed.name, feed.url, parsed.problem
            )
            stat(self.crawler, "errors")
            self._feed_done(FeedPoll(feed.name, feed.url, "error", 200, parsed.problem))
            return
        for raw, reason in parsed.skipped:
            logger.info("entry skipped: feed=%s url=%s reason=%s", feed.name, raw, reason)
        backfill = not state.get("first_polled")
        poll = FeedPoll(feed.name, feed.url, "ok", 200, None, body_hash=body_hash, **validators)
        for entry in parsed.entries:
            if self.store.story_for_link(entry.link) is not None:
                stat(self.crawler, "known_skipped")
                continue
            poll.new_entries += 1
            yield from self._follow(entry, feed, backfill)
        self._feed_done(poll)

    def _follow(self, entry: Entry, feed, backfill: bool):
        link = entry.link
        if link in self.requested:  # another feed listed it this cycle
            return
        self.requested.add(link)
        stat(self.crawler, "articles_scheduled")
        yield self._article_request(link, entry, feed, backfill, [link])

    def _article_request(self, url, entry, feed, backfill, links, upgrade_of=None):
        return scrapy.Request(
            url,
            callback=self.parse_article,
            errback=self.article_failed,
            priority=ARTICLE_PRIORITY,
            # We never ask for a link twice ourselves; unfiltered, a redirect loop ends at
            # REDIRECT_MAX_TIMES with an error instead of being dropped without a word.
            dont_filter=True,
            meta={"newswatch_kind": "article"},
            cb_kwargs={
                "entry": entry,
                "feed": feed,
                "backfill": backfill,
                "links": links,
                "upgrade_of": upgrade_of,
            },
        )

    # -- articles -----------------------------------------------------------------------------

    def parse_article(self, response, entry, feed, backfill, links, upgrade_of=None):
        stat(self.crawler, "articles_done")
        links = [*links, normalize_url(response.url)]
        content_type = (response.headers.get(b"Content-Type") or b"").lower()
        if content_type and not content_type.startswith(HTML_TYPES):
            reason = f"not HTML ({content_type!r})"
            yield from self._unreadable(entry, feed, backfill, links, reason, upgrade_of)
            return
        headers = {"Content-Type": content_type.decode("latin-1")} if content_type else None
        canonical = amp_canonical(response.body, response.url, content_type.decode("latin-1"))
        if (
            canonical
            and canonical not in links
            and canonical not in self.requested
            and self.store.story_for_link(canonical) is None
        ):
            # An AMP page: read the story from its canonical page instead.
            self.requested.add(canonical)
            stat(self.crawler, "articles_scheduled")
            yield self._article_request(
                canonical, entry, feed, backfill, links, upgrade_of=upgrade_of
            )
            return
        if upgrade_of is None and self.store.note_parse(links[-1]) > PARSE_STARTS:
            reason = f"its parse was started {PARSE_STARTS} times and never finished"
            yield from self._unreadable(entry, feed, backfill, links, reason, upgrade_of)
            return
        seconds = self.settings.getfloat("NEWSWATCH_PARSE_SECONDS")
        try:
            with time_limit(seconds):
                article = parse_article(
                    response.body,
                    response.url,
                    headers,
                    rules=feed.extract,
                    as_of=datetime.now(UTC).date(),
                )
        except TimeLimitExceeded:
            logger.info("article parse timed out for %s after %g s", response.url, seconds)
            article = Article.unread(links[-1], "parse timed out")
        if article.problem:
            yield from self._unreadable(
                entry, feed, backfill, links, article.problem, upgrade_of, article.url, article
            )
            return
        yield NewStory(
            url=article.url,
            title=article.title or entry.title,
            body=article.body,
            published=article.published or entry.published,
            authors=article.authors,
            feed=feed.name,
            links=links,
            source=article.source,
            backfill=backfill,
            upgrade_of=upgrade_of,
        )

    def article_failed(self, failure):
        kwargs = failure.request.cb_kwargs
        stat(self.crawler, "articles_done")
        reason = failure_reason(failure, self.settings.getfloat("DOWNLOAD_TIMEOUT"))
        if isinstance(failure.value, UnsafeRequest):
            stat(self.crawler, "errors")
            logger.warning(
                "article skipped: feed=%s url=%s reason=%s",
                kwargs["feed"].name,
                failure.request.url,
                reason,
            )
            return None
        retries = PAGE_RETRIES if is_passing(failure) else 0
        stories = self._unreadable(
            kwargs["entry"],
            kwargs["feed"],
            kwargs["backfill"],
            kwargs["links"],
            reason,
            kwargs.get("upgrade_of"),
            retries=retries,
        )
        return next(stories, None)

    def _unreadable(
        self, entry, feed, backfill, links, reason, upgrade_of, url=None, page=None, retries=0
    ):
        """A page we could not read: the feed entry is stored, or on a retry stays as it is."""
        if upgrade_of is None:
            yield self._from_entry(entry, feed, backfill, links, reason, url, page, retries)
            return
        stat(self.crawler, "errors")
        logger.warning(
            "article retry failed, the feed entry stays: feed=%s url=%s reason=%s",
            feed.name,
            entry.link,
            reason,
        )

    def _from_entry(
        self, entry, feed, backfill, links, reason, url=None, page=None, retries: int = 0
    ) -> NewStory:
        """The feed's own title, summary and date stand in for a page we could not read.

        A page read as HTML but without article text (a video or gallery page) may still
        name its authors, and its date when the feed gives none; those are kept.
        """
        stat(self.crawler, "errors")
        logger.warning(
            "article failed, stored from the feed entry%s: feed=%s url=%s reason=%s",
            " (its page is asked again at the next polls)" if retries else "",
            feed.name,
            entry.link,
            reason,
        )
        return NewStory(
            url=url or entry.link,
            title=entry.title,
            body=entry.summary,
            published=entry.published or (page and page.published),
            authors=(page and page.authors) or [],
            feed=feed.name,
            links=links,
            extraction="feed",
            backfill=backfill,
            retries=retries,
        )

    def final_polls(self, reason: str | None) -> list[FeedPoll]:
        """Each feed's poll; a crawl cut short forgets its validators (its feeds are read in
        full next time), and a feed that never answered (a hung server at the deadline) counts
        as failed (so does one whose callback raised), so it backs off instead of holding up
        every following cycle."""
        if reason != "finished":
            for poll in self.polls.values():
                poll.etag = poll.last_modified = poll.body_hash = None
                poll.complete = False
        why = (
            "its callback failed (see the error above)"
            if reason == "finished"
            else f"no answer before the crawl stopped ({reason or 'killed'})"
        )
        for feed in self.feeds:
            if feed.name not in self.polls:
                self.polls[feed.name] = FeedPoll(feed.name, feed.url, "error", None, why)
        return list(self.polls.values())
