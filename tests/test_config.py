"""Tests for scheduler.config: the shipped file loads, and every mistake is named by key path."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from newswatch.scheduler.config import (
    CONFIG_KEYS,
    DEFAULTS,
    Config,
    ConfigError,
    FeedConfig,
    load_config,
    parse_duration,
    validate_fts_query,
)

REPO = Path(__file__).resolve().parent.parent
SHIPPED = REPO / "config.yaml"

MINIMAL = {"feeds": [{"name": "antara-dunia", "url": "https://www.antaranews.com/rss/dunia.xml"}]}


def write(tmp_path: Path, data: object, name: str = "config.yaml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def problems_for(tmp_path: Path, data: object) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, data))
    return info.value.problems


def with_(**overrides: object) -> dict:
    """MINIMAL plus ``section={...}`` or ``key=value`` overrides (sections are merged)."""
    data = copy.deepcopy(MINIMAL)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key].update(value)
        else:
            data[key] = value
    return data


# --- the shipped config ---------------------------------------------------------------------


def test_shipped_config_loads_clean():
    config = load_config(SHIPPED)
    assert isinstance(config, Config)
    assert config.path == SHIPPED
    assert config.database == REPO / "data" / "newswatch.db"
    assert config.alerts.log == REPO / "data" / "alerts.jsonl"
    assert config.alerts.digest == REPO / "data" / "digest.md"
    names = {f.name for f in config.feeds}
    assert {"bbc-world", "guardian-world", "aljazeera"} <= names
    assert len(config.feeds) >= 7
    assert {t.name for t in config.topics} == {"korea-utara", "rusia-ukraina"}
    assert config.crawl.obey_robots is True
    assert config.crawl.allow_private_addresses is False
    assert config.crawl.delay == 1.0
    assert config.crawl.concurrency_per_host == 2


def test_shipped_config_writes_every_documented_key():
    """The shipped file is the user's reference, so it should show every key."""
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    present = set()
    for key, value in data.items():
        if isinstance(value, dict):
            present |= {f"{key}.{k}" for k in value}
        elif isinstance(value, list):
            present |= {f"{key}[].{k}" for item in value for k in item}
            present |= {  # one nested block, e.g. feeds[].extract.body
                f"{key}[].{k}.{kk}"
                for item in value
                for k, v in item.items()
                if isinstance(v, dict)
                for kk in v
            }
        else:
            present.add(key)
    assert set(CONFIG_KEYS) - present == set()


def test_loading_touches_nothing_on_disk(tmp_path):
    path = write(tmp_path, MINIMAL)
    before = sorted(tmp_path.rglob("*"))
    load_config(path)
    assert sorted(tmp_path.rglob("*")) == before


# --- defaults and paths -----------------------------------------------------------------------


def test_defaults(tmp_path):
    config = load_config(write(tmp_path, MINIMAL))
    assert config.database == tmp_path / "data" / "newswatch.db"
    assert config.topics == ()
    assert config.feeds == (
        FeedConfig("antara-dunia", "https://www.antaranews.com/rss/dunia.xml", None),
    )
    assert config.alerts.backfill is False
    assert config.alerts.digest_window == 86400
    s = config.schedule
    assert (s.interval, s.min_interval, s.max_interval, s.deadline) == (900, 300, 21600, 1800)
    assert s.digest_at is None
    assert s.timezone == "UTC"
    c = config.crawl
    assert c.user_agent == DEFAULTS["crawl.user_agent"]
    assert c.obey_robots is True and c.allow_private_addresses is False
    assert (c.concurrency_per_host, c.concurrency, c.max_redirects) == (2, 32, 5)
    assert (c.delay, c.timeout, c.max_page_bytes) == (1.0, 30.0, 5_000_000)
    assert config.interval_for(config.feeds[0]) == 900


def test_every_config_key_has_a_default_or_is_required():
    required = {"feeds[].name", "feeds[].url", "topics[].name", "topics[].query"}
    assert set(CONFIG_KEYS) == set(DEFAULTS) | required


