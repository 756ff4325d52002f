"""Extraction health: how often a feed's stories come with a body, a date and authors.

A site that changes its layout does not fail: its pages still parse, only emptier. The share of
a feed's recent stories with each field (``Store.extraction_health``), compared with the stories
before, is how such a change shows: ``newswatch status`` prints the shares, and each crawl warns
about a sudden drop.
"""

from __future__ import annotations

from ..storage.store import Store

HEALTH_WINDOW = 10  # stories per window when comparing recent extraction with the one before
HEALTH_LOW = 0.5  # a share below this in the latest window...
HEALTH_WAS_OK = 0.8  # ...after at least this in the window before is a layout change


def extraction_warnings(store: Store, feeds: list[str]) -> list[str]:
    """Feeds whose last 10 stories lost a field the 10 before mostly had (a layout change).

    Only feeds with at least 20 stories are judged, so a new feed never warns.
    """
    warnings = []
    for feed in feeds:
        recent = store.extraction_health(feed, HEALTH_WINDOW)
        before = store.extraction_health(feed, HEALTH_WINDOW, skip=HEALTH_WINDOW)
        if recent["n"] < HEALTH_WINDOW or before["n"] < HEALTH_WINDOW:
            continue
        for field in ("body", "date", "authors"):
            now, was = recent[f"share_{field}"], before[f"share_{field}"]
            if now < HEALTH_LOW and was >= HEALTH_WAS_OK:
                warnings.append(
                    f"extraction health: feed={feed} {field} in {now:.0%} of the last "
                    f"{HEALTH_WINDOW} stories, was {was:.0%}: has the site changed its layout? "
                    "(see feeds[].extract in config.yaml)"
                )
    return warnings
