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


def meta(store: Store, key: str) -> str | None:
    row = store.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return None if row is None else str(row[0])


def set_meta(store: Store, values: dict[str, str]) -> None:
    with store.write() as db:
        db.conn.executemany(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", list(values.items())
        )


def clustered_through(store: Store) -> int:
    return int(meta(store, "clustered_through") or 0)


def first_story_since(store: Store, seen: str) -> int | None:
    """The lowest id among the stories first seen at ``seen`` or later (the first_seen index)."""
    row = store.db.execute("SELECT min(id) FROM stories WHERE first_seen >= ?", [seen]).fetchone()
    return row[0]


def prune_bands(store: Store, before_story: int) -> int:
    """Drop the band keys of stories before ``before_story``: too old to be copied any more, so
    the index holds a window's stories, not the store's. Their signatures stay."""
    with store.write() as db:
        cursor = db.execute("DELETE FROM story_bands WHERE story_id < ?", [before_story])
    return max(cursor.rowcount, 0)


def signatures_since(store: Store, first_story: int) -> list[tuple[int, bytes]]:
    rows = store.db.execute(
        "SELECT story_id, signature FROM story_signatures WHERE story_id >= ? ORDER BY story_id",
        [first_story],
    )
    return [tuple(row) for row in rows.fetchall()]


def replace_index(
    store: Store,
    signed: Sequence[tuple[int, bytes, str, Sequence[int]]] | None,
    bands: Iterable[tuple[int, int]] = (),
    made: dict[str, str] | None = None,
) -> None:
    """The index rebuilt in one transaction: with ``signed`` (story, signature, host, band keys)
    every signature is replaced by those; else the stored signatures stay and the bands are
    ``bands`` (band key, story). ``made`` says how, in ``meta``."""
    with store.write() as db:
        db.execute("DELETE FROM story_bands")
        if signed is not None:
            db.execute("DELETE FROM story_signatures")
            db.conn.executemany(
                "INSERT INTO story_signatures (story_id, signature, host) VALUES (?, ?, ?)",
                [(story, sig, host) for story, sig, host, _ in signed],
            )
            bands = [(key, story) for story, _, _, keys in signed for key in keys]
        db.conn.executemany(
            "INSERT OR IGNORE INTO story_bands (band_key, story_id) VALUES (?, ?)", bands
        )
        db.conn.executemany(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", list((made or {}).items())
        )


def stories_to_cluster(
    store: Store, after: int, through: int | None = None, limit: int = -1
) -> list[tuple[int, str, str | None, str, str]]:
    """(id, url, title, body, first_seen) of the stories stored after ``after`` (up to
    ``through``, at most ``limit``), oldest first."""
    rows = store.db.execute(
        "SELECT id, url, title, body, first_seen FROM stories WHERE id > ? AND id <= ?"
        " ORDER BY id LIMIT ?",
        [after, through if through is not None else 2**63 - 1, limit],
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


def bodies(store: Store, story_ids: Sequence[int]) -> dict[int, str | None]:
    """story id -> body, for the few candidates whose signatures look like a copy's."""
    found: dict[int, str | None] = {}
    ids = list(story_ids)
    for start in range(0, len(ids), IDS_PER_QUERY):
        chunk = ids[start : start + IDS_PER_QUERY]
        rows = store.db.execute(
            f"SELECT id, body FROM stories WHERE id IN ({', '.join('?' * len(chunk))})", chunk
        )
        found.update(rows.fetchall())
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
