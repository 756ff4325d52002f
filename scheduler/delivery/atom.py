"""Atom feeds of alerts: ``alerts.atom`` (every topic) and one per topic, beside the digest.

Any feed reader (Miniflux, Feedly, Thunderbird, NetNewsWire) then gives a person read state,
stars and sync for alerts, with no code of ours in a browser. Valid Atom 1.0 (RFC 4287), written
with lxml's ElementTree, which escapes every text and attribute (no string is ever pasted into
XML); characters XML 1.0 forbids are dropped first. lxml, not the standard library's
ElementTree: lxml is there anyway (trafilatura reads pages with it), and its serializer is C,
where the standard library's pure-Python one was half of this step's time (1,001 feeds of up to
200 entries: 1.7 s of 3.6). Each entry is one alert, with a stable ``tag:`` id (RFC 4151)
made of this database's random id and the alert's, so a reader never shows an alert twice.
Times are in ``schedule.timezone``.

A feed is rewritten only when its topic has a newer alert, or the settings it was written with
(the time zone, ``alerts.feed_entries``) changed: a cycle with a thousand topics writes the few
that moved. Files are replaced atomically (a reader sees the old feed or the new one).
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from lxml import etree

from ...storage import alerts as stored
from ...storage.store import Store
from ..config import Config
from .copies import add_copies, also_in
from .files import atomic_write
from .plain_text import one_line, safe_url

logger = logging.getLogger("newswatch.atom")

ALL_TOPICS = "alerts.atom"
ATOM = "http://www.w3.org/2005/Atom"
XML_DECLARATION = "<?xml version='1.0' encoding='utf-8'?>\n"
TAG_AUTHORITY = "tag:newswatch.invalid,2025:"  # RFC 4151: a name we claim no one else uses
SUMMARY_CHARS = 600
# Characters XML 1.0 cannot hold at all, not even escaped (most C0 controls, lone surrogates).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def feed_path(config: Config, topic: str | None = None) -> Path:
    """Where a feed is written: ``alerts.atom`` for every topic, ``alerts-<topic>.atom`` for
    one (topic names are ``[a-z0-9-]+``, safe as file names), beside ``alerts.digest``."""
    return config.alerts.digest.parent / feed_name(topic)


def feed_name(topic: str | None) -> str:
    return ALL_TOPICS if topic is None else f"alerts-{topic}.atom"


@lru_cache(maxsize=65536)  # a story is in as many feeds as topics it matched: cleaned once
def xml_text(text: str | None, limit: int | None = None) -> str:
    """One line of text that XML 1.0 can hold (ElementTree escapes the rest)."""
    return _NOT_XML.sub("", one_line(text, limit))


@lru_cache(maxsize=65536)
def link_of(url: str | None) -> str | None:
    return safe_url(url)


@lru_cache(maxsize=65536)
def rfc3339(value: str | None, zone: str) -> str | None:
    """An ISO 8601 time with an offset, in ``zone``; None for a date or a clock without one."""
    if not value or len(value) <= 10:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(ZoneInfo(zone)).isoformat(timespec="seconds")


def _element(parent, name: str, text: str | None = None, **attrs: str):
    # In the Atom namespace, which the root declares as its default: written without a prefix.
    child = etree.SubElement(parent, f"{{{ATOM}}}{name}", attrs)
    if text is not None:
        child.text = text
    return child


def render_feed(rows: list[dict], *, feed_id: str, title: str, zone: str, prefix: str) -> str:
    """An Atom document of these alert rows (newest first)."""
    feed = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM})
    _element(feed, "id", feed_id)
    _element(feed, "title", title)
    newest = rfc3339(rows[0]["created"], zone) if rows else None
    _element(feed, "updated", newest or "1970-01-01T00:00:00+00:00")
    author = _element(feed, "author")
    _element(author, "name", "newswatch")
    _element(feed, "generator", "newswatch")
    for row in rows:
        entry = _element(feed, "entry")
        _element(entry, "id", f"{prefix}:alert:{row['alert_id']}")
        _element(entry, "title", xml_text(row.get("title") or row.get("url")))
        _element(entry, "updated", rfc3339(row["created"], zone) or "1970-01-01T00:00:00+00:00")
        published = rfc3339(row.get("published"), zone)
        if published:
            _element(entry, "published", published)
        link = link_of(row.get("url"))
        if link:
            _element(entry, "link", rel="alternate", type="text/html", href=link)
        outlet = _element(entry, "author")
        _element(outlet, "name", xml_text(row.get("feed")) or "newswatch")
        summary = xml_text(row.get("snippet"), SUMMARY_CHARS)
        terms = ", ".join(xml_text(term) for term in row.get("terms") or [])
        if terms:
            summary = f"{summary} (matched: {terms})" if summary else f"matched: {terms}"
        if row.get("also_in"):
            copies = f"also in: {xml_text(also_in(row['also_in']))}"
            summary = f"{summary} ({copies})" if summary else copies
        if summary:
            _element(entry, "summary", summary, type="text")
        topic = xml_text(row["topic"])
        _element(entry, "category", term=topic, label=topic)
    return XML_DECLARATION + etree.tostring(feed, encoding="unicode") + "\n"


def update_feeds_or_log(store: Store, config: Config) -> None:
    """After every cycle; a feed we cannot write (disk full, bad path) waits for the next."""
    try:
        update_feeds(store, config)
    except OSError as exc:  # the alerts are delivered; the feeds are rebuilt from them
        logger.error("Atom feeds not written: %s: %s", config.alerts.digest.parent, exc)


def update_feeds(store: Store, config: Config) -> int:
    """Rewrite the feeds whose topic has newer alerts (or settings changed); returns how many.

    A feed of a topic no longer configured is removed with its file.
    """
    import json

    limit = config.alerts.feed_entries
    zone = config.schedule.timezone
    settings = f"{zone}|{limit}"
    written = stored.feeds_written(store)
    newest = stored.newest_per_topic(store)
    prefix = f"{TAG_AUTHORITY}{stored.install_id(store)}"
    wanted: list[tuple[str | None, int]] = [(None, max(newest.values(), default=0))]
    wanted += [(topic.name, newest.get(topic.name, 0)) for topic in config.topics]
    now_written: dict[str, tuple[int, str]] = {}
    for topic, through in wanted:
        name = feed_name(topic)
        path = feed_path(config, topic)
        if written.get(name) == (through, settings) and path.exists():
            continue
        rows = stored.latest(store, limit, topic)
        for row in rows:
            row["terms"] = json.loads(row["terms"] or "[]")
        add_copies(store, rows)
        title = "newswatch: every topic" if topic is None else f"newswatch: {topic}"
        feed_id = f"{prefix}:feed:{topic or '*'}"
        atomic_write(
            path,
            render_feed(rows, feed_id=feed_id, title=title, zone=zone, prefix=prefix),
            durable=False,
        )
        now_written[name] = (through, settings)
    names = {feed_name(topic) for topic, _ in wanted}
    gone = [name for name in written if name not in names]
    for name in gone:
        (config.alerts.digest.parent / name).unlink(missing_ok=True)
    if now_written or gone:
        stored.record_feeds(store, now_written, gone)
    return len(now_written)
