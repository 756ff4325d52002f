"""Article parsing: page bytes in, one clean :class:`Article` out.

Pure and total: no I/O, and :func:`parse_article` never raises. The body comes from trafilatura
(run on a tree we parse once); title, date, authors and the canonical URL come first from the
page's own structured data (JSON-LD, meta tags), which is more exact than any heuristic, and fall
back on trafilatura's and htmldate's guesses only when the page states nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date

from ..urls import normalize_url
from .authors import choose_authors, extract_bylines, split_names
from .body import clean_body, extract_source, is_link_list, visible_lead
from .canonical import canonical_url
from .dates import (
    choose_published_fallback,
    date_in_text,
    in_local_time,
    parse_date,
    stated_published,
)
from .decoding import decode_html, header_value, is_amp_page, is_not_html, load_tree
from .language import page_language
from .metadata import jsonld_article, jsonld_text, page_meta
from .rules import NO_RULES, ExtractRules, drop_elements, select_body, select_text
from .title import choose_title
from .trafilatura_prep import trafilatura_document, trafilatura_metadata

logger = logging.getLogger(__name__)


@dataclass
class Article:
    """One page's story. ``problem`` says why the page gave none; the caller then keeps the feed
    entry, with whatever the page did state (its date, its authors)."""

    url: str
    title: str | None
    body: str
    published: str | None
    authors: list[str] = field(default_factory=list)
    source: str | None = None
    is_amp: bool = False
    language: str | None = None  # as the page states it: ``id``, ``en``
    problem: str | None = None

    @classmethod
    def unread(cls, url: str, problem: str) -> Article:
        """A page nothing was read from: only its URL, and why."""
        return cls(url=url, title=None, body="", published=None, problem=problem)


def parse_article(
    html: bytes,
    url: str,
    headers: dict[str, str] | None = None,
    rules: ExtractRules | None = None,
    *,
    as_of: date,
) -> Article:
    """Parse one fetched page; any failure becomes ``Article.problem``, never an exception.

    ``rules`` are a feed's ``extract:`` overrides, for sites where the generic path fails.
    ``as_of`` is the day the page is read, the latest a date on it can plausibly be (the
    caller's clock, not ours): the same bytes give the same article on any day. The parse has
    no time limit of its own either: a caller that needs one arms it (see
    :mod:`newswatch.crawler.limits`).
    """
    fallback_url = _normal_or_raw(url)
    try:
        return _parse_unguarded(html, url, fallback_url, headers or {}, rules, as_of)
    except Exception as err:  # noqa: BLE001 - the contract is: never raise
        logger.debug("article parse failed for %s: %r", url, err)  # the spider logs the one line
        return Article.unread(fallback_url, "parse error")


def _parse_unguarded(
    html: bytes,
    url: str,
    fallback_url: str,
    headers: dict[str, str],
    rules: ExtractRules | None,
    as_of: date,
) -> Article:
    """The actual pipeline, free to raise; :func:`parse_article` guards it."""
    if isinstance(html, str):
        html = html.encode("utf-8", "surrogatepass")
    if not isinstance(html, bytes | bytearray) or is_not_html(bytes(html), headers):
        logger.debug("not html: %s", url)
        return Article.unread(fallback_url, "not html")
    text = decode_html(bytes(html), header_value(headers, "content-type"))
    if text is None:
        logger.debug("undecodable: %s", url)
        return Article.unread(fallback_url, "undecodable")
    tree = load_tree(text)
    if tree is None:
        logger.debug("no html tree: %s", url)
        return Article.unread(fallback_url, "not html")

    rules = rules.compiled if rules is not None else NO_RULES
    drop_elements(tree, rules.drop)
    meta = page_meta(tree)
    ld = jsonld_article(tree)
    page_url = canonical_url(meta, url) or fallback_url
    site_name = meta.get("og:site_name") or jsonld_text(ld.get("publisher_name"))
    doc = trafilatura_document(tree, url, as_of)

    title = select_text(tree, rules.title) or choose_title(
        ld, meta, tree, None, site_name, page_url
    )
    stated = parse_date(select_text(tree, rules.date, dated=True), as_of) or stated_published(
        ld, meta, tree, as_of
    )
    written = None if stated else date_in_text(tree, as_of)
    chosen_authors = split_names(select_text(tree, rules.authors, joined=", ") or "")
    stated_authors = chosen_authors or choose_authors(ld, meta, None, [], tree)
    body_text = select_body(tree, rules.body) if rules.body else doc.get("text") or ""
    if title is None or stated is None or not stated_authors:
        # Last, and only when the page states too little: it is the slow part.
        doc.update(trafilatura_metadata(tree, url, as_of))
        title = title or choose_title(ld, meta, tree, doc.get("title"), site_name, page_url)

    lines, source = extract_source(body_text.split("\n"))
    byline_authors, lines = extract_bylines(lines)
    body = clean_body(lines, title, rules.drop_lines)
    if body and not rules.body and is_link_list(body, tree):
        logger.debug("only link lists: %s", url)
        body = ""
    if body and not rules.body:
        lead = visible_lead(tree, meta, body)
        body = f"{lead}\n\n{body}" if lead else body
    authors = stated_authors or choose_authors(ld, meta, doc.get("author"), byline_authors, tree)
    if stated:
        published = in_local_time(stated, ld, meta, tree, as_of)
    else:
        published = choose_published_fallback(doc.get("date"), written, as_of)
    article = Article(
        url=page_url,
        title=title,
        body=body,
        published=published,
        authors=authors,
        source=source,
        is_amp=is_amp_page(text),
        language=page_language(tree, meta, ld),
    )
    if not body:
        logger.debug("no article text: %s", url)
        article.problem = "no article text"
    return article


def _normal_or_raw(url: str) -> str:
    """The fetched URL in normal form, or as given when it is not an http(s) URL."""
    try:
        return normalize_url(url) or str(url)
    except Exception:  # noqa: BLE001
        return str(url)
