"""Article parsing: page bytes in, one clean :class:`Article` out.

Pure and total: no I/O, and :func:`parse_article` never raises. The body comes from trafilatura
(run on a tree we parse once); title, date, authors and the canonical URL come first from the
page's own structured data (JSON-LD, meta tags), which is more exact than any heuristic, and fall
back on trafilatura's and htmldate's guesses only when the page states nothing.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import cached_property
from itertools import islice
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml.etree import LxmlError
from lxml.html import HtmlElement

from .limits import TimeLimitExceeded, time_limit
from .urls import host_of, normalize_url, same_site

logger = logging.getLogger(__name__)


@dataclass
class Article:
    url: str
    title: str | None
    body: str
    published: str | None
    authors: list[str] = field(default_factory=list)
    source: str | None = None
    is_amp: bool = False
    problem: str | None = None


# ------------------------------------------------------------------ entry point


def parse_article(
    html: bytes,
    url: str,
    headers: dict[str, str] | None = None,
    rules: ExtractRules | None = None,
    seconds: float = 0,
) -> Article:
    """Parse one fetched page; any failure becomes ``Article.problem``, never an exception.

    ``rules`` are a feed's ``extract:`` overrides, for sites where the generic path fails.
    ``seconds`` bounds the parse (0: no limit; see :mod:`crawler.limits`).
    """
    fallback_url = _normal_or_raw(url)
    try:
        with time_limit(seconds):
            return _parse(html, url, fallback_url, headers or {}, rules)
    except TimeLimitExceeded:
        logger.info("article parse timed out for %s after %g s", url, seconds)
        return Article(
            url=fallback_url, title=None, body="", published=None, problem="parse timed out"
        )
    except Exception as err:  # noqa: BLE001 - the contract is: never raise
        logger.info("article parse failed for %s: %r", url, err)
        return Article(url=fallback_url, title=None, body="", published=None, problem="parse error")


def _parse(
    html: bytes, url: str, fallback_url: str, headers: dict[str, str], rules: ExtractRules | None
) -> Article:
    """The actual pipeline, free to raise; :func:`parse_article` guards it."""
    if isinstance(html, str):
        html = html.encode("utf-8", "surrogatepass")
    if not isinstance(html, bytes | bytearray) or _not_html(bytes(html), headers):
        logger.debug("not html: %s", url)
        return Article(url=fallback_url, title=None, body="", published=None, problem="not html")
    text = decode_html(bytes(html), _header(headers, "content-type"))
    if text is None:
        logger.debug("undecodable: %s", url)
        return Article(url=fallback_url, title=None, body="", published=None, problem="undecodable")
    tree = _load_tree(text)
    if tree is None:
        logger.debug("no html tree: %s", url)
        return Article(url=fallback_url, title=None, body="", published=None, problem="not html")

    rules = rules.compiled if rules is not None else _NO_RULES
    drop_elements(tree, rules.drop)
    meta = page_meta(tree)
    ld = jsonld_article(tree)
    page_url = canonical_url(meta, url) or fallback_url
    site_name = meta.get("og:site_name") or _str(ld.get("publisher_name"))
    doc = _trafilatura(tree, url)

    title = select_text(tree, rules.title) or choose_title(
        ld, meta, tree, None, site_name, page_url
    )
    stated = parse_date(select_text(tree, rules.date, dated=True)) or _stated_published(
        ld, meta, tree
    )
    written = None if stated else _date_in_text(tree)
    chosen_authors = split_names(select_text(tree, rules.authors, joined=", ") or "")
    stated_authors = chosen_authors or choose_authors(ld, meta, None, [], site_name, tree)
    body_text = select_body(tree, rules.body) if rules.body else doc.get("text") or ""
    if title is None or stated is None or not stated_authors:
        doc.update(
            _trafilatura_metadata(tree, url)
        )  # last: it is the slow part, and only a fallback
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
    authors = stated_authors or choose_authors(
        ld, meta, doc.get("author"), byline_authors, site_name, tree
    )
    if stated:
        published = _in_local_time(stated, ld, meta, tree)
    else:
        published = choose_published_fallback(doc.get("date"), written)
    article = Article(
        url=page_url,
        title=title,
        body=body,
        published=published,
        authors=authors,
        source=source,
        is_amp=is_amp_page(text),
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


# ------------------------------------------------------------------ bytes -> text -> tree

_BINARY_MAGIC = (
    b"%PDF",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"RIFF",
    b"\x00\x00\x01\x00",
    b"OggS",
    b"ID3",
    b"BM",
    b"\x7fELF",
    b"%!PS",
    b"{\\rtf",
)
_NON_HTML_TYPES = ("image/", "audio/", "video/", "font/", "application/pdf", "application/json",
                   "application/zip", "application/octet-stream", "text/plain", "text/css",
                   "application/javascript", "text/javascript")  # fmt: skip
_HTML_TAG = re.compile(rb"<(?:!doctype\s+html|html|head|body|title|meta|p|div|article)[\s>/]", re.I)


def _header(headers: dict[str, str], name: str) -> str:
    """Case-insensitive header lookup, since servers and clients disagree on case."""
    for key, value in headers.items():
        if str(key).lower() == name:
            return str(value)
    return ""


def _not_html(data: bytes, headers: dict[str, str]) -> bool:
    """Whether the bytes are certainly not a web page (empty, binary, JSON, declared non-HTML)."""
    ctype = _header(headers, "content-type").lower()
    if ctype.startswith(_NON_HTML_TYPES):
        return True
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n\x0c")
    if not head or head.startswith(_BINARY_MAGIC) or head[:1] in (b"{", b"["):
        return True
    if head.count(b"\x00") > len(head) // 10 and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.count(b"\x00") > len(head) // 3  # UTF-16 pages have NULs too; junk has many
    return _HTML_TAG.search(data[:65536]) is None


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([a-zA-Z0-9_.:-]+)", re.I)
_LATIN = {"iso-8859-1", "latin-1", "latin1", "iso8859-1", "cp1252", "windows-1252", "ascii",
          "us-ascii", "iso-8859-15", "cp819", "l1"}  # fmt: skip
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def decode_html(data: bytes, content_type: str = "") -> str | None:
    """Bytes to text: BOM, header charset, meta charset, then detection; never mojibake by choice.

    A declared Latin-1/windows-1252 charset on bytes that are valid multi-byte UTF-8 is a wrong
    declaration (a common CMS bug), so UTF-8 wins there. ISO-8859-1 is read as windows-1252,
    as browsers do.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, "replace")
    declared = [m.group(1) for m in [_HEADER_CHARSET.search(content_type or "")] if m]
    declared += [
        m.group(1).decode("ascii", "ignore") for m in [_META_CHARSET.search(data[:8192])] if m
    ]
    utf8 = _strict(data, "utf-8")
    for name in declared:
        codec = _codec(name)
        if codec is None:
            continue
        if codec == "utf-8":
            return utf8 if utf8 is not None else data.decode("utf-8", "replace")
        if codec == "cp1252" and utf8 is not None:
            return utf8
        decoded = _strict(data, codec)
        if decoded is not None:
            return decoded
    if utf8 is not None:
        return utf8
    return _detect(data)


