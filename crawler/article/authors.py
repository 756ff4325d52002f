"""Who wrote the story: structured authors, meta tags, bylines, and editors told apart."""

from __future__ import annotations

import re
from itertools import islice
from typing import Any

from lxml.html import HtmlElement

from .text import alnum_key, normalize_space, unescape_entities

_BYLINE_LABEL = re.compile(
    r"^\W{0,3}(?:penulis|reporter|wartawan|laporan\s+wartawan[^:|]*|kontributor|written\s+by|"
    r"author)\s*:\s*(.{2,120}?)\s*$",
    re.I,
)
_BYLINE_PAREN = re.compile(
    r"^\(\s*[\w.-]+\.(?:com|co\.id|id|net)\s*/\s*([^()]{2,80}?)\s*\)\s*$", re.I
)
_NAME = r"[A-Z][\w'.-]*(?:\s+[A-Z][\w'.-]*){0,3}"
_BY_LINE = re.compile(rf"^(?:By|BY|Oleh|OLEH)\s+({_NAME}(?:\s*(?:,|&|and|dan)\s+{_NAME})*)$")
# Tribun's "Laporan Wartawan Tribunnews.com, Namira Yunia" (no colon).
_BYLINE_REPORT = re.compile(
    r"^laporan\s+(?:wartawan|reporter|koresponden)\s+[\w.-]+\s*,\s*(.{2,120}?)\s*$", re.I
)
_OTHER_ROLE = re.compile(
    r"\s*(?:\||/|,|;)?\s*\b(?:editor|penyunting|redaktur|fotografer|foto|photo|videografer|"
    r"ilustrasi|sumber|source)\b\s*:",
    re.I,
)


def extract_bylines(lines: list[str]) -> tuple[list[str], list[str]]:
    """Names from byline lines ("Penulis: X", "(Tribunnews.com / X)", "By X"), lines removed."""
    names: list[str] = []
    kept: list[str] = []
    for line in lines:
        stripped = line.strip()
        match = (
            _BYLINE_LABEL.match(stripped)
            or _BYLINE_REPORT.match(stripped)
            or _BYLINE_PAREN.match(stripped)
            or _BY_LINE.match(stripped)
        )
        if match:
            # A credit line goes on with other roles: "Penulis: A | Editor: B" names A only.
            names.extend(split_names(_OTHER_ROLE.split(match.group(1))[0]))
            continue
        kept.append(line)
    return names, kept


_NAME_SPLIT = re.compile(r"\s*(?:,|;|\||&|\s(?:and|dan|und)\s)\s*")
# "Oleh" only with a colon: bare, it is also a first name (Oleh Sample).
_NAME_PREFIX = re.compile(
    r"^(?:(?:by|von|par|por)\s+|(?:oleh|penulis|reporter|author)\s*:\s*)", re.I
)
_EMAIL_OR_ASIDE = re.compile(r"\S+@\S+|\([^()]*\)?")
_URL_START = re.compile(r"^(?:https?:|www\.|/)", re.I)


def split_names(text: str) -> list[str]:
    """ "A and B", "A, B", "A dan B" into names, prefixes and e-mail addresses dropped."""
    text = _NAME_PREFIX.sub("", _EMAIL_OR_ASIDE.sub("", normalize_space(text)))
    parts = (part.strip(" .-\u2013\u2014()[]") for part in _NAME_SPLIT.split(text))
    return [part for part in parts if _could_be_name(part)]


def _could_be_name(text: str) -> bool:
    """Author fields also hold profile URLs, stray punctuation and whole sentences."""
    return 0 < len(text) <= 80 and any(ch.isalpha() for ch in text) and not _looks_like_url(text)


def _looks_like_url(text: str) -> bool:
    """Author fields often hold a profile URL instead of a name."""
    return bool(_URL_START.match(text.strip()))


