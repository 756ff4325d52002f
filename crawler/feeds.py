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
from xml.sax import SAXParseException

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


_XML_NAME = re.compile(rb"<([A-Za-z_][\w:.-]*)")
_IMAGES = (b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"RIFF")


def _xml_error(exc: object) -> str | None:
    """feedparser's XML error, without its position: feedparser parses a rewritten copy (its
    own XML declaration in front), so the line and column it gives are not the document's."""
    if not isinstance(exc, SAXParseException):
        return None
    return exc.getMessage()


def what_it_is(data: bytes, content_type: str = "", parser_error: object = None) -> str:
    """What a document that is not a feed is instead, for the reason a failed feed logs."""
    kind = content_type.split(";", 1)[0].strip().lower()
    served = f" ({kind})" if kind else ""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    lower = head.lower()
    if not head:
        return "the answer is empty"
    if lower.startswith((b"<!doctype html", b"<html")) or (
        b"<html" in lower and not re.search(rb"<(rss|feed|rdf:rdf)\b", lower)
    ):
        return f"an HTML page{served}, not RSS or Atom"
    if head.startswith(b"%PDF"):
        return f"a PDF file{served}"
    if head.startswith((b"{", b"[")) or kind.endswith("json"):
        return f"JSON{served}, not RSS or Atom"
    if head.startswith(_IMAGES) or kind.startswith("image/"):
        return f"an image{served}"
    if b"\x00" in head or not _is_text(head):
        return f"binary data{served}"
    if head.startswith(b"<"):
        error = _xml_error(parser_error)
        if error:
            return f"broken XML ({error})"
        roots = [m.group(1) for m in _XML_NAME.finditer(head)]
        root = roots[0].decode("ascii", "replace") if roots else "?"
        return f"XML whose root is <{root}>, not RSS or Atom"
    return f"text{served}, not RSS or Atom"


_CONTROL = frozenset(set(range(32)) - {9, 10, 13} | set(range(0x7F, 0xA0)))


def _is_text(head: bytes) -> bool:
    """Text in UTF-8, or in a one-byte charset: few control bytes."""
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 4:  # a character cut at the end of the sample
            return True
    return sum(byte in _CONTROL for byte in head) * 20 < len(head)


def parse_feed(data: bytes, url: str, content_type: str = "") -> ParsedFeed:
    """Entries of an RSS/Atom document; a broken ("bozo") feed still yields what it has.

    ``content_type`` (the response's) only words the reason a document is not a feed.
    """
    try:
        cleaned = _replace_impossible_references(_clip_authors(_strip_internal_subset(data)))
        parsed = feedparser.parse(io.BytesIO(cleaned), response_headers={"content-location": url})
    except Exception as exc:  # feedparser 6 still raises on a few hostile inputs
        return ParsedFeed(problem=f"feed parser failed: {type(exc).__name__}: {exc}")
    error = parsed.get("bozo_exception")
    if not parsed.get("version") and not parsed.entries:
        return ParsedFeed(problem=f"not a feed: {what_it_is(data, content_type, error)}")
    if not parsed.entries and _xml_error(error):
        # A feed that breaks off before its first entry: nothing of it can be read.
        return ParsedFeed(
            problem=f"broken feed: the XML breaks ({_xml_error(error)}) before any entry"
        )
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
