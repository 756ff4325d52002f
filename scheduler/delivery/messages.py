"""The words of a notification: one alert, or a cycle's alerts grouped by topic.

A message body is Markdown, which apprise turns into each service's own format (HTML for
e-mail and Telegram, a dialect for Slack, plain text for a webhook or an SMS). Everything in it
from the web (headline, snippet, matched words, the outlet's stated time) is inert: escaped
Markdown with no mention and no address a client would turn into a link; the story's own link
is percent-encoded so it stays one link. Titles hold only our words and configured names
(topics, channels): not every service escapes a title. Every message ends with its key, the ids
of the alerts it carries, so a receiver can drop a repeat.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .copies import also_in
from .local_time import local_time
from .plain_text import inert, markdown_link

ALERTS_PER_MESSAGE = 25  # a batch longer than this is sent as several messages
TITLE_CHARS = 200
SNIPPET_CHARS = 300
KEY_PREFIX = "newswatch-alerts:"


def alert_key(alert_ids: Iterable[int]) -> str:
    """The idempotency key: the same alerts, the same key, whenever they are sent again."""
    return KEY_PREFIX + ",".join(map(str, alert_ids))


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    alert_ids: tuple[int, ...]


def alert_lines(row: dict, zone: str) -> list[str]:
    """One alert as a few lines: headline, outlet and time and words, where else the report
    ran, snippet, link."""
    terms = ", ".join(inert(term) for term in row.get("terms") or [])
    meta = " · ".join(
        part
        for part in (
            inert(row.get("feed")),
            inert(local_time(row.get("published") or row.get("first_seen"), zone)),
            f"matched: {terms}" if terms else "",
        )
        if part
    )
    lines = [inert(row.get("title") or row.get("url"), TITLE_CHARS), meta]
    if row.get("also_in"):
        lines.append("also in: " + inert(also_in(row["also_in"])))
    if row.get("snippet"):
        lines.append(inert(row["snippet"], SNIPPET_CHARS))
    link = markdown_link(row.get("url"))
    if link:
        lines.append(link)
    return lines


def single(row: dict, zone: str) -> Message:
    """One alert, one message; the headline opens the body."""
    ids = (row["alert_id"],)
    body = "\n".join([*alert_lines(row, zone), "", alert_key(ids)])
    return Message(f"newswatch: {row['topic']} alert", body, ids)


def batches(rows: Sequence[dict], zone: str, topic_order: Sequence[str]) -> list[Message]:
    """A cycle's alerts as few messages: grouped by topic (config order), at most
    ``ALERTS_PER_MESSAGE`` alerts each."""
    rank = {name: i for i, name in enumerate(topic_order)}
    ordered = sorted(rows, key=lambda r: (rank.get(r["topic"], len(rank)), r["alert_id"]))
    messages = []
    for start in range(0, len(ordered), ALERTS_PER_MESSAGE):
        chunk = ordered[start : start + ALERTS_PER_MESSAGE]
        counts: dict[str, int] = {}
        for row in chunk:
            counts[row["topic"]] = counts.get(row["topic"], 0) + 1
        per_topic = ", ".join(f"{topic} {n}" for topic, n in counts.items())
        title = f"newswatch: {len(chunk)} alert{'s' * (len(chunk) != 1)} ({per_topic})"
        lines: list[str] = []
        for topic in counts:
            lines += [f"{topic} ({counts[topic]})", ""]
            for row in chunk:
                if row["topic"] == topic:
                    lines += [*alert_lines(row, zone), ""]
        ids = tuple(row["alert_id"] for row in chunk)
        lines.append(alert_key(ids))
        messages.append(Message(title, "\n".join(lines), ids))
    return messages


def test_message(name: str, service: str) -> Message:
    """What ``newswatch notify test`` sends: says which channel it is, carries no alert."""
    body = (
        f"This is a test message from newswatch to the channel {name} ({service}).\n"
        "Alerts for its topics will arrive here."
    )
    return Message(f"newswatch: test of {name}", body, ())
