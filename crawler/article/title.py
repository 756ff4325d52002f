"""The headline, from the sources that state one, without the outlet's name or a kicker."""

from __future__ import annotations

import re
from typing import Any

from lxml.html import HtmlElement

from ..urls import host_of
from .metadata import jsonld_text
from .text import alnum_key, normalize_space, unescape_entities

_SEPARATORS = re.compile(r"\s+(?:[-|\u2013\u2014\u00b7\u2022:]|::)\s+")


def _site_keys(site_name: str | None, url: str) -> set[str]:
    """Keys of the site's name and host, to recognise a title segment naming the site."""
    names = set()
    if site_name:
        names.add(alnum_key(site_name))
    host = host_of(url)
    if host.startswith("www."):
        host = host[4:]
    if host:
        names.add(alnum_key(host))
        names.add(alnum_key(host.split(".")[0]))
        labels = host.split(".")
        if len(labels) >= 2:
            names.add(alnum_key(labels[-2]))
    names.discard("")
    return names


def strip_site_suffix(title: str, site_name: str | None, url: str, loose: bool = False) -> str:
    """Drop trailing " - Outlet" / " | Outlet" segments (and a leading "Outlet | ") from a title."""
    sites = _site_keys(site_name, url)
    for _ in range(2):
        parts = _SEPARATORS.split(title)
        if len(parts) < 2:
            break
        seps = _SEPARATORS.findall(title)
        last = parts[-1]
        head = title[: len(title) - len(last) - len(seps[-1])]
        if len(head.split()) >= 2 and _is_site_segment(last, sites, loose and ":" not in seps[-1]):
            title = head.strip()
            continue
        first = parts[0]
        tail = title[len(first) + len(seps[0]) :]
        if "|" in seps[0] and len(tail.split()) >= 2 and _is_site_segment(first, sites, False):
            title = tail.strip()
            continue
        break
    return title


_DOMAIN_NAME = re.compile(r"\w\.(?:com|net|org|co|id|de|uk|fr|it|es|at|ch|info|news|tv)\b", re.I)


def _is_site_segment(segment: str, sites: set[str], loose: bool) -> bool:
    """Whether a title segment is an outlet name rather than part of the headline."""
    compact = alnum_key(segment)
    if not compact:
        return True
    if any(compact == s or (len(s) >= 4 and s in compact) for s in sites):
        return True
    if _DOMAIN_NAME.search(segment):
        return True
    return loose and len(segment.split()) <= 3 and len(segment) <= 30


_TITLE_SOURCES = ("ld", "og", "h1", "twitter", "title")  # in order of preference
_TYPOGRAPHY = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00ad": None, "\u200b": None}
)


def _title_key(title: str) -> str:
    """A comparison key that ignores case, quote style and soft hyphens between sources."""
    return " ".join(title.translate(_TYPOGRAPHY).casefold().split())


def title_candidates(
    ld: dict[str, Any], meta: dict[str, str], tree: HtmlElement, site_name: str | None, url: str
) -> list[tuple[str, str, str]]:
    """(source, headline, headline without only certain outlet names) per source stating one."""
    raw = {
        "ld": (jsonld_text(ld.get("headline")), False),
        "og": (meta.get("og:title"), True),
        "twitter": (meta.get("twitter:title"), True),
        "h1": (_first_text(tree, ".//h1"), False),
        "title": (_first_text(tree, ".//title"), True),
    }
    out = []
    for source in _TITLE_SOURCES:
        value, loose = raw[source]
        value = normalize_space(unescape_entities(value or ""))
        if len(value) >= 3:
            strict = strip_site_suffix(value, site_name, url) or value
            out.append((source, strip_site_suffix(value, site_name, url, loose) or value, strict))
    return out


def choose_title(
    ld: dict[str, Any],
    meta: dict[str, str],
    tree: HtmlElement,
    traf_title: str | None,
    site_name: str | None,
    url: str,
) -> str | None:
    """JSON-LD headline, og:title, <h1>, twitter:title, <title>, trafilatura, in that order.

    Structured data is the most deliberate statement of the headline, so it leads. A trailing
    segment (" | Sport", " - Outlet") that only some sources carry is not part of the headline:
    when most sources state the headline without it, the shorter form wins.
    """
    candidates = title_candidates(ld, meta, tree, site_name, url)
    if not candidates:
        value = normalize_space(unescape_entities(traf_title or ""))
        return (
            (strip_site_suffix(value, site_name, url, True) or value) if len(value) >= 3 else None
        )
    support: dict[str, int] = {}
    for _source, _value, strict in candidates:
        support[_title_key(strict)] = support.get(_title_key(strict), 0) + 1
    best = candidates[0][1]
    for _source, value, _strict in candidates[1:]:
        more = support.get(_title_key(value), 0) >= support.get(_title_key(best), 0)
        if more and _is_tail_variant(best, value):
            return value
    for source, value, _strict in candidates:
        if source != "title" and _is_kicker_variant(best, value):
            return value  # <title> alone is often cut short for search engines
    return best


_KICKER = re.compile(r"^\W?[^:|]{2,60}?\W?\s*[:|\u2013\u2014-]\s*$")


def _is_kicker_variant(longer: str, shorter: str) -> bool:
    """Whether ``longer`` is ``shorter`` behind a kicker ("Olympische Spiele: ...").

    A kicker (a topic label, the German Dachzeile) sits above the headline in print; sites
    often fold it into one of their title fields. The headline is the form without it.
    """
    long_key, short_key = _title_key(longer), _title_key(shorter)
    if len(short_key.split()) < 3 or long_key == short_key or not long_key.endswith(short_key):
        return False
    kicker = long_key[: len(long_key) - len(short_key)]
    if len(kicker.split()) > 6 or not _KICKER.match(kicker):
        return False
    # "Trump: I will sign" names a speaker, not a topic: one bare word is no kicker.
    return len(kicker.split()) >= 2 or "|" in kicker or bool(re.match(r"^\W", kicker))


def _is_tail_variant(longer: str, shorter: str) -> bool:
    """Whether ``longer`` is ``shorter`` plus a separated trailing segment of a few words."""
    long_key, short_key = _title_key(longer), _title_key(shorter)
    if len(short_key) < 3 or not long_key.startswith(short_key) or long_key == short_key:
        return False
    rest = longer[len(shorter) :] if longer.startswith(shorter) else long_key[len(short_key) :]
    match = _SEPARATORS.match(rest)
    return bool(match) and 0 < len(rest[match.end() :].split()) <= 6


def _first_text(tree: HtmlElement, path: str) -> str | None:
    """Text of the first element on a path that has any."""
    for el in tree.iterfind(path):
        text = normalize_space(el.text_content())
        if text:
            return text
    return None
