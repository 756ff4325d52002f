"""Durations as the config writes them (``90m``, ``24h``, ``7d``), read and shown."""

from __future__ import annotations

import re
from itertools import pairwise

_DURATION_RE = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([smhd])\s*")
_DURATION_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str) -> float:
    """Parse ``2s``/``90m``/``24h``/``7d`` (decimals allowed) into seconds.

    A bare number is rejected on purpose: ``interval: 15`` is ambiguous between seconds and
    minutes, and guessing wrong means hammering a site 60x too often.
    """
    if isinstance(text, bool) or not isinstance(text, str):
        if isinstance(text, int | float) and not isinstance(text, bool):
            raise ValueError(f"{text!r} has no unit; write e.g. '{text}s' or '{text}m'")
        raise ValueError(f"expected a duration like '90m', got {text!r}")
    m = _DURATION_RE.fullmatch(text)
    if not m:
        raise ValueError(
            f"{text!r} is not a duration (a number and a unit s, m, h or d, e.g. '90m')"
        )
    return float(m.group(1)) * _DURATION_UNITS[m.group(2)]


def show_duration(seconds: float) -> str:
    """A duration as the config writes it, in its largest whole unit: 1800 -> "30m"."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:.0f}s" if seconds >= 10 else f"{seconds:g}s"


_SPAN_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


def show_span(seconds: float) -> str:
    """A duration as a person reads it, in at most its two largest units: 562 -> "9m22s",
    900 -> "15m", 4394 -> "1h13m". For the views, so that every interval there is shown one
    way, never "562s" beside "5m"; the config's own form is ``show_duration``'s."""
    if seconds < 10:
        return f"{seconds:g}s"
    left = round(seconds)
    for i, ((unit, size), (small_unit, small)) in enumerate(pairwise(_SPAN_UNITS)):
        if left >= size:
            total = round(left / small) * small  # to the smaller unit: 86399 is 1d, not 24h
            if i and total >= _SPAN_UNITS[i - 1][1]:
                return show_span(total)
            big, rest = divmod(total, size)
            return f"{big}{unit}" + (f"{rest // small}{small_unit}" if rest else "")
    return f"{left}s"