def _codec(name: str) -> str | None:
    """A Python codec for a declared charset name, or None when Python does not know it."""
    import codecs

    name = name.strip().lower()
    if name in _LATIN:
        return "cp1252"
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    return "utf-8" if codec in ("utf-8", "utf-16", "utf-16-le", "utf-16-be") else codec


def _strict(data: bytes, codec: str) -> str | None:
    """Decode or None, so a failed guess falls through to the next one."""
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _detect(data: bytes) -> str:
    """Statistical detection on a sample, then lossy windows-1252 so there is always a result."""
    try:
        from charset_normalizer import from_bytes

        sample = data if len(data) <= 20000 else data[:10000] + data[-10000:]
        best = from_bytes(sample).best()
        if best is not None and best.encoding:
            decoded = _strict(data, best.encoding)
            if decoded is not None:
                return decoded
    except Exception as err:  # noqa: BLE001
        logger.debug("charset detection failed: %r", err)
    return data.decode("cp1252", "replace")


def _load_tree(text: str) -> HtmlElement | None:
    """Parse once, with trafilatura's own loader so its extraction sees the tree it expects."""
    from trafilatura.utils import load_html

    tree = load_html(text)
    if tree is None or not isinstance(tree, HtmlElement):
        return None
    return tree


_AMP_HTML = re.compile(r"<html\b[^>]*?\s(?:amp|\u26a1)(?:[\s=/>])", re.I)


def is_amp_page(text: str) -> bool:
    """AMP pages mark the root element with ``amp`` or the lightning bolt."""
    start = text.lower().find("<html")
    return start >= 0 and bool(_AMP_HTML.match(text, start))


def amp_canonical(html: bytes, url: str, content_type: str = "") -> str | None:
    """The canonical URL an AMP page names, read without extracting the article.

    The story is read from the canonical page, so an AMP page's own extraction would be
    thrown away; this costs a byte search for other pages, and a tree for AMP ones.
    """
    head = bytes(html[:16384]).lower()
    if b"amp" not in head and "⚡".encode() not in head:
        return None
    try:
        text = decode_html(bytes(html), content_type)
        if text is None or not is_amp_page(text):
            return None
        tree = _load_tree(text)
        return canonical_url(page_meta(tree), url) if tree is not None else None
    except Exception as err:  # noqa: BLE001 - the full parse will say what is wrong
        logger.debug("amp check failed for %s: %r", url, err)
        return None


def _trafilatura(tree: HtmlElement, url: str) -> dict[str, Any]:
    """The body from trafilatura, on a tree prepared for it; ours stays intact."""
    import trafilatura

    try:
        prepared = _for_trafilatura(tree)
        doc = trafilatura.bare_extraction(prepared, url=url or None, include_comments=False)
    except Exception as err:  # noqa: BLE001
        logger.debug("trafilatura failed on %s: %r", url, err)
        return {}
    if doc is None:
        return {}
    return doc if isinstance(doc, dict) else doc.as_dict()


def _for_trafilatura(tree: HtmlElement) -> HtmlElement:
    """The tree trafilatura reads: captions out, a body split into chunks joined again.

    A copy when anything changes, so our own tree stays as the page wrote it.
    """
    drop = tree.xpath("//figcaption") + _link_lists(tree)
    chunks = _body_chunks(tree)
    if not drop and not chunks:
        return tree
    from copy import deepcopy

    # The same elements in the copy, found by their paths before the copy changes.
    paths = tree.getroottree()
    copy = deepcopy(tree)
    find = copy.getroottree()

    def twin(el: HtmlElement) -> HtmlElement:
        return find.xpath(paths.getpath(el))[0]

    try:
        drop, chunks = [twin(el) for el in drop], [[twin(el) for el in g] for g in chunks]
    except (LxmlError, IndexError):  # a path lxml cannot read back ("fb:like" tags)
        drop = copy.xpath("//figcaption") + _link_lists(copy)
        chunks = _body_chunks(copy)
    for el in drop:
        if el.getparent() is not None:
            el.drop_tree()  # captions, photo credits and lists of other stories are not story text
    for group in chunks:
        for chunk in group[1:]:
            _move_into(chunk, group[0])
    return copy