def _jsonld_author_names(value: Any, depth: int = 0) -> list[str]:
    """Names from a JSON-LD author: a Person, a list of them, or a bare string."""
    if depth > 3 or value is None:
        return []
    if isinstance(value, list):
        return [n for item in value for n in _jsonld_author_names(item, depth + 1)]
    if isinstance(value, dict):
        name = value.get("name")
        if isinstance(name, list | dict):
            return _jsonld_author_names(name, depth + 1)
        return split_names(unescape_entities(str(name))) if name else []
    if isinstance(value, str):
        return split_names(unescape_entities(value))
    return []


def _unique_names(names: list[str]) -> list[str]:
    """Case-insensitive de-duplication in first-seen order. Outlet names are kept on purpose:
    for pages that name no person, the publisher is the author they state."""
    seen = set()
    out = []
    for name in names:
        key = alnum_key(name)
        if key and key not in seen:
            seen.add(key)
            out.append(name)
    return out


_AUTHOR_META_KEYS = ("author", "article:author", "dc.creator", "parsely-author", "sailthru.author")


def choose_authors(
    ld: dict[str, Any],
    meta: dict[str, str],
    traf_author: str | None,
    byline: list[str],
    tree: HtmlElement | None = None,
) -> list[str]:
    """JSON-LD author, meta author tags, trafilatura's byline guess, then bylines in the text.

    Some sites put the editor in the JSON-LD author: when the page labels those names "Editor:",
    the byline printed under the headline names the author.
    """
    meta_names = [
        name
        for key in _AUTHOR_META_KEYS
        for name in ([] if _looks_like_url(meta.get(key, "")) else split_names(meta.get(key, "")))
    ]
    sources = [
        _jsonld_author_names(ld.get("author")),
        meta_names,
        split_names((traf_author or "").replace(";", ",")),
        byline,
    ]  # fmt: skip
    if sources[0] and tree is not None:
        sources[0] = _unless_editors(sources[0], tree)
    for names in sources:
        names = _unique_names(names)
        if names:
            return names
    return []


def _unless_editors(names: list[str], tree: HtmlElement) -> list[str]:
    """The byline under the headline instead of structured names the page labels "Editor:"."""
    editors = editor_names(tree)
    if not editors or any(alnum_key(n) not in editors for n in names):
        return names
    printed = [n for n in header_byline(tree) if alnum_key(n) not in editors]
    return printed or names  # an author may edit their own story


_EDITOR_LABEL = re.compile(r"\b(?:editor|penyunting|redaktur)\s*:\s*(.{0,120})", re.I)


def editor_names(tree: HtmlElement) -> set[str]:
    """Keys of the names the page prints after an "Editor:" label (in the text or the next link)."""
    names: set[str] = set()
    for el in tree.iter("div", "span", "p", "li", "small"):
        text = el.text or ""
        if len(text) > 200:
            continue
        match = _EDITOR_LABEL.search(text)
        if not match:
            continue
        rest = match.group(1).strip()
        if not rest and len(el):
            rest = normalize_space(el[0].text_content())
        names.update(alnum_key(n) for n in split_names(rest.split("|")[0])[:3])
    names.discard("")
    return names


_BYLINE_CLASS = re.compile(r"^(?!.*comment).*(?:author|byline|penulis|reporter)", re.I)
_BYLINE_SIBLINGS = 4  # the byline sits right under the headline, not by the comments


def header_byline(tree: HtmlElement) -> list[str]:
    """Names in a byline element (class "author", "byline") between the headline and the body."""
    h1 = next(tree.iter("h1"), None)
    if h1 is None:
        return []
    for sibling in islice(h1.itersiblings(), _BYLINE_SIBLINGS):
        for el in sibling.iter("div", "span", "p", "a"):
            if not _BYLINE_CLASS.search(el.get("class") or ""):
                continue
            text = normalize_space(el.text_content())
            if 3 <= len(text) <= 80 and not _EDITOR_LABEL.search(text):
                return split_names(text)
    return []
