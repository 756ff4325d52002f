"""Storage: each story once by canonical URL, link variants remembered, feed state kept."""

import json
import sqlite3
from datetime import UTC, datetime

from newswatch.storage.store import FeedPoll, NewStory, Store


def story(url="https://a.example/news/1", **kw):
    fields = dict(
        url=url,
        title="Judul",
        body="Paragraf satu.\n\nParagraf dua.",
        published="2025-09-09T13:45:00+07:00",
        authors=["Namira"],
        feed="antara",
    )
    fields.update(kw)
    return NewStory(**fields)


def test_schema_migrates_once_and_uses_wal(tmp_path):
    path = tmp_path / "sub" / "n.db"
    Store(path).close()
    with Store(path) as store:
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        names = set(store.db.table_names())
        assert {"stories", "links", "feeds", "alerts", "runs", "stories_fts"} <= names


def test_story_stored_once_and_variants_recorded(tmp_path):
    with Store(tmp_path / "n.db") as store:
        sid, created = store.add_story(story(links=["https://a.example/amp/1"]))
        assert created
        again, created = store.add_story(
            story(title="Changed", body="", feed="other", links=["https://a.example/news/1?x=1"])
        )
        assert (again, created) == (sid, False)
        row = store.story(sid)
        assert row["title"] == "Judul" and row["feed"] == "antara"  # never overwritten
        assert json.loads(row["authors"]) == ["Namira"]
        for link in (
            "https://a.example/news/1",
            "https://a.example/amp/1",
            "https://a.example/news/1?x=1",
        ):
            assert store.story_for_link(link) == sid
        assert store.story_for_link("https://a.example/news/2") is None
        assert store.count("stories") == 1


def test_fts_index_follows_stories(tmp_path):
    with Store(tmp_path / "n.db") as store:
        store.add_story(story(title="Korea Utara uji rudal", body="Pyongyang meluncurkan"))
        hits = store.db.execute(
            "SELECT rowid FROM stories_fts WHERE stories_fts MATCH ?", ['"korea utara"']
        ).fetchall()
        assert len(hits) == 1


def test_first_seen_uses_the_clock(tmp_path):
    moment = datetime(2025, 9, 9, 6, 45, tzinfo=UTC)
    with Store(tmp_path / "n.db", clock=lambda: moment) as store:
        sid, _ = store.add_story(story())
        assert store.story(sid)["first_seen"] == "2025-09-09T06:45:00+00:00"


def test_feed_polls_keep_validators_and_count_errors(tmp_path):
    with Store(tmp_path / "n.db") as store:
        store.record_polls([FeedPoll("f", "https://a/rss", "ok", 200, etag='"1"', body_hash="h")])
        state = store.feed_state("f")
        assert state["etag"] == '"1"' and state["first_polled"] and state["errors"] == 0
        store.record_polls([FeedPoll("f", "https://a/rss", "not_modified", 304)])
        assert store.feed_state("f")["etag"] == '"1"'
        store.record_polls([FeedPoll("f", "https://a/rss", "error", 500, "HTTP 500")])
        store.record_polls([FeedPoll("f", "https://a/rss", "error", 500, "HTTP 500")])
        state = store.feed_state("f")
        assert state["errors"] == 2 and state["etag"] == '"1"' and state["last_error"] == "HTTP 500"
        store.add_story(story(feed="f"))
        assert store.story_counts() == {"f": 1}


def test_reader_does_not_block_a_writer(tmp_path):
    path = tmp_path / "n.db"
    with Store(path) as store:
        store.add_story(story())
        reader = sqlite3.connect(path)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM stories").fetchone()
        store.add_story(story(url="https://a.example/news/2"))  # WAL: no "database is locked"
        reader.rollback()
        reader.close()
        assert store.count("stories") == 2


# --- extraction health ------------------------------------------------------------------------


def test_extraction_health_shares_over_the_last_stories(tmp_path):
    with Store(tmp_path / "n.db") as store:
        assert store.extraction_health("antara") == {
            "n": 0,
            "share_body": None,
            "share_date": None,
            "share_authors": None,
        }
        for i in range(4):
            store.add_story(story(f"https://a.example/news/{i}"))
        store.add_story(story("https://a.example/news/x", body="", published=None, authors=[]))
        store.add_story(story("https://b.example/news/1", feed="other", body=""))
        health = store.extraction_health("antara", last_n=2)
        assert health == {"n": 2, "share_body": 0.5, "share_date": 0.5, "share_authors": 0.5}
        older = store.extraction_health("antara", last_n=10, skip=1)
        assert older == {"n": 4, "share_body": 1.0, "share_date": 1.0, "share_authors": 1.0}


def test_extraction_drop_is_warned_only_after_a_good_window(tmp_path):
    from newswatch.scheduler.cli.status_view import health_cell
    from newswatch.scheduler.extraction_health import extraction_warnings

    with Store(tmp_path / "n.db") as store:
        for i in range(10):
            store.add_story(story(f"https://a.example/news/{i}"))
        assert extraction_warnings(store, ["antara"]) == []  # too few stories to judge
        for i in range(10, 20):
            store.add_story(story(f"https://a.example/news/{i}", body="", authors=[]))
        warnings = extraction_warnings(store, ["antara"])
        assert len(warnings) == 2
        assert "feed=antara body in 0% of the last 10 stories, was 100%" in warnings[0]
        assert "authors" in warnings[1]
        assert health_cell(store.extraction_health("antara")) == "50/100/50% of 20"


def test_parse_starts_count_until_a_story_with_the_link_is_stored(tmp_path):
    with Store(tmp_path / "n.db") as store:
        url = "https://a.example/news/1"
        assert [store.note_parse(url), store.note_parse(url)] == [1, 2]
        store.add_story(story(url="https://a.example/canonical/1", links=[url]))
        assert store.note_parse(url) == 1  # the earlier starts finished: the story is stored
