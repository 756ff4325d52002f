"""When the story was published, as the page states it, in the page's own time zone."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Any

from lxml.html import HtmlElement

from .metadata import jsonld_text
from .text import normalize_space

_DATE_META_KEYS = (
    "article:published_time",
    "og:published_time",
    "og:article:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "published_time",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "dcterms.date",
    "parsely-pub-date",
    "sailthru.date",
    "cxenseparse:recs:publishtime",
    "content_publication_date",
    "date",
)
# A publication year outside these bounds is a typo or a placeholder ("0001", "2099"). A page
# may be dated a little ahead of the day it is read (a zone east of ours, a post scheduled
# across new year), so the latest plausible year is the one after that day's.
_EARLIEST_YEAR = 1990
_YEARS_AHEAD = 1
_ISO = re.compile(
    r"^\s*(\d{4})-?(\d{2})-?(\d{2})(?:[T\s]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*"
    r"(Z|UTC|GMT|[+-]\d{2}:?\d{2})?)?"
)
_SLASH = re.compile(r"^\s*(\d{4})[/.](\d{1,2})[/.](\d{1,2})\b")
_MONTHS = {
    "januari": 1, "january": 1, "jan": 1, "januar": 1, "jänner": 1,
    "februari": 2, "february": 2, "feb": 2, "februar": 2, "pebruari": 2,
    "maret": 3, "march": 3, "mar": 3, "märz": 3, "mrt": 3,
    "april": 4, "apr": 4,
    "mei": 5, "may": 5, "mai": 5,
    "juni": 6, "june": 6, "jun": 6,
    "juli": 7, "july": 7, "jul": 7,
    "agustus": 8, "august": 8, "aug": 8, "agu": 8, "agt": 8, "agus": 8,
    "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "october": 10, "oct": 10, "okt": 10,
    "november": 11, "nov": 11, "nopember": 11,
    "desember": 12, "december": 12, "dec": 12, "des": 12, "dezember": 12,
}  # fmt: skip
_ZONES = {"wib": 7, "wita": 8, "wit": 9, "utc": 0, "gmt": 0, "z": 0}
_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")
_MONTH_ALT = "|".join(sorted(_MONTHS, key=len, reverse=True))
_TEXT_DATE = re.compile(
    rf"\b(\d{{1,2}})\.?\s+({_MONTH_ALT})\.?,?\s+(\d{{4}})"
    r"(?:[,\s|]+(?:pukul\s+|jam\s+|at\s+|um\s+)?(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?"
    r"\s*(WIB|WITA|WIT|UTC|GMT|[+-]\d{2}:?\d{2})?)?",
    re.I,
)
_TEXT_DATE_US = re.compile(
    rf"\b({_MONTH_ALT})\.?\s+(\d{{1,2}}),?\s+(\d{{4}})"
    r"(?:[,\s|]+(?:at\s+)?(\d{1,2})[:.](\d{2})\s*([ap]\.?m\.?)?\s*(UTC|GMT|[+-]\d{2}:?\d{2})?)?",
    re.I,
)


def _tzinfo(text: str | None) -> timezone | None:
    """A tzinfo for "Z", "+07:00", "WIB"...; None when the page names no zone."""
    if not text:
        return None
    key = text.strip().lower()
    if key in _ZONES:
        return timezone(timedelta(hours=_ZONES[key]))
    match = _OFFSET.match(key)
    if not match:
        return None
    delta = timedelta(hours=int(match.group(2)), minutes=int(match.group(3)))
    return timezone(-delta if match.group(1) == "-" else delta)


def _plausible_iso(
    as_of: date, y: int, mo: int, d: int, h=None, mi=None, s=None, tz: timezone | None = None
) -> str | None:
    """ISO 8601 with as much precision as the page gave; None for impossible dates."""
    try:
        day = date(int(y), int(mo), int(d))
        if not _EARLIEST_YEAR <= day.year <= as_of.year + _YEARS_AHEAD:
            return None
        if h is None:
            return day.isoformat()
        stamp = datetime(day.year, day.month, day.day, int(h), int(mi), int(s or 0), tzinfo=tz)
        return stamp.isoformat()
    except (ValueError, TypeError):
        return None


def parse_date(value: Any, as_of: date) -> str | None:
    """A machine or human date string (ISO, Y/M/D, "9 September 2025 13:45 WIB") as ISO 8601.

    ``as_of`` is the day the page is read: a date more than a year after it is no publication
    date. It is an input, not the clock, so the same page gives the same date on any day.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    match = _ISO.match(value)
    if match:
        y, mo, d, h, mi, s, z = match.groups()
        return _plausible_iso(as_of, y, mo, d, h, mi, s, _tzinfo(z))
    match = _SLASH.match(value)
    if match:
        return _plausible_iso(as_of, *match.groups())
    return parse_text_date(value, as_of)


_DAY_NAMES = r"(?:senin|selasa|rabu|kamis|jum'?at|sabtu|minggu|ahad)"


# Indonesian news style: "Rabu (4/6/2025)", day first, often with "pukul 10.30 WIB" after it.
_DAY_PAREN_DATE = re.compile(
    rf"\b{_DAY_NAMES}\s*,?\s*\(\s*(\d{{1,2}})/(\d{{1,2}})/(\d{{4}})\s*\)"
    r"(?:[,\s]+(?:pukul\s+|jam\s+)?(\d{1,2})[:.](\d{2})\s*(WIB|WITA|WIT)?)?",
    re.I,
)


