"""One crawl cycle, the single refresh path shared by ``newswatch crawl`` and the daemon."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime

from ..crawler.run import run_crawl
from ..storage import deliveries
from ..storage.store import FeedPoll, Store, iso, utcnow
from .clustering import cluster_new_stories
from .config import Config
from .delivery.alert_log import deliver_or_log
from .delivery.atom import update_feeds_or_log
from .delivery.digest import update_digest
from .delivery.notify import budget_left, notify
from .extraction_health import extraction_warnings
from .matching import match_topics, register_topics
from .polling import due_times, feed_phase, parse_retry_after, plan_next
from .summary import CycleSummary

logger = logging.getLogger("newswatch.cycle")


def select_feeds(
    config: Config, names: Sequence[str] = (), due_at: datetime | None = None, states=None
) -> list:
    """The named feeds (all when none are named); with ``due_at``, only those due by then."""
    feeds = list(config.feeds)
    if names:
        wanted = set(names)
        feeds = [feed for feed in feeds if feed.name in wanted]
    if due_at is not None:
        due = due_times(config, states or {}, due_at, feeds)
        feeds = [feed for feed in feeds if due[feed.name] <= due_at]
    return feeds


def plan_polls(
    config: Config, polls: list[FeedPoll], states: dict, now: datetime, rng=None
) -> None:
    """Set each poll's next poll time and interval from its outcome (see polling.py): each
    successful poll at the feed's own phase of its interval, so that the feeds of one cycle are
    not all due again at one instant. ``rng`` (a seeded ``random.Random``) makes the jitter of
    failed polls repeatable in tests and simulations.
    """
    pinned = {feed.name: feed.interval for feed in config.feeds}
    schedule = config.schedule
    for poll in polls:
        state = states.get(poll.name) or {}
        errors = (state.get("errors") or 0) + 1 if poll.result == "error" else 0
        plan = plan_next(
            now=now,
            result=poll.result,
            new_entries=poll.new_entries,
            previous_interval=state.get("interval"),
            errors=errors,
            pinned=pinned.get(poll.name),
            default=schedule.interval,
            min_interval=schedule.min_interval,
            max_interval=schedule.max_interval,
            retry_after=parse_retry_after(poll.retry_after, now),
            phase=feed_phase(poll.name),
            rng=rng,
        )
        poll.interval = plan.interval
        poll.next_poll = iso(plan.next_poll)


def before_crawl(store: Store, config: Config) -> int:
    """Deliver what a crashed cycle left undelivered, register new topics and channels; returns
    the boundary (the last story before this crawl, where a topic first seen now starts). A
    channel first seen now is owed the alerts from this cycle on."""
    deliver_or_log(store, config)
    if config.notify:
        deliveries.register_channels(store, [channel.name for channel in config.notify])
    return register_topics(store, config)


def after_crawl(store: Store, config: Config, boundary: int, changed: Sequence[int] = ()) -> int:
    """Cluster what the crawl stored (a copy of a report joins the report's cluster), match the
    topics against it (and the stories whose text it replaced), then deliver; returns the new
    alert rows."""
    cluster_new_stories(store)
    added = match_topics(store, config, boundary, changed)
    deliver_or_log(store, config)
    return added


def notify_channels(store: Store, config: Config, started: float, clock) -> int:
    """The notify step, in what is left of the cycle's time; returns the alerts sent."""
    if not config.notify:
        return 0
    budget = budget_left(config, started)
    if budget < 1:
        logger.warning("notify: no time left in this cycle; its deliveries wait for the next")
        return 0
    return notify(store, config, budget, clock).sent


def run_cycle(
    config: Config,
    feed_names: Sequence[str] = (),
    progress: bool | None = None,
    due_only: bool = False,
    clock: Callable[[], datetime] = utcnow,
):
    """Crawl the feeds, store new stories, then match topics and deliver alerts.

    ``due_only`` (the daemon's cycles) crawls only the feeds whose next poll has come.
    """
    started = time.monotonic()
    with Store(config.database, clock=clock) as store:
        states = store.feed_states()
        due_at = clock() if due_only else None
        feeds = select_feeds(config, feed_names, due_at, states)
        run_id = store.start_run()
        boundary = before_crawl(store, config)
        stats, polls = run_crawl(
            config.crawl, feeds, config.database, states, progress=progress, clock=clock
        )
        plan_polls(config, polls, states, clock())
        store.record_polls(polls)
        results = Counter(poll.result for poll in polls)  # feeds that never answered included
        summary = CycleSummary(
            feeds=len(feeds),
            feeds_ok=results["ok"],
            feeds_not_modified=results["not_modified"],
            feeds_failed=results["error"],
            new_stories=stats.get("new_stories", 0),
            new_from_feed=stats.get("new_stories_feed", 0),
            read_on_retry=stats.get("pages_read_on_retry", 0),
            known_skipped=stats.get("known_skipped", 0),
            errors=stats.get("errors", 0),
            completed=stats.get("finish_reason") == "finished",
            stats=stats,
        )
        # Only a feed that brought stories can have changed its health.
        for warning in extraction_warnings(store, store.feeds_with_stories_after(boundary)):
            logger.warning(warning)
        summary.alerts = after_crawl(store, config, boundary, stats["replaced_ids"])
        update_digest(store, config)
        update_feeds_or_log(store, config)
        summary.notified = notify_channels(store, config, started, clock)
        summary.seconds = time.monotonic() - started
        store.finish_run(run_id, **summary.run_counts())
    return summary