def _move_into(el: HtmlElement, target: HtmlElement) -> None:
    """Append ``el`` to ``target``, leaving its tail text where it was."""
    if el.tail:
        prev, parent = el.getprevious(), el.getparent()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        elif parent is not None:
            parent.text = (parent.text or "") + el.tail
        el.tail = None
    target.append(el)


def _link_lists(tree: HtmlElement) -> list[HtmlElement]:
    """Lists whose every item is a link to another page ("Newsblog: All the news on X").

    Sites set them inside the story as related reading; their headlines name other topics.
    """
    found = []
    for lst in tree.iter("ul", "ol"):
        items = [li for li in lst if li.tag == "li"]
        if len(items) < 2 or lst.getparent() is None:
            continue
        if all(_is_link_item(li) for li in items):
            found.append(lst)
    return found


def _is_link_item(li: HtmlElement) -> bool:
    """A list item that is a link, perhaps after a short bold label: "<b>Newsblog</b>: <a>..."."""
    text = len(_collapse(li.text_content()))
    linked = sum(len(_collapse(a.text_content())) for a in li.iter("a") if a.get("href"))
    if not text or linked < 0.5 * text:
        return False
    labels = [
        _collapse(el.text_content())
        for el in li.iter("strong", "b")
        if not any(p.tag == "a" for p in el.iterancestors())
    ]
    if any(len(label.split()) > 5 for label in labels):
        return False
    return text - linked - sum(len(label) for label in labels) <= 0.3 * text


_BODY_CLASS = re.compile(
    r"^(?:[\w-]*[_-])?(?:article|story|post|entry)[_-]*body(?:[_-][\w-]*)?$", re.I
)
_NOT_BODY_CLASS = re.compile(
    r"comment|card|list|item|teaser|author|modal|promo|related|embed", re.I
)


_OUTSIDE_STORY = {"aside", "nav", "footer", "header"}
_STORY_BOUNDS = _OUTSIDE_STORY | {"article", "main"}


def _body_chunks(tree: HtmlElement) -> list[list[HtmlElement]]:
    """Groups of article-body containers that share one class and hold paragraphs.

    Some layouts cut the story into several ``<div class="article__body">`` between ad rows;
    trafilatura keeps only the first, so a long story loses its second half.
    """
    groups: dict[tuple[str, str, int], list[HtmlElement]] = {}
    for el in tree.iter("div", "section"):
        classes = (el.get("class") or "").split()
        if not any(_BODY_CLASS.match(c) and not _NOT_BODY_CLASS.search(c) for c in classes):
            continue
        around = [a for a in el.iterancestors() if a.tag in _STORY_BOUNDS]
        if any(a.tag in _OUTSIDE_STORY for a in around):
            continue
        story = next((id(a) for a in around if a.tag in ("article", "main")), 0)
        groups.setdefault((el.tag, " ".join(classes), story), []).append(el)
    found = []
    for members in groups.values():
        if len(members) < 2:
            continue
        inner = {id(d) for m in members for d in m.iterdescendants()}
        top = [m for m in members if id(m) not in inner and m.find(".//p") is not None]
        if len(top) >= 2:
            found.append(top)
    return found


def _trafilatura_metadata(tree: HtmlElement, url: str) -> dict[str, Any]:
    """trafilatura's title/author/htmldate guesses, asked only when the page states too little."""
    from trafilatura.metadata import extract_metadata

    try:
        doc = extract_metadata(tree, url or None)
    except Exception as err:  # noqa: BLE001
        logger.debug("trafilatura metadata failed on %s: %r", url, err)
        return {}
    got = doc if isinstance(doc, dict) else doc.as_dict()
    return {key: got.get(key) for key in ("title", "author", "date")}


# ------------------------------------------------------------------ per-feed overrides


@dataclass(frozen=True)
class ExtractRules:
    """A feed's ``extract:`` overrides: CSS selectors and line patterns, as the config states them.

    The config checks each one with :func:`selector_problem` and :func:`pattern_problem`, the
    same compilers the parser uses, so a rule that loads is a rule that runs. Equal rules are
    equal by their text (the daemon compares configs on reload); each is compiled once, when
    first used.
    """

    body: str | None = None
    title: str | None = None
    date: str | None = None
    authors: str | None = None
    drop: tuple[str, ...] = ()
    drop_lines: tuple[str, ...] = ()

    @cached_property
    def compiled(self) -> _CompiledRules:
        def one(text: str | None) -> tuple[Any, ...]:
            return (_selector(text),) if text else ()

        return _CompiledRules(
            body=one(self.body),
            title=one(self.title),
            date=one(self.date),
            authors=one(self.authors),
            drop=tuple(map(_selector, self.drop)),
            drop_lines=tuple(map(_pattern, self.drop_lines)),
        )


@dataclass(frozen=True)
class _CompiledRules:
    body: tuple[Any, ...] = ()
    title: tuple[Any, ...] = ()
    date: tuple[Any, ...] = ()
    authors: tuple[Any, ...] = ()
    drop: tuple[Any, ...] = ()
    drop_lines: tuple[re.Pattern, ...] = ()


