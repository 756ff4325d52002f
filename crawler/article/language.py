"""The language a page says it is in: its JSON-LD ``inLanguage``, ``<html lang>``, or a meta tag.

Stated, not guessed: a page declares its language far more reliably than a model guesses it
from a headline, and Indonesian and English outlets declare theirs. Shown as the primary
subtag of a BCP 47 tag (``id``, ``en``), so a digest can tell a reader's browser the language of
each story it lists.
"""

from __future__ import annotations

import re
from typing import Any

from lxml.html import HtmlElement

_PRIMARY = re.compile(r"^([a-z]{2,3})(?:[-_][a-z0-9]{1,8})*$")
# Codes replaced since (ISO 639): "in" was Indonesian until 1989, and pages still say it.
_RENAMED = {"in": "id", "iw": "he", "ji": "yi"}
_META_KEYS = ("content-language", "language", "dc.language", "og:locale")


def primary_language(value: Any) -> str | None:
    """The primary subtag of a language tag (``id-ID`` -> ``id``), or None for anything else."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("alternateName") or value.get("name")
    if not isinstance(value, str):
        return None
    match = _PRIMARY.match(value.strip().lower().split(",")[0].strip())
    if not match:
        return None
    return _RENAMED.get(match.group(1), match.group(1))


def page_language(tree: HtmlElement, meta: dict[str, str], ld: dict[str, Any]) -> str | None:
    """The page's stated language, the article's own before the page's and the meta tags'."""
    for value in (ld.get("language"), tree.get("lang"), *(meta.get(k) for k in _META_KEYS)):
        language = primary_language(value)
        if language:
            return language
    return None
