"""A feed's extract: overrides, and the checks the config loader runs on them."""

from __future__ import annotations

import re

from newswatch.crawler.article import ExtractRules, parse_article, pattern_problem, selector_problem
from newswatch.crawler.article.body import clean_body

from article_pages import AS_OF


def test_feed_drop_lines_patterns_apply() -> None:
    body = clean_body(["Isi berita.", "Simak Video: Banjir"], None, [re.compile("^Simak Video")])
    assert body == "Isi berita."


OVERRIDE_PAGE = b"""<html><head><title>Portal Contoh</title></head><body>
<div class="judul-besar">Gempa Kecil Guncang Kota Pesisir</div>
<span class="waktu" data-x="1">Diterbitkan Selasa, 9 September 2025 13:45 WIB</span>
<div class="isi"><p>Gempa berkekuatan kecil mengguncang kota pesisir pada siang hari.</p>
<div class="promo-box"><p>Langganan buletin kami sekarang juga, gratis.</p></div>
<p>Tidak ada laporan kerusakan bangunan maupun korban jiwa hingga sore hari.</p>
<p>Catatan redaksi: artikel ini diperbarui.</p></div>
<p class="reporter"><a>Ayu Contoh</a> <a>Budi Contoh</a></p>
</body></html>"""


def test_feed_overrides_select_fields_and_drop_parts() -> None:
    rules = ExtractRules(
        title=".judul-besar",
        date=".waktu",
        authors=".reporter a",
        body="div.isi",
        drop=(".promo-box",),
        drop_lines=("^Catatan redaksi",),
    )
    got = parse_article(OVERRIDE_PAGE, "http://x.test/a", rules=rules, as_of=AS_OF)
    assert got.title == "Gempa Kecil Guncang Kota Pesisir"
    assert got.published == "2025-09-09T13:45:00+07:00"
    assert got.authors == ["Ayu Contoh", "Budi Contoh"]
    assert got.body == (
        "Gempa berkekuatan kecil mengguncang kota pesisir pada siang hari.\n\n"
        "Tidak ada laporan kerusakan bangunan maupun korban jiwa hingga sore hari."
    )


def test_bad_rules_are_named_by_their_checks_and_never_raise_in_the_parser() -> None:
    assert selector_problem("div[") and selector_problem("::nope")
    assert pattern_problem("(unclosed")
    assert selector_problem("div.isi") is None and pattern_problem("^Catatan redaksi") is None
    # The page parses without rules; a rule no check has seen costs that page (a parse error
    # kept from its feed entry), never the crawl. The config checks every rule before that.
    plain = parse_article(OVERRIDE_PAGE, "http://x.test/a", rules=ExtractRules(), as_of=AS_OF)
    assert plain.problem is None
    assert plain.body.startswith("Gempa berkekuatan kecil")
    for unchecked in (ExtractRules(body="div["), ExtractRules(drop_lines=("(unclosed",))):
        got = parse_article(OVERRIDE_PAGE, "http://x.test/a", rules=unchecked, as_of=AS_OF)
        assert (got.url, got.body, got.problem) == ("http://x.test/a", "", "parse error")
