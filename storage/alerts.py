"""The alerts table: rows waiting for the alert log, marking them delivered, and reading them."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from .store import Store, connection, rows_as_dicts

ALERT_COLUMNS = """
    a.id AS alert_id, a.topic, s.url, s.title, s.published, s.feed, a.created, a.snippet,
    a.terms, a.delivered, s.first_seen, a.story_id
"""


def has_undelivered(store: Store) -> bool:
    query = "SELECT 1 FROM alerts WHERE delivered IS NULL LIMIT 1"
    return connection(store).execute(query).fetchone() is not None


def undelivered(store: Store) -> list[dict]:
    """Alert rows not yet in the alert log, oldest first."""
    cursor = connection(store).execute(
        f"SELECT {ALERT_COLUMNS} FROM alerts a JOIN stories s ON s.id = a.story_id"
        " WHERE a.delivered IS NULL ORDER BY a.id"
    )
    return rows_as_dicts(cursor)


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
    sql = f"SELECT {ALERT_COLUMNS} FROM alerts a JOIN stories s ON s.id = a.story_id"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY a.created DESC, a.id DESC"
    return rows_as_dicts(connection(source).execute(sql, params))
