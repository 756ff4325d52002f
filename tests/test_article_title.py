"""Headlines: outlet names, tails and kickers that some sources add."""

from __future__ import annotations

import pytest

from newswatch.crawler.article import parse_article
from newswatch.crawler.article.title import strip_site_suffix

from article_pages import AS_OF


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


def test_title_tail_most_sources_omit_is_dropped() -> None:
    page = b"""<html><head><title>Harga Beras Turun di Pasar Induk</title>
    <meta property="og:title" content="Harga Beras Turun di Pasar Induk">
    <script type="application/ld+json">{"@type": "NewsArticle",
     "headline": "Harga Beras Turun di Pasar Induk | Ekonomi"}</script></head>
    <body><h1>Harga Beras Turun di Pasar Induk</h1><p>Text.</p></body></html>"""
    assert (
        parse_article(page, "http://x.test/a", as_of=AS_OF).title
        == "Harga Beras Turun di Pasar Induk"
    )


def test_jsonld_headline_leads_when_sources_disagree() -> None:
    page = b"""<html><head><meta property="og:title" content="A teaser for social media">
    <script type="application/ld+json">{"@type": "NewsArticle",
     "headline": "The headline of record"}</script></head>
    <body><h1>The headline of record</h1><p>Text.</p></body></html>"""
    assert parse_article(page, "http://x.test/a", as_of=AS_OF).title == "The headline of record"


def _titled_page(ld: str, og: str) -> bytes:
    return f"""<html><head><meta property="og:title" content="{og}">
    <script type="application/ld+json">{{"@type": "NewsArticle", "headline": "{ld}"}}</script>
    </head><body><h1>{ld}</h1><p>Text.</p></body></html>""".encode()


@pytest.mark.parametrize(
    ("ld", "og", "title"),
    [
        (  # a kicker in front of the headline of another source is not the headline
            "Olimpiade Paris: Timnas Bulu Tangkis Raih Emas Pertama",
            "Timnas Bulu Tangkis Raih Emas Pertama",
            "Timnas Bulu Tangkis Raih Emas Pertama",
        ),
        (  # a colon that every source keeps is part of the headline
            "Harga Beras: Pedagang Pasar Induk Mengeluh",
            "Harga Beras: Pedagang Pasar Induk Mengeluh",
            "Harga Beras: Pedagang Pasar Induk Mengeluh",
        ),
        (  # a speaker in front of a quote stays
            "Jokowi: Pemerintah Akan Menaikkan Gaji Guru",
            "Pemerintah Akan Menaikkan Gaji Guru",
            "Jokowi: Pemerintah Akan Menaikkan Gaji Guru",
        ),
        (  # too short to be the headline alone
            "Banjir Jakarta: Evakuasi Warga",
            "Evakuasi Warga",
            "Banjir Jakarta: Evakuasi Warga",
        ),
    ],
)
def test_title_without_its_kicker(ld: str, og: str, title: str) -> None:
    assert parse_article(_titled_page(ld, og), "http://x.test/a", as_of=AS_OF).title == title
