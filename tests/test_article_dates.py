"""Publication dates: written forms, structured statements that disagree, local time."""

from __future__ import annotations

from datetime import date

import pytest

from newswatch.crawler.article import parse_article
from newswatch.crawler.article.dates import parse_date

from article_pages import AS_OF


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
    assert parse_date(text, AS_OF) == iso


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
    assert parse_date(text, AS_OF) == iso


def test_a_time_element_printing_only_its_day_is_the_date() -> None:
    page = b"""<html><head><title>Town notes</title></head><body><article>
    <h1>Town notes</h1><ul><li><time class="create-date"> 31.03.2020 </time></li></ul>
    <p>The invented town council met on Tuesday and agreed on a new timetable.</p>
    </article></body></html>"""
    assert parse_article(page, "http://x.test/a", as_of=AS_OF).published == "2020-03-31"


def _dated_page(shown: str) -> bytes:
    return f"""<html><head><title>Harbour notes</title>
    <meta property="article:published_time" content="2023-11-06T14:25:00+00:00">
    <script type="application/ld+json">{{"@type": "NewsArticle", "headline": "Harbour notes",
    "datePublished": "2023-11-03T10:25:56+00:00"}}</script></head><body><article>
    <h1>Harbour notes</h1><span class="post-date">{shown}</span>
    <p>The invented harbour office published its winter timetable for the ferries.</p>
    </article></body></html>""".encode()


def test_when_structured_dates_disagree_the_one_the_page_shows_wins() -> None:
    shown_meta = parse_article(
        _dated_page("6 November 2023, 15:25"), "http://x.test/a", as_of=AS_OF
    )
    assert shown_meta.published.startswith("2023-11-06")
    shown_ld = parse_article(_dated_page("3 November 2023, 10:25"), "http://x.test/a", as_of=AS_OF)
    assert shown_ld.published.startswith("2023-11-03")
    shown_none = parse_article(_dated_page("Winter timetable"), "http://x.test/a", as_of=AS_OF)
    assert shown_none.published.startswith("2023-11-03")  # JSON-LD leads by default


def test_a_meta_itemprop_date_does_not_confirm_itself() -> None:
    page = _dated_page("3 November 2023, 10:25").replace(
        b'<meta property="article:published_time" content="2023-11-06T14:25:00+00:00">',
        b'<meta itemprop="datePublished" content="2023-11-06T14:25:00+00:00">',
    )
    assert b"itemprop" in page
    assert parse_article(page, "http://x.test/a", as_of=AS_OF).published.startswith("2023-11-03")


def test_utc_stamp_is_restated_in_the_local_time_the_page_prints() -> None:
    page = b"""<html><head>
    <meta property="article:published_time" content="2023-11-09T06:35:29+00:00">
    <meta name="sailthru.date" content="2023-11-08 22:35:29">
    <title>Night story</title></head>
    <body><article><p>Late news text.</p></article></body></html>"""
    got = parse_article(page, "http://x.test/a", as_of=AS_OF)
    assert got.published == "2023-11-08T22:35:29-08:00"


def test_any_article_subtype_in_jsonld_counts() -> None:
    page = b"""<html><head><script type="application/ld+json">
    {"@type": "ReportageNewsArticle", "headline": "Field report from the coast",
     "datePublished": "2025-06-05T20:43:49+0000", "author": {"name": "Rina Contoh"}}
    </script></head><body><h1>Field report from the coast</h1><p>Text.</p></body></html>"""
    got = parse_article(page, "http://x.test/a", as_of=AS_OF)
    assert (got.published, got.authors) == ("2025-06-05T20:43:49+00:00", ["Rina Contoh"])


def _undated_page(stated: str = "") -> bytes:
    meta = f'<meta property="article:published_time" content="{stated}">' if stated else ""
    paras = "".join(
        f"<p>Paragraph {i}: the invented harbour office published its winter timetable for the"
        " ferries and the buses.</p>"
        for i in range(5)
    )
    return f"""<html><head>{meta}<title>Harbour notes</title></head><body><article>
    <h1>Harbour notes</h1>{paras}</article></body></html>""".encode()


@pytest.mark.parametrize(
    ("as_of", "published"),
    [
        (date(2026, 6, 1), "2026-05-20"),
        (date(2026, 5, 20), "2026-05-20"),
        (date(2026, 5, 19), None),  # htmldate's latest date is the day given, not the clock's
    ],
)
def test_a_guessed_date_is_never_after_the_day_the_page_is_read(as_of, published) -> None:
    url = "http://x.test/news/2026/05/20/harbour-notes.html"  # the page states no date
    got = parse_article(_undated_page(), url, as_of=as_of)
    assert (got.published, got.problem) == (published, None)


@pytest.mark.parametrize(
    ("stated", "as_of", "published"),
    [
        ("2027-12-31T10:00:00+00:00", date(2026, 6, 1), "2027-12-31T10:00:00+00:00"),
        ("2028-01-01T10:00:00+00:00", date(2026, 6, 1), None),
        ("2028-01-01T10:00:00+00:00", date(2027, 1, 1), "2028-01-01T10:00:00+00:00"),
    ],
)
def test_a_stated_date_may_run_into_the_year_after_the_day_the_page_is_read(
    stated, as_of, published
) -> None:
    got = parse_article(_undated_page(stated), "http://x.test/a", as_of=as_of)
    assert (got.published, got.problem) == (published, None)
