"""Feeds and topics: lists of named items, their extract rules and FTS5 queries; one problem per
mistake, named by its key path (``feeds[2].url``)."""

from __future__ import annotations

import pytest

from newswatch.scheduler.config import (
    ConfigError,
    ExtractRules,
    load_config,
    query_problem,
    validate_fts_query,
)

from conftest import MINIMAL_CONFIG, config_problems, minimal_config, write_yaml

# --- what loads -----------------------------------------------------------------------------------


def test_feed_interval_and_nulls(tmp_path):
    data = minimal_config(
        feeds=[
            {"name": "a", "url": "http://a.example/rss", "interval": "10m"},
            {"name": "b", "url": "https://b.example/rss", "interval": None},
        ],
        topics=None,
        alerts=None,
        schedule={"digest_at": "07:30", "timezone": "Asia/Jakarta"},
    )
    config = load_config(write_yaml(tmp_path, data))
    assert [f.interval for f in config.feeds] == [600, None]
    assert config.interval_for(config.feeds[1]) == config.schedule.interval
    assert config.topics == ()
    assert config.schedule.digest_at == "07:30"


def test_topics_loaded(tmp_path):
    data = minimal_config(topics=[{"name": "t1", "query": " korut OR dprk ", "description": "x"}])
    (topic,) = load_config(write_yaml(tmp_path, data)).topics
    assert (topic.name, topic.query, topic.description) == ("t1", "korut OR dprk", "x")


# --- one problem each, named by key path ----------------------------------------------------------

FEED_A = {"name": "antara-dunia", "url": "https://www.antaranews.com/rss/dunia.xml"}

