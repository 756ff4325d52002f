"""The URL a story is stored under: canonical links kept on the site, AMP pages resolved."""

from __future__ import annotations

from newswatch.crawler.article import amp_canonical, parse_article

from article_pages import AS_OF, EXPECTED, HOST, PAGES, parse_fixture


def test_relative_canonical_follows_the_serving_host() -> None:
    page = (PAGES / "tribun_korut.html").read_bytes()
    got = parse_article(page, "https://news.example.test/m/12345.html", as_of=AS_OF)
    assert got.url == "https://news.example.test/news/korut-rudal.html"


def test_amp_page_resolves_to_its_canonical_story() -> None:
    amp = parse_fixture("english_jsonld_amp.html")
    plain = parse_fixture("english_jsonld.html")
    assert amp.is_amp and not plain.is_amp
    assert amp.url == plain.url


def test_an_amp_page_names_its_canonical_without_a_full_parse() -> None:
    served = HOST + EXPECTED["english_jsonld_amp.html"]["served_at"]
    amp = amp_canonical((PAGES / "english_jsonld_amp.html").read_bytes(), served)
    assert amp == HOST + EXPECTED["english_jsonld.html"]["url_path"]
    plain = (PAGES / "english_jsonld.html").read_bytes()
    assert amp_canonical(plain, HOST + EXPECTED["english_jsonld.html"]["served_at"]) is None
    assert amp_canonical(b"\x00\xff<html amp>\xfe", served) is None


def test_foreign_canonical_is_ignored() -> None:
    html = (
        (PAGES / "english_jsonld.html")
        .read_bytes()
        .replace(b'href="/news/ukraine-drone.html"', b'href="https://elsewhere.example/x.html"')
    )
    html = html.replace(b'content="/news/ukraine-drone.html"', b'content="https://other.test/y"')
    got = parse_article(
        html, "http://127.0.0.1:8765/news/ukraine-drone.html?utm_source=rss", as_of=AS_OF
    )
    assert got.url == "http://127.0.0.1:8765/news/ukraine-drone.html"
    assert (got.title, got.problem) == (EXPECTED["english_jsonld.html"]["title"], None)


def test_a_canonical_naming_the_home_page_is_not_the_story():
    page = (
        b'<html><head><link rel="canonical" href="https://www.contoh.co.id/">'
        b"<title>Judul</title></head><body><article><h1>Judul</h1>"
        + b"<p>Paragraf berita yang cukup panjang untuk diekstrak oleh pengurai.</p>" * 5
        + b"</article></body></html>"
    )
    url = "https://www.contoh.co.id/berita/2025/09/09/judul-berita"
    section = page.replace(b'href="https://www.contoh.co.id/"', b'href="/berita/"')
    for html in (page, section):
        got = parse_article(html, url, as_of=AS_OF)
        assert (got.url, got.title, got.problem) == (url, "Judul", None)


def test_the_amp_mark_is_read_from_the_root_tag_alone() -> None:
    from newswatch.crawler.article.decoding import is_amp_markup, is_amp_page

    amp = ["<HTML AMP lang=en>", '<html lang="id" \u26a1>', "<!doctype html>\n<html amp=''>"]
    plain = [
        '<html lang="en"><body><p>Q&amp;A: the amp of a guitar <html amp></p></body></html>',
        "<htmlx amp><html amp>",  # the first "<html" is not a root tag: not AMP
        "<p>no root tag at all, amp</p>",
    ]
    for text in amp:
        assert is_amp_page(text) and is_amp_markup(text.encode()), text
        assert is_amp_markup(memoryview(text.encode())), text  # the spider may hand a view
    for text in plain:
        assert not is_amp_page(text) and not is_amp_markup(text.encode()), text
    # Text before the root tag whose lower case is longer ("İ" lowers to two characters) does
    # not move where the root tag is looked for.
    assert is_amp_page("<!-- \u0130\u0130\u0130 --><html amp>")
