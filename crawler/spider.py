"""The one spider of a cycle: feeds in, article items out.

Feeds are asked with their validators (ETag / Last-Modified), parsed by feedparser from bytes,
and only links never seen before are fetched. Each article page goes through the pure
``parse_article``, in a worker process of the crawl's parse pool (``parse_pool``; in this one on
a single core); a page that fails still yields a story from its feed entry, marked as such.
The spider holds no database: what only storage knows (is a link stored, how often has a
page's parse started, which pages are due another try) it asks the storage pipeline, which
holds the crawl's connection to the database.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import datetime
from typing import Any

import scrapy

from ..storage.store import FeedPoll, NewStory
from .article import Article, amp_canonical
from .failures import failure_reason, is_transient
from .jobs import ArticleJob
from .known_links import KnownLinks
from .parse_pool import Page, ParsePool
from .pipelines import StoragePipeline
from .urls import normalize_url

logger = logging.getLogger("newswatch.crawl")

FEED_PRIORITY = 100  # feeds first, so every known link is known before any page is fetched
ARTICLE_PRIORITY = 0
HTML_TYPES = (b"text/html", b"application/xhtml+xml")
# A page that failed for a transient reason (5xx, timeout) is asked again at the feed's next
# polls, this many times; when it answers, its text replaces the feed entry's.
PAGE_RETRIES = 2
# A page whose parse was started this many times without finishing is not parsed again.
PARSE_STARTS = 2


class NewsSpider(scrapy.Spider):
    """Crawls ``feeds`` (with each one's row of the feeds table in ``states``), and asks
    again for the pages of their stories kept from feed entries that are due another try."""

    name = "newswatch"

    def __init__(
        self,
        feeds: Sequence[Any],
        states: dict[str, dict],
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.feeds = list(feeds)
        self.places = {feed.name: place for place, feed in enumerate(self.feeds)}  # config order
        self.states = states
        self.polls: dict[str, FeedPoll] = {}
        self.links: KnownLinks | None = None  # set at start, when the storage side is open
        self.storage: StoragePipeline | None = None
        self.parser: ParsePool | None = None  # the crawl's, set at start

    def stat(self, key: str, count: int = 1) -> None:
        self.crawler.stats.inc_value(f"newswatch/{key}", count)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.storage = self.crawler.get_item_pipeline(StoragePipeline)
        self.links = KnownLinks(self.storage.link_is_stored)
        self.parser = self.crawler.get_extension(ParsePool)
        self.crawler.stats.set_value("newswatch/feeds_total", len(self.feeds))
        # The pages due another try are those kept before this crawl: taken now, before a
        # page this crawl fails is stored with its tries (and asked again in the same crawl).
        retries = list(self.storage.retry_jobs(self.feeds))
        for feed in self.feeds:
            state = self.states.get(feed.name) or {}
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
        for job in retries:
            self.links.claim(job.entry.link)
            self.stat("articles_scheduled")
            self.stat("page_retries")
            yield self._article_request(job.entry.link, job)

    # -- feeds --------------------------------------------------------------------------------

    def _feed_done(self, poll: FeedPoll) -> None:
        self.polls[poll.name] = poll
        self.stat(f"feeds_{poll.result}")
        self.stat("feeds_done")

    def feed_failed(self, failure):
        feed = failure.request.cb_kwargs["feed"]
        reason = failure_reason(failure, self.settings.getfloat("DOWNLOAD_TIMEOUT"))
        response = getattr(failure.value, "response", None)
        logger.warning("feed failed: feed=%s url=%s reason=%s", feed.name, feed.url, reason)
        self.stat("errors")
        poll = FeedPoll(feed.name, feed.url, "error", None, reason)
        if response is not None:
            poll.http_status = response.status
            retry_after = response.headers.get(b"Retry-After")
            poll.retry_after = retry_after.decode("latin-1") if retry_after else None
        self._feed_done(poll)

    def parse_feed(self, response, feed, state):
        """A 304, or the same bytes as last time, end here, on the reactor thread and without a
        coroutine (a warm cycle is some 10,000 of them); a changed feed is read by
        ``_read_feed``, its parse in a worker."""
        headers = response.headers
        validators = {
            "etag": (headers.get(b"ETag") or b"").decode("latin-1") or None,
            "last_modified": (headers.get(b"Last-Modified") or b"").decode("latin-1") or None,
        }
        if response.status == 304:
            self._feed_done(FeedPoll(feed.name, feed.url, "not_modified", 304))
            return None
        body_hash = hashlib.sha256(response.body).hexdigest()
        if state.get("body_hash") == body_hash:
            # Same bytes as last time: no news, whatever the server's validators say.
            poll = FeedPoll(feed.name, feed.url, "not_modified", 200, body_hash=body_hash)
            poll.etag, poll.last_modified = validators["etag"], validators["last_modified"]
            self._feed_done(poll)
            return None
        poll = FeedPoll(feed.name, feed.url, "ok", 200, None, body_hash=body_hash, **validators)
        return self._read_feed(response, feed, state, poll)

    async def _read_feed(self, response, feed, state, poll: FeedPoll):
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
        parsed = await self.parser.parse_feed(response.body, response.url, content_type)
        if parsed.problem:
            logger.warning(
                "feed failed: feed=%s url=%s reason=%s", feed.name, feed.url, parsed.problem
            )
            self.stat("errors")
            self._feed_done(FeedPoll(feed.name, feed.url, "error", 200, parsed.problem))
            return
        for raw, reason in parsed.skipped:
            logger.info("entry skipped: feed=%s url=%s reason=%s", feed.name, raw, reason)
        backfill = not state.get("first_polled")
        for entry in parsed.entries:
            # Every link, known or not: the storage side credits each new story (see there).
            self.storage.note_listing(entry.link, self.places[feed.name], feed.name, backfill)
            if self.links.stored(entry.link):
                self.stat("known_skipped")
                continue
            poll.new_entries += 1
            if self.links.claim(entry.link):  # else another feed listed it this cycle
                self.stat("articles_scheduled")
                job = ArticleJob(entry, feed, backfill, (entry.link,))
                yield self._article_request(entry.link, job)
        self._feed_done(poll)

    def _article_request(self, url: str, job: ArticleJob) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_article,
            errback=self.article_failed,
            priority=ARTICLE_PRIORITY,
            # We never ask for a link twice ourselves; unfiltered, a redirect loop ends at
            # REDIRECT_MAX_TIMES with an error instead of being dropped without a word.
            dont_filter=True,
            meta={"newswatch_kind": "article"},
            cb_kwargs={"job": job},
        )

    # -- articles -----------------------------------------------------------------------------

    async def parse_article(self, response, job: ArticleJob) -> AsyncIterator[Any]:
        """Async: the page's parse runs in a worker process (see parse_pool.py), and the
        reactor goes on with other pages while it does."""
        self.stat("articles_done")
        fetched = normalize_url(response.url)
        job = job.via(fetched) if fetched else job
        content_type = (response.headers.get(b"Content-Type") or b"").lower()
        if content_type and not content_type.startswith(HTML_TYPES):
            for story in self._unreadable(job, f"not HTML ({content_type!r})"):
                yield story
            return
        canonical = amp_canonical(response.body, response.url, content_type.decode("latin-1"))
        if canonical and canonical not in job.links and self.links.claim_if_new(canonical):
            # An AMP page: read the story from its canonical page instead.
            self.stat("articles_scheduled")
            yield self._article_request(canonical, job)
            return
        if (
            job.retry_of is None
            and self.storage.count_parse_start(fetched or response.url) > PARSE_STARTS
        ):
            reason = f"its parse was started {PARSE_STARTS} times and never finished"
            for story in self._unreadable(job, reason):
                yield story
            return
        page = Page(
            response.body,
            response.url,
            content_type.decode("latin-1") or None,
            job.feed.extract,
            datetime.now().astimezone().date(),  # the host's day, as before
            unread_url=fetched or response.url,
        )
        article = await self.parser.parse(page)
        if article.problem:
            for story in self._unreadable(job, article.problem, article):
                yield story
            return
        yield NewStory(
            url=article.url,
            title=article.title or job.entry.title,
            body=article.body,
            published=article.published or job.entry.published,
            authors=article.authors,
            feed=job.feed.name,
            links=list(job.links),
            source=article.source,
            language=article.language,
            backfill=job.backfill,
            replaces=job.retry_of,
        )

    def article_failed(self, failure):
        job: ArticleJob = failure.request.cb_kwargs["job"]
        self.stat("articles_done")
        reason = failure_reason(failure, self.settings.getfloat("DOWNLOAD_TIMEOUT"))
        # A page we refused (a redirect to a private address) is kept from its entry too; a
        # refusal is no reason that passes, so its page is not asked again.
        retries = PAGE_RETRIES if is_transient(failure) else 0
        return next(self._unreadable(job, reason, retries=retries), None)

    def _unreadable(
        self, job: ArticleJob, reason: str, page: Article | None = None, retries: int = 0
    ) -> Iterator[NewStory]:
        """A page we could not read: the feed entry is stored, or on a retry stays as it is."""
        self.stat("errors")
        if job.retry_of is not None:
            logger.warning(
                "article retry failed, the feed entry stays: feed=%s url=%s reason=%s",
                job.feed.name,
                job.entry.link,
                reason,
            )
            return
        logger.warning(
            "article failed, stored from the feed entry%s: feed=%s url=%s reason=%s",
            " (its page is asked again at the next polls)" if retries else "",
            job.feed.name,
            job.entry.link,
            reason,
        )
        yield from_entry(job, page, retries)

    def closed(self, reason: str) -> None:
        """Why the crawl ended ("finished" when complete), recorded where Scrapy's CoreStats
        would (it is off: see settings.py); a crawl stopped outright records none."""
        self.crawler.stats.set_value("finish_reason", reason)

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


def from_entry(job: ArticleJob, page: Article | None = None, retries: int = 0) -> NewStory:
    """The feed's own title, summary and date stand in for a page we could not read.

    A page read as HTML but without article text (a video or gallery page) may still name its
    authors, and its date when the feed gives none; those are kept, under the page's URL.
    """
    entry = job.entry
    return NewStory(
        url=(page and page.url) or entry.link,
        title=entry.title,
        body=entry.summary,
        published=entry.published or (page and page.published),
        authors=(page and page.authors) or [],
        feed=job.feed.name,
        links=list(job.links),
        extraction="feed",
        backfill=job.backfill,
        retries=retries,
    )