_NO_RULES = _CompiledRules()


def _selector(text: str) -> Any:
    """A CSS selector compiled as lxml runs it on HTML (its ``html`` translator)."""
    from lxml.cssselect import CSSSelector

    return CSSSelector(text, translator="html")


def _pattern(text: str) -> re.Pattern:
    """A body-line pattern: case-insensitive, matched against each line."""
    return re.compile(text, re.I)


def selector_problem(text: str) -> str | None:
    """Why ``text`` is not a CSS selector the parser can use, or None when it is."""
    try:
        _selector(text)
    except Exception as err:  # noqa: BLE001 - cssselect raises several kinds
        return str(err) or type(err).__name__
    return None


def pattern_problem(text: str) -> str | None:
    """Why ``text`` is not a body-line pattern the parser can use, or None when it is."""
    try:
        _pattern(text)
    except re.error as err:
        return str(err)
    return None


def drop_elements(tree: HtmlElement, selectors: tuple[Any, ...]) -> None:
    """Remove what a feed's ``drop`` selectors name, tail text kept, before any extraction."""
    for selector in selectors:
        for el in selector(tree):
            if el.getparent() is not None:
                el.drop_tree()


def select_text(
    tree: HtmlElement, selectors: tuple[Any, ...], dated: bool = False, joined: str | None = None
) -> str | None:
    """Text of the first match (its datetime/content attribute first for dates), or all joined."""
    texts = []
    for selector in selectors:
        for el in selector(tree):
            value = (el.get("datetime") or el.get("content")) if dated else None
            value = _collapse(value or el.text_content())
            if value and joined is None:
                return value
            if value:
                texts.append(value)
    return joined.join(texts) if texts else None


_BLOCKS = ("p", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "figcaption")


def _inside_block(el: HtmlElement) -> bool:
    """Whether a block element sits in another block, whose text already includes it."""
    return any(a.tag in _BLOCKS for a in el.iterancestors())


def select_body(tree: HtmlElement, selectors: tuple[Any, ...]) -> str:
    """Paragraph text of the elements a feed's ``body`` selector names, one block per line."""
    lines = []
    for selector in selectors:
        for el in selector(tree):
            blocks = [
                b for b in el.iter(*_BLOCKS) if not any(a.tag in _BLOCKS for a in b.iterancestors())
            ]
            for block in blocks or [el]:
                lines.append(_collapse(block.text_content()))
    return "\n".join(line for line in lines if line)


# ------------------------------------------------------------------ structured metadata


def _collapse(text: Any) -> str:
    """One line of text with single spaces, NFC, since pages pad everything with whitespace."""
    return " ".join(unicodedata.normalize("NFC", str(text or "")).split())


def page_meta(tree: HtmlElement) -> dict[str, str]:
    """First non-empty value of each meta name/property/itemprop, plus canonical and title."""
    meta: dict[str, str] = {}
    for el in tree.iterfind(".//meta"):
        content = el.get("content")
        if content is None:
            content = el.get("datetime") or el.get("value")
        content = _collapse(content)
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


def _types(node: dict) -> list[str]:
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
                data = json.loads(re.sub(r"[\r\n\t]+", " ", raw).rstrip(";"), strict=False)
            except ValueError:
                continue
        for node in _walk_jsonld(data):
            types = _types(node)
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
        "webpage": best[0] == 1,
    }


def _str(value: Any) -> str | None:
    """A JSON value as a clean string, or None for anything that is not text."""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), None)
    if not isinstance(value, str):
        return None
    return _collapse(_unescape(value)) or None


def _unescape(text: str) -> str:
    """HTML entities left inside JSON-LD strings (``&amp;``, ``&#8217;``) decoded."""
    if "&" not in text:
        return text
    import html

    return html.unescape(text)


# ------------------------------------------------------------------ canonical URL


def canonical_url(meta: dict[str, str], url: str) -> str | None:
    """rel=canonical, else og:url, made absolute; only when it stays on the fetched site."""
    for key in ("link:canonical", "og:url"):
        href = meta.get(key)
        if not href:
            continue
        try:
            absolute = urljoin(url, href.strip())
        except ValueError:
            continue
        if same_site(absolute, url) and not _names_a_section_of(absolute, url):
            normal = normalize_url(absolute)
            if normal:
                return normal
    return None


def _names_a_section_of(canonical: str, url: str) -> bool:
    """A canonical that is the home page or a section above the article (a misconfigured
    CMS, a consent wall) would make every article on the site one story."""
    path = urlsplit(canonical).path or "/"
    own = re.sub(r"/(?:index|default)\.\w+$", "/", urlsplit(url).path or "/")
    return path != own and path.endswith("/") and own.startswith(path)


# ------------------------------------------------------------------ title

_SEPARATORS = re.compile(r"\s+(?:[-|\u2013\u2014\u00b7\u2022:]|::)\s+")


def _site_words(site_name: str | None, url: str) -> set[str]:
    """Compact forms of the site's name and host, to recognise a title suffix naming the site."""
    names = set()
    if site_name:
        names.add(_compact(site_name))
    host = host_of(url)
    if host.startswith("www."):
        host = host[4:]
    if host:
        names.add(_compact(host))
        names.add(_compact(host.split(".")[0]))
        labels = host.split(".")
        if len(labels) >= 2:
            names.add(_compact(labels[-2]))
    names.discard("")
    return names


