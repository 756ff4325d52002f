"""The one place that reads and writes the newswatch SQLite database.

WAL lets readers (Datasette, ``sqlite3``, ``newswatch status``) read while a cycle writes; every
write transaction starts with ``BEGIN IMMEDIATE`` so a read-then-write never fails with
"database is locked" half-way, and the busy timeout makes a writer wait for another instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlite_utils import Database

from .migrations import migrations

BUSY_TIMEOUT_S = 30.0


def connect_readonly(path: str | Path) -> sqlite3.Connection:
    """A connection that cannot write, for readers that must not create or change a thing.

    On a read-only filesystem SQLite cannot make the ``-shm`` file a WAL reader needs, and no
    one can be writing there either: the file is read as it is (``immutable``)."""
    path = Path(path).resolve()
    query = "mode=ro&immutable=1" if _on_read_only_filesystem(path) else "mode=ro"
    return sqlite3.connect(f"{path.as_uri()}?{query}", uri=True, timeout=BUSY_TIMEOUT_S)


def _on_read_only_filesystem(path: Path) -> bool:
    try:
        return bool(os.statvfs(path.parent).f_flag & os.ST_RDONLY)
    except OSError:
        return False


@contextlib.contextmanager
def reading(path: str | Path) -> Iterator[sqlite3.Connection | None]:
    """A read-only connection for a view, closed after it; None when there is no database yet.

    Views never create the database, never write and never wait for a running cycle (WAL).
    """
    if not Path(path).exists():
        yield None
        return
    conn = connect_readonly(path)
    try:
        yield conn
    finally:
        conn.close()


def connection(source: Store | sqlite3.Connection) -> sqlite3.Connection:
    """The connection under a Store, or the read-only one a view opened: both read the same."""
    return source.db.conn if isinstance(source, Store) else source


def rows_as_dicts(cursor: sqlite3.Cursor) -> list[dict]:
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """ISO 8601 UTC with seconds, e.g. ``2025-09-09T06:45:00+00:00``."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


@dataclass
class NewStory:
    """A story as the crawl hands it to storage."""

    url: str
    title: str | None
    body: str
    published: str | None
    authors: list[str]
    feed: str
    links: list[str] = field(default_factory=list)  # other variants that name this story
    source: str | None = None
    language: str | None = None  # as the page states it (``id``, ``en``)
    extraction: str = "page"  # "page": parsed from the article; "feed": the page failed
    backfill: bool = False  # found on a feed's first poll: stored, never alerted (unless asked)
    retries: int = 0  # for a story kept from its feed entry: times its page is asked again
    replaces: int | None = None  # the id of the feed-entry story whose text this page replaces


@dataclass
class FeedPoll:
    """What one poll of a feed found, for the ``feeds`` table."""

    name: str
    url: str
    result: str  # "ok", "not_modified", "error"
    http_status: int | None = None
    error: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    new_entries: int = 0  # links this poll saw for the first time
    retry_after: str | None = None  # the server's Retry-After header, if any
    complete: bool = True  # False when the crawl was cut short before all its pages were read
    interval: float | None = None  # planned by the scheduler before the poll is recorded
    next_poll: str | None = None


