"""Topic queries checked by SQLite's own FTS5, on a table shaped like the real index."""

from __future__ import annotations

import sqlite3

from ...storage.migrations import FTS_TOKENIZE

# Shaped like the real index, with its tokenizer, so what passes here is exactly what runs.
_FTS_TABLE = f"CREATE VIRTUAL TABLE t USING fts5(title, body, tokenize='{FTS_TOKENIZE}')"


def validate_fts_query(query: str) -> str | None:
    """Return SQLite's complaint about an FTS5 ``query``, or None if it is accepted.

    We ask SQLite itself (an in-memory table shaped like the real index) rather than
    re-implementing the FTS5 grammar, so what passes here is exactly what will run later.
    """
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute(_FTS_TABLE)
        try:
            conn.execute("SELECT * FROM t WHERE t MATCH ?", (query,)).fetchall()
        except sqlite3.OperationalError as exc:
            return str(exc)
        return None
    finally:
        conn.close()
