"""A cycle's counts, and the one line that words them for ``newswatch crawl`` and the daemon.

Its own module, so the daemon can word a cycle's ``runs`` row without importing the crawl
(Scrapy, Twisted) that only its child needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar


@dataclass
class CycleSummary:
    """A cycle's counts: printed by ``newswatch crawl``, kept in its ``runs`` row, and read back
    from that row by ``newswatch run``; ``line()`` words them the same way for both."""

    feeds: int = 0
    feeds_ok: int = 0
    feeds_not_modified: int = 0
    feeds_failed: int = 0
    new_stories: int = 0
    new_from_feed: int = 0
    read_on_retry: int = 0  # stories kept from feed entries whose page was read on a retry
    known_skipped: int = 0
    errors: int = 0
    alerts: int = 0
    notified: int = 0  # alerts the notification channels accepted this cycle
    seconds: float = 0.0
    completed: bool = False  # False when the crawl was cut short (a signal, a shutdown)
    stats: dict = field(default_factory=dict)

    # The fields a ``runs`` row keeps (its columns have the same names).
    RUN_COLUMNS: ClassVar[tuple[str, ...]] = (
        "feeds",
        "feeds_ok",
        "feeds_not_modified",
        "feeds_failed",
        "new_stories",
        "new_from_feed",
        "read_on_retry",
        "known_skipped",
        "errors",
        "alerts",
        "notified",
        "seconds",
        "completed",
    )

    def run_counts(self) -> dict[str, float]:
        """The ``runs`` columns of this summary, for ``Store.finish_run``."""
        return {name: getattr(self, name) for name in self.RUN_COLUMNS}

    @classmethod
    def from_run(cls, row: Mapping) -> CycleSummary:
        """The summary a finished ``runs`` row keeps; ``line()`` then reads as the crawl's did."""
        values = {name: row[name] or 0 for name in cls.RUN_COLUMNS}
        return cls(**values | {"completed": bool(values["completed"])})

    def line(self) -> str:
        """The one summary line a person (or journald) reads after a cycle."""
        return ("" if self.completed else "interrupted: ") + (
            f"feeds: {self.feeds_ok + self.feeds_not_modified} ok"
            f" ({self.feeds_not_modified} unchanged), {self.feeds_failed} failed;"
            f" new stories: {self.new_stories}"
            + (f" ({self.new_from_feed} from feed entries)" if self.new_from_feed else "")
            + (f"; pages read on retry: {self.read_on_retry}" if self.read_on_retry else "")
            + f"; known links skipped: {self.known_skipped}; alerts: {self.alerts};"
            + (f" notified: {self.notified};" if self.notified else "")
            + f" errors: {self.errors}; {self.seconds:.1f}s"
        )
