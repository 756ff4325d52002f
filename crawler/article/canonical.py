"""The page's canonical URL: the one address a story is stored under, whichever link led to it."""

from __future__ import annotations

import logging
import re
from urllib.parse import urljoin, urlsplit

from ..urls import normalize_url, same_site
from .decoding import decode_html, is_amp_markup, load_tree
from .metadata import page_meta

logger = logging.getLogger(__name__)


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


_INDEX_FILE = re.compile(r"/(?:index|default)\.\w+$")


def _names_a_section_of(canonical: str, url: str) -> bool:
    """A canonical that is the home page or a section above the article (a misconfigured
    CMS, a consent wall) would make every article on the site one story."""
    path = urlsplit(canonical).path or "/"
    own = _INDEX_FILE.sub("/", urlsplit(url).path or "/")
    return path != own and path.endswith("/") and own.startswith(path)


def amp_canonical(html: bytes, url: str, content_type: str = "") -> str | None:
    """The canonical URL an AMP page names, read without extracting the article.

    The story is read from the canonical page, so an AMP page's own extraction would be
    thrown away; this costs a byte search for other pages (on the reactor thread, for every
    page: "amp" alone is in most pages' "&amp;", so the root tag itself is looked at), and a
    tree for AMP ones.
    """
    if not is_amp_markup(html):
        return None
    try:
        text = decode_html(bytes(html), content_type)
        if text is None:
            return None
        tree = load_tree(text)
        return canonical_url(page_meta(tree), url) if tree is not None else None
    except Exception as err:  # noqa: BLE001 - the full parse will say what is wrong
        logger.debug("amp check failed for %s: %r", url, err)
        return None
