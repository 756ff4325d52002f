"""Topics in the database: how far each has been matched, and the alert rows matches make.

Matching is incremental per topic: ``topics.matched_through`` is the highest story id a topic has
been matched against, so each story is matched once per topic, a crash between the crawl and the
matching only delays alerts to the next cycle, and a topic added (or re-added) later starts at the
stories stored after it appeared: old stories are never alerted for it.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable, Iterable, Sequence

from .search import Match, find_matches, fresh_index, max_story_id
from .store import Store

logger = logging.getLogger("newswatch.topics")


def register_topics(store: Store, topics: Iterable[tuple[str, str]], boundary: int) -> list[str]:
    """Record topics not seen before as matched through ``boundary``; returns their names.

    Topics no longer configured are forgotten, so adding one back counts as a new topic. A
    changed query keeps its topic's position: stories already matched are not matched again.
    """
    topics = list(topics)
    now = store.now()
    added = []
    with store.write() as db:
        known = {row[0] for row in db.execute("SELECT name FROM topics")}
        names = [name for name, _ in topics]
        db.execute(f"DELETE FROM topics WHERE name NOT IN ({', '.join('?' * len(names))})", names)
        for name, query in topics:
            if name in known:
                db.execute("UPDATE topics SET query = ? WHERE name = ?", [query, name])
            else:
                db.execute(
                    "INSERT INTO topics (name, query, first_seen, matched_through)"
                    " VALUES (?, ?, ?, ?)",
                    [name, query, now, boundary],
                )
                added.append(name)
    return added


def match_topics(
    store: Store,
    topics: Sequence[tuple[str, str]],
    boundary: int,
    include_backfill: bool,
    clean_snippet: Callable[[str], str] = lambda text: text,
    changed: Iterable[int] = (),
) -> int:
    """Match every topic against the stories it has not seen yet; returns new alert rows.

    ``boundary`` is where a topic with no position yet starts. ``changed`` are older stories
    whose text changed (a page read on a retry): every topic is matched against them again,
    and a (story, topic) already alerted stays one alert. One transaction: the alert rows and
    each topic's new position commit together, so a crash leaves either both or neither.
    Backfill stories advance the position without an alert unless ``include_backfill``. A
    story whose text a topic already alerted (a syndicated copy under another outlet's URL) is
    not alerted again.
    """
    changed_ids = sorted(set(changed))
    changed_set = set(changed_ids)
    now = store.now()
    added = 0
    with store.write() as db:
        high = max_story_id(store)
        positions = dict(db.execute("SELECT name, matched_through FROM topics").fetchall())
        lows = {name: positions.get(name, boundary) for name, _ in topics}
        oldest = min((low for low in lows.values() if low < high), default=high)
        with fresh_index(db.conn, oldest, high) as fresh_from:
            for name, query in topics:  # the new stories, from each topic's position
                low = lows[name]
                if low >= high:
                    continue
                matches = _matches(
                    store, name, query, low, high, include_backfill, ", will retry", fresh_from
                )
                if matches is None:
                    continue  # the position stays: matched again next cycle
                added += _insert_alerts(db.conn, name, matches, now, clean_snippet)
                db.execute("UPDATE topics SET matched_through = ? WHERE name = ?", [high, name])
        for name, query in topics if changed_ids else ():  # one query over their span
            span = (changed_ids[0] - 1, changed_ids[-1])
            matches = _matches(store, name, query, *span, include_backfill) or []
            wanted = [m for m in matches if m.story_id in changed_set]
            added += _insert_alerts(db.conn, name, wanted, now, clean_snippet)
    return added


def _matches(
    store: Store,
    name,
    query,
    low: int,
    high: int,
    include_backfill: bool,
    then: str = "",
    fresh_from: int | None = None,
) -> list[Match] | None:
    """``find_matches``, or None (logged) when SQLite rejects the topic's query."""
    try:
        return find_matches(store, query, low, high, include_backfill, fresh_from)
    except sqlite3.OperationalError as exc:  # config validation should make this rare
        logger.error("topic %s: query failed%s: %s", name, then and f"{then} next cycle", exc)
        return None


def _insert_alerts(conn, topic: str, matches: list[Match], now: str, clean_snippet) -> int:
    matches = _first_of_each_report(conn, topic, matches)
    cursor = conn.executemany(
        "INSERT OR IGNORE INTO alerts (story_id, topic, created, terms, snippet, cluster_id)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [
            (
                m.story_id,
                topic,
                now,
                json.dumps(m.terms, ensure_ascii=False),
                clean_snippet(m.snippet),
                m.cluster_id,
            )
            for m in matches
        ],
    )
    return max(cursor.rowcount, 0)


def _first_of_each_report(
    conn: sqlite3.Connection, topic: str, matches: list[Match]
) -> list[Match]:
    """The matches of reports this topic has not alerted yet: one alert per (cluster, topic).

    A copy on another outlet never alerts a topic its report already alerted; a copy that
    matches a topic the earlier copies did not (a paragraph added) alerts it, once.
    """
    seen: set[int] = set()
    kept = []
    for match in matches:
        cluster = match.cluster_id
        if cluster is not None:
            if cluster in seen:
                continue
            seen.add(cluster)
            known = conn.execute(
                "SELECT 1 FROM alerts WHERE topic = ? AND cluster_id = ? AND story_id <> ?",
                [topic, cluster, match.story_id],
            ).fetchone()
            if known:
                continue
        kept.append(match)
    return kept
