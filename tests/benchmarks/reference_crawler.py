"""Reference crawler: the naive yardstick of issue 15, not part of the product.

One standard-Python file (the standard library, feedparser, trafilatura and PyYAML, no
newswatch import) that speaks the outside of newswatch the benchmark reads
(``../shared/bench/CONTRACT.md``): ``crawl -c CONFIG`` runs one cycle and fills the same
``stories`` and ``alerts`` tables and the same JSONL alert log. It is the "simple reference
implementation" behind the figures in the bench README's feedfarm section, kept here so that it
runs in the same feedfarm session as newswatch, on the same machine:

- a pool of 64 threads; every feed fetched with urllib, with conditional GET (``If-None-Match``
  and ``If-Modified-Since`` from its own ``feed_state`` table in the same database);
- feeds answered 200 parsed by feedparser from bytes; links already stored are skipped (a set of
  the stored URLs: no dedup beyond the URL, the URL stored as it is);
- each new link fetched once, by the same pool, and read by ``trafilatura.bare_extraction``
  (title, body, date, authors);
- every topic matched with FTS5 (``unicode61 remove_diacritics 2``) over the new rows only; the
  alerts inserted and appended to the alert log.

``--fetcher scrapy`` runs the same cycle with Scrapy as its HTTP client instead of the threads
(``fetch_with_scrapy``): still nothing of newswatch, so it is the floor of any crawler whose
feeds Scrapy fetches, which newswatch's architecture decides. newswatch against it says what
newswatch itself costs; the threads against it, what Scrapy costs.

It has no Scrapy (unless asked), no politeness (no robots.txt, no per-host limit, no delay), no
retries and no digest (feedfarm does not read one). A feed whose new links could not all be
stored keeps its old validators, so it is read again in full next time.

Beside newswatch, from the repository root, one feedfarm run each, one after the other::

    python3 ../shared/bench/feedfarm.py --cmd "newswatch" --work work/farm-newswatch
    python3 ../shared/bench/feedfarm.py --work work/farm-reference \\
        --cmd "$PWD/.venv/bin/python $PWD/tests/benchmarks/reference_crawler.py"

    python3 ../shared/bench/feedfarm.py --work work/farm-scrapy-floor \
        --cmd "$PWD/.venv/bin/python $PWD/tests/benchmarks/reference_crawler.py --fetcher scrapy"

(newsbench takes the same ``--cmd``.)

(feedfarm runs the command in its WORKDIR, so the paths must be absolute.) Run alone::

    python tests/benchmarks/reference_crawler.py [--fetcher scrapy] crawl -c config.yaml
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import trafilatura
import yaml

THREADS = 64
USER_AGENT = "newswatch-reference/0.1"
SCHEMA = """
CREATE TABLE IF NOT EXISTS stories (
    id INTEGER PRIMARY KEY, url TEXT UNIQUE NOT NULL, title TEXT, body TEXT, published TEXT,
    authors TEXT NOT NULL DEFAULT '[]', feed TEXT, first_seen TEXT);
CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY, story_id INTEGER NOT NULL REFERENCES stories(id),
    topic TEXT NOT NULL, created TEXT NOT NULL, UNIQUE (story_id, topic));
CREATE TABLE IF NOT EXISTS feed_state (url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT);
CREATE VIRTUAL TABLE IF NOT EXISTS stories_fts USING fts5(
    title, body, content='stories', content_rowid='id',
    tokenize='unicode61 remove_diacritics 2');
