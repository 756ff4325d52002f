"""Value checkers: each turns one raw YAML value into what the program uses, or says why not.

A checker is called as ``check(c, key, raw)`` and returns the value, or None after recording
"key: what is wrong" on the Checker ``c``. It never raises, so one pass over the file collects
every problem: a user fixing a config should not have to rerun the tool once per typo. The
parameterised ones (``integer(lo=1)``, ``list_of(css)``) are factories that return a checker.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import zoneinfo
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ...crawler.article import pattern_problem, selector_problem
from .channel_url import ChannelURL, ChannelURLError
from .durations import parse_duration


class Checker:
    """Collects problems while one config file is read; knows where relative paths start."""

    def __init__(self, base_dir: Path) -> None:
        self.base_dir = base_dir
        self.problems: list[str] = []

    def problem(self, key: str, message: str) -> None:
        self.problems.append(f"{key}: {message}")

    def mapping(self, value: Any, key: str, allowed: Collection[str]) -> dict:
        """A mapping with unknown keys reported, each with the nearest key allowed at that level
        (``databse: unknown key; did you mean database?``); ``null`` counts as empty."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(key, f"expected a mapping, got {show(value)}")
            return {}
        for k in value:
            if k not in allowed:
                near = difflib.get_close_matches(str(k), list(allowed), n=1)
                hint = f"; did you mean {near[0]}?" if near else ""
                self.problem(f"{key}.{k}" if key else str(k), f"unknown key{hint}")
        return value


Check = Callable[[Checker, str, Any], Any]


def show(value: Any) -> str:
    """Render a YAML value in messages the way a user would recognise it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def absolute(p: Path) -> Path:
    """Make ``p`` absolute and collapse ``..`` without touching the disk (no symlink lookups)."""
    return Path(os.path.normpath(os.path.abspath(p)))


# --- wrappers ---------------------------------------------------------------------------------


def optional(check: Check) -> Check:
    """``check``, except that ``null`` is accepted and read as None ("not set")."""

    def optional_check(c: Checker, key: str, raw: Any) -> Any:
        return None if raw is None else check(c, key, raw)

    return optional_check


def list_of(check: Check) -> Check:
    """A list of strings, each one checked as ``key[j]``; ``null`` is the empty list."""

    def list_check(c: Checker, key: str, raw: Any) -> tuple | None:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            c.problem(key, f"expected a list of strings, got {show(raw)}")
            return None
        checked = [check(c, f"{key}[{j}]", v) for j, v in enumerate(raw)]
        return tuple(v for v in checked if v is not None)

    return list_check


# --- plain values -----------------------------------------------------------------------------


def string(c: Checker, key: str, raw: Any, *, empty_ok: bool = False) -> str | None:
    if not isinstance(raw, str):
        c.problem(key, f"expected a string, got {show(raw)}")
        return None
    if not empty_ok and not raw.strip():
        c.problem(key, "must not be empty")
        return None
    return raw


def text(c: Checker, key: str, raw: Any) -> str | None:
    """Free text: any string, even an empty one."""
    return string(c, key, raw, empty_ok=True)


def trimmed(c: Checker, key: str, raw: Any) -> str | None:
    """A non-empty string without its surrounding spaces."""
    value = string(c, key, raw)
    return value.strip() if value is not None else None


def single_line(c: Checker, key: str, raw: Any) -> str | None:
    """A string without line breaks (a header value: a newline would inject another header)."""
    value = string(c, key, raw)
    if value is not None and any(ch in value for ch in "\r\n"):
        c.problem(key, "must be a single line")
        return None
    return value


def boolean(c: Checker, key: str, raw: Any) -> bool | None:
    if not isinstance(raw, bool):
        c.problem(key, f"expected true or false, got {show(raw)}")
        return None
    return raw


def integer(lo: int, hi: int | None = None) -> Check:
    """An integer from ``lo`` up to ``hi`` (no upper bound when None)."""

    def integer_check(c: Checker, key: str, raw: Any) -> int | None:
        if isinstance(raw, bool) or not isinstance(raw, int):
            c.problem(key, f"expected an integer, got {show(raw)}")
            return None
        if raw < lo or (hi is not None and raw > hi):
            bounds = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
            c.problem(key, f"must be {bounds}, got {raw}")
            return None
        return raw

    return integer_check


def auto_or_integer(lo: int) -> Check:
    """The word ``auto`` (the program decides), or an integer of at least ``lo``."""
    check = integer(lo)

    def auto_or_integer_check(c: Checker, key: str, raw: Any) -> int | str | None:
        if raw == "auto":
            return raw
        if isinstance(raw, bool) or not isinstance(raw, int):
            c.problem(key, f"expected auto or an integer, got {show(raw)}")
            return None
        return check(c, key, raw)

    return auto_or_integer_check


def number(*, positive: bool) -> Check:
    """A finite number, as a float: above 0 if ``positive``, else at least 0."""

    def number_check(c: Checker, key: str, raw: Any) -> float | None:
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            c.problem(key, f"expected a number, got {show(raw)}")
            return None
        if not math.isfinite(raw):
            c.problem(key, f"must be a finite number, got {show(raw)}")
            return None
        if positive and raw <= 0:
            c.problem(key, f"must be greater than 0, got {raw}")
            return None
        if not positive and raw < 0:
            c.problem(key, f"must not be negative, got {raw}")
            return None
        return float(raw)

    return number_check


def duration(c: Checker, key: str, raw: Any) -> float | None:
    """A duration such as ``90m``, in seconds, longer than zero."""
    try:
        seconds = parse_duration(raw)
    except ValueError as exc:
        c.problem(key, str(exc))
        return None
    if seconds <= 0:
        c.problem(key, f"must be longer than zero, got {raw!r}")
        return None
    return seconds


# --- paths, names and addresses ---------------------------------------------------------------


def path(c: Checker, key: str, raw: Any) -> Path | None:
    """A file path; a relative one starts at the config file's folder, not the working one."""
    value = string(c, key, raw)
    if value is None:
        return None
    p = Path(value).expanduser()
    if not p.is_absolute():
        p = c.base_dir / p
    return absolute(p)