def test_relative_paths_resolve_against_config_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # cwd must not matter
    data = with_(database="db/x.db", alerts={"log": "../logs/a.jsonl", "digest": "out/d.html"})
    path = write(tmp_path / "conf", data)
    config = load_config(Path("conf") / "config.yaml")
    assert config.path == path
    assert config.database == tmp_path / "conf" / "db" / "x.db"
    assert config.alerts.log == tmp_path / "logs" / "a.jsonl"
    assert config.alerts.digest == tmp_path / "conf" / "out" / "d.html"
    assert all(p.is_absolute() for p in (config.database, config.alerts.log))


def test_absolute_paths_kept(tmp_path):
    target = tmp_path / "elsewhere" / "n.db"
    config = load_config(write(tmp_path / "c", with_(database=str(target))))
    assert config.database == target


def test_feed_interval_and_nulls(tmp_path):
    data = with_(
        feeds=[
            {"name": "a", "url": "http://a.example/rss", "interval": "10m"},
            {"name": "b", "url": "https://b.example/rss", "interval": None},
        ],
        topics=None,
        alerts=None,
        schedule={"digest_at": "07:30", "timezone": "Asia/Jakarta"},
    )
    config = load_config(write(tmp_path, data))
    assert [f.interval for f in config.feeds] == [600, None]
    assert config.interval_for(config.feeds[1]) == config.schedule.interval
    assert config.topics == ()
    assert config.schedule.digest_at == "07:30"


def test_topics_loaded(tmp_path):
    data = with_(topics=[{"name": "t1", "query": " korut OR dprk ", "description": "x"}])
    (topic,) = load_config(write(tmp_path, data)).topics
    assert (topic.name, topic.query, topic.description) == ("t1", "korut OR dprk", "x")


# --- durations --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("2s", 2), ("90m", 5400), ("24h", 86400), ("7d", 604800), ("1.5h", 5400), (" 10 m ", 600)],
)
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (15, "has no unit"),
        (1.5, "has no unit"),
        ("15", "is not a duration"),
        ("15x", "is not a duration"),
        ("-5m", "is not a duration"),
        ("m", "is not a duration"),
        ("1h30m", "is not a duration"),
        ("", "is not a duration"),
        (True, "expected a duration"),
        (None, "expected a duration"),
    ],
)
def test_parse_duration_rejects(value, fragment):
    with pytest.raises(ValueError, match=fragment):
        parse_duration(value)


# --- one problem each, named by key path -------------------------------------------------------

FEED_A = {"name": "antara-dunia", "url": "https://www.antaranews.com/rss/dunia.xml"}

