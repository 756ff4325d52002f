"""parse_article end to end: the invented fixture pages, and pages built to break it."""

from __future__ import annotations

import pytest

from newswatch.crawler.article import parse_article

from article_pages import AS_OF, EXPECTED, HOST, PAGES, parse_fixture


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_fields(name: str) -> None:
    want = EXPECTED[name]
    got = parse_fixture(name)
    assert got.url == HOST + want["url_path"]
    assert got.title == want["title"]
    assert got.published == want["published"]
    assert got.authors == want["authors"]
    assert got.source == want["source"]
    assert got.is_amp == want["is_amp"]
    assert got.problem == want["problem"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_body(name: str) -> None:
    want = EXPECTED[name]
    got = parse_fixture(name)
    assert got.problem == want["problem"]
    body = got.body
    for sentence in want["body_contains"]:
        assert sentence in body
    for text in want["body_excludes"]:
        assert text not in body
    assert "\n\n\n" not in body
    if want["problem"] is None:
        assert body.count("\n\n") >= 2  # paragraphs kept apart


@pytest.mark.parametrize(
    ("data", "title", "body", "problem"),
    [
        (
            b"<html><body><div><p>unclosed <b>tags <i>everywhere<table><tr><td>cell",
            None,
            "unclosed tags everywherecell",
            None,
        ),
        (
            b"<html><head><title>x</title></head><body><p>\x00\x01\x02 nul bytes</p></body></html>",
            None,  # a one-letter title is no headline
            "nul bytes",
            None,
        ),
        (b"<<<<>>>><html <body>>><p>>>broken</p></html", None, ">>broken", None),
        (
            b'<?xml version="1.0" encoding="utf-8"?><html><body><p>xml decl</p></body></html>',
            None,
            "xml decl",
            None,
        ),
        (
            b"<html><head><meta charset='no-such-charset'></head>"
            b"<body><p>caf\xc3\xa9 cr\xc3\xa8me</p></body></html>",
            None,
            "caf\u00e9 cr\u00e8me",
            None,
        ),
        (
            b'<html><head><script type="application/ld+json">{"@type": "NewsArticle",</script>'
            b"</head><body><h1>Broken JSON-LD</h1></body></html>",
            "Broken JSON-LD",
            "",
            "no article text",
        ),
    ],
)
def test_malformed_markup_never_raises(data: bytes, title, body, problem) -> None:
    """Whatever markup survives the browser-like parse is read; what does not is left out."""
    got = parse_article(data, "http://x.test/a", as_of=AS_OF)
    assert (got.url, got.title, got.body, got.problem) == ("http://x.test/a", title, body, problem)


def test_bad_url_never_raises() -> None:
    got = parse_article((PAGES / "english_jsonld.html").read_bytes(), "not a url", as_of=AS_OF)
    assert got.title and got.body


def test_huge_page_returns() -> None:
    """A few MB, as real pages get with inline app state; the article must still come out."""
    page = (PAGES / "english_jsonld.html").read_bytes()
    state = (
        b'<script>window.__STATE__ = {"items": ['
        + b'{"id": 1, "t": "x"},' * 250_000
        + b"]}</script>"
    )
    data = page.replace(b"</body>", state + b"</body>")
    assert len(data) > 5_000_000
    got = parse_article(data, HOST + "/news/ukraine-drone.html", as_of=AS_OF)
    assert got.problem is None
    assert "shot down most of a large wave of drones" in got.body


def test_huge_text_page_never_raises() -> None:
    """A pathological ~1 MB wall of paragraphs and links: slow in trafilatura, but no exception."""
    block = (
        "<div class='nav'>" + "<a href='/x'>link</a> " * 20 + "</div><p>" + "word " * 100 + "</p>"
    )
    data = ("<html><head><title>Big</title></head><body>" + block * 400 + "</body></html>").encode()
    got = parse_article(data, "http://x.test/big", as_of=AS_OF)
    assert (got.title, got.problem) == ("Big", None)
    assert got.body == " ".join(["word"] * 100)  # the same paragraph 400 times is read once