def path_ending(*suffixes: str) -> Check:
    """A path (as :func:`path`) whose file name ends in one of ``suffixes``."""

    def path_ending_check(c: Checker, key: str, raw: Any) -> Path | None:
        p = path(c, key, raw)
        if p is not None and p.suffix not in suffixes:
            c.problem(key, f"must end in {' or '.join(suffixes)}")
            return None
        return p

    return path_ending_check


_SPACE_RE = re.compile(r"\s")
NAME_RE = re.compile(r"[a-z0-9][a-z0-9-]*")  # use with fullmatch: "$" would allow a trailing \n


def name(c: Checker, key: str, raw: Any) -> str | None:
    """A feed or topic name: it shows up in logs, tables and file names, so keep it plain."""
    value = string(c, key, raw)
    if value is None:
        return None
    if not NAME_RE.fullmatch(value):
        c.problem(
            key,
            f"{value!r} is not a valid name (lowercase letters, digits and '-', "
            "starting with a letter or digit)",
        )
        return None
    return value


def url(c: Checker, key: str, raw: Any) -> str | None:
    """An http(s) URL with a host, without its surrounding spaces."""
    value = string(c, key, raw)
    if value is None:
        return None
    try:
        parts = urlsplit(value.strip())
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        c.problem(key, f"{value!r} is not a valid URL")
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        c.problem(key, f"{value!r} is not an http(s) URL")
        return None
    if _SPACE_RE.search(value.strip()):  # one C scan: a config may hold 100,000 URLs
        c.problem(key, f"{value!r} contains whitespace")
        return None
    return value.strip()


def channel_url(c: Checker, key: str, raw: Any) -> ChannelURL | None:
    """An apprise URL, ``${VAR}`` read from the environment, checked by apprise itself.

    A message never holds the URL: it holds secrets, and only its scheme is named.
    """
    value = string(c, key, raw)
    if value is None:
        return None
    try:
        return ChannelURL.read(value, dict(os.environ))
    except ChannelURLError as exc:
        c.problem(key, str(exc))
        return None


# --- times ------------------------------------------------------------------------------------

_HHMM_RE = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


def time_of_day(c: Checker, key: str, raw: Any) -> str | None:
    """A quoted "HH:MM"; YAML 1.1 reads an unquoted 12:30 as the base-60 integer 750."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        hint = f" (unquoted {raw // 60}:{raw % 60:02d} is read by YAML as a number; quote it)"
        c.problem(key, f'expected a quoted "HH:MM" string, got {raw}{hint}')
        return None
    value = string(c, key, raw)
    if value is None:
        return None
    if not _HHMM_RE.fullmatch(value.strip()):
        c.problem(key, f'{value!r} is not a time of day "HH:MM" (00:00 to 23:59)')
        return None
    return value.strip()


def timezone(c: Checker, key: str, raw: Any) -> str | None:
    """A zoneinfo name, checked by loading it (tzdata is a dependency for bare systems)."""
    value = string(c, key, raw)
    if value is None:
        return None
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "America" is a dir
        c.problem(key, f"{value!r} is not a known time zone (e.g. 'UTC', 'Asia/Jakarta')")
        return None
    return value


# --- extract rules: checked by the compilers the parser uses ----------------------------------


def css(c: Checker, key: str, raw: Any) -> str | None:
    """A CSS selector string the parser can compile."""
    value = string(c, key, raw)
    if value is None:
        return None
    problem = selector_problem(value)
    if problem is not None:
        c.problem(key, f"not a valid CSS selector {value!r} ({problem})")
        return None
    return value


def regex(c: Checker, key: str, raw: Any) -> str | None:
    """A regular expression string that compiles as the parser compiles it."""
    value = string(c, key, raw)
    if value is None:
        return None
    problem = pattern_problem(value)
    if problem is not None:
        c.problem(key, f"not a valid regular expression {value!r} ({problem})")
        return None
    return value
