"""The config file's schema: every key written once, with its default, its checker and its help.

These frozen dataclasses are what the program reads (``config.crawl.delay``) and, through each
field's ``setting(default as written in YAML, checker, one line of help)``, what the file may
say. Reading the file, ``CONFIG_KEYS``, ``DEFAULTS`` and the README's table (kept equal by
tests/test_readme.py) all come from these lines, so a new key is one field here; the tests then
ask for its row in the README and for an example of it in the shipped config.yaml. Sections take
keyword arguments only, so reordering keys cannot shift values. Config objects compare with
``==`` (the daemon compares a reloaded config with the last one).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...crawler.article import ExtractRules
from . import checks
from .channel_url import ChannelURL
from .checks import list_of, optional
from .fts import query_problem
from .settings import REQUIRED, block, items, leaves, section, setting


@dataclass(frozen=True)
class FeedConfig:
    """One RSS/Atom feed; ``interval`` None means "follow ``schedule.interval``"."""

    name: str = setting(REQUIRED, checks.name, "unique name, `[a-z0-9-]+`", unique="name")
    url: str = setting(REQUIRED, checks.url, "http(s) URL of an RSS or Atom feed", unique="URL")
    interval: float | None = setting(
        None,
        optional(checks.duration),
        "how often the daemon polls this feed (pins it; not below `schedule.min_interval`)",
        follows="schedule.interval",
    )
    extract: ExtractRules | None = block(
        ExtractRules,
        body=setting(
            None,
            optional(checks.css),
            "CSS selector of the article text, for a site the generic extraction gets wrong"
            " (see below)",
        ),
        title=setting(
            None, optional(checks.css), "CSS selector of the headline (the first match wins)"
        ),
        date=setting(
            None,
            optional(checks.css),
            "CSS selector of the publication date"
            " (its `datetime`/`content` attribute, else its text)",
        ),
        authors=setting(
            None, optional(checks.css), "CSS selector of the author names (every match)"
        ),
        drop=setting(
            [], list_of(checks.css), "CSS selectors of elements removed before any extraction"
        ),
        drop_lines=setting(
            [],
            list_of(checks.regex),
            "regular expressions (case-insensitive) of body lines to remove",
        ),
    )


def _check_query(c: checks.Checker, at: str, topic: TopicConfig) -> None:
    """SQLite's FTS5 judges the query; the message names the topic, so it is checked per item."""
    if topic.query is not None:
        problem = query_problem(topic.query, topic=topic.name)
        if problem is not None:
            c.problem(f"{at}.query", problem)


@dataclass(frozen=True)
class TopicConfig:
    """A named FTS5 query over story title and body; a match raises an alert."""

    name: str = setting(REQUIRED, checks.name, "unique name, `[a-z0-9-]+`", unique="name")
    query: str = setting(
        REQUIRED,
        checks.trimmed,
        "an [SQLite FTS5 query](https://sqlite.org/fts5.html#full_text_query_syntax)"
        " over title and body",
    )
    description: str | None = setting(None, optional(checks.text), "free text, shown in the digest")


@dataclass(frozen=True, kw_only=True)
class AlertsConfig:
    log: Path = setting(
        "data/alerts.jsonl",
        checks.path,
        "the alert log: one JSON object per alert, appended",
    )
    digest: Path = setting(
        "data/digest.md",
        checks.path_ending(".md", ".html"),
        "the digest, rewritten after each cycle; `.html` for an HTML page",
    )
    backfill: bool = setting(
        False,
        checks.boolean,
        "`false`: the stories already in a feed when it is first polled are stored, not alerted",
    )
    digest_window: float = setting("24h", checks.duration, "how far back the digest reaches")
    digest_per_topic: int = setting(
        50,
        checks.integer(lo=0),
        "stories listed under each topic in the digest, the newest (it says how many more);"
        " `0` lists them all",
    )
    feed_entries: int = setting(
        200,
        checks.integer(lo=1, hi=10_000),
        "alerts in each Atom feed (`alerts.atom` and `alerts-<topic>.atom`, beside the digest)",
    )


