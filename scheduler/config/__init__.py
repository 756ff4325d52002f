"""Load and validate ``config.yaml`` into frozen dataclasses.

Validation is hand-written (PyYAML is the only dependency) so every message can name the exact
key path (``feeds[2].url: ...``) and so that *all* problems are reported in one go: a user fixing
a config file should not have to rerun the tool once per typo.
"""

from __future__ import annotations

import math
import os.path
import re
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ...crawler.article import ExtractRules, pattern_problem, selector_problem
from .durations import parse_duration, show_duration
from .errors import ConfigError
from .fts import query_problem, validate_fts_query
from .yaml_file import read_yaml

__all__ = [
    "CONFIG_KEYS",
    "DEFAULTS",
    "AlertsConfig",
    "Config",
    "ConfigError",
    "CrawlConfig",
    "ExtractRules",
    "FeedConfig",
    "ScheduleConfig",
    "TopicConfig",
    "load_config",
    "parse_duration",
    "query_problem",
    "show_duration",
    "validate_fts_query",
]

# --------------------------------------------------------------------------------------------
# Schema: the single source of truth for key names, shared by unknown-key checks and CONFIG_KEYS.

_TOP_KEYS = ("database", "feeds", "topics", "alerts", "schedule", "crawl")
_FEED_KEYS = ("name", "url", "interval", "extract")
_EXTRACT_KEYS = ("body", "title", "date", "authors", "drop", "drop_lines")
_TOPIC_KEYS = ("name", "query", "description")
_SECTION_KEYS: dict[str, tuple[str, ...]] = {
    "alerts": ("log", "digest", "backfill", "digest_window"),
    "schedule": ("interval", "min_interval", "max_interval", "deadline", "digest_at", "timezone"),
    "crawl": (
        "user_agent",
        "obey_robots",
        "concurrency_per_host",
        "concurrency",
        "delay",
        "timeout",
        "max_page_bytes",
        "max_redirects",
        "allow_private_addresses",
    ),
}

CONFIG_KEYS: tuple[str, ...] = (
    "database",
    *(f"feeds[].{k}" for k in _FEED_KEYS if k != "extract"),
    *(f"feeds[].extract.{k}" for k in _EXTRACT_KEYS),
    *(f"topics[].{k}" for k in _TOPIC_KEYS),
    *(f"{section}.{k}" for section, keys in _SECTION_KEYS.items() for k in keys),
)
"""Every documented leaf key, dotted, with ``[]`` for list items (``feeds[].url``)."""

DEFAULTS: dict[str, Any] = {
    "database": "data/newswatch.db",
    "feeds[].interval": None,
    "feeds[].extract.body": None,
    "feeds[].extract.title": None,
    "feeds[].extract.date": None,
    "feeds[].extract.authors": None,
    "feeds[].extract.drop": [],
    "feeds[].extract.drop_lines": [],
    "topics[].description": None,
    "alerts.log": "data/alerts.jsonl",
    "alerts.digest": "data/digest.md",
    "alerts.backfill": False,
    "alerts.digest_window": "24h",
    "schedule.interval": "15m",
    "schedule.min_interval": "5m",
    "schedule.max_interval": "6h",
    "schedule.deadline": "30m",
    "schedule.digest_at": None,
    "schedule.timezone": "UTC",
    "crawl.user_agent": "newswatch/0.1 (+https://example.invalid/contact)",
    "crawl.obey_robots": True,
    "crawl.concurrency_per_host": 2,
    "crawl.concurrency": 32,
    "crawl.delay": 1.0,
    "crawl.timeout": 30,
    "crawl.max_page_bytes": 5_000_000,
    "crawl.max_redirects": 5,
    "crawl.allow_private_addresses": False,
}
"""Default for every optional key, as it would be written in YAML (durations unparsed)."""

NAME_RE = re.compile(r"[a-z0-9][a-z0-9-]*")  # use with fullmatch: "$" would allow a trailing \n
_HHMM_RE = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
_DIGEST_SUFFIXES = (".md", ".html")


