"""Text from the web made safe to show: one line, no control or bidi characters, no forged lines.

Stories are stored exactly as extracted; everything that shows them (alert log, terminal, digest)
passes them through here first, then applies its own format's escaping.
"""

from __future__ import annotations

import json
import re
import unicodedata
from urllib.parse import quote, urlsplit

# Bidi overrides and isolates reorder what a reader sees (U+202E makes "gpj.exe" of "exe.jpg").
_BIDI = dict.fromkeys(map(ord, "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e"), None)
_BIDI.update(dict.fromkeys(range(0x2066, 0x206A)))
_BREAKING = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\s]+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# Characters a line-splitting reader may treat as a line end, or that a terminal or text viewer
# interprets rather than shows: escaped even when the rest of the JSON line stays UTF-8.
_UNSAFE_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def flatten(text: str | None) -> str:
    """``text`` with line breaks, control characters and runs of spaces made single spaces."""
    if not text:
        return ""
    if not text.isascii():  # bidi controls are not ASCII: most English text skips the table
        text = text.translate(_BIDI)
    return _BREAKING.sub(" ", text)


def one_line(text: str | None, limit: int | None = None) -> str:
    """``text`` on one line, trimmed, cut to ``limit`` characters with an ellipsis."""
    flat = flatten(text).strip()
    if limit is not None and len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return flat


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if unicodedata.category(char) not in _UNSAFE_CATEGORIES:
        return char
    return json.dumps(char)[1:-1]  # \uXXXX, or a surrogate pair beyond the BMP


def json_line(record: dict) -> str:
    """One JSON object and a newline, readable UTF-8; nothing in it can end or split a line.

    ``json.dumps`` escapes ASCII control characters only; U+0085, U+2028 and U+2029 are line
    ends for Python's ``splitlines`` and for JavaScript, so those (and every other control,
    format, private-use or unassigned code point) are written as ``\\uXXXX`` escapes. Inside a
    JSON document such characters can only occur in strings, where the escape means the same.
    """
    text = json.dumps(record, ensure_ascii=False, separators=(", ", ": "))
    return _NON_ASCII.sub(_escape, text) + "\n"


def safe_url(url: str | None) -> str | None:
    """An http(s) URL with anything that could break out of a link percent-encoded, else None."""
    if not url or urlsplit(url).scheme.lower() not in ("http", "https"):
        return None
    return quote(one_line(url), safe=":/?#[]@!$&'()*+,;=%~")


# What text from the web must not do in a chat message. A mention: "@everyone", "@here",
# Mattermost's "@name", Slack's "<!channel>" and "<@U123>". A link: an address with a scheme,
# or a bare domain ("evil.example/login") that clients turn into one. Each is broken with a
# zero-width space, which no reader sees.
_MENTION = re.compile(r"([@＠])(?=\w)|(<)(?=[!@#])")
_SCHEME = re.compile(r"\b([a-z][a-z0-9+.-]*):(?=//)", re.I)
_DOMAIN_DOT = re.compile(r"(?<=[\w-])\.(?=[a-z][a-z0-9-]*\b)", re.I)
ZERO_WIDTH = "\u200b"
# Markdown that text could start: emphasis, strike, spoilers, code, links, HTML, headings,
# quotes and lists at the start of the line. Escaped with a backslash, as Markdown itself does.
_MARKDOWN = re.compile(r"([\\`*_~|\[\]<>])")
_LINE_START = re.compile(r"^(\s*)([#>+-])|^(\s*\d+)([.)])")


def defused(text: str) -> str:
    """``text`` that cannot mention anyone or turn into a link, however it is shown."""
    if "@" in text or "＠" in text or "<" in text:  # the cheap test first: most text has none
        text = _MENTION.sub(lambda m: (m.group(1) or m.group(2)) + ZERO_WIDTH, text)
    if "://" in text:
        text = _SCHEME.sub(lambda m: m.group(1) + ":" + ZERO_WIDTH, text)
    if "." in text:
        text = _DOMAIN_DOT.sub("." + ZERO_WIDTH, text)
    return text


def inert(text: str | None, limit: int | None = None) -> str:
    """One line of untrusted text for a Markdown message: no markup, mention or link in it.

    Markdown specials are escaped (a renderer shows them as they are; apprise turns the escapes
    into plain characters for HTML and text services), and mentions and addresses are broken.
    """
    flat = defused(one_line(text, limit))
    flat = _MARKDOWN.sub(r"\\\1", flat)
    return _LINE_START.sub(_escape_line_start, flat)


def _escape_line_start(match: re.Match[str]) -> str:
    lead, marker = (match.group(1), match.group(2)) if match.group(2) else match.group(3, 4)
    return f"{lead}\\{marker}"


def markdown_link(url: str | None) -> str | None:
    """An http(s) URL that stays one link in Markdown: the characters Markdown reads as markup
    (``_`` ``*`` ``~`` ``|`` and brackets) percent-encoded, which names the same resource."""
    safe = safe_url(url)
    if safe is None:
        return None
    return safe.translate({ord(c): f"%{ord(c):02X}" for c in "_*~|[]<>()`\\"})
