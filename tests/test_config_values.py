"""Settings with one value each (database, alerts, schedule, crawl): their defaults, durations,
and one problem per mistake, named by its key path."""

from __future__ import annotations

import pytest

from newswatch.scheduler.config import (
    CONFIG_KEYS,
    DEFAULTS,
    FeedConfig,
    load_config,
    parse_duration,
)

from conftest import MINIMAL_CONFIG, config_problems, minimal_config, run_newswatch, write_yaml

# --- defaults -------------------------------------------------------------------------------------


def test_defaults(tmp_path):
    config = load_config(write_yaml(tmp_path, MINIMAL_CONFIG))
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


def test_intervals_at_min_interval_and_a_deadline_above_the_timeout_load(tmp_path):
    feed = MINIMAL_CONFIG["feeds"][0] | {"interval": "1m"}
    data = minimal_config(
        feeds=[feed, {"name": "slow", "url": "https://slow.example/", "interval": "1d"}],
        schedule={"interval": "1m", "min_interval": "1m", "deadline": "31s"},
        crawl={"timeout": 30},
    )
    config = load_config(write_yaml(tmp_path, data))
    assert [f.interval for f in config.feeds] == [60, 86400]  # above max_interval: pinned
    assert (config.schedule.interval, config.schedule.deadline) == (60, 31)


def test_an_interval_below_min_interval_stops_every_command_with_exit_2(tmp_path):
    data = minimal_config(
        feeds=[MINIMAL_CONFIG["feeds"][0] | {"interval": "10s"}], schedule={"deadline": "20s"}
    )
    result = run_newswatch("status", "-c", str(write_yaml(tmp_path, data)))
    assert result.returncode == 2
    assert "feeds[0].interval: must not be below schedule.min_interval (10s < 5m)" in result.stderr
    assert "schedule.deadline: must be longer than crawl.timeout (20s" in result.stderr


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(2, "2s"), (2.5, "2.5s"), (45, "45s"), (300, "5m"), (562.5, "9m22s"), (900, "15m")]
    + [(4394, "1h13m"), (21600, "6h"), (90000, "1d1h"), (3599.9, "1h")],
)
def test_a_span_shows_every_interval_in_its_two_largest_units(seconds, shown):
    from newswatch.scheduler.config import show_span

    assert show_span(seconds) == shown


def test_every_config_key_has_a_default_or_is_required():
    required = {"feeds[].name", "feeds[].url", "topics[].name", "topics[].query"}
    required |= {"notify[].name", "notify[].url"}
    assert set(CONFIG_KEYS) == set(DEFAULTS) | required


# --- durations ------------------------------------------------------------------------------------


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


# --- one problem each, named by key path ----------------------------------------------------------

