"""The invented fixture pages the article tests parse, as a loopback server would serve them."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from newswatch.crawler.article import Article, parse_article

PAGES = Path(__file__).parent / "fixtures" / "pages"
EXPECTED = json.loads((PAGES / "expected.json").read_text(encoding="utf-8"))["pages"]
HOST = "http://127.0.0.1:8765"
# The day the tests read their pages: a fixed day, so each page gives one article on any day.
AS_OF = date(2026, 6, 1)


def parse_fixture(name: str, host: str = HOST) -> Article:
    """Parse a fixture as if fetched from its intended path on a loopback server."""
    return parse_article(
        (PAGES / name).read_bytes(), host + EXPECTED[name]["served_at"], as_of=AS_OF
    )