# --------------------------------------------------------------------------------------------
# Public types


@dataclass(frozen=True)
class FeedConfig:
    """One RSS/Atom feed; ``interval`` None means "follow ``schedule.interval``"."""

    name: str
    url: str
    interval: float | None = None
    extract: ExtractRules | None = None


@dataclass(frozen=True)
class TopicConfig:
    """A named FTS5 query over story title and body; a match raises an alert."""

    name: str
    query: str
    description: str | None = None


@dataclass(frozen=True)
class AlertsConfig:
    log: Path
    digest: Path
    backfill: bool
    digest_window: float


@dataclass(frozen=True)
class ScheduleConfig:
    """All durations in seconds."""

    interval: float
    min_interval: float
    max_interval: float
    deadline: float
    digest_at: str | None
    timezone: str


@dataclass(frozen=True)
class CrawlConfig:
    user_agent: str
    obey_robots: bool
    concurrency_per_host: int
    delay: float
    timeout: float
    max_page_bytes: int
    allow_private_addresses: bool
    max_redirects: int
    concurrency: int


@dataclass(frozen=True)
class Config:
    """A fully validated configuration; paths are absolute."""

    path: Path
    database: Path
    feeds: tuple[FeedConfig, ...]
    topics: tuple[TopicConfig, ...]
    alerts: AlertsConfig
    schedule: ScheduleConfig
    crawl: CrawlConfig

    def interval_for(self, feed: FeedConfig) -> float:
        """The polling interval that applies to ``feed`` (its own, else the schedule's)."""
        return feed.interval if feed.interval is not None else self.schedule.interval


# --------------------------------------------------------------------------------------------
# Validation


def _show(value: Any) -> str:
    """Render a YAML value in messages the way a user would recognise it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


class _Checker:
    """Accumulates problems; each converter returns a value, or None after recording why not."""

    def __init__(self, base_dir: Path) -> None:
        self.base_dir = base_dir
        self.problems: list[str] = []

    def problem(self, key: str, message: str) -> None:
        self.problems.append(f"{key}: {message}")

    def mapping(self, value: Any, key: str, allowed: tuple[str, ...]) -> dict:
        """A mapping with unknown keys reported; ``null`` counts as empty (all commented out)."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(key, f"expected a mapping, got {_show(value)}")
            return {}
        for k in value:
            if k not in allowed:
                self.problem(f"{key}.{k}" if key else str(k), "unknown key")
        return value

    # converters: (key, raw) -> value or None (with a problem recorded)

    def string(self, key: str, raw: Any, *, empty_ok: bool = False) -> str | None:
        if not isinstance(raw, str):
            self.problem(key, f"expected a string, got {_show(raw)}")
            return None
        if not empty_ok and not raw.strip():
            self.problem(key, "must not be empty")
            return None
        return raw

    def boolean(self, key: str, raw: Any) -> bool | None:
        if not isinstance(raw, bool):
            self.problem(key, f"expected true or false, got {_show(raw)}")
            return None
        return raw

    def integer(self, key: str, raw: Any, lo: int, hi: int | None = None) -> int | None:
        if isinstance(raw, bool) or not isinstance(raw, int):
            self.problem(key, f"expected an integer, got {_show(raw)}")
            return None
        if raw < lo or (hi is not None and raw > hi):
            bounds = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
            self.problem(key, f"must be {bounds}, got {raw}")
            return None
        return raw

    def number(self, key: str, raw: Any, *, positive: bool) -> float | None:
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            self.problem(key, f"expected a number, got {_show(raw)}")
            return None
        if not math.isfinite(raw):
            self.problem(key, f"must be a finite number, got {_show(raw)}")
            return None
        if positive and raw <= 0:
            self.problem(key, f"must be greater than 0, got {raw}")
            return None
        if not positive and raw < 0:
            self.problem(key, f"must not be negative, got {raw}")
            return None
        return float(raw)

    def duration(self, key: str, raw: Any) -> float | None:
        try:
            seconds = parse_duration(raw)
        except ValueError as exc:
            self.problem(key, str(exc))
            return None
        if seconds <= 0:
            self.problem(key, f"must be longer than zero, got {raw!r}")
            return None
        return seconds

    def path(self, key: str, raw: Any) -> Path | None:
        text = self.string(key, raw)
        if text is None:
            return None
        p = Path(text).expanduser()
        if not p.is_absolute():
            p = self.base_dir / p
        return Path(_normpath(p))

    def name(self, key: str, raw: Any) -> str | None:
        text = self.string(key, raw)
        if text is None:
            return None
        if not NAME_RE.fullmatch(text):
            self.problem(
                key,
                f"{text!r} is not a valid name (lowercase letters, digits and '-', "
                "starting with a letter or digit)",
            )
            return None
        return text

    def url(self, key: str, raw: Any) -> str | None:
        text = self.string(key, raw)
        if text is None:
            return None
        try:
            parts = urlsplit(text.strip())
            host = parts.hostname
            parts.port  # noqa: B018 - raises ValueError on a malformed port
        except ValueError:
            self.problem(key, f"{text!r} is not a valid URL")
            return None
        if parts.scheme.lower() not in ("http", "https") or not host:
            self.problem(key, f"{text!r} is not an http(s) URL")
            return None
        if any(c.isspace() for c in text.strip()):
            self.problem(key, f"{text!r} contains whitespace")
            return None
        return text.strip()


