"""The digest: recent alerts grouped by topic, as Markdown or a self-contained HTML page.

It is derived from alert rows only, so it can always be rebuilt; it is written to a temporary
file in the same folder and renamed over the old one, so a reader never sees half a digest.
Every field from the web is flattened to one line and escaped for the output format.
"""

from __future__ import annotations

import html
import json
import logging
import sqlite3
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from ...storage import alerts as sql
from ...storage.store import Store, iso, reading, utcnow
from ..config import Config, show_duration
from .copies import add_copies, also_in
from .files import atomic_write
from .local_time import local_time
from .plain_text import defused, one_line, safe_url

logger = logging.getLogger("newswatch.digest")

FORMATS = ("md", "html")
# One pass over the text: Markdown's inline syntax backslash-escaped, and ``<``, ``>`` and ``&``
# as entities (not every Markdown renderer honours a backslash before them).
_MD_ESCAPES = str.maketrans(
    {**{c: "\\" + c for c in "\\`*_[]|~#!"}, "&": "&amp;", "<": "&lt;", ">": "&gt;"}
)


@dataclass
class TopicGroup:
    name: str
    description: str | None
    alerts: list[dict]  # the newest, at most ``alerts.digest_per_topic``
    total: int = -1  # every alert of the topic in the window (-1: as many as listed)

    def __post_init__(self) -> None:
        if self.total < 0:
            self.total = len(self.alerts)

    @property
    def more(self) -> int:
        """Alerts in the window not listed."""
        return self.total - len(self.alerts)


def format_for(path: Path) -> str:
    return "html" if path.suffix.lower() in (".html", ".htm") else "md"


def show_window(seconds: float) -> str:
    """The digest's window as people say it: "24h" rather than "1d"."""
    return "24h" if seconds == 86400 else show_duration(seconds)


def collect(
    source: Store | sqlite3.Connection | None,
    config: Config,
    window: float,
    topics: Collection[str] | None = None,
) -> list[TopicGroup]:
    """Alerts created within ``window`` seconds, by topic (config order), newest first; only
    those of ``topics`` when given (a notification channel's).

    Each topic lists its newest ``alerts.digest_per_topic`` and counts the rest: a digest is
    read by a person, and 1,000 topics over a busy day made one of 300,000 entries (hundreds
    of MB to build, seconds of CPU after every cycle). Only the listed rows are read.
    """
    if source is None:  # no database yet
        return []
    since = iso(utcnow() - timedelta(seconds=window))
    counts = sql.counts_since(source, since)
    if topics is not None:
        counts = {name: n for name, n in counts.items() if name in topics}
    described = {topic.name: topic.description for topic in config.topics}
    names = [topic.name for topic in config.topics if topic.name in counts]
    names += sorted(set(counts) - set(described))  # topics since removed from the config
    limit = config.alerts.digest_per_topic or None
    groups = [
        TopicGroup(
            name,
            described.get(name),
            sql.alerts_since(source, since, topic=name, limit=limit),
            counts[name],
        )
        for name in names
    ]
    annotate(source, config, [row for group in groups for row in group.alerts], since)
    return groups


def annotate(
    source: Store | sqlite3.Connection, config: Config, rows: list[dict], since: str
) -> None:
    """What a reader needs beside each alert row: its time in ``schedule.timezone``, the words
    that matched, the page's language, the other topics the same story alerted since ``since``
    (listed or not), and the other outlets its report ran on (read now: copies that came after
    the alert count)."""
    zone = config.schedule.timezone
    order = {topic.name: i for i, topic in enumerate(config.topics)}

    def rank(name: str) -> tuple[int, str]:  # config order; topics since removed last
        return order.get(name, len(order)), name

    story_ids = [row["story_id"] for row in rows]
    topics_of = {  # each story's topics in order once, not sorted again under each of them
        story: sorted(names, key=rank)
        for story, names in sql.topics_since(source, story_ids, since).items()
    }
    languages = sql.languages(source, story_ids)
    add_copies(source, rows)
    terms: dict[str, list[str]] = {}  # the same words match many stories: decoded once
    for row in rows:
        row["when"] = local_time(
            row.get("published") or row.get("first_seen") or row.get("created"), zone
        )
        if isinstance(row.get("terms"), str):
            raw = row["terms"] or "[]"
            if raw not in terms:
                terms[raw] = json.loads(raw)
            row["terms"] = terms[raw]
        row["language"] = languages.get(row["story_id"])
        row["also"] = [t for t in topics_of.get(row["story_id"], ()) if t != row["topic"]]


