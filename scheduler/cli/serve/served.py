"""What a Datasette built by ``newswatch serve`` serves: the database under its fixed name, and
the digest and Atom feeds of the config it was started with.

Datasette's plugin hooks are registered once per process and called for every Datasette in it;
each of ours looks its Datasette up here first, so one built otherwise (another test, another
tool) gets nothing from them.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from pathlib import Path

from ...config import Config
from ...delivery.atom import feed_path

DATABASE = "newswatch"  # the URL name of the store, whatever its file is called


@dataclass(frozen=True)
class Served:
    """The files served beside the store: the digest, and the Atom feed of every topic (None)
    and of each topic in the config, where the product writes them."""

    digest: Path
    feeds: dict[str | None, Path]

    @classmethod
    def of(cls, config: Config) -> Served:
        topics = (None, *(topic.name for topic in config.topics))
        return cls(config.alerts.digest, {topic: feed_path(config, topic) for topic in topics})

    def feed_named(self, name: str) -> Path | None:
        """The feed whose file is called ``name`` (its URL name too), if it is one of ours."""
        return next((path for path in self.feeds.values() if path.name == name), None)


_served: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def remember(datasette, served: Served) -> None:
    _served[datasette] = served


def served_by(datasette) -> Served | None:
    """What this Datasette serves, or None when ``newswatch serve`` did not build it."""
    return _served.get(datasette)