CASES = [
    # (id, config, expected problem)
    ("unknown-top", minimal_config(colour="red"), "colour: unknown key"),
    ("unknown-crawl", minimal_config(crawl={"colour": 1}), "crawl.colour: unknown key"),
    ("database-type", minimal_config(database=3), "database: expected a string, got 3"),
    ("database-empty", minimal_config(database=""), "database: must not be empty"),
    ("alerts-not-mapping", minimal_config(alerts=[1]), "alerts: expected a mapping, got a list"),
    (
        "digest-suffix",
        minimal_config(alerts={"digest": "data/digest.txt"}),
        "alerts.digest: must end in .md or .html",
    ),
    (
        "backfill-string",
        minimal_config(alerts={"backfill": "no"}),
        "alerts.backfill: expected true or false, got 'no'",
    ),
    (
        "backfill-int",
        minimal_config(alerts={"backfill": 0}),
        "alerts.backfill: expected true or false",
    ),
    (
        "digest-window-zero",
        minimal_config(alerts={"digest_window": "0h"}),
        "alerts.digest_window: must be longer than zero",
    ),
    (
        "log-same-as-digest",
        minimal_config(alerts={"log": "data/x.md", "digest": "data/x.md"}),
        "alerts.digest: same file as alerts.log",
    ),
    (
        "interval-bare-number",
        minimal_config(schedule={"interval": 15}),
        "schedule.interval: 15 has no unit",
    ),
    (
        "min-over-max",
        minimal_config(schedule={"interval": "2h", "min_interval": "2h", "max_interval": "1h"}),
        "schedule.min_interval: must not exceed schedule.max_interval (2h > 1h)",
    ),
    (
        "interval-below-min",
        minimal_config(schedule={"interval": "10s"}),
        "schedule.interval: must not be below schedule.min_interval (10s < 5m)",
    ),
    (
        "feed-interval-below-min",
        minimal_config(
            feeds=[MINIMAL_CONFIG["feeds"][0] | {"interval": "30s"}],
            schedule={"min_interval": "1m"},
        ),
        "feeds[0].interval: must not be below schedule.min_interval (30s < 1m)",
    ),
    (
        "deadline-not-above-timeout",
        minimal_config(schedule={"deadline": "30s"}),
        "schedule.deadline: must be longer than crawl.timeout (30s is not above 30s)",
    ),
    (
        "deadline-below-timeout",
        minimal_config(schedule={"deadline": "1m"}, crawl={"timeout": 120}),
        "schedule.deadline: must be longer than crawl.timeout (1m is not above 2m)",
    ),
    (
        "deadline-garbage",
        minimal_config(schedule={"deadline": "soon"}),
        "schedule.deadline: 'soon' is not a duration",
    ),
    (
        "digest-at-format",
        minimal_config(schedule={"digest_at": "25:00"}),
        "schedule.digest_at: '25:00' is not a time of day",
    ),
    (
        "digest-at-unquoted",
        "feeds: [{name: a, url: 'https://a.example/'}]\nschedule: {digest_at: 12:30}\n",
        'schedule.digest_at: expected a quoted "HH:MM" string, got 750',
    ),
    (
        "timezone-unknown",
        minimal_config(schedule={"timezone": "Mars/Olympus"}),
        "schedule.timezone: 'Mars/Olympus' is not a known time zone",
    ),
    (
        "timezone-directory",
        minimal_config(schedule={"timezone": "America"}),
        "schedule.timezone: 'America' is not a known time zone",
    ),
    (
        "timezone-traversal",
        minimal_config(schedule={"timezone": "../../etc/passwd"}),
        "schedule.timezone: '../../etc/passwd' is not a known time zone",
    ),
    (
        "timeout-string",
        minimal_config(crawl={"timeout": "abc"}),
        "crawl.timeout: expected a number, got 'abc'",
    ),
    (
        "timeout-bool",
        minimal_config(crawl={"timeout": True}),
        "crawl.timeout: expected a number, got true",
    ),
    ("timeout-zero", minimal_config(crawl={"timeout": 0}), "crawl.timeout: must be greater than 0"),
    (
        "timeout-inf",
        minimal_config(crawl={"timeout": float("inf")}),
        "crawl.timeout: must be a finite",
    ),
    ("delay-negative", minimal_config(crawl={"delay": -1}), "crawl.delay: must not be negative"),
    (
        "delay-duration",
        minimal_config(crawl={"delay": "1s"}),
        "crawl.delay: expected a number, got '1s'",
    ),
    (
        "per-host-float",
        minimal_config(crawl={"concurrency_per_host": 2.0}),
        "crawl.concurrency_per_host: expected an integer, got 2.0",
    ),
    (
        "per-host-bool",
        minimal_config(crawl={"concurrency_per_host": True}),
        "crawl.concurrency_per_host: expected an integer, got true",
    ),
    (
        "concurrency-zero",
        minimal_config(crawl={"concurrency": 0}),
        "crawl.concurrency: must be at least 1",
    ),
    (
        "redirects-range",
        minimal_config(crawl={"max_redirects": 21}),
        "crawl.max_redirects: must be between 0 and 20, got 21",
    ),
    (
        "max-page-bytes-string",
        minimal_config(crawl={"max_page_bytes": "5MB"}),
        "crawl.max_page_bytes: expected an integer, got '5MB'",
    ),
    (
        "robots-string",
        minimal_config(crawl={"obey_robots": "true"}),
        "crawl.obey_robots: expected true or false, got 'true'",
    ),
    (
        "private-null",
        minimal_config(crawl={"allow_private_addresses": None}),
        "crawl.allow_private_addresses: expected true or false, got null",
    ),
    (
        "user-agent-multiline",
        minimal_config(crawl={"user_agent": "a\r\nX-Evil: 1"}),
        "crawl.user_agent: must be a single line",
    ),
    (
        "user-agent-empty",
        minimal_config(crawl={"user_agent": ""}),
        "crawl.user_agent: must not be empty",
    ),
]


@pytest.mark.parametrize(("data", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_problem_names_key_path(tmp_path, data, expected):
    problems = config_problems(tmp_path, data)
    assert any(p.startswith(expected) for p in problems), problems
    assert len(problems) == 1, problems
