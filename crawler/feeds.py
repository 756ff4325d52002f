"""Feed parsing: bytes in, entries out, never an exception (feedparser's tolerance, kept).

feedparser only ever sees bytes that Scrapy fetched: it never fetches anything itself.
"""

from __future__ import annotations

import calendar
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin

import feedparser
from w3lib.html import remove_tags, replace_entities

from .urls import normalize_url

# An internal DTD subset is how entity-expansion bombs get in; no real feed needs one.
_DOCTYPE_SUBSET = re.compile(rb"<!DOCTYPE[^>\[]{0,512}\[", re.IGNORECASE)
_PROLOG_BYTES = 4096  # a DOCTYPE comes before the first element, near the top
_SPACES = re.compile(r"\s+")
# feedparser's author e-mail regex is quadratic on long input; no real byline is this long.
_MAX_AUTHOR = 512
# Keeps the first _MAX_AUTHOR bytes of the element's text; one linear pass, no backtracking.
_LONG_AUTHOR = re.compile(
    rb"(<(?:author|dc:creator|managingEditor)[^>]{0,200}>[^<]{%d})[^<]+" % _MAX_AUTHOR
)


@dataclass
class Entry:
    """One feed item, with what we keep in case its page cannot be read."""

    link: str  # normalized http(s) URL
    title: str | None = None
    summary: str = ""
    published: str | None = None  # ISO 8601 UTC, from the feed (a hint only)


@dataclass
class ParsedFeed:
    entries: list[Entry] = field(default_factory=list)
    problem: str | None = None  # set when the bytes are not a feed at all
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (raw link, reason)


# A numeric character reference no character can have (a surrogate, beyond U+10FFFF, or too
# long to be a number): feedparser's loose parser raises on it and loses the whole feed.
_CHAR_REF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));")
_REPLACEMENT_REF = b"&#xFFFD;"


def _possible_reference(match: re.Match[bytes]) -> bytes:
    hex_digits, digits = match.groups()
    if len((hex_digits or digits).lstrip(b"0")) > 8:  # beyond U+10FFFF, too long to convert
        return _REPLACEMENT_REF
    code = int(hex_digits, 16) if hex_digits else int(digits)
    if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return _REPLACEMENT_REF
    return match.group()


def _replace_impossible_references(data: bytes) -> bytes:
    """One bad ``&#...;`` costs a replacement character, not the feed (linear, no backtracking)."""
    return _CHAR_REF.sub(_possible_reference, data) if b"&#" in data else data


def _clip_authors(data: bytes) -> bytes:
    return _LONG_AUTHOR.sub(rb"\1", data)


def _strip_internal_subset(data: bytes) -> bytes:
    """Drops a DOCTYPE's internal subset, found by plain searches (linear in the input)."""
    start = _DOCTYPE_SUBSET.search(data, 0, _PROLOG_BYTES)
    if start is None:
        return data
    close = data.find(b"]", start.end())
    end = data.find(b">", close) if close != -1 else -1
    if end == -1:  # never closed: nothing after it is a usable feed
        return data[: start.start()]
    return data[: start.start()] + data[end + 1 :]


def plain_text(html: str | None) -> str:
    """Feed text fields often carry markup; we store text."""
    if not html:
        return ""
    return _SPACES.sub(" ", replace_entities(remove_tags(html))).strip()


def _published(entry) -> str | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    try:
        moment = datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    except (OverflowError, ValueError, OSError):
        return None
    if not 1990 <= moment.year <= 2100:
        return None
    return moment.isoformat(timespec="seconds")


def _raw_link(entry) -> str | None:
    link = entry.get("link")
    if link:
        return link
    for candidate in entry.get("links") or ():
        if candidate.get("rel", "alternate") == "alternate" and candidate.get("href"):
            return candidate["href"]
    guid = entry.get("id")
    if guid and entry.get("guidislink", True) and str(guid).startswith(("http://", "https://")):
        return guid
    return None


def parse_feed(data: bytes, url: str) -> ParsedFeed:
    """Entries of an RSS/Atom document; a broken ("bozo") feed still yields what it has."""
    try:
        data = _replace_impossible_references(_clip_authors(_strip_internal_subset(data)))
        parsed = feedparser.parse(io.BytesIO(data), response_headers={"content-location": url})
    except Exception as exc:  # feedparser 6 still raises on a few hostile inputs
        return ParsedFeed(problem=f"feed parser failed: {type(exc).__name__}: {exc}")
    if not parsed.get("version") and not parsed.entries:
        reason = parsed.get("bozo_exception") or "no feed found"
        return ParsedFeed(problem=f"not a feed: {reason}")
    result = ParsedFeed()
    seen: set[str] = set()
    for item in parsed.entries:
        try:
            raw = _raw_link(item)
            if not raw:
                result.skipped.append(("", "entry has no link"))
                continue
            link = normalize_url(urljoin(url, raw.strip()))
            if link is None:
                result.skipped.append((raw, "not an http(s) link"))
                continue
            if link in seen:
                continue
            seen.add(link)
            result.entries.append(
                Entry(
                    link=link,
                    title=plain_text(item.get("title")) or None,
                    summary=plain_text(item.get("summary")),
                    published=_published(item),
                )
            )
        except Exception as exc:  # one bad entry never costs the others
            result.skipped.append((str(item.get("link", "")), f"bad entry: {exc}"))
    return result