def _compact(text: str) -> str:
    """Case-folded alphanumerics only, so "Tribunnews.com" and "TRIBUNNEWS" compare equal."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _is_site_segment(segment: str, sites: set[str], loose: bool) -> bool:
    """Whether a title segment is an outlet name rather than part of the headline."""
    compact = _compact(segment)
    if not compact:
        return True
    if any(compact == s or (len(s) >= 4 and s in compact) for s in sites):
        return True
    if re.search(r"\w\.(?:com|net|org|co|id|de|uk|fr|it|es|at|ch|info|news|tv)\b", segment, re.I):
        return True
    return loose and len(segment.split()) <= 3 and len(segment) <= 30


def strip_site_suffix(title: str, site_name: str | None, url: str, loose: bool = False) -> str:
    """Drop trailing " - Outlet" / " | Outlet" segments (and a leading "Outlet | ") from a title."""
    sites = _site_words(site_name, url)
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
        "ld": (_str(ld.get("headline")), False),
        "og": (meta.get("og:title"), True),
        "twitter": (meta.get("twitter:title"), True),
        "h1": (_first_text(tree, ".//h1"), False),
        "title": (_first_text(tree, ".//title"), True),
    }
    out = []
    for source in _TITLE_SOURCES:
        value, loose = raw[source]
        value = _collapse(_unescape(value or ""))
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
        value = _collapse(_unescape(traf_title or ""))
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
        text = _collapse(el.text_content())
        if text:
            return text
    return None


# ------------------------------------------------------------------ body

_BOILERPLATE_LINE = re.compile(
    r"^\W*(?:(?:baca|simak|lihat)\s+(?:juga|selengkapnya)\b|(?:artikel|berita)\s+terkait\s*:"
    r"|(?:read\s+(?:also|more)|related(?:\s+(?:posts?|stories|articles?|coverage))?)\s*:"
    r"|read\s+more\W*$|(?:copyright|\u00a9)\W.{0,160}$)",
    re.I,
)
# Labels the layout puts between paragraphs: ad slots, "scroll to continue", empty "Iklan".
_LABEL_LINE = re.compile(
    r"^\W*(?:advertisements?|advertorial|iklan|anzeige|publicit[ée]|werbung|sponsored|"
    r"scroll\s+(?:down\s+)?to\s+continue(?:\s+with\s+content)?|"
    r"(?:continue|story\s+continues)\s+(?:reading\s+)?below(?:\s+advertisement)?|"
    r"lanjutkan\s+membaca|scroll\s+untuk\s+melanjutkan)\W*$",
    re.I,
)
# Photo credits and captions credited inline: "Foto: X", "(Foto: X)", "ANTARA FOTO/X", "Photo: X".
_CREDIT_LINE = re.compile(
    r"^\W{0,3}(?:(?:foto|photo|photograph|image|bild|gambar|ilustrasi|illustration|"
    r"dok(?:umentasi)?|credit|sumber\s+foto)\s*(?::|/)|antara\s+foto\s*/|"
    r"(?:getty\s+images|afp|reuters|ap\s+photo|shutterstock|istock)\s*$)",
    re.I,
)
_BARE_VALUE_LINE = re.compile(
    r"^\s*(?:https?://\S+\.(?:jpe?g|png|gif|webp|svg)(?:\?\S*)?"
    r"|\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?\S*)?)\s*$",
    re.I,
)
# Lines publishers append around a story: follow/share prompts, newsletter and app sign-ups,
# "write to the reporter at x@y", contributor credits, "See more:"/"More:" teasers, reading time.
_TRAILER_LINE = re.compile(
    r"^\W*(?:follow\s+(?:us\b|@\w+|\w+(?:\s+\w+){0,3}\s+on\s+(?:twitter|facebook|instagram|x)\b)"
    r"|like\s+this\s+story\?|share\s+this\b|click\s+here\b"
    r"|(?:sign\s+up|subscribe)\b.{0,120}\bnewsletters?\b"
    r"|(?:e-?mail|write\s+to|reach|contact)\s+(?:\w+\s+){0,4}at\s+\S+@|have\s+a\s+tip\?"
    r"|\(?(?:additional\s+)?reporting\s+by\b"
    r"|.{0,200}\bcontributed\s+(?:reporting|to\s+this\s+(?:report|story|article))"
    r"(?:\s+from\s+[^.]{1,40})?\W*$"
    r"|(?:see\s+more|also(?:\s+on\s+\S+)?|more|leggi\s+anche(?:\s+su)?)\s*:"
    r"|(?:tempo\s+de\s+leitura|reading\s+time|lesezeit)\s*:?\s*\d+\s*\w+\W*$"
    r"|\d+\s*min(?:ute)?s?\s+read\W*$)",
    re.I,
)
_SOURCE_LINE = re.compile(r"^\W{0,3}sumber\s*:\s*(.{2,80}?)\s*\W{0,3}$", re.I)


def extract_source(lines: list[str]) -> tuple[list[str], str | None]:
    """A syndication line "Sumber: X" (near the end) becomes the source field, not body text."""
    source = None
    kept = []
    for i, line in enumerate(lines):
        match = _SOURCE_LINE.match(line.strip())
        if match and source is None and i >= len(lines) // 2:
            source = match.group(1).strip()
            continue
        kept.append(line)
    return kept, source


def clean_body(
    lines: list[str], title: str | None, drop_lines: list[re.Pattern] | None = None
) -> str:
    """Paragraphs separated by a blank line, without related links, labels, credits, a title."""
    paras = [p for p in (_collapse(line) for line in lines) if p]
    if paras and title and _compact(paras[0]) == _compact(title):
        paras = paras[1:]
    paras = [p for p in paras if not _is_noise_line(p, drop_lines or [])]
    return "\n\n".join(drop_repeated_runs(paras))


def drop_repeated_runs(paras: list[str]) -> list[str]:
    """Without runs of paragraphs the body already had verbatim (a teaser block or a second copy
    of the page's story list, a repeated embed placeholder). A lone repeat stays (interviews
    repeat a question), and so do repeated list items (spec lists of product variants)."""
    seen: set[str] = set()
    repeated = []
    for para in paras:
        repeated.append(para in seen)
        seen.add(para)
    kept, i = [], 0
    while i < len(paras):
        j = i + 1
        while repeated[i] and j < len(paras) and repeated[j]:
            j += 1
        run = paras[i:j]
        prose = [p for p in run if not p.startswith("- ")]
        if len(run) < 2 or sum(len(p) for p in prose) < 200:
            kept.extend(run)
        i = j
    return kept


def _is_noise_line(line: str, drop_lines: list[re.Pattern]) -> bool:
    """Lines that are layout, not story: "Baca juga", ad labels, photo credits, bare URLs."""
    return bool(
        _BOILERPLATE_LINE.match(line)
        or _LABEL_LINE.match(line)
        or (len(line) <= 200 and _CREDIT_LINE.match(line))
        or _BARE_VALUE_LINE.match(line)
        or (len(line) <= 300 and _TRAILER_LINE.match(line))
        or any(pattern.search(line) for pattern in drop_lines)
    )


def is_link_list(body: str, tree: HtmlElement) -> bool:
    """Whether the "body" is only link texts (an index page or a menu), which is no article."""
    paras = body.split("\n\n")
    if any(len(p) > 200 for p in paras):
        return False
    words = _WORD.findall(body)
    linked = {w for a in tree.iter("a") for w in _WORD.findall(a.text_content())}
    return sum(w in linked for w in words) >= 0.8 * len(words)


_WORD = re.compile(r"\w+")
_LEAD_SCAN = 3000  # elements; a lead sits near the top


def visible_lead(tree: HtmlElement, meta: dict[str, str], body: str) -> str | None:
    """The story's lead paragraph when the page shows it above the body and the body lacks it.

    The lead (standfirst) under the headline often sits outside the container trafilatura
    picks, yet it is story text and names the subject. It is recognised as the visible element
    that states the page's description (and little else), found before the body's first
    paragraph, outside the page's header, navigation and footer.
    """
    desc = _collapse(_unescape(meta.get("description") or meta.get("og:description") or ""))
    head = desc[:50]
    if len(desc) < 80 or _compact(head) in _compact(body[:3000]):
        return None
    cut = desc.endswith(("\u2026", "..."))  # a shortened description: the lead runs on
    limit = 800 if cut else int(len(desc) * 1.3) + 20
    first = body.split("\n\n", 1)[0][:50]
    for n, el in enumerate(tree.iter("p", "div", "span", "strong", "h2")):
        if n > _LEAD_SCAN:
            break
        if el.find(".//p") is not None or el.find(".//div") is not None:
            continue
        text = _collapse(_text_upto(el, limit + 1))
        if first and text.startswith(first):
            return None  # reached the body first
        matches = text.startswith(head) or (len(text) >= 50 and desc.startswith(text[:50]))
        if matches and len(text) <= limit and _shown_in_story(el):
            return text
    return None


def _text_upto(el: HtmlElement, limit: int) -> str:
    """The element's text, read only as far as ``limit`` characters."""
    parts, size = [], 0
    for piece in el.itertext():
        parts.append(piece)
        size += len(piece)
        if size > limit:
            break
    return "".join(parts)