def main_language(groups: list[TopicGroup]) -> str | None:
    """The language most of the listed stories state (the page's ``lang``), if any does."""
    found = Counter(row["language"] for g in groups for row in g.alerts if row.get("language"))
    return found.most_common(1)[0][0] if found else None


def details(row: dict, escape) -> list[str]:
    """The lines under a headline: outlet and time, the matched words, the other topics, the
    page's credit, and where else the report ran."""
    lines = [f"{escape(row['feed'])} · {escape(row['when'])}"]
    if row.get("terms"):  # escaped once, joined: a digest of 40,000 alerts has 700,000 words
        lines.append("matched: " + escape(", ".join(row["terms"])))
    if row.get("also"):
        lines.append("also: " + escape(", ".join(row["also"])))
    if row.get("source"):
        lines.append("source: " + escape(row["source"]))
    if row.get("also_in"):
        lines.append("also in: " + escape(also_in(row["also_in"])))
    return lines


# -- Markdown ---------------------------------------------------------------------------------


def md_text(text: str | None) -> str:
    """Plain text inside a Markdown paragraph: no emphasis, link, HTML, entity or mention
    survives (mentions and addresses are broken as in a notification, see ``defused``).

    ``<``, ``>`` and ``&`` become entities rather than backslash escapes, which not every
    Markdown renderer honours; the rest of the inline syntax is backslash-escaped.
    """
    return defused(one_line(text)).translate(_MD_ESCAPES)


def _memo(escape):
    """``escape`` remembering its answers for one digest: a story is listed under each topic it
    matched (15 on average on the feedfarm bench), with the same title, snippet, URL and outlet
    each time, and the lines under it repeat across stories (the same outlet and time, the same
    matched words)."""
    done: dict[str | None, str] = {}

    def memo(text: str | None) -> str:
        try:
            return done[text]
        except KeyError:
            done[text] = escaped = escape(text)
            return escaped

    return memo


def render_markdown(groups: list[TopicGroup], generated: str, window: str) -> str:
    md = _memo(md_text)
    url_of = _memo(safe_url)
    total = sum(group.total for group in groups)
    out = [
        "# newswatch digest",
        "",
        f"{total} alert{'s' if total != 1 else ''} in the last {window}, as of {generated}.",
        "",
    ]
    for group in groups:
        out += [f"## {md(group.name)} ({group.total})", ""]
        if group.description:
            out += [f"_{md(group.description)}_", ""]
        for row in group.alerts:
            title = md(row["title"] or row["url"])
            url = url_of(row["url"])
            heading = f"[{title}](<{url}>)" if url else title
            out.append(f"### {heading}")
            out.append("")
            out.append("  \n".join(details(row, md)))
            if row["snippet"]:
                out += ["", f"> {md(row['snippet'])}"]
            out.append("")
        if group.more:
            out += [f"_{more_line(group, window, md)}_", ""]
    if not groups:
        out += ["No alerts.", ""]
    return "\n".join(out)


def more_line(group: TopicGroup, window: str, escape) -> str:
    """What a topic's list leaves out, and where to read it all."""
    return escape(
        f"and {group.more} more in the last {window}: newswatch alerts --topic {group.name}"
    )


# -- HTML -------------------------------------------------------------------------------------