"""


class ConfigError(Exception):
    """The config cannot be used (exit status 2)."""


def load_config(path):
    """The parts of config.yaml this crawler uses; relative paths start at the config's folder."""
    try:
        raw = yaml.load(
            path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        )
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    if (
        not isinstance(raw, dict)
        or not raw.get("database")
        or not isinstance(raw.get("feeds"), list)
    ):
        raise ConfigError(f"{path}: needs 'database' and a list of 'feeds'")
    alerts, crawl = raw.get("alerts") or {}, raw.get("crawl") or {}
    here = path.resolve().parent
    try:
        return {
            "database": here / str(raw["database"]),
            "log": here / str(alerts["log"]) if alerts.get("log") else None,
            "backfill": bool(alerts.get("backfill", False)),
            "feeds": [(str(f["name"]), str(f["url"])) for f in raw["feeds"]],
            "topics": [(str(t["name"]), str(t["query"])) for t in raw.get("topics") or []],
            "timeout": float(crawl.get("timeout", 30)),
            "max_bytes": int(crawl.get("max_page_bytes", 5_000_000)),
            "user_agent": str(crawl.get("user_agent", USER_AGENT)),
        }
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: bad feed, topic or crawl value: {exc!r}") from exc


def fetch(url, headers, cfg):
    """GET with urllib: (status, response headers, body). A 304 comes back as status 304."""
    request = urllib.request.Request(url, headers={"User-Agent": cfg["user_agent"], **headers})
    try:
        with urllib.request.urlopen(request, timeout=cfg["timeout"]) as response:
            return response.status, response.headers, response.read(cfg["max_bytes"])
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return 304, exc.headers, b""
        raise


def conditional_headers(url, validators):
    etag, modified = validators.get(url, (None, None))
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if modified:
        headers["If-Modified-Since"] = modified
    return headers


def links_in(data):
    return [entry.get("link") for entry in feedparser.parse(data).entries if entry.get("link")]


def poll_feed(name, url, validators, cfg):
    """One feed: (name, url, status, new validators, links in feed order)."""
    status, response_headers, data = fetch(url, conditional_headers(url, validators), cfg)
    if status == 304:
        return name, url, 304, None, []
    return (
        name,
        url,
        status,
        (response_headers.get("ETag"), response_headers.get("Last-Modified")),
        links_in(data),
    )


def extract(data, url):
    """One article page read by trafilatura: the story's fields, or None without a body."""
    found = trafilatura.bare_extraction(data, url=url, with_metadata=True, include_comments=False)
    doc = found.as_dict() if found else {}
    if not doc.get("text"):
        return None
    body = "\n\n".join(line.strip() for line in doc["text"].splitlines() if line.strip())
    authors = [a.strip() for a in (doc.get("author") or "").split(";") if a.strip()]
    return {
        "title": doc.get("title") or "",
        "body": body,
        "published": doc.get("date"),
        "authors": authors,
    }


def read_article(url, cfg):
    _, _, data = fetch(url, {}, cfg)
    return extract(data, url)


class Harvest:
    """What the fetch phase learns, whichever client fetched: feeds answered, pages read."""

    def __init__(self, cfg, known, validators):
        self.cfg, self.known, self.validators = cfg, known, validators
        self.failures, self.first_feed, self.alertable = [], {}, {}
        self.feed_links, self.new_validators, self.pages = {}, {}, {}

    def feed_answered(self, key, url, status, new, links):
        """A feed's answer; returns its links to fetch now (new, and not asked yet)."""
        if status == 304:
            return []
        self.new_validators[url], self.feed_links[url] = new, links
        was_polled = url in self.validators
        to_fetch = []
        for link in links:
            if link in self.known:
                continue
            # backfill off: a story only in feeds polled for the first time is not alerted
            alertable = self.alertable.get(link, False) or self.cfg["backfill"] or was_polled
            self.alertable[link] = alertable
            if link not in self.first_feed:  # not asked yet
                to_fetch.append(link)
            # credited to the first configured feed that lists it
            self.first_feed[link] = min(self.first_feed.get(link, key), key)
        return to_fetch

    def failed(self, what, exc):
        self.failures.append(f"{what}: {exc!r}")