def parse_text_date(text: str, as_of: date) -> str | None:
    """The first human-written date in a text, Indonesian, English or German month names."""
    match = _DAY_PAREN_DATE.search(text)
    if match:
        d, mo, y, h, mi, z = match.groups()
        if h is not None and z is None:
            h = mi = None  # a time without a zone is ambiguous; the day is not
        return _plausible_iso(as_of, y, mo, d, h, mi, None, _tzinfo(z))
    match = _TEXT_DATE.search(text)
    if match:
        d, mon, y, h, mi, s, z = match.groups()
        return _plausible_iso(as_of, y, _MONTHS[mon.lower()], d, h, mi, s, _tzinfo(z))
    match = _TEXT_DATE_US.search(text)
    if match:
        mon, d, y, h, mi, ampm, z = match.groups()
        if h is not None and ampm:
            h = int(h) % 12 + (12 if ampm.lower().startswith("p") else 0)
        return _plausible_iso(as_of, y, _MONTHS[mon.lower()], d, h, mi, None, _tzinfo(z))
    return None


_DATE_NODES = (
    ".//*[@itemprop='datePublished']",
    ".//article//time[@datetime]",
    ".//time[@pubdate]",
)
_DATE_CLASS = re.compile(
    r"(?:^|[\s_-])(?:date|time|tanggal|publish|published|pubdate|posted)", re.I
)


def date_in_markup(tree: HtmlElement, as_of: date, shown: bool = False) -> str | None:
    """Dates the markup marks as the publication time (itemprop, <time> in the article);
    ``shown``: only on elements a reader sees (no ``<meta itemprop>``)."""
    for path in _DATE_NODES:
        for el in tree.iterfind(path) if "[" not in path else tree.xpath(path):
            if shown and el.tag in ("meta", "link"):
                continue
            value = parse_date(el.get("datetime") or el.get("content") or el.text_content(), as_of)
            if value:
                return value
    for el in tree.iter("time"):  # a <time> that only prints its day: "31.03.2020"
        if el.get("datetime") is None:
            value = _bare_day(normalize_space(el.text_content()), as_of)
            if value:
                return value
    return None


_DOTTED_DAY = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")


def _bare_day(text: str, as_of: date) -> str | None:
    """The day when a short text is only a date, "31.03.2020" (day first) or "9 March 2020"."""
    if len(text) > 40:
        return None
    match = _DOTTED_DAY.match(text)
    if match:
        d, mo, y = match.groups()
        return _plausible_iso(as_of, y, mo, d)
    return parse_text_date(text, as_of)


def date_in_text(tree: HtmlElement, as_of: date) -> str | None:
    """A written date with a time ("Selasa, 9 September 2025 13:45 WIB") in a date-ish element."""
    checked = 0
    for el in tree.iter("div", "span", "p", "time", "small", "li"):
        marks = f"{el.get('class') or ''} {el.get('id') or ''}"
        if el.tag != "time" and not _DATE_CLASS.search(marks):
            continue
        checked += 1
        if checked > 40:
            break
        text = normalize_space(el.text_content())
        if len(text) > 120:
            continue
        value = parse_text_date(text, as_of)
        if value and "T" in value:
            return value
    return None


def choose_published_fallback(
    traf_date: str | None, written: str | None, as_of: date
) -> str | None:
    """htmldate's day, with the written time when the page prints one on that same day."""
    day = parse_date(traf_date, as_of) if traf_date else None
    if written and (day is None or written[:10] == day):
        return written
    return day or written


def stated_published(
    ld: dict[str, Any], meta: dict[str, str], tree: HtmlElement, as_of: date
) -> str | None:
    """The publication time the page states in structured data or markup.

    JSON-LD leads; when a meta tag names another day, the statement the page also shows a reader
    wins (a republished story often keeps a stale datePublished or a fresh meta tag).
    """
    structured = parse_date(jsonld_text(ld.get("published")), as_of)
    tagged = next(filter(None, (parse_date(meta.get(key), as_of) for key in _DATE_META_KEYS)), None)
    if structured and tagged and structured[:10] != tagged[:10]:
        shown = date_in_markup(tree, as_of, shown=True) or date_in_text(tree, as_of)
        if shown and shown[:10] == tagged[:10]:
            return tagged
    return structured or tagged or date_in_markup(tree, as_of)


def in_local_time(
    value: str, ld: dict[str, Any], meta: dict[str, str], tree: HtmlElement, as_of: date
) -> str:
    """A UTC time restated with the local offset another statement on the page reveals."""
    try:
        stamp = datetime.fromisoformat(value)
    except ValueError:
        return value
    if stamp.tzinfo is None or stamp.utcoffset() != timedelta(0):
        return value
    others = [parse_date(meta.get(key), as_of) for key in _DATE_META_KEYS]
    others += [
        parse_date(jsonld_text(ld.get("created")), as_of),
        date_in_markup(tree, as_of),
        date_in_text(tree, as_of),
    ]
    for other in others:
        local = _same_instant_local(stamp, other)
        if local:
            return local
    return value


def _same_instant_local(utc: datetime, other: str | None) -> str | None:
    """``other`` as an offset time when it is ``utc`` seen from a zone up to 14 hours away."""
    if not other or "T" not in other:
        return None
    try:
        local = datetime.fromisoformat(other)
    except ValueError:
        return None
    if local.tzinfo is not None:
        same = local == utc and local.utcoffset() != timedelta(0)
        return local.isoformat() if same else None
    shift = local - utc.replace(tzinfo=None)
    if not shift or abs(shift) > timedelta(hours=14) or shift % timedelta(minutes=15):
        return None
    return local.replace(tzinfo=timezone(shift)).isoformat()
