"""Topic matching after a crawl: each topic's FTS5 query over the stories it has not seen yet.

A topic's position (the highest story id it was matched against) lives in the ``topics`` table,
so each story is matched once per topic, a crash between the crawl and the matching only delays
alerts to the next cycle, and a topic added later starts at the stories stored after it
appeared: old stories are never alerted for it. The SQL is in ``storage``; this module decides
which stories each topic is matched against.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..storage import alerts as sql
from ..storage.store import Store
from .config import Config
from .delivery.plain_text import one_line

SNIPPET_CHARS = 300


def clean_snippet(snippet: str) -> str:
    """A stored snippet: one line of plain text, the match markers removed."""
    plain = snippet.replace(sql.MARK_OPEN, "").replace(sql.MARK_CLOSE, "")
    return one_line(plain, SNIPPET_CHARS)


def _topics(config: Config) -> list[tuple[str, str]]:
    return [(topic.name, topic.query) for topic in config.topics]


def register_topics(store: Store, config: Config) -> int:
    """Before a crawl: record topics not seen before; returns the boundary story id.

    The boundary is the highest story id before this crawl: a topic first seen now is matched
    only against stories stored after it.
    """
    boundary = sql.max_story_id(store)
    sql.register_topics(store, _topics(config), boundary)
    return boundary


def match_topics(store: Store, config: Config, boundary: int, changed: Sequence[int] = ()) -> int:
    """Match every topic against its unmatched stories; returns new alert rows.

    ``boundary`` is where a topic not registered yet starts; known topics resume from their own
    position, so stories stored by a crawl that died before matching still alert. ``changed``
    are older stories whose text this cycle replaced (a page read on a retry).
    """
    added = sql.match_topics(
        store,
        _topics(config),
        boundary,
        include_backfill=config.alerts.backfill,
        clean_snippet=clean_snippet,
    )
    added += sql.match_stories(
        store,
        _topics(config),
        changed,
        include_backfill=config.alerts.backfill,
        clean_snippet=clean_snippet,
    )
    return added


def dry_run(conn, query: str, since: str | None = None) -> list[dict]:
    """Stored stories a query matches, newest first, with snippets; nothing is written."""
    rows = sql.search_stories(conn, query, since)
    for row in rows:
        row["snippet"] = clean_snippet(row["snippet"])
    return rows
