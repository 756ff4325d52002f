"""Story clusters in the database: signatures, their LSH band keys, and each story's cluster.

The SQL half of ``scheduler/clustering.py``: it stores what that module computes and answers
"which stored stories share a band with these keys" through the ``story_bands`` index, so finding
a new story's near-duplicates costs a few index lookups however large the store grows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

from .store import Store, connection

IDS_PER_QUERY = 500


def clustered_through(store: Store) -> int:
    row = store.db.execute("SELECT value FROM meta WHERE key = 'clustered_through'").fetchone()
    return int(row[0]) if row else 0


def stories_to_cluster(store: Store, after: int) -> list[tuple[int, str, str | None, str, str]]:
    """(id, url, title, body, first_seen) of the stories stored after ``after``, oldest first."""
    rows = store.db.execute(
        "SELECT id, url, title, body, first_seen FROM stories WHERE id > ? ORDER BY id", [after]
    )
    return [tuple(row) for row in rows.fetchall()]


def candidates(store: Store, band_keys: Sequence[int]) -> set[int]:
    """Stored stories that share at least one band key with these (one index lookup each)."""
    if not band_keys:
        return set()
    rows = store.db.execute(
        f"SELECT DISTINCT story_id FROM story_bands WHERE band_key IN"
        f" ({', '.join('?' * len(band_keys))})",
        list(band_keys),
    )
    return {row[0] for row in rows}


def signatures(store: Store, story_ids: Iterable[int]) -> dict[int, tuple[bytes, str, str, int]]:
    """story id -> (signature, host, first_seen, cluster id) for these stories."""
    ids = list(story_ids)
    found: dict[int, tuple[bytes, str, str, int]] = {}
    for start in range(0, len(ids), IDS_PER_QUERY):
        chunk = ids[start : start + IDS_PER_QUERY]
        rows = store.db.execute(
            "SELECT g.story_id, g.signature, g.host, s.first_seen, coalesce(s.cluster_id, s.id)"
            " FROM story_signatures g JOIN stories s ON s.id = g.story_id"
            f" WHERE g.story_id IN ({', '.join('?' * len(chunk))})",
            chunk,
        )
        found.update({row[0]: tuple(row[1:]) for row in rows})
    return found


def record(
    store: Store,
    clustered: Sequence[tuple[int, int, bytes | None, str, Sequence[int]]],
    through: int,
) -> None:
    """Each (story, cluster, signature, host, band keys), and how far stories are clustered.

    One transaction: a crash before it leaves the stories to be clustered by the next cycle.
    """
    with store.write() as db:
        db.conn.executemany(
            "UPDATE stories SET cluster_id = ? WHERE id = ?",
            [(cluster, story) for story, cluster, *_ in clustered],
        )
        db.conn.executemany(
            "INSERT OR REPLACE INTO story_signatures (story_id, signature, host) VALUES (?, ?, ?)",
            [(story, sig, host) for story, _, sig, host, _ in clustered if sig is not None],
        )
        db.conn.executemany(
            "INSERT OR IGNORE INTO story_bands (band_key, story_id) VALUES (?, ?)",
            [
                (key, story)
                for story, _, sig, _, keys in clustered
                if sig is not None
                for key in keys
            ],
        )
        db.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('clustered_through', ?)", [through]
        )


def copies(
    source: Store | sqlite3.Connection, cluster_ids: Iterable[int]
) -> dict[int, list[tuple[int, str, str]]]:
    """cluster id -> its stories as (story id, feed, url), oldest first (the report first).

    Only clusters of more than one story are in the answer (one index lookup per cluster)."""
    ids = list(dict.fromkeys(cluster_ids))
    found: dict[int, list[tuple[int, str, str]]] = {}
    conn = connection(source)
    for start in range(0, len(ids), IDS_PER_QUERY):
        chunk = ids[start : start + IDS_PER_QUERY]
        try:
            rows = conn.execute(
                "SELECT cluster_id, id, feed, url FROM stories"
                f" WHERE cluster_id IN ({', '.join('?' * len(chunk))}) ORDER BY id",
                chunk,
            ).fetchall()
        except sqlite3.OperationalError:  # a database no crawl of this version has opened
            return {}
        for cluster, story, feed, url in rows:
            found.setdefault(cluster, []).append((story, feed, url))
    return {cluster: stories for cluster, stories in found.items() if len(stories) > 1}
