"""What the views share: a ``--since`` window as a time, and a story's feed, time and link.

Every time a person reads is in ``schedule.timezone`` (``delivery/local_time.py``).
"""

from __future__ import annotations

from datetime import timedelta

from ...storage.store import iso, utcnow
from ..delivery.local_time import local_time
from ..delivery.plain_text import one_line


def since_iso(seconds: float | None) -> str | None:
    """The ISO time ``seconds`` ago (a ``--since DURATION``), or None for no limit."""
    return None if seconds is None else iso(utcnow() - timedelta(seconds=seconds))


def story_meta(row: dict, zone: str) -> str:
    """Feed, time (in ``zone``, ``schedule.timezone``) and link of a story, on one line."""
    when = local_time(row.get("published") or row.get("first_seen"), zone)
    return " · ".join(one_line(value) for value in (row["feed"], when, row["url"]) if value)
