"""The tree trafilatura reads, and the calls to it.

trafilatura picks the story's container well, but reads captions and lists of other stories as
story text, and keeps only the first of several body chunks; the tree it gets is prepared for that.
"""

from __future__ import annotations

import logging
import re
from copy import deepcopy
from datetime import date
from typing import Any

from lxml.etree import LxmlError
from lxml.html import HtmlElement

from .text import normalize_space

logger = logging.getLogger(__name__)


def trafilatura_document(tree: HtmlElement, url: str, as_of: date) -> dict[str, Any]:
    """The body from trafilatura, on a tree prepared for it; ours stays intact.

    Its date settings are given though it reads no metadata here: left out, trafilatura reads
    the clock to make its defaults.
    """
    import trafilatura

    try:
        prepared = prepare_for_trafilatura(tree)
        doc = trafilatura.bare_extraction(
            prepared,
            url=url or None,
            include_comments=False,
            date_extraction_params=_date_params(as_of),
        )
    except Exception as err:  # noqa: BLE001
        logger.debug("trafilatura failed on %s: %r", url, err)
        return {}
    if doc is None:
        return {}
    return doc if isinstance(doc, dict) else doc.as_dict()


def trafilatura_metadata(tree: HtmlElement, url: str, as_of: date) -> dict[str, Any]:
    """trafilatura's title/author/htmldate guesses, asked only when the page states too little."""
    from trafilatura.metadata import extract_metadata

    try:
        doc = extract_metadata(tree, url or None, date_config=_date_params(as_of))
    except Exception as err:  # noqa: BLE001
        logger.debug("trafilatura metadata failed on %s: %r", url, err)
        return {}
    got = doc if isinstance(doc, dict) else doc.as_dict()
    return {key: got.get(key) for key in ("title", "author", "date")}


def _date_params(as_of: date) -> dict[str, Any]:
    """htmldate's settings as trafilatura sets them, but with no date after ``as_of``.

    trafilatura's own default latest date is the clock's today, so the same page would give
    another date on another day.
    """
    return {"original_date": True, "extensive_search": True, "max_date": as_of.isoformat()}


def prepare_for_trafilatura(tree: HtmlElement) -> HtmlElement:
    """The tree trafilatura reads: captions out, a body split into chunks joined again.

    A copy when anything changes, so our own tree stays as the page wrote it.
    """
    drop = tree.xpath("//figcaption") + link_lists(tree)
    chunks = body_chunks(tree)
    if not drop and not chunks:
        return tree
    # The same elements in the copy, found by their paths before the copy changes.
    paths = tree.getroottree()
    copy = deepcopy(tree)
    find = copy.getroottree()

    def twin(el: HtmlElement) -> HtmlElement:
        return find.xpath(paths.getpath(el))[0]

    try:
        drop, chunks = [twin(el) for el in drop], [[twin(el) for el in g] for g in chunks]
    except (LxmlError, IndexError):  # a path lxml cannot read back ("fb:like" tags)
        drop = copy.xpath("//figcaption") + link_lists(copy)
        chunks = body_chunks(copy)
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


def link_lists(tree: HtmlElement) -> list[HtmlElement]:
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
    text = len(normalize_space(li.text_content()))
    linked = sum(len(normalize_space(a.text_content())) for a in li.iter("a") if a.get("href"))
    if not text or linked < 0.5 * text:
        return False
    labels = [
        normalize_space(el.text_content())
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
OUTSIDE_STORY = {"aside", "nav", "footer", "header"}
_STORY_BOUNDS = OUTSIDE_STORY | {"article", "main"}


def body_chunks(tree: HtmlElement) -> list[list[HtmlElement]]:
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
        if any(a.tag in OUTSIDE_STORY for a in around):
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
