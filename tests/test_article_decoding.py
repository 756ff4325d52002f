"""Bytes to text: charsets, and what is no web page at all."""

from __future__ import annotations

import pytest

from newswatch.crawler.article import parse_article

from article_pages import AS_OF, PAGES


def test_header_charset_wins_over_missing_meta() -> None:
    html = "<html><head><title>Ça va</title></head><body><p>é</p></body></html>".encode("cp1252")
    got = parse_article(
        html, "http://x.test/a", {"Content-Type": "text/html; charset=windows-1252"}, as_of=AS_OF
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
    got = parse_article(data, "http://127.0.0.1:8765/news/x.html", as_of=AS_OF)
    assert got.problem == problem
    assert got.body == ""
    assert got.url == "http://127.0.0.1:8765/news/x.html"


def test_declared_non_html_content_type() -> None:
    html = (PAGES / "english_jsonld.html").read_bytes()
    got = parse_article(
        html, "http://x.test/a.pdf", {"content-type": "application/pdf"}, as_of=AS_OF
    )
    assert got.problem == "not html"


def test_an_unknown_charset_on_bytes_that_are_not_utf8_still_gives_text() -> None:
    """Detection guesses where the declaration names no codec Python knows; it never fails."""
    page = (
        b"<html><head><meta charset='no-such-charset'></head>"
        b"<body><p>\xff\xfe\xfd</p></body></html>"
    )
    got = parse_article(page, "http://x.test/a", as_of=AS_OF)
    assert got.problem is None
    assert len(got.body) == 3 and "\ufffd" not in got.body