CASES = [
    # (id, config, expected problem)
    ("unknown-feed", minimal_config(feeds=[{**FEED_A, "tags": []}]), "feeds[0].tags: unknown key"),
    ("feeds-missing", {"topics": []}, "feeds: required"),
    ("feeds-empty", minimal_config(feeds=[]), "feeds: expected a non-empty list"),
    ("feeds-not-list", minimal_config(feeds={"a": 1}), "feeds: expected a non-empty list"),
    ("feed-not-mapping", minimal_config(feeds=[FEED_A, "x"]), "feeds[1]: expected a mapping"),
    ("feed-no-url", minimal_config(feeds=[{"name": "a"}]), "feeds[0].url: required"),
    (
        "feed-no-name",
        minimal_config(feeds=[{"url": "https://a.example/"}]),
        "feeds[0].name: required",
    ),
    (
        "feed-ftp",
        minimal_config(
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
        minimal_config(feeds=[{"name": "a", "url": "https:///rss"}]),
        "feeds[0].url: 'https:///rss' is not an http(s) URL",
    ),
    (
        "feed-bad-port",
        minimal_config(feeds=[{"name": "a", "url": "https://a.example:99999/"}]),
        "feeds[0].url: 'https://a.example:99999/' is not a valid URL",
    ),
    (
        "feed-url-int",
        minimal_config(feeds=[{"name": "a", "url": 5}]),
        "feeds[0].url: expected a string",
    ),
    (
        "feed-bad-name",
        minimal_config(feeds=[{"name": "Antara Dunia", "url": "https://a.example/"}]),
        "feeds[0].name: 'Antara Dunia' is not a valid name",
    ),
    (
        "feed-name-leading-dash",
        minimal_config(feeds=[{"name": "-a", "url": "https://a.example/"}]),
        "feeds[0].name: '-a' is not a valid name",
    ),
    (
        "feed-name-newline",
        minimal_config(feeds=[{"name": "a\n", "url": "https://a.example/"}]),
        "feeds[0].name: 'a\\n' is not a valid name",
    ),
    (
        "feed-dup-name",
        minimal_config(
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
        minimal_config(feeds=[FEED_A, FEED_A | {"name": "other"}]),
        "feeds[1].url: duplicate URL",
    ),
    (
        "feed-interval-no-unit",
        minimal_config(feeds=[FEED_A | {"interval": 600}]),
        "feeds[0].interval: 600 has no unit",
    ),
    ("topics-not-list", minimal_config(topics="korut"), "topics: expected a list"),
    (
        "topic-fts-syntax",
        minimal_config(topics=[{"name": "t", "query": "korut AND"}]),
        "topics[0].query: FTS5 rejects this query (fts5: syntax error near \"\") in topic 't'",
    ),
    (
        "topic-fts-column",
        minimal_config(topics=[{"name": "t", "query": "kim-jong-un"}]),
        "topics[0].query: FTS5 rejects this query (no such column: jong)",
    ),
    (
        "topic-lower-case-or",
        minimal_config(topics=[{"name": "t", "query": "korut or dprk"}]),
        'topics[0].query: "or" between two terms is searched for as a word',
    ),
    (
        "topic-empty-query",
        minimal_config(topics=[{"name": "t", "query": "  "}]),
        "topics[0].query: must",
    ),
    ("topic-no-query", minimal_config(topics=[{"name": "t"}]), "topics[0].query: required"),
    (
        "topic-dup-name",
        minimal_config(topics=[{"name": "t", "query": "a"}, {"name": "t", "query": "b"}]),
        "topics[1].name: duplicate name 't' (also topics[0])",
    ),
    (
        "topic-description-type",
        minimal_config(topics=[{"name": "t", "query": "a", "description": ["x"]}]),
        "topics[0].description: expected a string, got a list",
    ),
]


@pytest.mark.parametrize(("data", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_problem_names_key_path(tmp_path, data, expected):
    problems = config_problems(tmp_path, data)
    assert any(p.startswith(expected) for p in problems), problems
    assert len(problems) == 1, problems


# --- FTS5 -----------------------------------------------------------------------------------------


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


@pytest.mark.parametrize(
    ("query", "word"),
    [
        ('"korea utara" or korut', "or"),
        ("jokowi not prabowo", "not"),
        ("jokowi And prabowo", "And"),
        ("kim* or dprk", "or"),  # after a prefix
        ("title: korut or dprk", "or"),  # after a column filter's phrase
        ("NEAR(kim jong, 2) or dprk", "or"),  # after a NEAR group
        ('korut or "north korea"', "or"),
    ],
)
def test_a_lower_case_operator_between_terms_is_a_problem(query, word):
    assert validate_fts_query(query) is None  # SQLite takes it: FTS5 searches for the word
    assert query_problem(query) == (
        f'"{word}" between two terms is searched for as a word, not read as an operator: write'
        f' {word.upper()} in capitals, or quote the word ("{word}")'
    )


@pytest.mark.parametrize(
    "query",
    [
        '"rock or roll"',  # inside a phrase
        'rock "or" roll',  # quoted: the word is wanted
        "oregon OR andorra OR notably OR nota",  # words holding the letters
        "or* OR and*",  # prefixes
        "rock ^or",  # a word that starts the column
        "rock + or + roll",  # a phrase joined by +
        "NEAR(rock or roll, 3)",  # NEAR takes no operator: a word
        "or korut",  # not between two terms
        "korea orá korut",  # a longer word
    ],
)
def test_what_is_not_a_lower_case_operator(query):
    assert query_problem(query) is None


def test_an_empty_query_says_so():
    assert query_problem("") == "the query is empty"
    assert query_problem("  ", topic="t") == "the query is empty in topic 't'"
    assert query_problem('""') == "the query has no word to search for"


def test_query_problem_tells_to_quote_hyphenated_words():
    assert query_problem("kim-jong-un", topic="kim") == (
        "FTS5 rejects this query (no such column: jong) in topic 'kim'; "
        'put words joined by "-" or ":" in double quotes'
    )
    assert query_problem('"kim-jong-un"') is None


# --- per-feed extract overrides -------------------------------------------------------------------


def test_feed_extract_block_is_parsed(tmp_path):
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
    config = load_config(write_yaml(tmp_path, {**MINIMAL_CONFIG, "feeds": [feed]}))
    assert config.feeds[0].extract == ExtractRules(
        body="div.side-article.txt-article",
        title="h1#arttitle",
        date="time",
        authors=".credit a",
        drop=(".baca-juga", "div[id^=ads]"),
        drop_lines=("^Baca Juga", r"^\(Tribunnews\.com\)$"),
    )


def test_feed_without_extract_block_has_none(tmp_path):
    assert load_config(write_yaml(tmp_path, MINIMAL_CONFIG)).feeds[0].extract is None


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
        load_config(write_yaml(tmp_path, {**MINIMAL_CONFIG, "feeds": [feed]}))
    text = "\n".join(err.value.problems)
    assert "feeds[0].extract.body: not a valid CSS selector" in text
    assert "feeds[0].extract.title: expected a string" in text
    assert "feeds[0].extract.drop: expected a list of strings" in text
    assert "feeds[0].extract.drop_lines[1]: not a valid regular expression" in text
    assert "feeds[0].extract.colour: unknown key" in text
