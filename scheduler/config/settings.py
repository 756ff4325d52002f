"""What a setting is, and how a mapping of them is read: the machinery behind ``schema.py``.

Every key of the config file is declared once, as a field of a frozen dataclass in schema.py
whose metadata holds a node: a Setting (one value: its default as written in YAML, its checker,
one line of help), a Section (a mapping read into another such dataclass), Items (a list of
them) or a Block (a mapping read into a class declared elsewhere). Reading a file, the list of
keys, the defaults and the README's table all walk these nodes, so nothing else repeats a key.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from .checks import Check, Checker, show

_NODE = "newswatch.config"  # the metadata key under which a dataclass field keeps its node


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()
"""The default of a key that must be given."""

_MISSING: Any = object()  # the key is absent; null is a value, which some checkers accept


@dataclass(frozen=True)
class Setting:
    """One key with one value: what the README's table shows, and how the value is checked."""

    default: Any  # as written in YAML (durations unparsed, paths relative), or REQUIRED
    check: Check
    help: str  # one line of Markdown: the README table's "meaning"
    # Left unset (None), this other key's value applies: the README's default for the key.
    follows: str | None = None
    unique: str | None = None  # no two items of a list may share it; its word in the message

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def read(self, c: Checker, key: str, raw: Any) -> Any:
        if raw is _MISSING:
            if self.required:
                c.problem(key, "required")
                return None
            raw = self.default  # checked like a written value: paths resolve, durations parse
        return self.check(c, key, raw)


@dataclass(frozen=True)
class Section:
    """A mapping of settings read into ``cls``; absent or null means every default."""

    cls: type

    def nodes(self) -> Mapping[str, Node]:
        return declared(self.cls)

    def read(self, c: Checker, key: str, raw: Any) -> Any:
        return read_mapping(c, key, self.cls, None if raw is _MISSING else raw)


@dataclass(frozen=True)
class Items:
    """A list of mappings, each read into ``cls``: the config's named things (feeds, topics)."""

    cls: type
    at_least_one: bool = False
    check_item: Callable[[Checker, str, Any], None] | None = None  # across one item's keys

    def nodes(self) -> Mapping[str, Node]:
        return declared(self.cls)

    def read(self, c: Checker, key: str, raw: Any) -> tuple:
        noun = key.rsplit(".", 1)[-1]
        settings = {n: s for n, s in self.nodes().items() if isinstance(s, Setting)}
        required = [n for n, s in settings.items() if s.required]
        if raw is _MISSING or raw is None:
            if self.at_least_one:
                c.problem(key, f"required: a non-empty list of {noun} ({', '.join(required)})")
            return ()
        if not isinstance(raw, list) or (self.at_least_one and not raw):
            some = "non-empty " if self.at_least_one else ""
            c.problem(key, f"expected a {some}list of {noun}, got {show(raw)}")
            return ()
        seen: dict[str, dict[Any, str]] = {n: {} for n, s in settings.items() if s.unique}
        items = []
        for i, raw_item in enumerate(raw):
            at = f"{key}[{i}]"
            if not isinstance(raw_item, dict):
                wanted = " and ".join(required)
                c.problem(at, f"expected a mapping with {wanted}, got {show(raw_item)}")
                continue
            item = read_mapping(c, at, self.cls, raw_item)
            if self.check_item is not None:
                self.check_item(c, at, item)
            for n, first in seen.items():
                value = getattr(item, n)
                if value is None:  # invalid, and already reported
                    continue
                if value in first:
                    word = settings[n].unique
                    c.problem(f"{at}.{n}", f"duplicate {word} {value!r} (also {first[value]})")
                else:
                    first[value] = at
            items.append(item)
        return tuple(items)


@dataclass(frozen=True)
class Block:
    """An optional mapping read into ``cls``; absent, null or empty is None.

    ``cls`` is declared elsewhere (the parser's ExtractRules) and cannot carry our metadata,
    so its keys are declared here, one Setting per field of ``cls``.
    """

    cls: type
    settings: Mapping[str, Setting]

    def nodes(self) -> Mapping[str, Node]:
        return self.settings

    def read(self, c: Checker, key: str, raw: Any) -> Any:
        if raw is _MISSING or raw is None:
            return None
        mapping = c.mapping(raw, key, self.settings)
        if not mapping:
            return None
        return _construct(c, key, self.cls, self.settings, mapping)


Node = Setting | Section | Items | Block


@cache
def declared(cls: type) -> Mapping[str, Node]:
    """The nodes of ``cls``'s fields, in field order (fields without one are not config keys)."""
    return {f.name: f.metadata[_NODE] for f in dataclasses.fields(cls) if _NODE in f.metadata}


def read_mapping(c: Checker, key: str, cls: type, raw: Any, **given: Any) -> Any:
    """``raw`` read into ``cls`` at ``key`` ("" for the top); ``given`` fills non-config fields.

    Every key is checked even after a problem, and a field whose value was wrong holds None:
    the caller builds nothing from a result once ``c.problems`` is not empty.
    """
    nodes = declared(cls)
    return _construct(c, key, cls, nodes, c.mapping(raw, key, nodes), **given)


def _construct(
    c: Checker, key: str, cls: type, nodes: Mapping[str, Node], mapping: dict, **given: Any
) -> Any:
    values = {
        name: node.read(c, f"{key}.{name}" if key else name, mapping.get(name, _MISSING))
        for name, node in nodes.items()
    }
    return cls(**values, **given)


def leaves(cls: type) -> Iterator[tuple[str, Setting]]:
    """Every Setting under ``cls``, keyed as the README writes it: ``feeds[].extract.body``."""

    def walk(prefix: str, nodes: Mapping[str, Node]) -> Iterator[tuple[str, Setting]]:
        for name, node in nodes.items():
            if isinstance(node, Setting):
                yield prefix + name, node
            else:
                inner = "[]." if isinstance(node, Items) else "."
                yield from walk(prefix + name + inner, node.nodes())

    return walk("", declared(cls))


# --- declaring fields: what schema.py writes --------------------------------------------------


def setting(
    default: Any, check: Check, help: str, *, follows: str | None = None, unique: str | None = None
) -> Any:
    """A field holding one setting. A setting whose default is null is None in Python too, so
    ``FeedConfig(name, url)`` can be written without its optional keys."""
    node = Setting(default, check, help, follows=follows, unique=unique)
    if default is None:
        return dataclasses.field(default=None, metadata={_NODE: node})
    return dataclasses.field(metadata={_NODE: node})


def section(cls: type) -> Any:
    """A field holding a mapping of settings, read into the frozen dataclass ``cls``."""
    return dataclasses.field(metadata={_NODE: Section(cls)})


def items(
    cls: type,
    *,
    at_least_one: bool = False,
    check_item: Callable[[Checker, str, Any], None] | None = None,
) -> Any:
    """A field holding a list of ``cls``; settings of ``cls`` with ``unique`` differ per item."""
    return dataclasses.field(metadata={_NODE: Items(cls, at_least_one, check_item)})


def block(cls: type, **settings: Any) -> Any:
    """A field holding an optional ``cls`` or None; ``settings`` are :func:`setting` fields named
    like the fields of ``cls``, which must all be declared (a new rule needs its help line)."""
    nodes = {name: f.metadata[_NODE] for name, f in settings.items()}
    fields = {f.name for f in dataclasses.fields(cls)}
    if set(nodes) != fields:
        raise TypeError(f"{cls.__name__} has the keys {sorted(fields)}, declared {list(nodes)}")
    return dataclasses.field(default=None, metadata={_NODE: Block(cls, nodes)})