CASES = [
    # (id, config, expected problem, exactly)
    ("unknown-top", with_(colour="red"), "colour: unknown key"),
    ("unknown-crawl", with_(crawl={"colour": 1}), "crawl.colour: unknown key"),
    ("unknown-feed", with_(feeds=[{**FEED_A, "tags": []}]), "feeds[0].tags: unknown key"),
    ("feeds-missing", {"topics": []}, "feeds: required"),
    ("feeds-empty", with_(feeds=[]), "feeds: expected a non-empty list"),
    ("feeds-not-list", with_(feeds={"a": 1}), "feeds: expected a non-empty list"),
    ("feed-not-mapping", with_(feeds=[FEED_A, "x"]), "feeds[1]: expected a mapping"),
    ("feed-no-url", with_(feeds=[{"name": "a"}]), "feeds[0].url: required"),
    ("feed-no-name", with_(feeds=[{"url": "https://a.example/"}]), "feeds[0].name: required"),
    (
        "feed-ftp",
        with_(
            feeds=[
                FEED_A,
                {"name": "b", "url": "https://b.example/"},
                {"name": "c", "url": "ftp://x"},
            ]
        ),
        "feeds[2].url: 'ftp://x' is not an http(s) URL",
    ),
    (
        "feed-no-host",
        with_(feeds=[{"name": "a", "url": "https:///rss"}]),
        "feeds[0].url: 'https:///rss' is not an http(s) URL",
    ),
    (
        "feed-bad-port",
        with_(feeds=[{"name": "a", "url": "https://a.example:99999/"}]),
        "feeds[0].url: 'https://a.example:99999/' is not a valid URL",
    ),
    ("feed-url-int", with_(feeds=[{"name": "a", "url": 5}]), "feeds[0].url: expected a string"),
    (
        "feed-bad-name",
        with_(feeds=[{"name": "Antara Dunia", "url": "https://a.example/"}]),
        "feeds[0].name: 'Antara Dunia' is not a valid name",
    ),
    (
        "feed-name-leading-dash",
        with_(feeds=[{"name": "-a", "url": "https://a.example/"}]),
        "feeds[0].name: '-a' is not a valid name",
    ),
    (
        "feed-name-newline",
        with_(feeds=[{"name": "a\n", "url": "https://a.example/"}]),
        "feeds[0].name: 'a\\n' is not a valid name",
    ),
    (
        "feed-dup-name",
        with_(
            feeds=[
                FEED_A,
                *({"name": n, "url": f"https://{n}.example/"} for n in "bc"),
                FEED_A | {"url": "https://d.example/"},
            ]
        ),
        "feeds[3].name: duplicate name 'antara-dunia' (also feeds[0])",
    ),
    (
        "feed-dup-url",
        with_(feeds=[FEED_A, FEED_A | {"name": "other"}]),
        "feeds[1].url: duplicate URL",
    ),
    (
        "feed-interval-no-unit",
        with_(feeds=[FEED_A | {"interval": 600}]),
        "feeds[0].interval: 600 has no unit",
    ),
    ("topics-not-list", with_(topics="korut"), "topics: expected a list"),
    (
        "topic-fts-syntax",
        with_(topics=[{"name": "t", "query": "korut AND"}]),
        "topics[0].query: FTS5 rejects this query (fts5: syntax error near \"\") in topic 't'",
    ),
    (
        "topic-fts-column",
        with_(topics=[{"name": "t", "query": "kim-jong-un"}]),
        "topics[0].query: FTS5 rejects this query (no such column: jong)",
    ),
    ("topic-empty-query", with_(topics=[{"name": "t", "query": "  "}]), "topics[0].query: must"),
    ("topic-no-query", with_(topics=[{"name": "t"}]), "topics[0].query: required"),
    (
        "topic-dup-name",
        with_(topics=[{"name": "t", "query": "a"}, {"name": "t", "query": "b"}]),
        "topics[1].name: duplicate name 't' (also topics[0])",
    ),
    (
        "topic-description-type",
        with_(topics=[{"name": "t", "query": "a", "description": ["x"]}]),
        "topics[0].description: expected a string, got a list",
    ),
    ("database-type", with_(database=3), "database: expected a string, got 3"),
    ("database-empty", with_(database=""), "database: must not be empty"),
    ("alerts-not-mapping", with_(alerts=[1]), "alerts: expected a mapping, got a list"),
    (
        "digest-suffix",
        with_(alerts={"digest": "data/digest.txt"}),
        "alerts.digest: must end in .md or .html",
    ),
    (
        "backfill-string",
        with_(alerts={"backfill": "no"}),
        "alerts.backfill: expected true or false, got 'no'",
    ),
    ("backfill-int", with_(alerts={"backfill": 0}), "alerts.backfill: expected true or false"),
    (
        "digest-window-zero",
        with_(alerts={"digest_window": "0h"}),
        "alerts.digest_window: must be longer than zero",
    ),
    (
        "log-same-as-digest",
        with_(alerts={"log": "data/x.md", "digest": "data/x.md"}),
        "alerts.digest: same file as alerts.log",
    ),
    (
        "interval-bare-number",
        with_(schedule={"interval": 15}),
        "schedule.interval: 15 has no unit",
    ),
    (
        "min-over-max",
        with_(schedule={"min_interval": "2h", "max_interval": "1h"}),
        "schedule.min_interval: must not exceed schedule.max_interval (2h > 1h)",
    ),
    (
        "deadline-garbage",
        with_(schedule={"deadline": "soon"}),
        "schedule.deadline: 'soon' is not a duration",
    ),
    (
        "digest-at-format",
        with_(schedule={"digest_at": "25:00"}),
        "schedule.digest_at: '25:00' is not a time of day",
    ),
    (
        "digest-at-unquoted",
        "feeds: [{name: a, url: 'https://a.example/'}]\nschedule: {digest_at: 12:30}\n",
        'schedule.digest_at: expected a quoted "HH:MM" string, got 750',
    ),
    (
        "timezone-unknown",
        with_(schedule={"timezone": "Mars/Olympus"}),
        "schedule.timezone: 'Mars/Olympus' is not a known time zone",
    ),
    (
        "timezone-directory",
        with_(schedule={"timezone": "America"}),
        "schedule.timezone: 'America' is not a known time zone",
    ),
    (
        "timezone-traversal",
        with_(schedule={"timezone": "../../etc/passwd"}),
        "schedule.timezone: '../../etc/passwd' is not a known time zone",
    ),
    (
        "timeout-string",
        with_(crawl={"timeout": "abc"}),
        "crawl.timeout: expected a number, got 'abc'",
    ),
    ("timeout-bool", with_(crawl={"timeout": True}), "crawl.timeout: expected a number, got true"),
    ("timeout-zero", with_(crawl={"timeout": 0}), "crawl.timeout: must be greater than 0"),
    ("timeout-inf", with_(crawl={"timeout": float("inf")}), "crawl.timeout: must be a finite"),
    ("delay-negative", with_(crawl={"delay": -1}), "crawl.delay: must not be negative"),
    ("delay-duration", with_(crawl={"delay": "1s"}), "crawl.delay: expected a number, got '1s'"),
    (
        "per-host-float",
        with_(crawl={"concurrency_per_host": 2.0}),
        "crawl.concurrency_per_host: expected an integer, got 2.0",
    ),
    (
        "per-host-bool",
        with_(crawl={"concurrency_per_host": True}),
        "crawl.concurrency_per_host: expected an integer, got true",
    ),
    ("concurrency-zero", with_(crawl={"concurrency": 0}), "crawl.concurrency: must be at least 1"),
    (
        "redirects-range",
        with_(crawl={"max_redirects": 21}),
        "crawl.max_redirects: must be between 0 and 20, got 21",
    ),
    (
        "max-page-bytes-string",
        with_(crawl={"max_page_bytes": "5MB"}),
        "crawl.max_page_bytes: expected an integer, got '5MB'",
    ),
    (
        "robots-string",
        with_(crawl={"obey_robots": "true"}),
        "crawl.obey_robots: expected true or false, got 'true'",
    ),
    (
        "private-null",
        with_(crawl={"allow_private_addresses": None}),
        "crawl.allow_private_addresses: expected true or false, got null",
    ),
    (
        "user-agent-multiline",
        with_(crawl={"user_agent": "a\r\nX-Evil: 1"}),
        "crawl.user_agent: must be a single line",
    ),
    ("user-agent-empty", with_(crawl={"user_agent": ""}), "crawl.user_agent: must not be empty"),
]


