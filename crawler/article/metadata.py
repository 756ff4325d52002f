"""What the page states about itself: meta tags and its JSON-LD article node."""

from __future__ import annotations

import json
import re
from typing import Any

from lxml.html import HtmlElement

from .text import normalize_space, unescape_entities


def page_meta(tree: HtmlElement) -> dict[str, str]:
    """First non-empty value of each meta name/property/itemprop, plus the canonical link."""
    meta: dict[str, str] = {}
    for el in tree.iterfind(".//meta"):
        content = el.get("content")
        if content is None:
            content = el.get("datetime") or el.get("value")
        content = normalize_space(content)
        if not content:
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = (el.get(attr) or "").strip().lower()
            if key and key not in meta:
                meta[key] = content
    for el in tree.iterfind(".//link"):
        rel = (el.get("rel") or "").lower().split()
        if "canonical" in rel and el.get("href") and "link:canonical" not in meta:
            meta["link:canonical"] = el.get("href").strip()
    return meta


_ARTICLE_TYPES = {
    "newsarticle",
    "article",
    "reportagenews",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "backgroundnewsarticle",
    "reviewnewsarticle",
    "askpublicnewsarticle",
    "blogposting",
    "liveblogposting",
    "socialmediaposting",
    "report",
    "techarticle",
    "scholarlyarticle",
    "webpage",
    "itempage",
}


# Any schema.org subtype named "...Article" / "...Posting" is an article too (ReportageNewsArticle).
_ARTICLE_SUFFIXES = ("article", "posting")


def _jsonld_types(node: dict) -> list[str]:
    """The lower-cased @type names of a JSON-LD node (a string or a list)."""
    value = node.get("@type")
    values = value if isinstance(value, list) else [value]
    return [str(v).rsplit("/", 1)[-1].lower() for v in values if v]


def _walk_jsonld(value: Any, depth: int = 0):
    """Every dict in a JSON-LD document: top-level lists, @graph and nested mainEntity alike."""
    if depth > 6:
        return
    if isinstance(value, list):
        for item in value:
            yield from _walk_jsonld(item, depth + 1)
    elif isinstance(value, dict):
        yield value
        for key in ("@graph", "mainEntity", "mainEntityOfPage", "itemListElement"):
            if isinstance(value.get(key), list | dict):
                yield from _walk_jsonld(value[key], depth + 1)


_CONTROL_WHITESPACE = re.compile(r"[\r\n\t]+")


def jsonld_article(tree: HtmlElement) -> dict[str, Any]:
    """The page's JSON-LD article node (news types before WebPage), flattened to what we use."""
    best: tuple[int, dict] | None = None
    for script in tree.iterfind(".//script"):
        if "ld+json" not in (script.get("type") or "").lower():
            continue
        raw = (script.text or "").strip()
        if not raw:
            continue
        try:
            data = json.loads(raw, strict=False)
        except ValueError:
            try:  # a common CMS slip: raw newlines/tabs or a trailing ';'
                data = json.loads(_CONTROL_WHITESPACE.sub(" ", raw).rstrip(";"), strict=False)
            except ValueError:
                continue
        for node in _walk_jsonld(data):
            types = _jsonld_types(node)
            if not any(t in _ARTICLE_TYPES or t.endswith(_ARTICLE_SUFFIXES) for t in types):
                continue
            rank = 1 if all(t in ("webpage", "itempage") for t in types) else 0
            if best is None or rank < best[0]:
                best = (rank, node)
    if best is None:
        return {}
    node = best[1]
    publisher = node.get("publisher")
    if isinstance(publisher, list) and publisher:
        publisher = publisher[0]
    return {
        "headline": node.get("headline") or (node.get("name") if best[0] == 0 else None),
        "published": node.get("datePublished") or node.get("dateCreated"),
        "created": node.get("dateCreated"),
        "author": node.get("author") or node.get("creator"),
        "publisher_name": publisher.get("name") if isinstance(publisher, dict) else None,
        "language": node.get("inLanguage"),
    }


def jsonld_text(value: Any) -> str | None:
    """A JSON value as a clean string, or None for anything that is not text."""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), None)
    if not isinstance(value, str):
        return None
    return normalize_space(unescape_entities(value)) or None
