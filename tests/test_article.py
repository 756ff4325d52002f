"""parse_article against the invented fixture pages, and its promise never to raise."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.article import Article, parse_article, parse_date, strip_site_suffix

PAGES = Path(__file__).parent / "fixtures" / "pages"
EXPECTED = json.loads((PAGES / "expected.json").read_text(encoding="utf-8"))["pages"]
HOST = "http://127.0.0.1:8765"


def parse_fixture(name: str, host: str = HOST) -> Article:
    """Parse a fixture as if fetched from its intended path on a loopback server."""
    return parse_article((PAGES / name).read_bytes(), host + EXPECTED[name]["served_at"])


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
    body = parse_fixture(name).body
    for sentence in want["body_contains"]:
        assert sentence in body
    for text in want["body_excludes"]:
        assert text not in body
    assert "\n\n\n" not in body
    if want["problem"] is None:
        assert body.count("\n\n") >= 2  # paragraphs kept apart


def test_relative_canonical_follows_the_serving_host() -> None:
    got = parse_fixture("tribun_korut.html", host="https://news.example.test")
    assert got.url == "https://news.example.test/news/korut-rudal.html"


def test_amp_page_resolves_to_its_canonical_story() -> None:
    amp = parse_fixture("english_jsonld_amp.html")
    plain = parse_fixture("english_jsonld.html")
    assert amp.is_amp and not plain.is_amp
    assert amp.url == plain.url


def test_foreign_canonical_is_ignored() -> None:
    html = (
        (PAGES / "english_jsonld.html")
        .read_bytes()
        .replace(b'href="/news/ukraine-drone.html"', b'href="https://elsewhere.example/x.html"')
    )
    html = html.replace(b'content="/news/ukraine-drone.html"', b'content="https://other.test/y"')
    got = parse_article(html, "http://127.0.0.1:8765/news/ukraine-drone.html?utm_source=rss")
    assert got.url == "http://127.0.0.1:8765/news/ukraine-drone.html"


def test_header_charset_wins_over_missing_meta() -> None:
    html = "<html><head><title>Ça va</title></head><body><p>é</p></body></html>".encode("cp1252")
    got = parse_article(
        html, "http://x.test/a", {"Content-Type": "text/html; charset=windows-1252"}
    )
    assert got.title == "Ça va"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "not html"),
        (b"   \n\t ", "not html"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj", "not html"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "not html"),
        (bytes(range(256)) * 64, "not html"),
        (b'{"title": "<b>not a page</b>", "items": [1, 2, 3]}', "not html"),
        (b"just some plain words without any markup at all", "not html"),
    ],
)
def test_non_html_input_is_a_problem_not_an_exception(data: bytes, problem: str) -> None:
    got = parse_article(data, "http://127.0.0.1:8765/news/x.html")
    assert got.problem == problem
    assert got.body == ""
    assert got.url == "http://127.0.0.1:8765/news/x.html"


def test_declared_non_html_content_type() -> None:
    html = (PAGES / "english_jsonld.html").read_bytes()
    got = parse_article(html, "http://x.test/a.pdf", {"content-type": "application/pdf"})
    assert got.problem == "not html"


@pytest.mark.parametrize(
    "data",
    [
        b"<html><body><div><p>unclosed <b>tags <i>everywhere<table><tr><td>cell",
        b"<html><head><title>x</title></head><body><p>\x00\x01\x02 nul bytes</p></body></html>",
        b"<<<<>>>><html <body>>><p>>>broken</p></html",
        b'<?xml version="1.0" encoding="utf-8"?><html><body><p>xml decl</p></body></html>',
        b"<html><head><meta charset='no-such-charset'></head>"
        b"<body><p>\xff\xfe\xfd</p></body></html>",
        b'<html><head><script type="application/ld+json">{"@type": "NewsArticle",</script>'
        b"</head><body><h1>Broken JSON-LD</h1></body></html>",
    ],
)
def test_malformed_markup_never_raises(data: bytes) -> None:
    got = parse_article(data, "http://x.test/a")
    assert isinstance(got, Article)
    assert isinstance(got.body, str)


def test_bad_url_never_raises() -> None:
    got = parse_article((PAGES / "english_jsonld.html").read_bytes(), "not a url")
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
    got = parse_article(data, HOST + "/news/ukraine-drone.html")
    assert got.problem is None
    assert "shot down most of a large wave of drones" in got.body


def test_huge_text_page_never_raises() -> None:
    """A pathological ~1 MB wall of paragraphs and links: slow in trafilatura, but no exception."""
    block = (
        "<div class='nav'>" + "<a href='/x'>link</a> " * 20 + "</div><p>" + "word " * 100 + "</p>"
    )
    data = ("<html><head><title>Big</title></head><body>" + block * 400 + "</body></html>").encode()
    assert isinstance(parse_article(data, "http://x.test/big"), Article)


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("Selasa, 9 September 2025 13:45 WIB", "2025-09-09T13:45:00+07:00"),
        ("Rabu, 1 Okt 2025 08:05 WITA", "2025-10-01T08:05:00+08:00"),
        ("Jumat, 12 Des 2025 | 21:00 WIT", "2025-12-12T21:00:00+09:00"),
        ("Senin, 4 Mei 2020", "2020-05-04"),
        ("17 Agu 2024", "2024-08-17"),
        ("2025-09-09T06:45:00Z", "2025-09-09T06:45:00+00:00"),
        ("2025-09-09", "2025-09-09"),
        ("2025/03/14", "2025-03-14"),
        ("March 14, 2025 6:20 pm", "2025-03-14T18:20:00"),
        ("no date here", None),
    ],
)
def test_parse_date(text: str, iso: str | None) -> None:
    assert parse_date(text) == iso


@pytest.mark.parametrize(
    ("title", "site", "url", "clean"),
    [
        ("Harga Emas Naik - Tribunnews.com", None, "https://www.tribunnews.com/a",
         "Harga Emas Naik"),
        ("Storm hits coast | BBC News", "BBC News", "https://www.bbc.com/a", "Storm hits coast"),
        ("Ceasefire talks resume — World Desk", "World Desk", "https://w.test/a",
         "Ceasefire talks resume"),
        ("Trump - The Interview That Changed Everything", None, "https://x.test/a",
         "Trump - The Interview That Changed Everything"),
    ],
)  # fmt: skip
def test_strip_site_suffix(title: str, site: str | None, url: str, clean: str) -> None:
    assert strip_site_suffix(title, site, url, loose=True) == clean