@pytest.mark.parametrize(("data", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_problem_names_key_path(tmp_path, data, expected):
    problems = problems_for(tmp_path, data)
    assert any(p.startswith(expected) for p in problems), problems
    assert len(problems) == 1, problems


def test_all_problems_reported_at_once(tmp_path):
    data = with_(
        feeds=[{"name": "Bad Name", "url": "ftp://x"}, {"url": "https://ok.example/"}],
        topics=[{"name": "t", "query": "AND"}],
        alerts={"digest": "d.txt", "backfill": "yes"},
        schedule={"interval": "15"},
        crawl={"timeout": "abc", "colour": "red"},
        extra=1,
    )
    problems = problems_for(tmp_path, data)
    keys = [p.split(":", 1)[0] for p in problems]
    assert sorted(keys) == sorted(
        [
            "extra",
            "feeds[0].name",
            "feeds[0].url",
            "feeds[1].name",
            "topics[0].query",
            "alerts.digest",
            "alerts.backfill",
            "schedule.interval",
            "crawl.colour",
            "crawl.timeout",
        ]
    )


def test_config_error_message_lists_every_problem(tmp_path):
    path = write(tmp_path, with_(crawl={"timeout": "abc", "delay": "x"}))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    text = str(info.value)
    assert str(path) in text and "2 problems" in text
    assert all(p in text for p in info.value.problems)


# --- the file itself --------------------------------------------------------------------------


def test_missing_file(tmp_path):
    path = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.problems == [f"{path}: file not found"]


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    path = write(tmp_path, "feeds:\n  - name: a\n    url: [unclosed\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    (problem,) = info.value.problems
    assert problem.startswith(f"{path}: YAML syntax error at line ")


def test_duplicate_yaml_key_is_a_problem(tmp_path):
    text = "feeds: [{name: a, url: 'https://a.example/'}]\ncrawl:\n  delay: 1\n  delay: 0\n"
    problems = problems_for(tmp_path, text)
    assert problems == [
        f"{tmp_path / 'config.yaml'}: line 4: duplicate key 'delay' (the later value would win)"
    ]


def test_yaml_merge_keys_may_be_overridden(tmp_path):
    text = (
        "feeds:\n"
        "  - &base {name: a, url: 'https://a.example/', interval: 10m}\n"
        "  - <<: *base\n"
        "    name: b\n"
        "    url: https://b.example/\n"
    )
    config = load_config(write(tmp_path, text))
    assert [(f.name, f.interval) for f in config.feeds] == [("a", 600), ("b", 600)]


@pytest.mark.parametrize("text", ["- a\n- b\n", "just a string\n"])
def test_top_level_must_be_a_mapping(tmp_path, text):
    (problem,) = problems_for(tmp_path, text)
    assert "expected a mapping of keys at the top level" in problem


def test_empty_file_reports_missing_feeds(tmp_path):
    assert problems_for(tmp_path, "") == ["feeds: required: a non-empty list of feeds (name, url)"]


# --- FTS5 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        '"korea utara" OR "north korea" OR korut OR dprk OR "kim jong un" OR pyongyang',
        "(ukraina OR ukraine) AND (rusia OR russia OR putin OR zelensky* OR kremlin)",
        "title: korut",
        '"kim-jong-un"',
    ],
)
def test_valid_fts_queries(query):
    assert validate_fts_query(query) is None


@pytest.mark.parametrize("query", ["AND", "NOT korut", "(a OR b", '"open', "nosuch: x"])
def test_invalid_fts_queries(query):
    assert validate_fts_query(query)


# --- per-feed extract overrides ---------------------------------------------------------------


def test_feed_extract_block_is_parsed(tmp_path):
    from newswatch.scheduler.config import ExtractRules

    feed = {
        "name": "tribun",
        "url": "https://www.tribunnews.com/rss",
        "extract": {
            "body": "div.side-article.txt-article",
            "title": "h1#arttitle",
            "date": "time",
            "authors": ".credit a",
            "drop": [".baca-juga", "div[id^=ads]"],
            "drop_lines": ["^Baca Juga", r"^\(Tribunnews\.com\)$"],
        },
    }
    config = load_config(write(tmp_path, {**MINIMAL, "feeds": [feed]}))
    assert config.feeds[0].extract == ExtractRules(
        body="div.side-article.txt-article",
        title="h1#arttitle",
        date="time",
        authors=".credit a",
        drop=(".baca-juga", "div[id^=ads]"),
        drop_lines=("^Baca Juga", r"^\(Tribunnews\.com\)$"),
    )


def test_feed_without_extract_block_has_none(tmp_path):
    assert load_config(write(tmp_path, MINIMAL)).feeds[0].extract is None


def test_feed_extract_problems_name_their_key_path(tmp_path):
    feed = {
        "name": "tribun",
        "url": "https://www.tribunnews.com/rss",
        "extract": {
            "body": "div[",
            "title": 3,
            "drop": "not-a-list",
            "drop_lines": ["ok", "(unclosed"],
            "colour": "red",
        },
    }
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, {**MINIMAL, "feeds": [feed]}))
    text = "\n".join(err.value.problems)
    assert "feeds[0].extract.body: not a valid CSS selector" in text
    assert "feeds[0].extract.title: expected a string" in text
    assert "feeds[0].extract.drop: expected a list of strings" in text
    assert "feeds[0].extract.drop_lines[1]: not a valid regular expression" in text
    assert "feeds[0].extract.colour: unknown key" in text