def _normpath(p: Path) -> str:
    """Make ``p`` absolute and collapse ``..`` without touching the disk (no symlink lookups)."""
    return os.path.normpath(os.path.abspath(p))


def _check_feeds(c: _Checker, raw: Any) -> list[tuple[int, FeedConfig]]:
    """Valid feeds paired with their list index, for cross-field messages."""
    if raw is None:
        c.problem("feeds", "required: a non-empty list of feeds (name, url)")
        return []
    if not isinstance(raw, list) or not raw:
        c.problem("feeds", f"expected a non-empty list of feeds, got {_show(raw)}")
        return []
    feeds: list[tuple[int, FeedConfig]] = []
    names: dict[str, str] = {}
    urls: dict[str, str] = {}
    for i, item in enumerate(raw):
        at = f"feeds[{i}]"
        if not isinstance(item, dict):
            c.problem(at, f"expected a mapping with name and url, got {_show(item)}")
            continue
        c.mapping(item, at, _FEED_KEYS)
        name = c.name(f"{at}.name", item["name"]) if "name" in item else None
        if "name" not in item:
            c.problem(f"{at}.name", "required")
        url = c.url(f"{at}.url", item["url"]) if "url" in item else None
        if "url" not in item:
            c.problem(f"{at}.url", "required")
        interval = None
        if item.get("interval") is not None:
            interval = c.duration(f"{at}.interval", item["interval"])
        if name is not None:
            if name in names:
                c.problem(f"{at}.name", f"duplicate name {name!r} (also {names[name]})")
            else:
                names[name] = at
        if url is not None:
            if url in urls:
                c.problem(f"{at}.url", f"duplicate URL {url!r} (also {urls[url]})")
            else:
                urls[url] = at
        extract = _check_extract(c, f"{at}.extract", item.get("extract"))
        if name is not None and url is not None:
            feed = FeedConfig(name=name, url=url, interval=interval, extract=extract)
            feeds.append((i, feed))
    return feeds


def _check_extract(c: _Checker, key: str, raw: Any) -> ExtractRules | None:
    """The optional ``extract:`` block, each rule checked by the compiler the parser uses."""
    if raw is None:
        return None
    item = c.mapping(raw, key, _EXTRACT_KEYS)
    if not item:
        return None
    fields: dict[str, Any] = {}
    for name in ("body", "title", "date", "authors"):
        if item.get(name) is not None:
            fields[name] = _css(c, f"{key}.{name}", item[name])
    for name, check in (("drop", _css), ("drop_lines", _regex)):
        values = item.get(name)
        if values is None:
            continue
        if not isinstance(values, list):
            c.problem(f"{key}.{name}", f"expected a list of strings, got {_show(values)}")
            continue
        checked = [check(c, f"{key}.{name}[{j}]", v) for j, v in enumerate(values)]
        fields[name] = tuple(v for v in checked if v is not None)
    return ExtractRules(**fields)


