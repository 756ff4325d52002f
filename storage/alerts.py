"""SQL for topics and alerts: matching new stories with FTS5, delivery bookkeeping, reading.

Matching is incremental per topic: ``topics.matched_through`` is the highest story id a topic has
been matched against, so each story is matched once per topic, a crash between the crawl and the
matching only delays alerts to the next cycle, and a topic added (or re-added) later starts at the
stories stored after it appeared: old stories are never alerted for it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .store import Store, connect_readonly

logger = logging.getLogger("newswatch.alerts")

# Unlikely in story text; they only mark matched tokens inside highlight()/snippet() output.
MARK_OPEN = "\x01"
MARK_CLOSE = "\x02"
SNIPPET_TOKENS = 24
MAX_TERMS = 12
# Shorter texts (stubs, feed summaries) are too generic to call two stories one.
MIN_KEYED_BODY = 200

_ALERT_COLUMNS = """
    a.id AS alert_id, a.topic, s.url, s.title, s.published, s.feed, a.created, a.snippet,
    a.terms, a.delivered, s.first_seen, a.story_id
"""

# One FTS5 query per topic, restricted to a rowid range: the plan is "MATCH + rowid>" on the
# index itself (SCAN stories_fts VIRTUAL TABLE INDEX 0:M2>), never a scan of old stories.
_MATCH_SQL = f"""
    SELECT s.id,
           highlight(stories_fts, 0, '{MARK_OPEN}', '{MARK_CLOSE}'),
           highlight(stories_fts, 1, '{MARK_OPEN}', '{MARK_CLOSE}'),
           snippet(stories_fts, 1, '{MARK_OPEN}', '{MARK_CLOSE}', '…', {SNIPPET_TOKENS})
    FROM stories_fts JOIN stories s ON s.id = stories_fts.rowid
    WHERE stories_fts MATCH :query AND stories_fts.rowid > :low AND stories_fts.rowid <= :high
      AND (s.backfill = 0 OR :backfill)
"""


@dataclass(frozen=True)
class Match:
    """One story a topic query matched, with the words that matched and a snippet around them."""

    story_id: int
    terms: list[str]
    snippet: str  # may hold MARK_OPEN/MARK_CLOSE around matched tokens
    content_key: str | None = None  # same text, same key: syndicated copies of one story


def connection(source: Store | sqlite3.Connection) -> sqlite3.Connection:
    return source.db.conn if isinstance(source, Store) else source


def open_readonly(path: str | Path) -> sqlite3.Connection | None:
    """A connection that cannot write (dry runs, listings); None when there is no database yet."""
    return connect_readonly(path) if Path(path).exists() else None


def max_story_id(source: Store | sqlite3.Connection) -> int:
    row = connection(source).execute("SELECT max(id) FROM stories").fetchone()
    return row[0] or 0


# -- matching ---------------------------------------------------------------------------------


def matched_terms(*marked: str | None) -> list[str]:
    """The distinct matched tokens in highlight() output, lower-cased, in order of appearance."""
    terms: dict[str, None] = {}
    for text in marked:
        if not text:
            continue
        for chunk in text.split(MARK_OPEN)[1:]:
            term = " ".join(chunk.split(MARK_CLOSE, 1)[0].split()).lower()
            if term:
                terms.setdefault(term, None)
    return list(terms)[:MAX_TERMS]


def content_key(title: str | None, body: str | None) -> str | None:
    """A hash of a story's words (case and spacing ignored); None for a body too short to tell."""
    body = " ".join((body or "").split()).casefold()
    if len(body) < MIN_KEYED_BODY:
        return None
    title = " ".join((title or "").split()).casefold()
    return hashlib.sha256(f"{title}\n{body}".encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _unmarked(text: str | None) -> str:
    return (text or "").replace(MARK_OPEN, "").replace(MARK_CLOSE, "")


def find_matches(
    source: Store | sqlite3.Connection,
    query: str,
    low: int = 0,
    high: int | None = None,
    include_backfill: bool = True,
) -> list[Match]:
    """Stories with ``low < id <= high`` that ``query`` matches (one FTS5 query)."""
    conn = connection(source)
    if high is None:
        high = max_story_id(conn)
    params = {"query": query, "low": low, "high": high, "backfill": int(include_backfill)}
    rows = conn.execute(_MATCH_SQL, params).fetchall()
    matches = []
    for story_id, title, body, body_snippet in rows:
        snippet = body_snippet if MARK_OPEN in (body_snippet or "") else (title or "")
        key = content_key(_unmarked(title), _unmarked(body))
        matches.append(Match(story_id, matched_terms(title, body), snippet or "", key))
    return matches


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
    clean_snippet=lambda text: text,
) -> int:
    """Match every topic against the stories it has not seen yet; returns new alert rows.

    One transaction: the alert rows and each topic's new position commit together, so a crash
    leaves either both or neither. Backfill stories advance the position without an alert
    unless ``include_backfill``. A story whose text a topic already alerted (a syndicated copy
    under another outlet's URL) is not alerted again.
    """
    register_topics(store, topics, boundary)
    now = store.now()
    added = 0
    with store.write() as db:
        high = max_story_id(store)
        positions = dict(db.execute("SELECT name, matched_through FROM topics").fetchall())
        for name, query in topics:
            low = positions.get(name, boundary)
            if low >= high:
                continue
            try:
                matches = find_matches(store, query, low, high, include_backfill)
            except sqlite3.OperationalError as exc:  # config validation should make this rare
                logger.error("topic %s: query failed, will retry next cycle: %s", name, exc)
                continue
            added += _insert_alerts(db.conn, name, matches, now, clean_snippet)
            db.execute("UPDATE topics SET matched_through = ? WHERE name = ?", [high, name])
    return added


