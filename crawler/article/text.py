"""Text helpers the whole parser shares: pages pad, escape and case their text freely."""

from __future__ import annotations

import html
import unicodedata
from typing import Any


def normalize_space(text: Any) -> str:
    """One line of text with single spaces, NFC, since pages pad everything with whitespace."""
    return " ".join(unicodedata.normalize("NFC", str(text or "")).split())


def alnum_key(text: str) -> str:
    """Case-folded alphanumerics only, so "Tribunnews.com" and "TRIBUNNEWS" compare equal."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def unescape_entities(text: str) -> str:
    """HTML entities left inside JSON-LD strings (``&amp;``, ``&#8217;``) decoded."""
    return html.unescape(text) if "&" in text else text