class Store:
    """A newswatch database: open it, and the schema is brought up to date."""

    def __init__(
        self, path: str | Path, clock: Callable[[], datetime] = utcnow, readonly: bool = False
    ):
        """``readonly``: for readers (``status``) that must not create or change a thing;
        the database must exist then."""
        self.path = Path(path)
        self.clock = clock
        if readonly:
            self.db = Database(connect_readonly(self.path))
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_S)
        self.db = Database(conn)
        with self.db.ensure_autocommit_on():
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
        if migrations.pending(self.db):  # readers never wait for the write lock
            with self.write():
                migrations.apply(self.db)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def write(self) -> Iterator[Database]:
        """A write transaction that holds the write lock from its first statement."""
        conn = self.db.conn
        if conn.in_transaction:
            with self.db.atomic():
                yield self.db
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
            conn.commit()
        except BaseException:
            conn.rollback()  # also after a failed commit: never leave a transaction open
            raise

    def now(self) -> str:
        return iso(self.clock())

    # -- identity -----------------------------------------------------------------------------

    def story_for_link(self, url: str) -> int | None:
        """The story a link variant (or canonical URL) names, if we have seen it."""
        # Every story's own URL is among its links (add_story records it), so one lookup does.
        row = self.db.execute("SELECT story_id FROM links WHERE url = ?", [url]).fetchone()
        return row[0] if row else None

    def add_story(self, story: NewStory) -> tuple[int, bool]:
        """Store a story once; returns (story id, whether it is new).

        A story whose URL is already stored only adds its link variants: bad or repeated input
        never changes a stored story.
        """
        now = self.now()
        with self.write() as db:
            row = db.execute("SELECT id FROM stories WHERE url = ?", [story.url]).fetchone()
            created = row is None
            if created:
                cursor = db.execute(
                    "INSERT INTO stories (url, title, body, published, authors, feed, first_seen,"
                    " source, extraction, backfill, retries_left, language)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        story.url,
                        story.title,
                        story.body or "",
                        story.published,
                        json.dumps(story.authors, ensure_ascii=False),
                        story.feed,
                        now,
                        story.source,
                        story.extraction,
                        int(story.backfill),
                        story.retries if story.extraction == "feed" else 0,
                        story.language,
                    ],
                )
                story_id = cursor.lastrowid
            else:
                story_id = row[0]
            self._add_links(db, story_id, [story.url, *story.links], story.feed, now)
        return story_id, created

    def credit_story(self, story_id: int, feed: str, backfill: bool) -> None:
        """Which feed a story new in this crawl is credited to, decided once the crawl is over."""
        with self.write() as db:
            db.execute(
                "UPDATE stories SET feed = ?, backfill = ? WHERE id = ?",
                [feed, int(backfill), story_id],
            )

    def stories_to_retry(self, feeds: Iterable[str]) -> list[dict]:
        """Stories kept from their feed entries whose page is due another try."""
        wanted = set(feeds)
        cursor = self.db.execute(
            "SELECT id, url, feed, title, body, published, backfill FROM stories"
            " WHERE retries_left > 0 AND extraction = 'feed' ORDER BY id"
        )
        return [row for row in rows_as_dicts(cursor) if row["feed"] in wanted]

    def spend_retry(self, story_id: int) -> None:
        """Counted before the request, so a crash can never retry a page forever."""
        with self.write() as db:
            db.execute(
                "UPDATE stories SET retries_left = retries_left - 1"
                " WHERE id = ? AND retries_left > 0",
                [story_id],
            )

    def replace_entry_story(self, story: NewStory) -> bool:
        """A page read on a retry: its fields replace the feed entry's; the URL (the key) stays."""
        with self.write() as db:
            cursor = db.execute(
                "UPDATE stories SET title = ?, body = ?, published = ?, authors = ?, source = ?,"
                " language = ?, extraction = 'page', retries_left = 0"
                " WHERE id = ? AND extraction = 'feed'",
                [
                    story.title,
                    story.body or "",
                    story.published,
                    json.dumps(story.authors, ensure_ascii=False),
                    story.source,
                    story.language,
                    story.replaces,
                ],
            )
            if cursor.rowcount:
                self._add_links(
                    db, story.replaces, [story.url, *story.links], story.feed, self.now()
                )
        return bool(cursor.rowcount)

    def note_parse(self, url: str) -> int:
        """Count a parse about to start, committed first; returns how many have started.

        The row goes when a story with this link is stored (by any path), so a count above
        one means earlier parses of this page never finished: the process died in them.
        """
        with self.write() as db:
            db.execute(
                "INSERT INTO parse_attempts (url, tries, last) VALUES (?, 1, ?)"
                " ON CONFLICT(url) DO UPDATE SET tries = tries + 1, last = excluded.last",
                [url, self.now()],
            )
            row = db.execute("SELECT tries FROM parse_attempts WHERE url = ?", [url]).fetchone()
        return row[0]

    @staticmethod
    def _add_links(db: Database, story_id: int, links: Iterable[str], feed, now: str) -> None:
        unique = [link for link in dict.fromkeys(links) if link]
        db.conn.executemany(
            "INSERT OR IGNORE INTO links (url, story_id, feed, first_seen) VALUES (?, ?, ?, ?)",
            [(link, story_id, feed, now) for link in unique],
        )
        db.conn.executemany("DELETE FROM parse_attempts WHERE url = ?", [(u,) for u in unique])

    # -- feeds --------------------------------------------------------------------------------

    def feed_states(self) -> dict[str, dict]:
        return {row["name"]: row for row in self.db["feeds"].rows}

    def feed_state(self, name: str) -> dict | None:
        rows = list(self.db["feeds"].rows_where("name = ?", [name]))
        return rows[0] if rows else None

    def record_polls(self, polls: Iterable[FeedPoll]) -> None:
        """Remember each poll's outcome; validators are kept from the last good poll."""
        now = self.now()
        with self.write() as db:
            for poll in polls:
                self._record_poll(db, poll, now)

    @staticmethod
    def _record_poll(db: Database, poll: FeedPoll, now: str) -> None:
        old = db.execute(
            "SELECT etag, last_modified, body_hash, first_polled, errors FROM feeds WHERE name = ?",
            [poll.name],
        ).fetchone()
        etag, last_modified, body_hash, first_polled, errors = old or ((None,) * 4 + (0,))
        if poll.result == "error":
            errors += 1
        else:
            errors = 0
            if poll.complete:  # a first poll cut short is not over: its stories stay backfill
                first_polled = first_polled or now
            if poll.result == "ok":
                etag, last_modified = poll.etag, poll.last_modified
                body_hash = poll.body_hash
        db.execute(
            "INSERT OR REPLACE INTO feeds (name, url, first_polled, last_poll, last_result,"
            " last_error, http_status, etag, last_modified, body_hash, errors,"
            " next_poll, interval) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                poll.name,
                poll.url,
                first_polled,
                now,
                poll.result,
                poll.error,
                poll.http_status,
                etag,
                last_modified,
                body_hash,
                errors,
                poll.next_poll,
                poll.interval,
            ],
        )

    def story_counts(self) -> dict[str, int]:
        """Stories per feed (the one each is credited to), counted, never stored twice."""
        rows = self.db.execute("SELECT feed, count(*) FROM stories GROUP BY feed")
        return {feed: count for feed, count in rows}

    # -- runs ---------------------------------------------------------------------------------

    def start_run(self) -> int:
        """A run row for this cycle, marked with this process's id (see ``run_of``)."""
        with self.write() as db:
            return db.execute(
                "INSERT INTO runs (started, pid) VALUES (?, ?)", [self.now(), os.getpid()]
            ).lastrowid

    def finish_run(self, run_id: int, **counts: float) -> None:
        columns = ", ".join(f"{name} = ?" for name in counts)
        with self.write() as db:
            db.execute(
                f"UPDATE runs SET finished = ?, {columns} WHERE id = ?",
                [self.now(), *counts.values(), run_id],
            )

    def last_run_id(self) -> int:
        """The newest run's id, 0 when there is none."""
        return self.db.execute("SELECT coalesce(max(id), 0) FROM runs").fetchone()[0]

    def run_of(self, pid: int, after: int) -> dict | None:
        """The run process ``pid`` started after run ``after``, finished or not; None if none.

        A parent notes ``last_run_id()`` before it starts a crawl child, then asks for the row of
        the child's pid: pids are reused only long after, and rows are never reused.
        """
        cursor = self.db.execute(
            "SELECT * FROM runs WHERE pid = ? AND id > ? ORDER BY id LIMIT 1", [pid, after]
        )
        rows = rows_as_dicts(cursor)
        return rows[0] if rows else None

    # -- reading ------------------------------------------------------------------------------

    def story(self, story_id: int) -> dict | None:
        rows = list(self.db["stories"].rows_where("id = ?", [story_id]))
        return rows[0] if rows else None

    def count(self, table: str) -> int:
        return self.db[table].count

    def feeds_with_stories_after(self, story_id: int) -> list[str]:
        rows = self.db.execute(
            "SELECT DISTINCT feed FROM stories WHERE id > ? AND feed IS NOT NULL", [story_id]
        )
        return [row[0] for row in rows]

    def extraction_health(self, feed: str, last_n: int = 20, skip: int = 0) -> dict:
        """Share of a feed's last ``last_n`` stories (newest first, ``skip`` newer ones left
        out) that have a body, a date and authors: a drop means the site changed its layout."""
        rows = self.db.execute(
            "SELECT body != '' AND body IS NOT NULL, published IS NOT NULL,"
            " authors IS NOT NULL AND authors NOT IN ('', '[]')"
            " FROM stories WHERE feed = ? ORDER BY id DESC LIMIT ? OFFSET ?",
            [feed, last_n, skip],
        ).fetchall()
        n = len(rows)

        def share(column: int) -> float | None:
            return sum(bool(row[column]) for row in rows) / n if n else None

        return {"n": n, "share_body": share(0), "share_date": share(1), "share_authors": share(2)}
