"""Topic queries: FTS5 syntax over title and body, case- and accent-insensitive, one query each."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from newswatch.scheduler.cli import main
from newswatch.scheduler.config import ConfigError, load_config, query_problem
from newswatch.storage.search import find_matches, max_story_id
from newswatch.storage.store import NewStory, Store

from conftest import write_config

# key -> (title, body)
CORPUS = {
    "kim-hyphen": ("Kim Jong-un inspects missile launch", "Pyongyang state media said."),
    "kim-spaced": ("Summit talks", "The leader Kim Jong Un met envoys in Pyongyang on Monday."),
    "kim-caps": ("KIM JONG-UN SPEAKS", "A rare speech was broadcast."),
    "kim-split": ("Kim and Jong", "Kim met Jong Un-hee, a diplomat, for a separate matter."),
    "korut": ("Korut uji rudal lagi", "Pemerintah Korea Utara mengumumkan uji coba."),
    "north-korea": ("North Korea fires missile", "Seoul said the launch was detected."),
    "korea-selatan": ("Korea Selatan waspada", "Pasukan di perbatasan utara disiagakan."),
    "jokowi-prabowo": ("Jokowi bertemu Prabowo", "Presiden Jokowi dan Prabowo membahas kabinet."),
    "jokowi-only": ("Jokowi meresmikan jalan tol", "Presiden Joko Widodo meresmikan tol baru."),
    "prabowo-near": ("Kunjungan", "Prabowo tiba di Jakarta pagi ini untuk rapat."),
    "prabowo-far": (
        "Kunjungan kerja",
        "Prabowo memulai hari dengan rapat panjang bersama para menteri, lalu makan siang, "
        "kemudian menghadiri acara lain sebelum akhirnya terbang ke Jakarta.",
    ),
    "ekonomi": ("Pertumbuhan ekonomi melambat", "Ekonom memperkirakan inflasi naik."),
    "sao-paulo": ("Chuva em São Paulo", "A cidade de SÃO PAULO teve alagamentos."),
    "cafe": ("Le Café de Flore", "Un café parisien célèbre."),
    "us-english": ("United States sanctions", "The United States announced new measures."),
    "us-indonesian": ("Sanksi Amerika Serikat", "Amerika Serikat mengumumkan langkah baru."),
    "al-qaeda": ("Al-Qaeda affiliate claims attack", "The group, linked to al Qaeda, said so."),
    "title-only": ("Banjir besar melanda Jakarta Utara", ""),
    "unrelated": ("Weather report", "Sunny with a chance of rain in the afternoon."),
}

CASES = [
    # aliases: one topic, several names, Indonesian and English
    (
        '"korea utara" OR "north korea" OR korut OR dprk OR "kim jong un"',
        {"kim-hyphen", "kim-spaced", "kim-caps", "korut", "north-korea"},
    ),
    # phrases: "Kim Jong-un", "Kim Jong Un" and "KIM JONG-UN" are the same three tokens
    ('"kim jong un"', {"kim-hyphen", "kim-spaced", "kim-caps"}),
    ('"kim jong-un"', {"kim-hyphen", "kim-spaced", "kim-caps"}),
    # a phrase is not a bag of words: "utara" alone in another sentence does not count
    ('"korea utara"', {"korut"}),
    # NOT (FTS5's AND NOT)
    ("jokowi NOT prabowo", {"jokowi-only"}),
    ("jokowi AND prabowo", {"jokowi-prabowo"}),
    # NEAR: within 5 tokens, not across a whole paragraph
    ("NEAR(prabowo jakarta, 5)", {"prabowo-near"}),
    ("prabowo AND jakarta", {"prabowo-near", "prabowo-far"}),
    # prefixes
    ("ekonom*", {"ekonomi"}),
    ("presiden*", {"jokowi-prabowo", "jokowi-only"}),
    # diacritics and case, both ways
    ('"sao paulo"', {"sao-paulo"}),
    ('"São Paulo"', {"sao-paulo"}),
    ("CAFE", {"cafe"}),
    ("café", {"cafe"}),
    # English and Indonesian variants of one name
    ('"united states" OR "amerika serikat"', {"us-english", "us-indonesian"}),
    # hyphenated names: the hyphen separates tokens, so quote the name
    ('"al-qaeda"', {"al-qaeda"}),
    ('"al qaeda"', {"al-qaeda"}),
    # an empty body is matched on its title
    ('"jakarta utara"', {"title-only"}),
    # column filter
    ("title: korea", {"korea-selatan", "north-korea"}),
    ("nothingmatchesthis", set()),
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("topics") / "t.db")
    ids = {}
    for key, (title, body) in CORPUS.items():
        story_id, _ = store.add_story(
            NewStory(f"https://example.com/{key}", title, body, None, [], "feed")
        )
        ids[story_id] = key
    yield store, ids
    store.close()


@pytest.mark.parametrize(("query", "expected"), CASES, ids=[q for q, _ in CASES])
def test_topic_cases(corpus, query, expected):
    store, ids = corpus
    found = {ids[m.story_id] for m in find_matches(store, query)}
    assert found == expected


def test_terms_and_snippet_name_the_match(corpus):
    store, ids = corpus
    by_key = {ids[m.story_id]: m for m in find_matches(store, '"kim jong un" OR pyongyang')}
    assert by_key["kim-hyphen"].terms == ["kim jong-un", "pyongyang"]
    assert by_key["kim-spaced"].terms == ["kim jong un", "pyongyang"]
    assert "\x01Kim Jong Un\x02 met envoys" in by_key["kim-spaced"].snippet
    title_only = find_matches(store, "banjir")
    assert [m.terms for m in title_only] == [["banjir"]]
    # no body: the snippet is the title, the match marked for display
    assert title_only[0].snippet == "\x01Banjir\x02 besar melanda Jakarta Utara"


def test_matching_is_restricted_to_a_rowid_range(corpus):
    store, ids = corpus
    high = max_story_id(store)
    assert find_matches(store, "korea", low=high) == []
    last_two = find_matches(store, "jakarta OR weather", low=high - 2)
    assert {ids[m.story_id] for m in last_two} == {"title-only", "unrelated"}


def test_the_match_query_uses_the_index_for_the_rowid_range(corpus):
    from newswatch.storage.search import MATCH_SQL

    store, _ = corpus
    plan = store.db.execute(
        "EXPLAIN QUERY PLAN " + MATCH_SQL,
        {"query": "korea", "low": 3, "high": 9, "backfill": 1},
    ).fetchall()
    detail = " ".join(row[-1] for row in plan)
    assert "VIRTUAL TABLE INDEX" in detail and ">" in detail.split("INDEX", 1)[1]
    assert "SEARCH s USING INTEGER PRIMARY KEY" in detail  # stories by id, never scanned


def test_a_query_with_a_syntax_error_is_a_config_error_naming_the_topic(tmp_path):
    path = write_config(tmp_path, [], topics=[("kim", "kim-jong-un"), ("bad", '"unclosed')])
    with pytest.raises(ConfigError) as err:
        load_config(path)
    text = str(err.value)
    assert "topic 'kim'" in text and "double quotes" in text
    assert "topic 'bad'" in text


def test_a_lower_case_or_is_a_word_to_fts5_so_it_is_refused_with_the_fix(corpus, tmp_path):
    store, ids = corpus
    # Why the rule: FTS5 searches for "or" itself, and no story holds all three words.
    assert find_matches(store, '"korea utara" or korut') == []
    assert {ids[m.story_id] for m in find_matches(store, '"korea utara" OR korut')} == {"korut"}
    fix = 'write OR in capitals, or quote the word ("or")'
    feeds = [("wire", "http://127.0.0.1:9/feed.xml")]
    (tmp_path / "bad").mkdir()
    bad = write_config(tmp_path / "bad", feeds, topics=[("korea-utara", '"korea utara" or korut')])
    with pytest.raises(ConfigError) as err:
        load_config(bad)
    assert err.value.problems == [
        'topics[0].query: "or" between two terms is searched for as a word, not read as an'
        f" operator in topic 'korea-utara': {fix}"
    ]
    # topics test applies the same rules, in the same words, and so does an empty query.
    path = write_config(tmp_path, feeds)
    run = CliRunner().invoke(main, ["topics", "test", '"korea utara" or korut', "-c", str(path)])
    assert run.exit_code == 2 and fix in run.output
    assert run.output == query_problem('"korea utara" or korut') + "\n"
    run = CliRunner().invoke(main, ["topics", "test", "", "-c", str(path)])
    assert (run.exit_code, run.output) == (2, "the query is empty\n")


def test_the_index_of_new_stories_matches_exactly_as_the_whole_index(corpus):
    """Topics are matched on an in-memory index of the cycle's new stories
    (``fresh_index``): every case gives the same stories, words and snippets as the whole
    index, and a topic whose position is before the new stories uses the whole index."""
    from newswatch.storage.search import fresh_index

    store, ids = corpus
    conn = store.db.conn
    high = max_story_id(store)
    low = 3  # the stories after the third are "this cycle's"
    with fresh_index(conn, low, high) as fresh_from:
        assert fresh_from == low
        for query, _ in CASES:
            whole = find_matches(store, query, low, high)
            fresh = find_matches(store, query, low, high, fresh_from=fresh_from)
            assert fresh == whole, query
        # a lagging topic (from story 1) is matched on the whole index: stories 2 and 3 too
        lagging = find_matches(store, '"kim jong un"', 1, high, fresh_from=fresh_from)
        assert {ids[m.story_id] for m in lagging} == {"kim-spaced", "kim-caps"}
    assert not conn.execute(
        "SELECT name FROM temp.sqlite_master WHERE name = 'fresh_fts'"
    ).fetchall()


def test_too_many_new_stories_are_matched_on_the_whole_index(corpus, monkeypatch):
    from newswatch.storage import search

    store, _ = corpus
    monkeypatch.setattr(search, "FRESH_MAX", 2)
    with search.fresh_index(store.db.conn, 0, max_story_id(store)) as fresh_from:
        assert fresh_from is None
