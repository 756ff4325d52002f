"""What the views share: a ``--since`` window as a time, and a story's feed, time and link.

Every time a person reads is in ``schedule.timezone`` (``delivery/local_time.py``).
"""

from __future__ import annotations

from datetime import timedelta

from ...storage.store import iso, utcnow
from ..delivery.copies import also_in
from ..delivery.local_time import local_time
from ..delivery.plain_text import one_line


def since_iso(seconds: float | None) -> str | None:
    """The ISO time ``seconds`` ago (a ``--since DURATION``), or None for no limit."""
    return None if seconds is None else iso(utcnow() - timedelta(seconds=seconds))


def story_meta(row: dict, zone: str) -> str:
    """Feed, time (in ``zone``, ``schedule.timezone``) and link of a story, on one line."""
    when = local_time(row.get("published") or row.get("first_seen"), zone)
    return " · ".join(one_line(value) for value in (row["feed"], when, row["url"]) if value)


def by_report(rows: list[dict]) -> list[list[dict]]:
    """Rows grouped by story cluster, in the order each report first appears."""
    groups: dict[int, list[dict]] = {}
    for row in rows:
        groups.setdefault(row.get("cluster_id") or -row["story_id"], []).append(row)
    return list(groups.values())


def copies_line(row: dict) -> str | None:
    """ "also in: tribunsolo, tribunjateng (2 more)" under a story that ran elsewhere."""
    names = also_in([one_line(name) for name in row.get("also_in") or ()])
    return f"also in: {names}" if names else None
