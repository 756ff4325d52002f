"""Feed parsing from bytes: tolerant, and never an exception."""

import pytest

from newswatch.crawler.feeds import _clip_authors, parse_feed

BASE = "https://outlet.example/rss.xml"


def rss_items(*items: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
        + "".join(items)
        + "</channel></rss>"
    ).encode()


def test_entries_links_normalized_and_deduplicated():
    feed = parse_feed(
        rss_items(
            "<item><title>A &amp; <b>B</b></title><link>/news/1?utm_source=rss</link>"
            "<description>&lt;p&gt;Ringkasan &lt;b&gt;berita&lt;/b&gt;&lt;/p&gt;</description>"
            "<pubDate>Tue, 09 Sep 2025 13:45:00 +0700</pubDate></item>",
            "<item><title>again</title><link>https://outlet.example/news/1#top</link></item>",
        ),
        BASE,
    )
    assert feed.problem is None
    assert len(feed.entries) == 1
    entry = feed.entries[0]
    assert entry.link == "https://outlet.example/news/1"
    assert entry.title == "A & B"
    assert entry.summary == "Ringkasan berita"
    assert entry.published == "2025-09-09T06:45:00+00:00"


def test_unsafe_and_missing_links_are_skipped_with_reason():
    feed = parse_feed(
        rss_items(
            "<item><title>x</title><link>javascript:alert(1)</link></item>",
            "<item><title>y</title><link>file:///etc/passwd</link></item>",
            "<item><title>no link</title></item>",
            "<item><title>ok</title><link>http://outlet.example/ok</link></item>",
        ),
        BASE,
    )
    assert [e.link for e in feed.entries] == ["http://outlet.example/ok"]
    reasons = [reason for _, reason in feed.skipped]
    assert reasons.count("not an http(s) link") == 2
    assert "entry has no link" in reasons


def test_atom_and_guid_permalink():
    atom = (
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
        b'<entry><title>Atom one</title><link href="https://a.example/1"/>'
        b"<updated>2025-06-04T10:00:00Z</updated></entry></feed>"
    )
    assert parse_feed(atom, BASE).entries[0].link == "https://a.example/1"
    guid_only = rss_items("<item><title>g</title><guid>https://a.example/g</guid></item>")
    assert parse_feed(guid_only, BASE).entries[0].link == "https://a.example/g"


def test_broken_feed_still_yields_entries():
    broken = rss_items(
        "<item><title>Good</title><link>https://a.example/good</link></item>",
        "<item><title>Bad &nbsp; entity <unclosed></title><link>https://a.example/bad</link>",
    )
    feed = parse_feed(broken, BASE)
    assert feed.problem is None
    assert "https://a.example/good" in [e.link for e in feed.entries]


def test_not_a_feed():
    for data in (b"", b"this is not xml", b"<html><body>hello</body></html>", b"\x00\xff" * 100):
        feed = parse_feed(data, BASE)
        assert feed.entries == []
        assert feed.problem


def test_entities_a_feed_declares_itself_are_never_expanded():
    """An internal DTD subset is how entity bombs get in: it is cut before feedparser reads."""
    declared = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY who "Kim Jong Un">]>'
        b'<rss version="2.0"><channel><item><title>&who; visits</title>'
        b"<link>https://a.example/1</link></item></channel></rss>"
    )
    assert [e.title for e in parse_feed(declared, BASE).entries] == ["visits"]
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "' + b"A" * 100_000 + b'">]>'
        b'<rss version="2.0"><channel><item><title>x</title><description>'
        + b"&a;" * 2000
        + b"</description><link>https://a.example/1</link></item></channel></rss>"
    )
    feed = parse_feed(bomb, BASE)
    assert [e.link for e in feed.entries] == ["https://a.example/1"]
    assert "AAAA" not in feed.entries[0].summary


@pytest.mark.parametrize(
    "reference", ["&#xD800;", "&#x110000;", "&#99999999999;", "&#" + "9" * 5000 + ";"]
)
def test_impossible_character_references_cost_only_their_entry(reference):
    data = rss_items(
        f"<item><title>bad {reference}</title><link>https://a.example/bad</link></item>",
        "<item><title>good</title><link>https://a.example/good</link></item>",
    )
    feed = parse_feed(data, BASE)
    assert feed.problem is None
    assert [e.link for e in feed.entries] == ["https://a.example/bad", "https://a.example/good"]
    assert feed.entries[0].title == "bad \ufffd"


def test_a_huge_author_element_is_clipped_not_parsed_for_minutes():
    long_author = rss_items(
        "<item><title>t</title><link>https://a.example/2</link><author>"
        + "a" * 40_000
        + "</author></item>"
    )
    assert _clip_authors(long_author).count(b"a" * 512) == 1
    assert b"a" * 513 not in _clip_authors(long_author)
    assert parse_feed(long_author, BASE).entries[0].link == "https://a.example/2"


def test_unclosed_internal_subset_is_not_a_feed():
    feed = parse_feed(b'<?xml version="1.0"?>' + b"<!DOCTYPE x [" * 5000, BASE)
    assert feed.entries == [] and feed.problem