def _shown_in_story(el: HtmlElement) -> bool:
    """Whether a reader sees the element as part of the story (not hidden, not page chrome)."""
    chain = (el, *el.iterancestors())
    in_story = any(node.tag in ("article", "main") for node in chain)
    for node in chain:
        if node.tag in _OUTSIDE_STORY and not (node.tag == "header" and in_story):
            return False  # an article's own <header> holds its headline and lead
        if node.get("hidden") is not None:
            return False
        style = (node.get("style") or "").replace(" ", "").lower()
        if node.get("aria-hidden") == "true" or "display:none" in style:
            return False
    return True


# ------------------------------------------------------------------ authors

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


# Tribun's "Laporan Wartawan Tribunnews.com, Namira Yunia" (no colon).
_BYLINE_REPORT = re.compile(
    r"^laporan\s+(?:wartawan|reporter|koresponden)\s+[\w.-]+\s*,\s*(.{2,120}?)\s*$", re.I
)
_OTHER_ROLE = re.compile(
    r"\s*(?:\||/|,|;)?\s*\b(?:editor|penyunting|redaktur|fotografer|foto|photo|videografer|"
    r"ilustrasi|sumber|source)\b\s*:",
    re.I,
)


_NAME_SPLIT = re.compile(r"\s*(?:,|;|\||&|\s(?:and|dan|und)\s)\s*")
# "Oleh" only with a colon: bare, it is also a first name (Oleh Sample).
_NAME_PREFIX = re.compile(
    r"^(?:(?:by|von|par|por)\s+|(?:oleh|penulis|reporter|author)\s*:\s*)", re.I
)