def fetch_with_threads(cfg, harvest):
    """The naive client: a pool of 64 threads of urllib, pages parsed as they come."""
    with ThreadPoolExecutor(THREADS) as pool:
        feed_jobs = {
            pool.submit(poll_feed, name, url, harvest.validators, cfg): (i, name)
            for i, (name, url) in enumerate(cfg["feeds"])
        }
        article_jobs = {}
        for job in as_completed(feed_jobs):
            try:
                name, url, status, new, links = job.result()
            except Exception as exc:  # noqa: BLE001 - a failed feed is reported, the cycle goes on
                harvest.failed(feed_jobs[job][1], exc)
                continue
            for link in harvest.feed_answered(feed_jobs[job], url, status, new, links):
                article_jobs[link] = pool.submit(read_article, link, cfg)
        for link, job in article_jobs.items():
            try:
                harvest.pages[link] = job.result()
            except Exception as exc:  # noqa: BLE001
                harvest.failed(link, exc)


def fetch_with_scrapy(cfg, harvest):
    """The same fetch phase with Scrapy as the HTTP client, and nothing of newswatch: the floor
    of any crawler whose feeds Scrapy fetches. Scrapy is set up as newswatch sets it up (the
    asyncio reactor; cookies, retries, telnet, remote control, the downloader's stats, Referer,
    the memory check and the rate log off), with the reference's own limits: 64 requests at
    once, none per host, no robots.txt. Pages are parsed in the callbacks, on the reactor
    thread (one core, as the threads share one under the GIL)."""
    import scrapy
    from scrapy.crawler import CrawlerProcess

    class ReferenceSpider(scrapy.Spider):
        name = "reference"

        async def start(self):
            for i, (name, url) in enumerate(cfg["feeds"]):
                yield scrapy.Request(
                    url,
                    headers=conditional_headers(url, harvest.validators),
                    callback=self.feed,
                    errback=self.failed,
                    dont_filter=True,
                    meta={"handle_httpstatus_list": [304], "what": name},
                    cb_kwargs={"key": (i, name), "url": url},
                )

        def feed(self, response, key, url):
            if response.status == 304:
                return
            new = tuple(
                (response.headers.get(h) or b"").decode("latin-1") or None
                for h in (b"ETag", b"Last-Modified")
            )
            links = links_in(response.body)
            for link in harvest.feed_answered(key, url, response.status, new, links):
                yield scrapy.Request(
                    link,
                    callback=self.page,
                    errback=self.failed,
                    dont_filter=True,
                    meta={"what": link},
                    cb_kwargs={"link": link},
                )

        def page(self, response, link):
            try:
                harvest.pages[link] = extract(response.body, link)
            except Exception as exc:  # noqa: BLE001
                harvest.failed(link, exc)

        def failed(self, failure):
            harvest.failed(failure.request.meta["what"], failure.value)

    process = CrawlerProcess(
        {
            "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
            "USER_AGENT": cfg["user_agent"],
            "CONCURRENT_REQUESTS": THREADS,
            "CONCURRENT_REQUESTS_PER_DOMAIN": THREADS,
            "ROBOTSTXT_OBEY": False,
            "DOWNLOAD_TIMEOUT": cfg["timeout"],
            "DOWNLOAD_MAXSIZE": cfg["max_bytes"],
            "COOKIES_ENABLED": False,
            "RETRY_ENABLED": False,
            "TELNETCONSOLE_ENABLED": False,
            "REMOTE_CONTROL_ENABLED": False,
            "WARN_ON_GENERATOR_RETURN_VALUE": False,
            "CONCURRENT_ITEMS": 1,
            "DOWNLOADER_STATS": False,
            "REFERER_ENABLED": False,
            "MEMUSAGE_ENABLED": False,
            "LOGSTATS_INTERVAL": 0,
            "LOG_LEVEL": "ERROR",
        }
    )
    process.crawl(ReferenceSpider)
    process.start()


FETCHERS = {"threads": fetch_with_threads, "scrapy": fetch_with_scrapy}


