"""One message to one channel through apprise, and what the channel answered.

Apprise does the sending (100+ services, each with its own format and limits); this module
keeps its log to itself (it may hold secrets), turns its result into a short reason with every
secret blanked, and tells whether a send timed out, so the notify step can tell a channel that
failed from one the cycle ran out of time for.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import ChannelConfig
from ..config.channel_url import quiet_apprise
from ..secrets import redact
from .messages import Message

REASON_CHARS = 200


@dataclass(frozen=True)
class Answer:
    """What a channel answered: nothing wrong (``reason`` None), or why not."""

    reason: str | None = None
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.reason is None


def send(channel: ChannelConfig, message: Message, timeout: float, markdown: bool = True) -> Answer:
    """Send ``message`` to ``channel``, cut after ``timeout`` seconds.

    The body is Markdown whose text from the web is escaped (``messages.py``); apprise turns
    it into each service's own format (HTML for e-mail, a dialect for Slack). ``markdown``
    False sends HTML (an HTML digest).
    """
    import apprise  # its plugins load in a tenth of a second: only when there is a channel

    quiet_apprise()
    sender = apprise.Apprise()
    if not sender.add(channel.url.value):
        return Answer("apprise cannot use this URL")
    result = sender.notify(
        title=message.title,
        body=message.body,
        body_format=apprise.NotifyFormat.MARKDOWN if markdown else apprise.NotifyFormat.HTML,
        timeout=max(timeout, 0.1),
    )
    if result:
        return Answer()
    if result.status == apprise.AppriseResultStatus.TIMEOUT:
        return Answer(f"no answer within {round(timeout, 1):g}s", timed_out=True)
    words = [entry.message for entry in result.logs() if entry.message.strip()]
    reason = words[-1] if words else result.status.name.lower()
    return Answer(redact(" ".join(reason.split()))[:REASON_CHARS] or "failed")


def sends_still_running() -> bool:
    """Whether a send cut at its timeout still runs in apprise's threads.

    Python waits for those threads before a process exits; a receiver that trickles bytes
    would hold the crawl past the daemon's deadline. The caller exits without waiting then.
    """
    import sys

    if "apprise" not in sys.modules:  # nothing was sent in this process
        return False
    from apprise.apprise import any_abandoned_calls_still_running  # what apprise's CLI asks

    return any_abandoned_calls_still_running()