def split_names(text: str) -> list[str]:
    """ "A and B", "A, B", "A dan B" into names, prefixes and e-mail addresses dropped."""
    text = _collapse(text)
    text = re.sub(r"\S+@\S+|\([^()]*\)?", "", text)
    text = _NAME_PREFIX.sub("", text)
    names = []
    for part in _NAME_SPLIT.split(text):
        part = part.strip(" .-\u2013\u2014()[]")
        if part and not _is_url(part) and any(ch.isalpha() for ch in part) and len(part) <= 80:
            names.append(part)
    return names


def _is_url(text: str) -> bool:
    """Author fields often hold a profile URL instead of a name."""
    return bool(re.match(r"^(?:https?:|www\.|/)", text.strip(), re.I))


def _ld_author_names(value: Any, depth: int = 0) -> list[str]:
    """Names from a JSON-LD author: a Person, a list of them, or a bare string."""
    if depth > 3 or value is None:
        return []
    if isinstance(value, list):
        return [n for item in value for n in _ld_author_names(item, depth + 1)]
    if isinstance(value, dict):
        name = value.get("name")
        if isinstance(name, list | dict):
            return _ld_author_names(name, depth + 1)
        return split_names(_unescape(str(name))) if name else []
    if isinstance(value, str):
        return split_names(_unescape(value))
    return []


def _dedupe(names: list[str], site_name: str | None) -> list[str]:
    """Case-insensitive de-duplication in first-seen order. Outlet names are kept on purpose:
    for pages that name no person, the publisher is the author they state."""
    seen = set()
    out = []
    for name in names:
        key = _compact(name)
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
    site_name: str | None,
    tree: HtmlElement | None = None,
) -> list[str]:
    """JSON-LD author, meta author tags, trafilatura's byline guess, then bylines in the text.

    Some sites put the editor in the JSON-LD author: when the page labels those names "Editor:",
    the byline printed under the headline names the author.
    """
    meta_names = [
        name
        for key in _AUTHOR_META_KEYS
        for name in ([] if _is_url(meta.get(key, "")) else split_names(meta.get(key, "")))
    ]
    sources = [
        _ld_author_names(ld.get("author")),
        meta_names,
        split_names((traf_author or "").replace(";", ",")),
        byline,
    ]  # fmt: skip
    if sources[0] and tree is not None:
        sources[0] = _unless_editors(sources[0], tree)
    for names in sources:
        names = _dedupe(names, site_name)
        if names:
            return names
    return []


def _unless_editors(names: list[str], tree: HtmlElement) -> list[str]:
    """The byline under the headline instead of structured names the page labels "Editor:"."""
    editors = editor_names(tree)
    if not editors or any(_compact(n) not in editors for n in names):
        return names
    printed = [n for n in header_byline(tree) if _compact(n) not in editors]
    return printed or names  # an author may edit their own story


_EDITOR_LABEL = re.compile(r"\b(?:editor|penyunting|redaktur)\s*:\s*(.{0,120})", re.I)


def editor_names(tree: HtmlElement) -> set[str]:
    """Compact names the page prints after an "Editor:" label (in the text or the next link)."""
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
            rest = _collapse(el[0].text_content())
        names.update(_compact(n) for n in split_names(rest.split("|")[0])[:3])
    names.discard("")
    return names


_BYLINE_CLASS = re.compile(r"^(?!.*comment).*(?:author|byline|penulis|reporter)", re.I)


def header_byline(tree: HtmlElement) -> list[str]:
    """Names in a byline element (class "author", "byline") between the headline and the body."""
    h1 = next(tree.iter("h1"), None)
    if h1 is None:
        return []
    for sibling in islice(h1.itersiblings(), _BYLINE_SIBLINGS):
        for el in sibling.iter("div", "span", "p", "a"):
            if not _BYLINE_CLASS.search(el.get("class") or ""):
                continue
            text = _collapse(el.text_content())
            if 3 <= len(text) <= 80 and not _EDITOR_LABEL.search(text):
                return split_names(text)
    return []


_BYLINE_SIBLINGS = 4  # the byline sits right under the headline, not by the comments


# ------------------------------------------------------------------ publication date

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


def _zone(text: str | None) -> timezone | None:
    """A tzinfo for "Z", "+07:00", "WIB"...; None when the page names no zone."""
    if not text:
        return None
    key = text.strip().lower()
    if key in _ZONES:
        return timezone(timedelta(hours=_ZONES[key]))
    match = re.match(r"^([+-])(\d{2}):?(\d{2})$", key)
    if not match:
        return None
    delta = timedelta(hours=int(match.group(2)), minutes=int(match.group(3)))
    return timezone(-delta if match.group(1) == "-" else delta)


def _iso(
    y: int, mo: int, d: int, h=None, mi=None, s=None, tz: timezone | None = None
) -> str | None:
    """ISO 8601 with as much precision as the page gave; None for impossible dates."""
    try:
        day = date(int(y), int(mo), int(d))
        if not 1990 <= day.year <= datetime.now().year + 1:
            return None
        if h is None:
            return day.isoformat()
        stamp = datetime(day.year, day.month, day.day, int(h), int(mi), int(s or 0), tzinfo=tz)
        return stamp.isoformat()
    except (ValueError, TypeError):
        return None


def parse_date(value: Any) -> str | None:
    """A machine or human date string (ISO, Y/M/D, "9 September 2025 13:45 WIB") as ISO 8601."""
    if not isinstance(value, str) or not value.strip():
        return None
    match = _ISO.match(value)
    if match:
        y, mo, d, h, mi, s, z = match.groups()
        return _iso(y, mo, d, h, mi, s, _zone(z))
    match = _SLASH.match(value)
    if match:
        return _iso(*match.groups())
    return parse_text_date(value)