_CSS = """
body{font:16px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;
color:#222}h2{border-bottom:1px solid #ccc;padding-bottom:.2rem;margin-top:2rem}
article{margin:1rem 0}h3{font-size:1.05rem;margin:0}.meta{color:#666;font-size:.9rem}
blockquote{margin:.3rem 0 0;padding-left:.8rem;border-left:3px solid #ddd;color:#444}
"""


def h(text: str | None) -> str:
    return html.escape(one_line(text), quote=True)


def render_html(groups: list[TopicGroup], generated: str, window: str) -> str:
    esc = _memo(h)
    url_of = _memo(safe_url)
    total = sum(group.total for group in groups)
    language = main_language(groups)
    lang = f' lang="{esc(language)}"' if language else ""
    out = [
        "<!DOCTYPE html>",
        f'<html{lang}><head><meta charset="utf-8">',
        # Self-contained and inert: no script, no remote resource can run or load.
        '<meta http-equiv="Content-Security-Policy"'
        " content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>newswatch digest</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>newswatch digest</h1>",
        f"<p>{total} alert{'s' if total != 1 else ''} in the last {esc(window)},"
        f" as of {esc(generated)}.</p>",
    ]
    for group in groups:
        out.append(f"<section><h2>{esc(group.name)} ({group.total})</h2>")
        if group.description:
            out.append(f"<p><em>{esc(group.description)}</em></p>")
        for row in group.alerts:
            title = esc(row["title"] or row["url"])
            url = url_of(row["url"])
            if url:
                href = html.escape(url, quote=True)
                title = f'<a href="{href}" rel="noopener noreferrer">{title}</a>'
            own = row.get("language")
            lang = f' lang="{esc(own)}"' if own and own != language else ""
            out.append(f"<article{lang}><h3>{title}</h3>")
            out.append(f'<div class="meta">{"<br>".join(details(row, esc))}</div>')
            if row["snippet"]:
                out.append(f"<blockquote>{esc(row['snippet'])}</blockquote>")
            out.append("</article>")
        if group.more:
            out.append(f'<p class="meta">{more_line(group, window, h)}</p>')
        out.append("</section>")
    if not groups:
        out.append("<p>No alerts.</p>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


# -- writing ----------------------------------------------------------------------------------


def render(
    source: Store | sqlite3.Connection | None,
    config: Config,
    window: float,
    fmt: str,
    topics: Collection[str] | None = None,
) -> tuple[str, int]:
    """The digest text and how many alerts its window holds (of ``topics``, when given)."""
    groups = collect(source, config, window, topics)
    renderer = render_html if fmt == "html" else render_markdown
    generated = local_time(iso(utcnow()), config.schedule.timezone)
    return renderer(groups, generated, show_window(window)), sum(g.total for g in groups)


def write_digest(
    source: Store | sqlite3.Connection | None,
    config: Config,
    path: Path | None = None,
    fmt: str | None = None,
    window: float | None = None,
) -> tuple[Path, int]:
    """Write the digest (defaults from ``alerts.*``); returns its path and alert count."""
    path = path or config.alerts.digest
    fmt = fmt or format_for(path)
    text, count = render(source, config, window or config.alerts.digest_window, fmt)
    atomic_write(path, text)
    return path, count


def write_from_database(
    config: Config, path: Path | None = None, fmt: str | None = None, window: float | None = None
) -> tuple[Path, int]:
    """``write_digest`` on a read-only connection (an empty digest before the first crawl)."""
    with reading(config.database) as conn:
        return write_digest(conn, config, path, fmt, window)


def update_digest(store: Store, config: Config) -> None:
    """After every cycle, as the contract says: even a quiet one moves the window on."""
    try:
        write_digest(store, config)
    except OSError as exc:  # the alerts are delivered; a digest we cannot write is not fatal
        logger.error("digest not written: %s: %s", config.alerts.digest, exc)
