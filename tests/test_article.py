"""parse_article against the invented fixture pages, and its promise never to raise."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from newswatch.crawler.article import (
    Article,
    ExtractRules,
    clean_body,
    parse_article,
    parse_date,
    pattern_problem,
    selector_problem,
    strip_site_suffix,
)

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


def test_an_amp_page_names_its_canonical_without_a_full_parse() -> None:
    from newswatch.crawler.article import amp_canonical

    served = HOST + EXPECTED["english_jsonld_amp.html"]["served_at"]
    amp = amp_canonical((PAGES / "english_jsonld_amp.html").read_bytes(), served)
    assert amp == parse_fixture("english_jsonld.html").url
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


# --- rules added for issue 5 ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("Rabu (4/6/2025)", "2025-06-04"),
        ("JAKARTA, KOMPAS.com - Sabtu (31/5/2025), hujan deras", "2025-05-31"),
        ("Kamis (12/6/2025) pukul 10.30 WIB", "2025-06-12T10:30:00+07:00"),
        ("Jumat (6/6/2025) 19:05 WITA", "2025-06-06T19:05:00+08:00"),
        ("Senin (13/13/2025)", None),
    ],
)
def test_indonesian_day_first_dates(text: str, iso: str | None) -> None:
    assert parse_date(text) == iso


@pytest.mark.parametrize(
    "line",
    [
        "ADVERTISEMENT",
        "SCROLL TO CONTINUE WITH CONTENT",
        "Iklan",
        "Foto: Dimas Contoh/Kabar Contoh",
        "(Foto: Arsip Redaksi)",
        "ANTARA FOTO/Contoh Fotografer/abc.",
        "Photo: Jane Example/Getty Images",
        "2025-06-04T10:30:00+07:00",
        "https://cdn.example.test/img/photo-1.jpg",
        "Baca Juga: Judul Lain",
        "Simak juga: Video Lain",
        "Read also: Another story",
        "Follow Example Daily on Instagram, Facebook and Twitter.",
        "Follow us @exampledaily for more",
        "Like this story? Share it with a friend!",
        "Click here to subscribe to The Sample Newsletter",
        "Sign up: get the latest stories in our Email Newsletters here.",
        "Write to Sam Placeholder at sam@example.test",
        "Have a tip? Sam Placeholder may be reached at sam@example.test.",
        "(Reporting by Ann Sample; Editing by Ben Sample)",
        "Additional reporting by Cal Sample",
        "Dee Sample contributed to this report.",
        "Eve Sample contributed reporting from Example City.",
        "SEE MORE: Another invented story headline",
        "MORE : A teaser for something else",
        "Reading time: 3 minutes",
        "4 min read",
    ],
)
def test_layout_lines_are_dropped(line: str) -> None:
    body = clean_body(["Paragraf pertama yang panjang.", line, "Paragraf kedua."], None)
    assert body == "Paragraf pertama yang panjang.\n\nParagraf kedua."


def test_prose_that_mentions_photos_or_ads_is_kept() -> None:
    lines = [
        "Foto-foto banjir itu beredar luas di media sosial sejak pagi.",
        "Advertisement spending rose by a tenth, the agency said.",
        "Pompa Air Dikerahkan",
        "Follow the river north and the road ends at a ferry landing.",
        "More than 200 families had left the valley by Friday.",
        "Nobody contributed to this report's findings except the auditors, the minister said.",
        "Click-through rates fell, the study found.",
    ]
    assert clean_body(lines, None) == "\n\n".join(lines)


def test_repeated_runs_of_prose_are_dropped_lone_repeats_kept() -> None:
    teaser_a = (
        "An invented teaser about a harbour that reopened after a long winter. " * 2
    ).strip()
    teaser_b = (
        "Another invented teaser, this one about a library moving across town. " * 2
    ).strip()
    question = "What do you cook at home on a quiet weekday evening?"
    lines = [
        "Opening paragraph of the story.",
        teaser_a,
        teaser_b,
        question,
        "Soup, mostly.",
        question,
        "Whatever is left in the fridge.",
        "- Weighs 200 grams",
        "- Charges in an hour",
        "- Weighs 200 grams",
        "- Charges in an hour",
        "Closing paragraph of the story.",
        teaser_a,
        teaser_b,
    ]
    assert clean_body(lines, None).split("\n\n") == lines[:-2]


def test_a_time_element_printing_only_its_day_is_the_date() -> None:
    page = b"""<html><head><title>Town notes</title></head><body><article>
    <h1>Town notes</h1><ul><li><time class="create-date"> 31.03.2020 </time></li></ul>
    <p>The invented town council met on Tuesday and agreed on a new timetable.</p>
    </article></body></html>"""
    assert parse_article(page, "http://x.test/a").published == "2020-03-31"


def _dated_page(shown: str) -> bytes:
    return f"""<html><head><title>Harbour notes</title>
    <meta property="article:published_time" content="2023-11-06T14:25:00+00:00">
    <script type="application/ld+json">{{"@type": "NewsArticle", "headline": "Harbour notes",
    "datePublished": "2023-11-03T10:25:56+00:00"}}</script></head><body><article>
    <h1>Harbour notes</h1><span class="post-date">{shown}</span>
    <p>The invented harbour office published its winter timetable for the ferries.</p>
    </article></body></html>""".encode()


def test_when_structured_dates_disagree_the_one_the_page_shows_wins() -> None:
    shown_meta = parse_article(_dated_page("6 November 2023, 15:25"), "http://x.test/a")
    assert shown_meta.published.startswith("2023-11-06")
    shown_ld = parse_article(_dated_page("3 November 2023, 10:25"), "http://x.test/a")
    assert shown_ld.published.startswith("2023-11-03")
    shown_none = parse_article(_dated_page("Winter timetable"), "http://x.test/a")
    assert shown_none.published.startswith("2023-11-03")  # JSON-LD leads by default


def test_a_meta_itemprop_date_does_not_confirm_itself() -> None:
    page = _dated_page("3 November 2023, 10:25").replace(
        b'<meta property="article:published_time" content="2023-11-06T14:25:00+00:00">',
        b'<meta itemprop="datePublished" content="2023-11-06T14:25:00+00:00">',
    )
    assert b"itemprop" in page
    assert parse_article(page, "http://x.test/a").published.startswith("2023-11-03")


def _chunked_page(body_class: str) -> bytes:
    def para(i: int, topic: str) -> str:
        return (
            f"<p>Paragraph {i} about the {topic}: the invented survey team walked the frozen shore"
            " again, measured the albedo of the pond and wrote careful notes about every square"
            " metre they covered that day.</p>"
        )

    def chunk(paras: range, topic: str) -> str:
        inner = "".join(para(i, topic) for i in paras)
        return (
            f'<div class="grid"><div class="grid-item"><div class="{body_class}">{inner}</div>'
            '</div><aside class="rail"><div class="ad">Advertisement</div></aside></div>'
        )

    return f"""<html><head><title>Ice notes</title></head><body>
    <header><nav><a href="/">Home</a> <a href="/science">Science</a></nav></header>
    <main><article><h1>Ice notes</h1>{chunk(range(6), "pond")}
    <div class="row ad-row"><div class="ad">Advertisement</div></div>
    {chunk(range(6, 12), "glacier")}</article></main>
    <footer><p>Invented Magazine, all rights reserved.</p></footer></body></html>""".encode()


def test_a_story_body_cut_into_chunks_between_ad_rows_is_read_whole() -> None:
    body = parse_article(
        _chunked_page("body body__container article__body"), "http://x.test/a"
    ).body
    assert "Paragraph 0 " in body and "Paragraph 11 " in body
    assert body.index("Paragraph 5 ") < body.index("Paragraph 6 ")  # in page order
    assert "Advertisement" not in body


def test_repeated_comment_bodies_are_not_joined_into_the_story() -> None:
    from newswatch.crawler.article import _body_chunks, _load_tree

    tree = _load_tree(_chunked_page("comment-body").decode())
    assert _body_chunks(tree) == []


LINK_LIST_PAGE = b"""<html><head><title>Tanker seized</title></head><body><main><article>
<h1>Tanker seized</h1>
<p>The invented coast guard boarded a tanker in the northern sea early on Wednesday morning,
after a chase that lasted several days and involved two patrol ships and a helicopter.</p>
<ul><li><strong>Newsblog</strong>:
<a href="/news/1.html">All the latest news on Donald Trump</a></li>
<li><strong>Ghost fleet</strong>:
<a href="/news/2.html">Tankers slip through a blockade</a></li></ul>
<p>Officials said the crew of twenty-three was unharmed and the ship would be brought into port
for an inspection of its cargo, papers and the logs of its recent voyages across the ocean.</p>
<ul><li>Twenty-three crew members on board</li>
<li>Cargo of crude oil, says the <a href="/coast-guard">coast guard</a></li></ul>
<p>The owners of the tanker have not commented on the seizure so far, the agency reported.</p>
</article></main></body></html>"""


def test_lists_of_links_to_other_stories_are_not_story_text() -> None:
    body = parse_article(LINK_LIST_PAGE, "http://x.test/a").body
    assert "Donald Trump" not in body and "Ghost fleet" not in body
    assert "Twenty-three crew members on board" in body  # a list of facts stays
    assert "Cargo of crude oil" in body


LEAD = (
    "Der designierte Bürgermeister der erfundenen Stadt hat nach dem Rückzug seines Kandidaten"
    " eine frühere Anwältin als Stadträtin nominiert."
)


def _lead_page(description: str) -> bytes:
    paras = "".join(
        f"<p>Absatz {i}: Die erfundene Stadtverwaltung teilte am Freitag mit, dass die Sitzung"
        " des Rates verschoben werde und die Tagesordnung neu beraten werden müsse.</p>"
        for i in range(8)
    )
    return f"""<html><head><title>Neue Stadträtin</title>
    <meta name="description" content="{description}"></head><body>
    <nav><a href="/">Start</a> <a href="/politik">Politik</a></nav>
    <div class="story-lead"><div class="keyword">Nach dem Rückzug</div>
    <h1 class="story-lead-headline">Neue Stadträtin</h1>
    <p class="story-lead-text"><strong>{LEAD}</strong></p>
    <div class="story-meta">Online seit heute, 7.57 Uhr</div></div>
    <div class="story-content">{paras}</div>
    <footer><p>Erfundener Rundfunk, alle Rechte vorbehalten.</p></footer></body></html>""".encode()


def test_the_lead_shown_under_the_headline_opens_the_body_once() -> None:
    body = parse_article(_lead_page(LEAD), "http://x.test/a").body
    assert body.startswith(LEAD + "\n\nAbsatz 0:")
    assert body.count("designierte Bürgermeister") == 1


def test_no_lead_is_added_when_the_description_is_not_shown_above_the_body() -> None:
    other = "Eine Beschreibung, die nirgends auf der Seite steht, und lang genug ist für die Regel."
    body = parse_article(_lead_page(other), "http://x.test/a").body
    assert body.startswith("Absatz 0:")


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
    got = parse_article(OVERRIDE_PAGE, "http://x.test/a", rules=rules)
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
    unchecked = parse_article(OVERRIDE_PAGE, "http://x.test/a", rules=ExtractRules(body="div["))
    assert (unchecked.problem, unchecked.body) == ("parse error", "")
    plain = parse_article(OVERRIDE_PAGE, "http://x.test/a", rules=ExtractRules(drop_lines=()))
    assert plain.problem is None
    assert plain.body.startswith("Gempa berkekuatan kecil")


def test_utc_stamp_is_restated_in_the_local_time_the_page_prints() -> None:
    page = b"""<html><head>
    <meta property="article:published_time" content="2023-11-09T06:35:29+00:00">
    <meta name="sailthru.date" content="2023-11-08 22:35:29">
    <title>Night story</title></head>
    <body><article><p>Late news text.</p></article></body></html>"""
    got = parse_article(page, "http://x.test/a")
    assert got.published == "2023-11-08T22:35:29-08:00"


def test_any_article_subtype_in_jsonld_counts() -> None:
    page = b"""<html><head><script type="application/ld+json">
    {"@type": "ReportageNewsArticle", "headline": "Field report from the coast",
     "datePublished": "2025-06-05T20:43:49+0000", "author": {"name": "Rina Contoh"}}
    </script></head><body><h1>Field report from the coast</h1><p>Text.</p></body></html>"""
    got = parse_article(page, "http://x.test/a")
    assert (got.published, got.authors) == ("2025-06-05T20:43:49+00:00", ["Rina Contoh"])


def test_title_tail_most_sources_omit_is_dropped() -> None:
    page = b"""<html><head><title>Harga Beras Turun di Pasar Induk</title>
    <meta property="og:title" content="Harga Beras Turun di Pasar Induk">
    <script type="application/ld+json">{"@type": "NewsArticle",
     "headline": "Harga Beras Turun di Pasar Induk | Ekonomi"}</script></head>
    <body><h1>Harga Beras Turun di Pasar Induk</h1><p>Text.</p></body></html>"""
    assert parse_article(page, "http://x.test/a").title == "Harga Beras Turun di Pasar Induk"


def test_jsonld_headline_leads_when_sources_disagree() -> None:
    page = b"""<html><head><meta property="og:title" content="A teaser for social media">
    <script type="application/ld+json">{"@type": "NewsArticle",
     "headline": "The headline of record"}</script></head>
    <body><h1>The headline of record</h1><p>Text.</p></body></html>"""
    assert parse_article(page, "http://x.test/a").title == "The headline of record"


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
    assert parse_article(_titled_page(ld, og), "http://x.test/a").title == title


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
    assert parse_article(page, "http://x.test/a").authors == ["Naufal Contoh"]


def test_an_author_who_also_edits_stays_the_author() -> None:
    page = _edited_page("Heri Contoh", "Heri Contoh", "Heri Contoh")
    assert parse_article(page, "http://x.test/a").authors == ["Heri Contoh"]


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
    from newswatch.crawler.article import extract_bylines

    found, kept = extract_bylines([line, "Paragraf berita."])
    assert found == names and kept == ["Paragraf berita."]


def test_a_canonical_naming_the_home_page_is_not_the_story():
    page = (
        b'<html><head><link rel="canonical" href="https://www.contoh.co.id/">'
        b"<title>Judul</title></head><body><article><h1>Judul</h1>"
        + b"<p>Paragraf berita yang cukup panjang untuk diekstrak oleh pengurai.</p>" * 5
        + b"</article></body></html>"
    )
    url = "https://www.contoh.co.id/berita/2025/09/09/judul-berita"
    assert parse_article(page, url).url == url
    section = page.replace(b'href="https://www.contoh.co.id/"', b'href="/berita/"')
    assert parse_article(section, url).url == url


def test_a_parse_that_runs_over_its_time_is_cut_short(monkeypatch) -> None:
    import signal

    from newswatch.crawler import article

    def endless(*args, **kwargs):
        while True:  # trafilatura#704: an extraction that never ends
            pass

    monkeypatch.setattr(article, "_parse", endless)
    before = signal.getsignal(signal.SIGALRM)
    got = parse_article(b"<html><body><p>x</p></body></html>", "http://x.test/a", seconds=0.05)
    assert got.problem == "parse timed out" and got.body == ""
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # nothing left armed
    assert signal.getsignal(signal.SIGALRM) is before


def test_the_time_limit_is_not_swallowed_by_a_library_catching_everything(monkeypatch) -> None:
    from newswatch.crawler import article

    def stubborn(*args, **kwargs):
        while True:
            try:
                while True:
                    pass
            except Exception:  # noqa: BLE001 - what some libraries do
                continue

    monkeypatch.setattr(article, "_parse", stubborn)
    got = parse_article(b"<html></html>", "http://x.test/a", seconds=0.05)
    assert got.problem == "parse timed out"


def test_a_parse_within_its_time_is_untouched() -> None:
    got = parse_article(LINK_LIST_PAGE, "http://x.test/a", seconds=30)
    assert got.problem is None and "Twenty-three crew members" in got.body


def test_prefixed_tags_around_a_link_list_do_not_cost_the_body() -> None:
    paras = "".join(
        f"<p>Paragraph {i} of the invented story, long enough for the extractor to keep.</p>"
        for i in range(8)
    )
    page = f"""<html><body><main><article><h1>Title here</h1>
    <div><fb:comments><ul><li><a href="/a">Other story one</a></li>
    <li><a href="/b">Other story two</a></li></ul></fb:comments></div>
    <div class="article-body">{paras}</div><div class="ad">Ad</div>
    <div class="article-body">{paras.replace("Paragraph", "Part")}</div>
    </article></main></body></html>""".encode()
    got = parse_article(page, "http://x.test/a")
    assert "Paragraph 0 " in got.body and "Part 7 " in got.body
    assert "Other story" not in got.body