_DAY_NAMES = r"(?:senin|selasa|rabu|kamis|jum'?at|sabtu|minggu|ahad)"
# Indonesian news style: "Rabu (4/6/2025)", day first, often with "pukul 10.30 WIB" after it.
_DAY_PAREN_DATE = re.compile(
    rf"\b{_DAY_NAMES}\s*,?\s*\(\s*(\d{{1,2}})/(\d{{1,2}})/(\d{{4}})\s*\)"
    r"(?:[,\s]+(?:pukul\s+|jam\s+)?(\d{1,2})[:.](\d{2})\s*(WIB|WITA|WIT)?)?",
    re.I,
)


def parse_text_date(text: str) -> str | None:
    """The first human-written date in a text, Indonesian, English or German month names."""
    match = _DAY_PAREN_DATE.search(text)
    if match:
        d, mo, y, h, mi, z = match.groups()
        if h is not None and z is None:
            h = mi = None  # a time without a zone is ambiguous; the day is not
        return _iso(y, mo, d, h, mi, None, _zone(z))
    match = _TEXT_DATE.search(text)
    if match:
        d, mon, y, h, mi, s, z = match.groups()
        return _iso(y, _MONTHS[mon.lower()], d, h, mi, s, _zone(z))
    match = _TEXT_DATE_US.search(text)
    if match:
        mon, d, y, h, mi, ampm, z = match.groups()
        if h is not None and ampm:
            h = int(h) % 12 + (12 if ampm.lower().startswith("p") else 0)
        return _iso(y, _MONTHS[mon.lower()], d, h, mi, None, _zone(z))
    return None


_DATE_NODES = (
    ".//*[@itemprop='datePublished']",
    ".//article//time[@datetime]",
    ".//time[@pubdate]",
)
_DATE_CLASS = re.compile(
    r"(?:^|[\s_-])(?:date|time|tanggal|publish|published|pubdate|posted)", re.I
)


def _date_in_markup(tree: HtmlElement, shown: bool = False) -> str | None:
    """Dates the markup marks as the publication time (itemprop, <time> in the article);
    ``shown``: only on elements a reader sees (no ``<meta itemprop>``)."""
    for path in _DATE_NODES:
        for el in tree.iterfind(path) if "[" not in path else tree.xpath(path):
            if shown and el.tag in ("meta", "link"):
                continue
            value = parse_date(el.get("datetime") or el.get("content") or el.text_content())
            if value:
                return value
    for el in tree.iter("time"):  # a <time> that only prints its day: "31.03.2020"
        if el.get("datetime") is None:
            value = _day_only(_collapse(el.text_content()))
            if value:
                return value
    return None


_DOTTED_DAY = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")


def _day_only(text: str) -> str | None:
    """The day when a short text is only a date, "31.03.2020" (day first) or "9 March 2020"."""
    if len(text) > 40:
        return None
    match = _DOTTED_DAY.match(text)
    if match:
        d, mo, y = match.groups()
        return _iso(y, mo, d, None, None, None, None)
    return parse_text_date(text)


def _date_in_text(tree: HtmlElement) -> str | None:
    """A written date with a time ("Selasa, 9 September 2025 13:45 WIB") in a date-ish element."""
    checked = 0
    for el in tree.iter("div", "span", "p", "time", "small", "li"):
        marks = f"{el.get('class') or ''} {el.get('id') or ''}"
        if el.tag != "time" and not _DATE_CLASS.search(marks):
            continue
        checked += 1
        if checked > 40:
            break
        text = _collapse(el.text_content())
        if len(text) > 120:
            continue
        value = parse_text_date(text)
        if value and "T" in value:
            return value
    return None


def choose_published_fallback(traf_date: str | None, written: str | None) -> str | None:
    """htmldate's day, with the written time when the page prints one on that same day."""
    day = parse_date(traf_date) if traf_date else None
    if written and (day is None or written[:10] == day):
        return written
    return day or written


def _stated_published(ld: dict[str, Any], meta: dict[str, str], tree: HtmlElement) -> str | None:
    """The publication time the page states in structured data or markup.

    JSON-LD leads; when a meta tag names another day, the statement the page also shows a reader
    wins (a republished story often keeps a stale datePublished or a fresh meta tag).
    """
    structured = parse_date(_str(ld.get("published")))
    tagged = next(filter(None, (parse_date(meta.get(key)) for key in _DATE_META_KEYS)), None)
    if structured and tagged and structured[:10] != tagged[:10]:
        shown = _date_in_markup(tree, shown=True) or _date_in_text(tree)
        if shown and shown[:10] == tagged[:10]:
            return tagged
    return structured or tagged or _date_in_markup(tree)


def _in_local_time(value: str, ld: dict[str, Any], meta: dict[str, str], tree: HtmlElement) -> str:
    """A UTC time restated with the local offset another statement on the page reveals."""
    try:
        stamp = datetime.fromisoformat(value)
    except ValueError:
        return value
    if stamp.tzinfo is None or stamp.utcoffset() != timedelta(0):
        return value
    others = [parse_date(meta.get(key)) for key in _DATE_META_KEYS]
    others += [parse_date(_str(ld.get("created"))), _date_in_markup(tree), _date_in_text(tree)]
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