def _css(c: _Checker, key: str, raw: Any) -> str | None:
    """A CSS selector string the parser can compile, or None with the problem recorded."""
    text = c.string(key, raw)
    if text is None:
        return None
    problem = selector_problem(text)
    if problem is not None:
        c.problem(key, f"not a valid CSS selector {text!r} ({problem})")
        return None
    return text


def _regex(c: _Checker, key: str, raw: Any) -> str | None:
    """A regular expression string that compiles, or None with the problem recorded."""
    text = c.string(key, raw)
    if text is None:
        return None
    problem = pattern_problem(text)
    if problem is not None:
        c.problem(key, f"not a valid regular expression {text!r} ({problem})")
        return None
    return text


def _check_topics(c: _Checker, raw: Any) -> list[TopicConfig]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        c.problem("topics", f"expected a list of topics, got {_show(raw)}")
        return []
    topics: list[TopicConfig] = []
    names: dict[str, str] = {}
    for i, item in enumerate(raw):
        at = f"topics[{i}]"
        if not isinstance(item, dict):
            c.problem(at, f"expected a mapping with name and query, got {_show(item)}")
            continue
        c.mapping(item, at, _TOPIC_KEYS)
        name = c.name(f"{at}.name", item["name"]) if "name" in item else None
        if "name" not in item:
            c.problem(f"{at}.name", "required")
        query = None
        if "query" not in item:
            c.problem(f"{at}.query", "required")
        else:
            query = c.string(f"{at}.query", item["query"])
            if query is not None:
                query = query.strip()
                problem = query_problem(query, topic=name)
                if problem is not None:
                    c.problem(f"{at}.query", problem)
                    query = None
        description = None
        if item.get("description") is not None:
            description = c.string(f"{at}.description", item["description"], empty_ok=True)
        if name is not None:
            if name in names:
                c.problem(f"{at}.name", f"duplicate name {name!r} (also {names[name]})")
            else:
                names[name] = at
        if name is not None and query is not None:
            topics.append(TopicConfig(name=name, query=query, description=description))
    return topics


def _check_digest_at(c: _Checker, key: str, raw: Any) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, int) and not isinstance(raw, bool):
        # YAML 1.1 reads unquoted 12:30 as the base-60 integer 750.
        hint = f" (unquoted {raw // 60}:{raw % 60:02d} is read by YAML as a number; quote it)"
        c.problem(key, f'expected a quoted "HH:MM" string, got {raw}{hint}')
        return None
    text = c.string(key, raw)
    if text is None:
        return None
    if not _HHMM_RE.fullmatch(text.strip()):
        c.problem(key, f'{text!r} is not a time of day "HH:MM" (00:00 to 23:59)')
        return None
    return text.strip()


def _check_timezone(c: _Checker, key: str, raw: Any) -> str | None:
    text = c.string(key, raw)
    if text is None:
        return None
    try:
        zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "America" is a dir
        c.problem(key, f"{text!r} is not a known time zone (e.g. 'UTC', 'Asia/Jakarta')")
        return None
    return text


def _user_agent(c: _Checker, key: str, raw: Any) -> str | None:
    text = c.string(key, raw)
    if text is not None and any(ch in text for ch in "\r\n"):
        c.problem(key, "must be a single line")
        return None
    return text


