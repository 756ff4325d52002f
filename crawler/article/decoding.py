"""Page bytes to text to an lxml tree, and what those bytes are.

Decoding decides whether the words come out right before any extraction runs: a page declares
its charset in the header, in a meta tag, in a BOM, or wrongly, and the first certain answer wins.
"""

from __future__ import annotations

import codecs
import logging
import re

from lxml.html import HtmlElement

logger = logging.getLogger(__name__)


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


def header_value(headers: dict[str, str], name: str) -> str:
    """Case-insensitive header lookup, since servers and clients disagree on case."""
    for key, value in headers.items():
        if str(key).lower() == name:
            return str(value)
    return ""


def is_not_html(data: bytes, headers: dict[str, str]) -> bool:
    """Whether the bytes are certainly not a web page (empty, binary, JSON, declared non-HTML)."""
    ctype = header_value(headers, "content-type").lower()
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
    utf8 = _decode_or_none(data, "utf-8")
    for name in declared:
        codec = _python_codec(name)
        if codec is None:
            continue
        if codec == "utf-8":
            return utf8 if utf8 is not None else data.decode("utf-8", "replace")
        if codec == "cp1252" and utf8 is not None:
            return utf8
        decoded = _decode_or_none(data, codec)
        if decoded is not None:
            return decoded
    if utf8 is not None:
        return utf8
    return _decode_detected(data)


def _python_codec(name: str) -> str | None:
    """A Python codec for a declared charset name, or None when Python does not know it."""
    name = name.strip().lower()
    if name in _LATIN:
        return "cp1252"
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    return "utf-8" if codec in ("utf-8", "utf-16", "utf-16-le", "utf-16-be") else codec


def _decode_or_none(data: bytes, codec: str) -> str | None:
    """Decode or None, so a failed guess falls through to the next one."""
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _decode_detected(data: bytes) -> str:
    """Statistical detection on a sample, then lossy windows-1252 so there is always a result."""
    try:
        from charset_normalizer import from_bytes

        sample = data if len(data) <= 20000 else data[:10000] + data[-10000:]
        best = from_bytes(sample).best()
        if best is not None and best.encoding:
            decoded = _decode_or_none(data, best.encoding)
            if decoded is not None:
                return decoded
    except Exception as err:  # noqa: BLE001
        logger.debug("charset detection failed: %r", err)
    return data.decode("cp1252", "replace")


def load_tree(text: str) -> HtmlElement | None:
    """Parse once, with trafilatura's own loader so its extraction sees the tree it expects."""
    from trafilatura.utils import load_html

    tree = load_html(text)
    if tree is None or not isinstance(tree, HtmlElement):
        return None
    return tree


# The first "<html" of the page, and whether that root tag carries ``amp`` or the lightning
# bolt. Found with the case folded by the pattern, not by lowering a copy of the whole page
# (3% of a crawl's CPU), which also shifted the offset when lowering changed the text's length.
_HTML_START = re.compile("<html", re.I)
_AMP_HTML = re.compile(r"<html\b[^>]*?\s(?:amp|\u26a1)(?:[\s=/>])", re.I)
_HTML_START_BYTES = re.compile(rb"<html", re.I)
_AMP_HTML_BYTES = re.compile(rb"<html\b[^>]*?\s(?:amp|\xe2\x9a\xa1)(?:[\s=/>])", re.I)


def is_amp_page(text: str) -> bool:
    """AMP pages mark the root element with ``amp`` or the lightning bolt."""
    start = _HTML_START.search(text)
    return start is not None and _AMP_HTML.match(text, start.start()) is not None


def is_amp_markup(html: bytes) -> bool:
    """``is_amp_page`` on the undecoded bytes, for a check that should not decode the page: the
    root tag is ASCII, and AMP pages are UTF-8 (the spec requires it) for the bolt."""
    start = _HTML_START_BYTES.search(html)
    return start is not None and _AMP_HTML_BYTES.match(html, start.start()) is not None
