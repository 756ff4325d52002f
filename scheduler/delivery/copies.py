"""Where else a report ran: "also in: tribunsolo, tribunjateng (2 more)".

A topic alerts once per story cluster (``scheduler/clustering.py``); the copies of the report on
other outlets are named beside that one alert, in the alert log, the digest, the notifications,
the Atom feeds and ``newswatch alerts``. The names are read when each is written, so the digest,
rewritten every cycle, lists the copies that arrived since the alert.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from ...crawler.urls import outlet_of
from ...storage import clusters
from ...storage.store import Store

SHOWN = 2  # names before "(N more)": enough to recognise the network, short enough for a line


def add_copies(source: Store | sqlite3.Connection, rows: Sequence[dict]) -> None:
    """Set each row's ``also_in``: the feeds (an outlet's host where the feed is the row's own)
    of the other stories of its cluster, oldest first, each once."""
    found = clusters.copies(source, [row["cluster_id"] for row in rows if row.get("cluster_id")])
    for row in rows:
        names: dict[str, None] = {}
        for story_id, feed, url in found.get(row.get("cluster_id"), ()):
            if story_id == row["story_id"]:
                continue
            name = feed if feed != row["feed"] else outlet_of(url)
            if name != row["feed"]:
                names[name] = None
        row["also_in"] = list(names)


def also_in(names: Sequence[str] | None, shown: int = SHOWN) -> str:
    """ "tribunsolo, tribunjateng (2 more)", or "" for a report that ran nowhere else."""
    if not names:
        return ""
    more = len(names) - shown
    listed = ", ".join(names[:shown])
    return f"{listed} ({more} more)" if more > 0 else listed
