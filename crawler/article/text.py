"""Text helpers every part of the parser shares: pages pad, escape and case text freely."""

from __future__ import annotations

import unicodedata
from typing import Any


def _collapse(text: Any) -> str:
    """One line of text with single spaces, NFC, since pages pad everything with whitespace."""
    return " ".join(unicodedata.normalize("NFC", str(text or "")).split())


def _compact(text: str) -> str:
    """Case-folded alphanumerics only, so "Tribunnews.com" and "TRIBUNNEWS" compare equal."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _unescape(text: str) -> str:
    """HTML entities left inside JSON-LD strings (``&amp;``, ``&#8217;``) decoded."""
    if "&" not in text:
        return text
    import html

    return html.unescape(text)
