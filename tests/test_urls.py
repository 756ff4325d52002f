import pytest

from newswatch.crawler.urls import normalize_url, same_site, site_of


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTP://WWW.Example.COM/a/B.html", "http://www.example.com/a/B.html"),
        ("https://example.com:443/x", "https://example.com/x"),
        ("http://example.com:8080/x", "http://example.com:8080/x"),
        ("http://127.0.0.1:8000/news/1.html", "http://127.0.0.1:8000/news/1.html"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/a#comments", "https://example.com/a"),
        ("https://e.com/a?utm_source=rss&utm_medium=feed", "https://e.com/a"),
        ("https://e.com/a?id=3&utm_source=rss&page=2", "https://e.com/a?id=3&page=2"),
        ("https://e.com/a?fbclid=XYZ&gclid=1", "https://e.com/a"),
        ("https://e.com/a?b=2&a=1", "https://e.com/a?b=2&a=1"),  # order kept
        ("  https://e.com/a  ", "https://e.com/a"),
        ("javascript:alert(1)", None),
        ("file:///etc/passwd", None),
        ("ftp://e.com/x", None),
        ("gopher://127.0.0.1:6379/_INFO", None),
        ("https://e.com\\@evil.com/", None),
        ("http:///nohost", None),
        ("http://e.com:99999/", None),
        ("", None),
    ],
)
def test_normalize_url(raw, expected):
    assert normalize_url(raw) == expected


def test_sites():
    assert site_of("solo.tribunnews.com") == "tribunnews.com"
    assert site_of("news.detik.co.id") == "detik.co.id"
    assert site_of("www.bbc.co.uk") == "bbc.co.uk"
    assert same_site("https://solo.tribunnews.com/a", "https://www.tribunnews.com/b")
    assert not same_site("https://tribunnews.com/a", "https://kompas.com/a")
    assert not same_site("http://127.0.0.10:80/a", "http://127.0.0.11:80/a")
