"""Atom feeds of alerts: valid Atom 1.0 that any reader parses, stable entry ids, hostile
headlines escaped, and only the feeds that changed rewritten."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import feedparser
import pytest

from newswatch.scheduler.config import load_config
from newswatch.scheduler.cycle import after_crawl, before_crawl
from newswatch.scheduler.delivery.atom import ATOM, feed_path, update_feeds
from newswatch.storage.store import NewStory, Store

from conftest import write_config

A = f"{{{ATOM}}}"
HOSTILE = 'North Korea <script>alert("x")</script> ]]> &amp; \x01\x0b bell \u202e gnp.exe'


def setup(tmp_path, entries=200, zone="Asia/Jakarta"):
    path = write_config(
        tmp_path,
        [("wire", "http://127.0.0.1:9/feed.xml")],
        topics=[("korea", '"north korea"'), ("seoul", "seoul")],
        alerts={"feed_entries": entries},
        schedule={"timezone": zone},
    )
    return load_config(path)


def cycle(store, config, stories):
    boundary = before_crawl(store, config)
    for key, title, body in stories:
        published = "2025-09-09T06:45:00+00:00"
        store.add_story(NewStory(f"https://e.example/{key}", title, body, published, [], "wire"))
    after_crawl(store, config, boundary)
    return update_feeds(store, config)


def test_every_topic_and_each_topic_get_a_feed_a_reader_parses(tmp_path):
    config = setup(tmp_path)
    with Store(config.database) as store:
        cycle(store, config, [("a", "North Korea test", ""), ("b", "Seoul and North Korea", "")])
    every = feedparser.parse(feed_path(config).read_bytes())
    korea = feedparser.parse(feed_path(config, "korea").read_bytes())
    seoul = feedparser.parse(feed_path(config, "seoul").read_bytes())
    assert not every.bozo and not korea.bozo and not seoul.bozo
    assert [e.title for e in every.entries] == [
        "Seoul and North Korea",
        "Seoul and North Korea",
        "North Korea test",
    ]  # one entry per alert, newest first: the story of two topics is two alerts
    assert [e.title for e in korea.entries] == ["Seoul and North Korea", "North Korea test"]
    assert [e.title for e in seoul.entries] == ["Seoul and North Korea"]
    entry = korea.entries[1]
    assert entry.link == "https://e.example/a"
    assert entry.author == "wire"
    assert [t.term for t in entry.tags] == ["korea"]
    assert "matched: north korea" in entry.summary
    assert entry.published == "2025-09-09T13:45:00+07:00"  # in schedule.timezone
    assert entry.updated.endswith("+07:00")
    assert every.feed.title == "newswatch: every topic" and korea.feed.title == "newswatch: korea"


def test_entry_ids_are_stable_tag_uris_the_same_in_every_feed(tmp_path):
    config = setup(tmp_path)
    with Store(config.database) as store:
        cycle(store, config, [("a", "North Korea test", "")])
        first = {e.id for e in feedparser.parse(feed_path(config).read_bytes()).entries}
        cycle(store, config, [("b", "North Korea again", "")])
        again = feedparser.parse(feed_path(config).read_bytes()).entries
    korea = feedparser.parse(feed_path(config, "korea").read_bytes()).entries
    assert first <= {e.id for e in again}  # an alert keeps its id when the feed is rewritten
    assert {e.id for e in korea} == {e.id for e in again}
    assert all(e.id.startswith("tag:newswatch.invalid,2025:") for e in again)
    assert all(e.id.endswith(f":alert:{n}") for e, n in zip(again, (2, 1), strict=True))


def test_each_feed_holds_the_elements_rfc_4287_requires(tmp_path):
    config = setup(tmp_path)
    with Store(config.database) as store:
        cycle(store, config, [("a", "North Korea test", "")])
    feed = ET.parse(feed_path(config)).getroot()
    assert feed.tag == f"{A}feed"
    for name in ("id", "title", "updated"):
        assert feed.find(f"{A}{name}") is not None and feed.find(f"{A}{name}").text
    assert feed.find(f"{A}author/{A}name").text  # entries inherit it if they have none
    [entry] = feed.findall(f"{A}entry")
    for name in ("id", "title", "updated"):
        assert entry.find(f"{A}{name}").text
    assert entry.find(f"{A}link").get("rel") == "alternate"  # no content: a link is required
    assert entry.find(f"{A}author/{A}name").text == "wire"


def test_a_hostile_headline_is_escaped_and_the_feed_stays_valid(tmp_path):
    config = setup(tmp_path)
    with Store(config.database) as store:
        cycle(store, config, [("a", HOSTILE, "north korea <b>body</b>")])
    raw = feed_path(config).read_text("utf-8")
    assert "<script>" not in raw and "&lt;script&gt;" in raw
    ET.fromstring(raw)  # well-formed: XML 1.0 cannot even hold \x01, so it is dropped
    [entry] = feedparser.parse(raw.encode()).entries
    assert entry.title == 'North Korea <script>alert("x")</script> ]]> &amp; bell gnp.exe'


def test_only_the_feeds_that_changed_are_written_again(tmp_path):
    config = setup(tmp_path)
    with Store(config.database) as store:
        assert cycle(store, config, [("a", "North Korea test", "")]) == 3  # every, korea, seoul
        assert cycle(store, config, []) == 0  # nothing new: nothing written
        assert cycle(store, config, [("b", "Seoul rain", "")]) == 2  # every and seoul
        feed_path(config, "korea").unlink()
        assert update_feeds(store, config) == 1  # a missing file is written again
        utc = setup(tmp_path, zone="UTC")
        assert update_feeds(store, utc) == 3  # times are shown in another zone now


def test_a_feed_holds_the_last_feed_entries_alerts(tmp_path):
    config = setup(tmp_path, entries=2)
    with Store(config.database) as store:
        cycle(store, config, [(str(i), f"North Korea {i}", "") for i in range(5)])
    titles = [e.title for e in feedparser.parse(feed_path(config).read_bytes()).entries]
    assert titles == ["North Korea 4", "North Korea 3"]


def test_a_topic_no_longer_configured_loses_its_feed(tmp_path):
    config = setup(tmp_path)
    with Store(config.database) as store:
        cycle(store, config, [("a", "Seoul rain", "")])
        assert feed_path(config, "seoul").exists()
        fewer = load_config(
            write_config(
                tmp_path,
                [("wire", "http://127.0.0.1:9/feed.xml")],
                topics=[("korea", '"north korea"')],
                schedule={"timezone": "Asia/Jakarta"},
            )
        )
        update_feeds(store, fewer)
    assert not feed_path(config, "seoul").exists()
    assert feed_path(config, "korea").exists()


@pytest.mark.parametrize("entries", [0, 10_001, "many"])
def test_feed_entries_is_checked(tmp_path, entries):
    from newswatch.scheduler.config import ConfigError

    with pytest.raises(ConfigError) as caught:
        setup(tmp_path, entries=entries)
    assert "alerts.feed_entries" in str(caught.value)
