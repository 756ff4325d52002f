"""The daily digest sent to the notification channels that ask for it (``digest: true``).

Each channel gets the digest of its own topics, as Markdown (apprise turns it into the
channel's format), cut at ``DIGEST_CHARS`` with a word on where the rest is. Best effort and
once: the digest is also a file, and the next day brings another; one line is logged per
channel, and one channel's failure does not keep the digest from the others.
"""

from __future__ import annotations

import logging

from ...storage.store import reading
from ..config import Config
from ..secrets import redact
from .digest import render
from .messages import Message
from .notify import SEND_SECONDS
from .sender import send

logger = logging.getLogger("newswatch.notify")

DIGEST_CHARS = 20_000  # chat services cut far shorter; e-mail takes it whole


def send_daily_digest(config: Config, name: str) -> None:
    """Send ``name`` (``digest-2026-03-02``) to each channel with ``digest: true``."""
    channels = [channel for channel in config.notify if channel.digest]
    for channel in channels:
        where = f"channel={channel.name} ({channel.url.service})"
        try:
            with reading(config.database) as conn:
                text, count = render(
                    conn, config, config.alerts.digest_window, "md", channel.topics
                )
            if len(text) > DIGEST_CHARS:
                text = text[:DIGEST_CHARS].rsplit("\n", 1)[0] + (
                    f"\n\n… cut here: the whole digest is the file {name}"
                )
            answer = send(channel, Message(f"newswatch: {name}", text, ()), SEND_SECONDS)
            reason = answer.reason
        except Exception as exc:  # noqa: BLE001 - the next channel still gets its digest
            reason = redact(f"{type(exc).__name__}: {exc}")
        if reason is None:
            logger.info("daily digest sent: %s, %d alerts", where, count)
        else:
            logger.warning("daily digest not sent: %s reason=%s", where, reason)