def match_stories(
    store: Store,
    topics: Sequence[tuple[str, str]],
    story_ids: Iterable[int],
    include_backfill: bool,
    clean_snippet=lambda text: text,
) -> int:
    """Match every topic against these stories again (their text changed); returns new rows.

    A story already alerted for a topic is not alerted again: alerts are unique per
    (story, topic).
    """
    ids = sorted(set(story_ids))
    if not ids:
        return 0
    now = store.now()
    added = 0
    wanted = set(ids)
    with store.write() as db:
        for name, query in topics:  # one query per topic over the span, kept to the ids
            try:
                matches = find_matches(store, query, ids[0] - 1, ids[-1], include_backfill)
            except sqlite3.OperationalError as exc:
                logger.error("topic %s: query failed: %s", name, exc)
                continue
            matches = [m for m in matches if m.story_id in wanted]
            added += _insert_alerts(db.conn, name, matches, now, clean_snippet)
    return added


def _insert_alerts(conn, topic: str, matches: list[Match], now: str, clean_snippet) -> int:
    matches = _first_copies(conn, topic, matches)
    cursor = conn.executemany(
        "INSERT OR IGNORE INTO alerts (story_id, topic, created, terms, snippet, content_key)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [
            (
                m.story_id,
                topic,
                now,
                json.dumps(m.terms, ensure_ascii=False),
                clean_snippet(m.snippet),
                m.content_key,
            )
            for m in matches
        ],
    )
    return max(cursor.rowcount, 0)


def _first_copies(conn: sqlite3.Connection, topic: str, matches: list[Match]) -> list[Match]:
    """The matches whose text this topic has not alerted yet, the first of each copy only."""
    seen: set[str] = set()
    kept = []
    for match in matches:
        key = match.content_key
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
            known = conn.execute(
                "SELECT 1 FROM alerts WHERE topic = ? AND content_key = ? AND story_id <> ?",
                [topic, key, match.story_id],
            ).fetchone()
            if known:
                continue
        kept.append(match)
    return kept


# -- delivery ---------------------------------------------------------------------------------


def has_undelivered(store: Store) -> bool:
    query = "SELECT 1 FROM alerts WHERE delivered IS NULL LIMIT 1"
    return connection(store).execute(query).fetchone() is not None


def undelivered(store: Store) -> list[dict]:
    """Alert rows not yet in the alert log, oldest first."""
    conn = connection(store)
    cursor = conn.execute(
        f"SELECT {_ALERT_COLUMNS} FROM alerts a JOIN stories s ON s.id = a.story_id"
        " WHERE a.delivered IS NULL ORDER BY a.id"
    )
    return _dicts(cursor)


def mark_delivered(store: Store, alert_ids: Sequence[int]) -> None:
    if not alert_ids:
        return
    now = store.now()
    with store.write() as db:
        db.conn.executemany(
            "UPDATE alerts SET delivered = ? WHERE id = ? AND delivered IS NULL",
            [(now, alert_id) for alert_id in alert_ids],
        )


# -- reading ----------------------------------------------------------------------------------


def alerts_since(
    source: Store | sqlite3.Connection, since: str | None = None, topic: str | None = None
) -> list[dict]:
    """Stored alerts, newest first; ``since`` is an ISO time compared with ``alerts.created``."""
    where, params = [], []
    if since is not None:
        where.append("a.created >= ?")
        params.append(since)
    if topic is not None:
        where.append("a.topic = ?")
        params.append(topic)
    sql = f"SELECT {_ALERT_COLUMNS} FROM alerts a JOIN stories s ON s.id = a.story_id"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY a.created DESC, a.id DESC"
    return _dicts(connection(source).execute(sql, params))


def search_stories(
    source: Store | sqlite3.Connection, query: str, since: str | None = None
) -> list[dict]:
    """Stored stories ``query`` matches, newest first, with terms and snippet (writes nothing)."""
    conn = connection(source)
    matches = {m.story_id: m for m in find_matches(conn, query)}
    if not matches:
        return []
    rows = []
    ids = sorted(matches, reverse=True)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        sql = (
            "SELECT id, url, title, published, feed, first_seen FROM stories"
            f" WHERE id IN ({', '.join('?' * len(chunk))})"
        )
        params: list = list(chunk)
        if since is not None:
            sql += " AND first_seen >= ?"
            params.append(since)
        rows.extend(_dicts(conn.execute(sql, params)))
    rows.sort(key=lambda row: (row["first_seen"], row["id"]), reverse=True)
    for row in rows:
        match = matches[row["id"]]
        row["terms"] = match.terms
        row["snippet"] = match.snippet
    return rows


def _dicts(cursor: sqlite3.Cursor) -> list[dict]:
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