@dataclass(frozen=True, kw_only=True)
class ScheduleConfig:
    """All durations in seconds."""

    interval: float = setting("15m", checks.duration, "time between two polls of a feed")
    min_interval: float = setting(
        "5m",
        checks.duration,
        "the shortest poll interval: adapted intervals never go below it, and no `interval` may be"
        " below it; the daemon starts a crawl at most once every fifth of it",
    )
    max_interval: float = setting("6h", checks.duration, "upper bound of an adapted poll interval")
    deadline: float = setting(
        "30m",
        checks.duration,
        "a cycle still running after this long is stopped; must be longer than `crawl.timeout`",
    )
    digest_at: str | None = setting(
        None, optional(checks.time_of_day), 'a daily digest at this time, quoted `"HH:MM"`'
    )
    timezone: str = setting(
        "UTC",
        checks.timezone,
        "time zone of `digest_at` and of every time a person reads (a zoneinfo name such as"
        " `Asia/Jakarta`)",
    )


@dataclass(frozen=True, kw_only=True)
class CrawlConfig:
    user_agent: str = setting(
        "newswatch/0.1 (+https://example.invalid/contact)",
        checks.single_line,
        "sent with every request: put your contact in it",
    )
    obey_robots: bool = setting(True, checks.boolean, "respect robots.txt")
    concurrency_per_host: int = setting(
        2, checks.integer(lo=1), "simultaneous requests to one host"
    )
    concurrency: int = setting(32, checks.integer(lo=1), "simultaneous requests in all")
    delay: float = setting(
        1.0, checks.number(positive=False), "seconds between two requests to one host"
    )
    timeout: float = setting(30, checks.number(positive=True), "seconds a whole download may take")
    max_page_bytes: int = setting(
        5_000_000,
        checks.integer(lo=1),
        "larger responses are dropped (also after decompression)",
    )
    max_redirects: int = setting(
        5, checks.integer(lo=0, hi=20), "redirects followed per request (0 to 20)"
    )
    allow_private_addresses: bool = setting(
        False,
        checks.boolean,
        "`true` lets feeds and links point at loopback or private hosts (tests, intranets)",
    )
    parse_workers: int | str = setting(
        "auto",
        checks.auto_or_integer(lo=1),
        "processes that parse article pages: `auto` is one per usable core; `1` parses in the"
        " crawl process",
    )


@dataclass(frozen=True, kw_only=True)
class ChannelConfig:
    """A notification channel: one apprise URL, the topics it gets, and how."""

    name: str = setting(
        REQUIRED,
        checks.name,
        "unique name, `[a-z0-9-]+`, shown where the URL is not",
        unique="name",
    )
    url: ChannelURL = setting(
        REQUIRED,
        checks.channel_url,
        "an [apprise URL](https://appriseit.com/services/); `${VAR}` is read from the"
        " environment, so secrets stay out of the file",
    )
    topics: tuple[str, ...] | None = setting(
        None, optional(list_of(checks.name)), "the topics sent here (default: every topic)"
    )
    batch: bool = setting(
        True,
        checks.boolean,
        "`true`: one message per cycle with its alerts, by topic; `false`: one per alert",
    )
    digest: bool = setting(
        False, checks.boolean, "also send the daily digest (`schedule.digest_at`) here"
    )


@dataclass(frozen=True)
class Config:
    """A fully validated configuration; paths are absolute."""

    path: Path  # the file it was read from; not a key
    database: Path = setting("data/newswatch.db", checks.path, "SQLite file, created on first use")
    feeds: tuple[FeedConfig, ...] = items(FeedConfig, at_least_one=True)
    topics: tuple[TopicConfig, ...] = items(TopicConfig, check_item=_check_query)
    alerts: AlertsConfig = section(AlertsConfig)
    schedule: ScheduleConfig = section(ScheduleConfig)
    crawl: CrawlConfig = section(CrawlConfig)
    notify: tuple[ChannelConfig, ...] = items(ChannelConfig)

    def interval_for(self, feed: FeedConfig) -> float:
        """The polling interval that applies to ``feed`` (its own, else the schedule's)."""
        return feed.interval if feed.interval is not None else self.schedule.interval


SETTINGS = dict(leaves(Config))
"""Every key's Setting, by its dotted key with ``[]`` for list items (``feeds[].url``)."""

CONFIG_KEYS: tuple[str, ...] = tuple(SETTINGS)
"""Every documented leaf key, in the order of the README's table."""

DEFAULTS: dict[str, Any] = {k: s.default for k, s in SETTINGS.items() if not s.required}
"""Default for every optional key, as it would be written in YAML (durations unparsed)."""
