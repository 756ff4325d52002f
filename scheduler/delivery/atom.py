"""Atom feeds of alerts: ``alerts.atom`` (every topic) and one per topic, beside the digest.

Any feed reader (Miniflux, Feedly, Thunderbird, NetNewsWire) then gives a person read state,
stars and sync for alerts, with no code of ours in a browser.
"""

from __future__ import annotations

from pathlib import Path

from ..config import Config

ALL_TOPICS = "alerts.atom"


def feed_path(config: Config, topic: str | None = None) -> Path:
    """Where a feed is written: ``alerts.atom`` for every topic, ``alerts-<topic>.atom`` for
    one (topic names are ``[a-z0-9-]+``, safe as file names), beside ``alerts.digest``."""
    name = ALL_TOPICS if topic is None else f"alerts-{topic}.atom"
    return config.alerts.digest.parent / name