def crawl(cfg, fetcher="threads"):
    """One cycle: feeds, new articles, stories, topic matches, alerts. Returns the failures."""
    cfg["database"].parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(cfg["database"], check_same_thread=False)
    db.executescript(SCHEMA)
    known = {url for (url,) in db.execute("SELECT url FROM stories")}
    validators = {
        url: (e, m) for url, e, m in db.execute("SELECT url, etag, last_modified FROM feed_state")
    }
    harvest = Harvest(cfg, known, validators)
    FETCHERS[fetcher](cfg, harvest)
    failures, first_feed, alertable = harvest.failures, harvest.first_feed, harvest.alertable
    feed_links, new_validators, pages = harvest.feed_links, harvest.new_validators, harvest.pages

    # Stories in the order of their feeds in the config.
    first_feed = {link: name for link, (_, name) in sorted(first_feed.items(), key=lambda x: x[1])}
    links = [link for link in first_feed if pages.get(link)]
    now = datetime.now(UTC).isoformat(timespec="seconds")
    (last_id,) = db.execute("SELECT coalesce(max(id), 0) FROM stories").fetchone()
    stories = {}
    with db:
        for link in links:
            page = pages[link]
            row = (
                link,
                page["title"],
                page["body"],
                page["published"],
                json.dumps(page["authors"]),
                first_feed[link],
                now,
            )
            story_id = db.execute(
                "INSERT INTO stories (url, title, body, published, authors, feed, first_seen)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                row,
            ).lastrowid
            db.execute(
                "INSERT INTO stories_fts (rowid, title, body) VALUES (?, ?, ?)",
                (story_id, page["title"], page["body"]),
            )
            stories[story_id] = link
        for url, (etag, modified) in new_validators.items():
            if all(link in known or pages.get(link) for link in feed_links[url]):
                db.execute(
                    "INSERT OR REPLACE INTO feed_state (url, etag, last_modified) VALUES (?, ?, ?)",
                    (url, etag, modified),
                )

    # Topics over the new rows only.
    lines = []
    with db:
        for topic, query in cfg["topics"]:
            try:
                hits = db.execute(
                    "SELECT rowid FROM stories_fts WHERE stories_fts MATCH ? AND rowid > ?"
                    " ORDER BY rowid",
                    (query, last_id),
                ).fetchall()
            except sqlite3.OperationalError as exc:
                failures.append(f"topic {topic}: {exc}")
                continue
            for (story_id,) in hits:
                link = stories[story_id]
                if not alertable[link]:
                    continue
                cursor = db.execute(
                    "INSERT OR IGNORE INTO alerts (story_id, topic, created) VALUES (?, ?, ?)",
                    (story_id, topic, now),
                )
                if cursor.rowcount:
                    page = pages[link]
                    lines.append(
                        json.dumps(
                            {
                                "alert_id": cursor.lastrowid,
                                "topic": topic,
                                "url": link,
                                "title": page["title"],
                                "published": page["published"],
                                "feed": first_feed[link],
                                "created": now,
                                "snippet": page["body"][:200],
                            },
                            ensure_ascii=False,
                        )
                    )
    if lines and cfg["log"]:
        cfg["log"].parent.mkdir(parents=True, exist_ok=True)
        with open(cfg["log"], "a", encoding="utf-8") as log:
            log.write("\n".join(lines) + "\n")
    db.close()
    print(
        f"reference crawl: {len(cfg['feeds'])} feeds ({len(new_validators)} changed), "
        f"{len(stories)} new stories, {len(lines)} alerts, {len(failures)} failures"
    )
    return failures


def main(argv=None):
    """``crawl -c CONFIG``: 0 when the cycle ran (failures are reported), 2 on a bad config."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # Before the command: feedfarm and newsbench append "crawl -c CONFIG" to the command given.
    parser.add_argument(
        "--fetcher",
        choices=sorted(FETCHERS),
        default="threads",
        help="the HTTP client: 64 threads of urllib (the reference), or Scrapy (its floor)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    crawl_command = commands.add_parser("crawl", help="one crawl cycle")
    crawl_command.add_argument("-c", "--config", type=Path, default=Path("config.yaml"))
    args = parser.parse_args(argv)
    try:
        cfg = load_config(args.config)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for failure in crawl(cfg, args.fetcher):
        print(f"failed: {failure}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
