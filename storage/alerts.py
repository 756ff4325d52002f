"""The alerts table: rows waiting for the alert log, marking them delivered, and reading them."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence

from .store import Store, connection, rows_as_dicts

ALERT_COLUMNS = """
    a.id AS alert_id, a.topic, s.url, s.title, s.published, s.feed, a.created, a.snippet,
    a.terms, a.delivered, s.first_seen, a.story_id, s.source,
    coalesce(a.cluster_id, s.cluster_id, s.id) AS cluster_id
"""


def has_undelivered(store: Store) -> bool:
    query = "SELECT 1 FROM alerts WHERE delivered IS NULL LIMIT 1"
    return connection(store).execute(query).fetchone() is not None


def undelivered(store: Store) -> list[dict]:
    """Alert rows not yet in the alert log, oldest first."""
    return [row for rows in undelivered_batches(store, None) for row in rows]


def undelivered_batches(store: Store, size: int | None) -> Iterator[list[dict]]:
    """``undelivered`` rows ``size`` at a time (all at once when None): the first cycle of
    20,000 stories and 1,000 topics makes 300,000 alerts, too many to hold as rows at once."""
    conn = connection(store)
    ids = sorted(row[0] for row in conn.execute("SELECT id FROM alerts WHERE delivered IS NULL"))
    step = size or max(len(ids), 1)
    for start in range(0, len(ids), step):
        chunk = ids[start : start + step]
        cursor = conn.execute(
            f"SELECT {ALERT_COLUMNS} FROM alerts a JOIN stories s ON s.id = a.story_id"
            " WHERE a.id BETWEEN ? AND ? AND a.delivered IS NULL ORDER BY a.id",
            [chunk[0], chunk[-1]],
        )
        yield rows_as_dicts(cursor)


def mark_delivered(store: Store, alert_ids: Sequence[int]) -> None:
    if not alert_ids:
        return
    now = store.now()
    with store.write() as db:
        db.conn.executemany(
            "UPDATE alerts SET delivered = ? WHERE id = ? AND delivered IS NULL",
            [(now, alert_id) for alert_id in alert_ids],
        )


def alerts_since(
    source: Store | sqlite3.Connection,
    since: str | None = None,
    topic: str | None = None,
    limit: int | None = None,
) -> list[dict]:
    """Stored alerts, newest first (the first ``limit``); ``since`` is an ISO time compared
    with ``alerts.created``."""
    where, params = [], []
    if since is not None:
        where.append("a.created >= ?")
        params.append(since)
    if topic is not None:
        where.append("a.topic = ?")
        params.append(topic)
    sql = f"SELECT {ALERT_COLUMNS} FROM alerts a JOIN stories s ON s.id = a.story_id"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY a.created DESC, a.id DESC"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return rows_as_dicts(connection(source).execute(sql, params))


def counts_since(source: Store | sqlite3.Connection, since: str) -> dict[str, int]:
    """How many alerts each topic has had since ``since`` (one pass over the window)."""
    rows = connection(source).execute(
        "SELECT topic, count(*) FROM alerts WHERE created >= ? GROUP BY topic", [since]
    )
    return dict(rows.fetchall())


def topics_since(
    source: Store | sqlite3.Connection, story_ids: Sequence[int], since: str
) -> dict[int, set[str]]:
    """The topics each story alerted since ``since``."""
    found: dict[int, set[str]] = {}
    ids = list(dict.fromkeys(story_ids))
    conn = connection(source)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = conn.execute(
            f"SELECT story_id, topic FROM alerts WHERE created >= ?"
            f" AND story_id IN ({', '.join('?' * len(chunk))})",
            [since, *chunk],
        )
        for story_id, topic in rows:
            found.setdefault(story_id, set()).add(topic)
    return found


def latest(source: Store | sqlite3.Connection, limit: int, topic: str | None = None) -> list[dict]:
    """The newest ``limit`` alerts (of ``topic``), newest first: what an Atom feed lists."""
    where, params = "", []
    if topic is not None:
        where, params = "WHERE a.topic = ?", [topic]
    cursor = connection(source).execute(
        f"SELECT {ALERT_COLUMNS} FROM alerts a JOIN stories s ON s.id = a.story_id {where}"
        " ORDER BY a.id DESC LIMIT ?",
        [*params, limit],
    )
    return rows_as_dicts(cursor)


def newest_per_topic(source: Store | sqlite3.Connection) -> dict[str, int]:
    """Each topic's newest alert id (one index lookup per topic)."""
    rows = connection(source).execute("SELECT topic, max(id) FROM alerts GROUP BY topic")
    return dict(rows.fetchall())


def languages(source: Store | sqlite3.Connection, story_ids: Sequence[int]) -> dict[int, str]:
    """The language each story's page states, where it states one."""
    found: dict[int, str] = {}
    ids = list(dict.fromkeys(story_ids))
    conn = connection(source)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        try:
            rows = conn.execute(
                f"SELECT id, language FROM stories WHERE language IS NOT NULL"
                f" AND id IN ({', '.join('?' * len(chunk))})",
                chunk,
            ).fetchall()
        except sqlite3.OperationalError:  # a database no crawl of this version has opened
            return {}
        found.update(rows)
    return found


def install_id(source: Store | sqlite3.Connection) -> str:
    """This database's random id (see migration m009)."""
    row = connection(source).execute("SELECT value FROM meta WHERE key = 'install_id'").fetchone()
    return row[0]


def feeds_written(store: Store) -> dict[str, tuple[int, str]]:
    """Each Atom feed file written: the newest alert it holds, and the settings it used."""
    rows = store.db.execute("SELECT name, through, settings FROM atom_feeds").fetchall()
    return {name: (through, settings) for name, through, settings in rows}


def record_feeds(store: Store, written: dict[str, tuple[int, str]], gone: Sequence[str]) -> None:
    with store.write() as db:
        db.conn.executemany(
            "INSERT OR REPLACE INTO atom_feeds (name, through, settings) VALUES (?, ?, ?)",
            [(name, through, settings) for name, (through, settings) in written.items()],
        )
        db.conn.executemany("DELETE FROM atom_feeds WHERE name = ?", [(name,) for name in gone])
