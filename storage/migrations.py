"""Schema of the newswatch database, as sqlite-utils migrations applied in order on open.

``stories`` and ``alerts`` are public (see the README); the rest is our bookkeeping.
A migration is never edited once released: a change is a new function at the end.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("newswatch")

# Case- and accent-insensitive, as the contract promises for topic queries.
FTS_TOKENIZE = "unicode61 remove_diacritics 2"


@migrations()
def m001_initial(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE stories (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL UNIQUE,
            title TEXT,
            body TEXT NOT NULL DEFAULT '',
            published TEXT,
            authors TEXT NOT NULL DEFAULT '[]',
            feed TEXT,
            first_seen TEXT NOT NULL,
            source TEXT,
            extraction TEXT NOT NULL DEFAULT 'page',
            backfill INTEGER NOT NULL DEFAULT 0
        )
        """
    )
    db.execute("CREATE INDEX stories_first_seen ON stories(first_seen)")
    # Every link variant ever seen (feed links, AMP pages, redirects), so none is fetched twice.
    db.execute(
        """
        CREATE TABLE links (
            url TEXT PRIMARY KEY,
            story_id INTEGER NOT NULL REFERENCES stories(id),
            feed TEXT,
            first_seen TEXT NOT NULL
        ) WITHOUT ROWID
        """
    )
    db.execute("CREATE INDEX links_story ON links(story_id)")
    db.execute(
        """
        CREATE TABLE feeds (
            name TEXT PRIMARY KEY,
            url TEXT NOT NULL,
            first_polled TEXT,
            last_poll TEXT,
            last_result TEXT,
            last_error TEXT,
            http_status INTEGER,
            etag TEXT,
            last_modified TEXT,
            body_hash TEXT,
            stories INTEGER NOT NULL DEFAULT 0,
            errors INTEGER NOT NULL DEFAULT 0,
            next_poll TEXT,
            interval REAL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE alerts (
            id INTEGER PRIMARY KEY,
            story_id INTEGER NOT NULL REFERENCES stories(id),
            topic TEXT NOT NULL,
            created TEXT NOT NULL,
            terms TEXT NOT NULL DEFAULT '[]',
            snippet TEXT NOT NULL DEFAULT '',
            delivered TEXT,
            UNIQUE (story_id, topic)
        )
        """
    )
    db.execute("CREATE INDEX alerts_undelivered ON alerts(delivered) WHERE delivered IS NULL")
    db.execute(
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            started TEXT NOT NULL,
            finished TEXT,
            feeds_ok INTEGER NOT NULL DEFAULT 0,
            feeds_not_modified INTEGER NOT NULL DEFAULT 0,
            feeds_failed INTEGER NOT NULL DEFAULT 0,
            new_stories INTEGER NOT NULL DEFAULT 0,
            known_skipped INTEGER NOT NULL DEFAULT 0,
            errors INTEGER NOT NULL DEFAULT 0,
            alerts INTEGER NOT NULL DEFAULT 0
        )
        """
    )
    db["stories"].enable_fts(["title", "body"], create_triggers=True, tokenize=FTS_TOKENIZE)


@migrations()
def m002_topics(db: Database) -> None:
    # Topics as of the last cycle; matched_through is the highest story id each was matched
    # against, so matching resumes after a crash and a new topic skips older stories.
    db.execute(
        """
        CREATE TABLE topics (
            name TEXT PRIMARY KEY,
            query TEXT NOT NULL,
            first_seen TEXT NOT NULL,
            matched_through INTEGER NOT NULL DEFAULT 0
        )
        """
    )
    db.execute("CREATE INDEX alerts_created ON alerts(created)")  # listings and the digest window
    # A hash of a story's text: a syndicated copy (same text, another outlet's URL) is not
    # alerted again for a topic that already alerted the original.
    db.execute("ALTER TABLE alerts ADD COLUMN content_key TEXT")
    db.execute("CREATE INDEX alerts_content ON alerts(topic, content_key)")


@migrations()
def m003_stories_by_feed(db: Database) -> None:
    # Extraction health reads a feed's latest stories after every cycle.
    db.execute("CREATE INDEX IF NOT EXISTS stories_feed ON stories(feed, id)")


@migrations()
def m004_page_retries(db: Database) -> None:
    # A story kept from its feed entry after a transient failure (5xx, timeout) has its page
    # asked for again this many more times; a page that answers then replaces the entry's text.
    db.execute("ALTER TABLE stories ADD COLUMN retries_left INTEGER NOT NULL DEFAULT 0")
    db.execute("CREATE INDEX stories_retry ON stories(retries_left) WHERE retries_left > 0")


@migrations()
def m005_feeds_without_story_count(db: Database) -> None:
    # Stories per feed are counted from ``stories`` (indexed) rather than kept twice.
    db["feeds"].transform(drop={"stories"})


@migrations()
def m006_parse_attempts(db: Database) -> None:
    # Pages whose parse started and never finished: a page that kills the crawl process
    # (a crash in a C library, the memory killer) would otherwise be fetched and parsed again,
    # and kill the crawl again, every cycle. A stored story clears its links' rows.
    db.execute(
        """
        CREATE TABLE parse_attempts (
            url TEXT PRIMARY KEY,
            tries INTEGER NOT NULL,
            last TEXT NOT NULL
        )
        """
    )


@migrations()
def m007_run_summary(db: Database) -> None:
    # Everything a cycle's summary line shows, so ``newswatch run`` reads its child's counts here
    # rather than from the child's stdout; ``pid`` is the process that ran the cycle, which is
    # how the daemon tells its own child's row from a manual crawl's.
    for column, kind in (
        ("feeds", "INTEGER NOT NULL DEFAULT 0"),
        ("new_from_feed", "INTEGER NOT NULL DEFAULT 0"),
        ("read_on_retry", "INTEGER NOT NULL DEFAULT 0"),
        ("seconds", "REAL"),
        ("completed", "INTEGER"),
        ("pid", "INTEGER"),
    ):
        db.execute(f"ALTER TABLE runs ADD COLUMN {column} {kind}")


@migrations()
def m008_notifications(db: Database) -> None:
    # A channel (a configured notify URL, by name) is owed each alert logged after it first
    # appeared (``alert_through``); ``failures`` and ``retry_at`` are its backoff.
    db.execute(
        """
        CREATE TABLE channels (
            name TEXT PRIMARY KEY,
            first_seen TEXT NOT NULL,
            alert_through INTEGER NOT NULL,
            failures INTEGER NOT NULL DEFAULT 0,
            failing_since TEXT,
            retry_at TEXT,
            last_attempt TEXT,
            last_ok TEXT,
            last_error TEXT
        )
        """
    )
    # One row per (alert, channel): pending until the channel accepted it, then sent; failed
    # once its attempts reached the limit. At least once: a row is marked only after the send.
    db.execute(
        """
        CREATE TABLE deliveries (
            alert_id INTEGER NOT NULL REFERENCES alerts(id),
            channel TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            created TEXT NOT NULL,
            sent TEXT,
            last_error TEXT,
            PRIMARY KEY (alert_id, channel)
        ) WITHOUT ROWID
        """
    )
    db.execute("CREATE INDEX deliveries_by_state ON deliveries(channel, state, alert_id)")
    db.execute("ALTER TABLE runs ADD COLUMN notified INTEGER NOT NULL DEFAULT 0")


@migrations()
def m009_reading(db: Database) -> None:
    # The language a story's page states (``id``, ``en``): the digest tells a browser with it.
    db.execute("ALTER TABLE stories ADD COLUMN language TEXT")
    # A topic's latest alerts (its Atom feed) and its newest alert, without a scan.
    db.execute("CREATE INDEX alerts_by_topic ON alerts(topic, id)")
    # This database's own id, random, so the Atom entry ids of two installs never collide.
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute("INSERT INTO meta (key, value) VALUES ('install_id', lower(hex(randomblob(8))))")
    # What each Atom feed file was written from: rewritten when its topic has a newer alert,
    # or the settings it was written with changed.
    db.execute(
        """
        CREATE TABLE atom_feeds (
            name TEXT PRIMARY KEY,
            through INTEGER NOT NULL,
            settings TEXT NOT NULL
        )
        """
    )


@migrations()
def m010_story_clusters(db: Database) -> None:
    # Syndicated copies of one report (a wire story on a dozen sister sites) form a cluster,
    # named by its earliest story's id; a story alone is its own cluster. The MinHash signature
    # of each story with enough text, and its LSH band keys: an index to find a new story's
    # near-duplicates without reading old stories (see scheduler/clustering.py).
    db.execute("ALTER TABLE stories ADD COLUMN cluster_id INTEGER")
    db.execute("CREATE INDEX stories_by_cluster ON stories(cluster_id)")
    db.execute("ALTER TABLE alerts ADD COLUMN cluster_id INTEGER")
    db.execute("CREATE INDEX alerts_by_cluster ON alerts(topic, cluster_id)")
    db.execute(
        """
        CREATE TABLE story_signatures (
            story_id INTEGER PRIMARY KEY REFERENCES stories(id),
            signature BLOB NOT NULL,
            host TEXT NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE story_bands (
            band_key INTEGER NOT NULL,
            story_id INTEGER NOT NULL,
            PRIMARY KEY (band_key, story_id)
        ) WITHOUT ROWID
        """
    )
    # An alert from before names its story's cluster: a copy of that story arriving now does
    # not alert its topic again.
    db.execute("UPDATE alerts SET cluster_id = story_id")
    # Stories stored before clustering existed stay their own clusters: matching starts after.
    db.execute(
        "INSERT INTO meta (key, value) SELECT 'clustered_through', coalesce(max(id), 0)"
        " FROM stories"
    )
