"""Notification deliveries: which alerts each channel is owed, and what became of each one.

A channel (a configured notify URL, by name) is owed every alert logged after it first appeared,
of its topics, never a backfill story's. Each (alert, channel) is one row: ``pending`` until the
channel accepted it, then ``sent``; ``failed`` once its attempts reached the limit. A row is
marked only after the send, so a crash in between repeats a message and never loses one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .alerts import ALERT_COLUMNS
from .store import Store, rows_as_dicts


def register_channels(store: Store, names: Iterable[str]) -> list[str]:
    """Record channels not seen before; returns their names.

    A new channel is owed only the alerts logged after it appeared: adding one never floods it
    with old alerts. A channel left out of the config keeps its row and what it is owed (a
    config without it, a channel commented out for a while): back in the config, it is sent what
    it missed.
    """
    names = list(names)
    now = store.now()
    with store.write() as db:
        known = {row[0] for row in db.execute("SELECT name FROM channels")}
        added = [name for name in names if name not in known]
        if added:
            through = _last_logged(db)
            db.conn.executemany(
                "INSERT INTO channels (name, first_seen, alert_through) VALUES (?, ?, ?)",
                [(name, now, through) for name in added],
            )
    return added


def _last_logged(db) -> int:
    row = db.execute("SELECT max(id) FROM alerts WHERE delivered IS NOT NULL").fetchone()
    return row[0] or 0


def queue(store: Store, channel: str, topics: Sequence[str] | None) -> int:
    """Owe ``channel`` the alerts logged since it was last queued; returns how many.

    Only logged alerts: the alert log stays the record, written first. ``topics`` None means
    every topic. Backfill stories (a feed's first poll) never notify.
    """
    now = store.now()
    with store.write() as db:
        row = db.execute("SELECT alert_through FROM channels WHERE name = ?", [channel]).fetchone()
        if row is None:
            return 0
        through, high = row[0], _last_logged(db)
        if high <= through:
            return 0
        sql = (
            "INSERT OR IGNORE INTO deliveries (alert_id, channel, created)"
            " SELECT a.id, ?, ? FROM alerts a JOIN stories s ON s.id = a.story_id"
            " WHERE a.id > ? AND a.id <= ? AND a.delivered IS NOT NULL AND s.backfill = 0"
        )
        params: list = [channel, now, through, high]
        if topics is not None:
            sql += f" AND a.topic IN ({', '.join('?' * len(topics))})"
            params += list(topics)
        added = db.execute(sql, params).rowcount
        db.execute("UPDATE channels SET alert_through = ? WHERE name = ?", [high, channel])
    return max(added, 0)


def pending(store: Store, channel: str, limit: int) -> list[dict]:
    """The alerts ``channel`` is still owed, oldest first, as the alert log has them."""
    cursor = store.db.execute(
        f"SELECT {ALERT_COLUMNS}, d.attempts FROM deliveries d"
        " JOIN alerts a ON a.id = d.alert_id JOIN stories s ON s.id = a.story_id"
        " WHERE d.channel = ? AND d.state = 'pending' ORDER BY d.alert_id LIMIT ?",
        [channel, limit],
    )
    return rows_as_dicts(cursor)


def retry_at(store: Store, channel: str) -> str | None:
    """When ``channel`` may be tried again after failures (None: now)."""
    row = store.db.execute("SELECT retry_at FROM channels WHERE name = ?", [channel]).fetchone()
    return row[0] if row else None


def mark_sent(store: Store, channel: str, alert_ids: Sequence[int]) -> None:
    """The channel accepted a message with these alerts; the channel is healthy again."""
    now = store.now()
    with store.write() as db:
        db.conn.executemany(
            "UPDATE deliveries SET state = 'sent', sent = ?, attempts = attempts + 1,"
            " last_error = NULL WHERE alert_id = ? AND channel = ? AND state = 'pending'",
            [(now, alert_id, channel) for alert_id in alert_ids],
        )
        db.execute(
            "UPDATE channels SET failures = 0, failing_since = NULL, retry_at = NULL,"
            " last_attempt = ?, last_ok = ?, last_error = NULL WHERE name = ?",
            [now, now, channel],
        )


def mark_failed(
    store: Store,
    channel: str,
    alert_ids: Sequence[int],
    error: str,
    retry_at: str,
    max_attempts: int,
) -> int:
    """A message to ``channel`` failed: count the attempt, back it off; returns alerts given up.

    An alert is given up (``failed``) when it was itself tried ``max_attempts`` times, or when
    its channel has failed ``max_attempts`` times in a row since before the alert was queued:
    a channel down for good keeps no backlog, and what was queued while it was down still gets
    its own tries once it answers again.
    """
    now = store.now()
    with store.write() as db:
        db.conn.executemany(
            "UPDATE deliveries SET attempts = attempts + 1, last_error = ?"
            " WHERE alert_id = ? AND channel = ? AND state = 'pending'",
            [(error, alert_id, channel) for alert_id in alert_ids],
        )
        db.execute(
            "UPDATE channels SET failures = failures + 1, failing_since = coalesce("
            "failing_since, ?), retry_at = ?, last_attempt = ?, last_error = ? WHERE name = ?",
            [now, retry_at, now, error, channel],
        )
        failures, since = db.execute(
            "SELECT failures, failing_since FROM channels WHERE name = ?", [channel]
        ).fetchone()
        given_up = db.execute(
            "UPDATE deliveries SET state = 'failed' WHERE channel = ? AND state = 'pending'"
            " AND (attempts >= ? OR (? >= ? AND created <= ?))",
            [channel, max_attempts, failures, max_attempts, since],
        ).rowcount
    return given_up


def failures(store: Store, channel: str) -> int:
    row = store.db.execute("SELECT failures FROM channels WHERE name = ?", [channel]).fetchone()
    return row[0] if row else 0


def channel_report(store: Store) -> dict[str, dict]:
    """Each channel's deliveries by state, and its last outcome (for ``newswatch status``)."""
    report = {
        row["name"]: {**row, "pending": 0, "sent": 0, "failed": 0}
        for row in rows_as_dicts(store.db.execute("SELECT * FROM channels"))
    }
    counts = store.db.execute(
        "SELECT channel, state, count(*) FROM deliveries GROUP BY channel, state"
    )
    for channel, state, count in counts:
        if channel in report:
            report[channel][state] = count
    return report
