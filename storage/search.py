"""Full-text search over the stored stories: one FTS5 query, the words it matched, a snippet.

Topic matching (``topics.py``) and the dry run behind ``newswatch topics test`` both ask here,
so a query matches the same stories in both. The query is SQLite's own FTS5 syntax, run as is.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from .migrations import FTS_TOKENIZE
from .store import Store, connection, rows_as_dicts

# Unlikely in story text; they only mark matched tokens inside highlight()/snippet() output.
MARK_OPEN = "\x01"
MARK_CLOSE = "\x02"
SNIPPET_TOKENS = 24
MAX_TERMS = 12

# One FTS5 query restricted to a rowid range: the plan is "MATCH + rowid>" on the index itself
# (SCAN stories_fts VIRTUAL TABLE INDEX 0:M2>), never a scan of old stories.
MATCH_SQL = f"""
    SELECT s.id,
           highlight(stories_fts, 0, '{MARK_OPEN}', '{MARK_CLOSE}'),
           highlight(stories_fts, 1, '{MARK_OPEN}', '{MARK_CLOSE}'),
           snippet(stories_fts, 1, '{MARK_OPEN}', '{MARK_CLOSE}', '…', {SNIPPET_TOKENS}),
           coalesce(s.cluster_id, s.id)
    FROM stories_fts JOIN stories s ON s.id = stories_fts.rowid
    WHERE stories_fts MATCH :query AND stories_fts.rowid > :low AND stories_fts.rowid <= :high
      AND (s.backfill = 0 OR :backfill)
"""
# The same query over an index of only this cycle's stories (``fresh_index``).
FRESH_SQL = MATCH_SQL.replace("stories_fts", "fresh_fts")
FRESH_MAX = 50_000  # more new stories than that are matched on the whole index
IDS_PER_QUERY = 500  # well below SQLite's limit on bound parameters


@dataclass(frozen=True)
class Match:
    """One story a query matched, with the words that matched and a snippet around them."""

    story_id: int
    terms: list[str]
    snippet: str  # may hold MARK_OPEN/MARK_CLOSE around matched tokens
    cluster_id: int | None = None  # its report's: syndicated copies share one (clustering.py)


def max_story_id(source: Store | sqlite3.Connection) -> int:
    row = connection(source).execute("SELECT max(id) FROM stories").fetchone()
    return row[0] or 0


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


def unmarked(text: str | None) -> str:
    """Text from highlight()/snippet() with the match markers taken out."""
    return (text or "").replace(MARK_OPEN, "").replace(MARK_CLOSE, "")


@contextmanager
def fresh_index(conn: sqlite3.Connection, low: int, high: int) -> Iterator[int | None]:
    """An in-memory FTS5 index of the stories ``low < id <= high`` (this cycle's), for the
    length of the block; yields ``low``, or None when there are too many to copy.

    A topic's query over the whole index reads every stored story's entries for its words, so
    matching 1,000 topics cost more as the store grew (0.25 s at 10,000 stories, 0.6 s at a
    million: ``tests/benchmarks/growth.py``); over an index of the new stories alone it costs
    the same at any size. Same tokenizer, same columns: the same matches, highlights and
    snippets.
    """
    if high - low > FRESH_MAX or high <= low:
        yield None
        return
    conn.execute(
        f"CREATE VIRTUAL TABLE temp.fresh_fts USING fts5(title, body, tokenize='{FTS_TOKENIZE}')"
    )
    try:
        conn.execute(
            "INSERT INTO temp.fresh_fts (rowid, title, body)"
            " SELECT id, title, body FROM stories WHERE id > ? AND id <= ?",
            [low, high],
        )
        yield low
    finally:
        conn.execute("DROP TABLE temp.fresh_fts")


def find_matches(
    source: Store | sqlite3.Connection,
    query: str,
    low: int = 0,
    high: int | None = None,
    include_backfill: bool = True,
    fresh_from: int | None = None,
) -> list[Match]:
    """Stories with ``low < id <= high`` that ``query`` matches (one FTS5 query), on the
    ``fresh_index`` when it holds them (it starts at ``fresh_from``)."""
    conn = connection(source)
    if high is None:
        high = max_story_id(conn)
    params = {"query": query, "low": low, "high": high, "backfill": int(include_backfill)}
    sql = FRESH_SQL if fresh_from is not None and low >= fresh_from else MATCH_SQL
    matches = []
    for story_id, title, body, body_snippet, cluster in conn.execute(sql, params).fetchall():
        snippet = body_snippet if MARK_OPEN in (body_snippet or "") else (title or "")
        matches.append(Match(story_id, matched_terms(title, body), snippet or "", cluster))
    return matches


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
    for start in range(0, len(ids), IDS_PER_QUERY):
        chunk = ids[start : start + IDS_PER_QUERY]
        sql = (
            "SELECT id, url, title, published, feed, first_seen FROM stories"
            f" WHERE id IN ({', '.join('?' * len(chunk))})"
        )
        params: list = list(chunk)
        if since is not None:
            sql += " AND first_seen >= ?"
            params.append(since)
        rows.extend(rows_as_dicts(conn.execute(sql, params)))
    rows.sort(key=lambda row: (row["first_seen"], row["id"]), reverse=True)
    for row in rows:
        match = matches[row["id"]]
        row["terms"] = match.terms
        row["snippet"] = match.snippet
        row["cluster_id"] = match.cluster_id
    return rows
