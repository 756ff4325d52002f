"""Authors: credit lines, and structured names the page labels as its editors."""

from __future__ import annotations

import pytest

from newswatch.crawler.article import parse_article
from newswatch.crawler.article.authors import extract_bylines

from article_pages import AS_OF


def _edited_page(ld_author: str, byline: str, editor: str) -> bytes:
    return f"""<html><head><meta name="author" content="portal.example developer">
    <script type="application/ld+json">{{"@type": "NewsArticle", "headline": "Wisuda Sekolah",
     "author": {{"@type": "Person", "name": "{ld_author}"}}}}</script></head><body>
    <div class="post-header"><h1>Wisuda Sekolah</h1>
    <div class="info"><div class="author-2">{byline}</div><span class="datetime">20/1/2026</span>
    </div></div><div class="article"><p>Sekolah ekonomi itu mewisuda lulusan magister ke-15 di
    Jakarta pada Selasa siang, disaksikan keluarga dan para pengajar.</p>
    <div class="info-author">Editor : <a class="author" href="/author/112">{editor}</a></div>
    </div></body></html>""".encode()


def test_a_structured_author_the_page_labels_editor_gives_way_to_the_byline() -> None:
    page = _edited_page("Heri Contoh", "Naufal Contoh", "Heri Contoh")
    assert parse_article(page, "http://x.test/a", as_of=AS_OF).authors == ["Naufal Contoh"]


def test_an_author_who_also_edits_stays_the_author() -> None:
    page = _edited_page("Heri Contoh", "Heri Contoh", "Heri Contoh")
    assert parse_article(page, "http://x.test/a", as_of=AS_OF).authors == ["Heri Contoh"]


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("Penulis: Rina Wulandari | Editor: Budi Santoso", ["Rina Wulandari"]),
        ("Penulis: Rina Wulandari / Editor: Budi", ["Rina Wulandari"]),
        ("Laporan Wartawan Tribunnews.com, Namira Yunia | Editor: Wahyu", ["Namira Yunia"]),
        ("Laporan Wartawan Tribunnews.com, Namira Yunia", ["Namira Yunia"]),
        ("Reporter: Ahmad Fauzi, Sri Lestari", ["Ahmad Fauzi", "Sri Lestari"]),
    ],
)
def test_credit_lines_name_the_writer_only(line, names):
    found, kept = extract_bylines([line, "Paragraf berita."])
    assert found == names and kept == ["Paragraf berita."]
