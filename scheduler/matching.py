"""Topic matching after a crawl: each topic's FTS5 query over the stories it has not seen yet.

A topic's position (the highest story id it was matched against) lives in the ``topics`` table,
so each story is matched once per topic, a crash between the crawl and the matching only delays
alerts to the next cycle, and a topic added later starts at the stories stored after it
appeared: old stories are never alerted for it. The SQL is in ``storage``; this module turns
the config's topics into those calls and the matches into what a person reads.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..storage import topics as stored_topics
from ..storage.search import max_story_id, unmarked
from ..storage.store import Store
from .config import Config
from .delivery.plain_text import one_line

SNIPPET_CHARS = 300


def clean_snippet(snippet: str) -> str:
    """A stored snippet: one line of plain text, the match markers removed."""
    return one_line(unmarked(snippet), SNIPPET_CHARS)


def _topics(config: Config) -> list[tuple[str, str]]:
    return [(topic.name, topic.query) for topic in config.topics]


def register_topics(store: Store, config: Config) -> int:
    """Before a crawl: record topics not seen before; returns the boundary story id.

    The boundary is the highest story id before this crawl: a topic first seen now is matched
    only against stories stored after it.
    """
    boundary = max_story_id(store)
    stored_topics.register_topics(store, _topics(config), boundary)
    return boundary


def match_topics(store: Store, config: Config, boundary: int, changed: Sequence[int] = ()) -> int:
    """Match every topic against its unmatched stories; returns new alert rows.

    ``boundary`` is where a topic not registered yet starts; known topics resume from their own
    position, so stories stored by a crawl that died before matching still alert. ``changed``
    are older stories whose text this cycle replaced (a page read on a retry).
    """
    return stored_topics.match_topics(
        store,
        _topics(config),
        boundary,
        include_backfill=config.alerts.backfill,
        clean_snippet=clean_snippet,
        changed=changed,
    )
