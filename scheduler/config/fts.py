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


# kim-jong-un parses as column filters, which SQLite reports as "no such column: jong";
# the fix (quoting) is not obvious from that.
_COLUMN_HINT = '; put words joined by "-" or ":" in double quotes'


def query_problem(query: str, topic: str | None = None) -> str | None:
    """What is wrong with an FTS5 ``query``, worded for the user; None if SQLite accepts it.

    The config check (naming the ``topic``) and ``newswatch topics test`` both print this, so
    the hint for hyphenated words is written once.
    """
    error = validate_fts_query(query)
    if error is None:
        return None
    where = f" in topic {topic!r}" if topic else ""
    hint = _COLUMN_HINT if error.startswith("no such column") else ""
    return f"FTS5 rejects this query ({error}){where}{hint}"
