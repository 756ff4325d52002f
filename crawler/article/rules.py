"""A feed's ``extract:`` overrides, for the sites where the generic path fails."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from lxml.html import HtmlElement

from .text import normalize_space


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
            return (compile_selector(text),) if text else ()

        return _CompiledRules(
            body=one(self.body),
            title=one(self.title),
            date=one(self.date),
            authors=one(self.authors),
            drop=tuple(map(compile_selector, self.drop)),
            drop_lines=tuple(map(compile_pattern, self.drop_lines)),
        )


@dataclass(frozen=True)
class _CompiledRules:
    """The rules as the parser runs them; a rule the feed does not set is an empty tuple."""

    body: tuple[Any, ...] = ()
    title: tuple[Any, ...] = ()
    date: tuple[Any, ...] = ()
    authors: tuple[Any, ...] = ()
    drop: tuple[Any, ...] = ()
    drop_lines: tuple[re.Pattern, ...] = ()


NO_RULES = _CompiledRules()


def compile_selector(text: str) -> Any:
    """A CSS selector compiled as lxml runs it on HTML (its ``html`` translator)."""
    from lxml.cssselect import CSSSelector

    return CSSSelector(text, translator="html")


def compile_pattern(text: str) -> re.Pattern:
    """A body-line pattern: case-insensitive, matched against each line."""
    return re.compile(text, re.I)


def selector_problem(text: str) -> str | None:
    """Why ``text`` is not a CSS selector the parser can use, or None when it is."""
    try:
        compile_selector(text)
    except Exception as err:  # noqa: BLE001 - cssselect raises several kinds
        return str(err) or type(err).__name__
    return None


def pattern_problem(text: str) -> str | None:
    """Why ``text`` is not a body-line pattern the parser can use, or None when it is."""
    try:
        compile_pattern(text)
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
            value = normalize_space(value or el.text_content())
            if value and joined is None:
                return value
            if value:
                texts.append(value)
    return joined.join(texts) if texts else None


_BLOCKS = ("p", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "figcaption")


def select_body(tree: HtmlElement, selectors: tuple[Any, ...]) -> str:
    """Paragraph text of the elements a feed's ``body`` selector names, one block per line."""
    lines = []
    for selector in selectors:
        for el in selector(tree):
            blocks = [
                b for b in el.iter(*_BLOCKS) if not any(a.tag in _BLOCKS for a in b.iterancestors())
            ]
            for block in blocks or [el]:
                lines.append(normalize_space(block.text_content()))
    return "\n".join(line for line in lines if line)