def _validate(data: Any, config_path: Path) -> tuple[Config | None, list[str]]:
    c = _Checker(config_path.parent)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return None, [f"{config_path}: expected a mapping of keys at the top level"]
    top = c.mapping(data, "", _TOP_KEYS)

    def d(key: str) -> Any:
        return DEFAULTS[key]

    database = c.path("database", top.get("database", d("database")))
    feeds = _check_feeds(c, top.get("feeds"))
    topics = _check_topics(c, top.get("topics"))

    al = c.mapping(top.get("alerts"), "alerts", _SECTION_KEYS["alerts"])
    alerts = {
        "log": c.path("alerts.log", al.get("log", d("alerts.log"))),
        "digest": c.path("alerts.digest", al.get("digest", d("alerts.digest"))),
        "backfill": c.boolean("alerts.backfill", al.get("backfill", d("alerts.backfill"))),
        "digest_window": c.duration(
            "alerts.digest_window", al.get("digest_window", d("alerts.digest_window"))
        ),
    }
    if alerts["digest"] is not None and alerts["digest"].suffix not in _DIGEST_SUFFIXES:
        c.problem("alerts.digest", "must end in .md or .html")
        alerts["digest"] = None

    sc = c.mapping(top.get("schedule"), "schedule", _SECTION_KEYS["schedule"])
    schedule = {
        k: c.duration(f"schedule.{k}", sc.get(k, d(f"schedule.{k}")))
        for k in ("interval", "min_interval", "max_interval", "deadline")
    }
    schedule["digest_at"] = _check_digest_at(
        c, "schedule.digest_at", sc.get("digest_at", d("schedule.digest_at"))
    )
    schedule["timezone"] = _check_timezone(
        c, "schedule.timezone", sc.get("timezone", d("schedule.timezone"))
    )

    cr = c.mapping(top.get("crawl"), "crawl", _SECTION_KEYS["crawl"])

    def cv(name: str) -> tuple[str, Any]:
        key = f"crawl.{name}"
        return key, cr.get(name, d(key))

    crawl = {
        "user_agent": _user_agent(c, *cv("user_agent")),
        "obey_robots": c.boolean(*cv("obey_robots")),
        "concurrency_per_host": c.integer(*cv("concurrency_per_host"), lo=1),
        "concurrency": c.integer(*cv("concurrency"), lo=1),
        "delay": c.number(*cv("delay"), positive=False),
        "timeout": c.number(*cv("timeout"), positive=True),
        "max_page_bytes": c.integer(*cv("max_page_bytes"), lo=1),
        "max_redirects": c.integer(*cv("max_redirects"), lo=0, hi=20),
        "allow_private_addresses": c.boolean(*cv("allow_private_addresses")),
    }

    # Cross-field checks, only between values that were themselves valid.
    lo, hi = schedule["min_interval"], schedule["max_interval"]
    # The bounds limit the adaptive interval only: an explicit interval pins a feed (2s in tests).
    if lo is not None and hi is not None and lo > hi:
        c.problem(
            "schedule.min_interval",
            f"must not exceed schedule.max_interval ({show_duration(lo)} > {show_duration(hi)})",
        )
    paths = {
        "database": database,
        "alerts.log": alerts["log"],
        "alerts.digest": alerts["digest"],
    }
    seen: dict[Path, str] = {}
    for key, p in paths.items():
        if p is None:
            continue
        if p in seen:
            c.problem(key, f"same file as {seen[p]} ({p.name})")
        else:
            seen[p] = key

    if c.problems:
        return None, c.problems
    config = Config(
        path=Path(_normpath(config_path)),
        database=database,
        feeds=tuple(feed for _, feed in feeds),
        topics=tuple(topics),
        alerts=AlertsConfig(**alerts),
        schedule=ScheduleConfig(**schedule),
        crawl=CrawlConfig(**crawl),
    )
    return config, []


def load_config(path: str | Path) -> Config:
    """Read, validate and return the config at ``path``; raise ConfigError listing every problem.

    Relative paths inside the file are resolved against the file's own folder, so the tool
    behaves the same whatever directory it is started from. Nothing is created on disk.
    """
    config_path = Path(path).expanduser()
    data, problems = read_yaml(config_path)
    config, more = _validate(data, config_path)
    problems += more
    if problems or config is None:
        raise ConfigError(problems, config_path)
    return config
