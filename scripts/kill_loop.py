"""Kill ``newswatch crawl`` with SIGKILL at random moments, then check the alert log is exact.

A loopback site serves one feed that grows by a few matching articles per round; each round
starts ``python -m newswatch crawl`` and kills it after a random (seeded) delay. A final clean
crawl must leave every story the feed lists stored, every alert row delivered, every alert in
the log exactly once, and exactly the alerts the stored stories call for.

The outcome does not depend on how busy the machine is: each feed entry carries its article's
headline, so a story alerts the same topics whether its page was read or it was kept from its
feed entry (a page whose parse a kill cut short twice is); the expected alerts are computed from
the stories stored; and no loopback request can reach the crawl timeout.

    python scripts/kill_loop.py --kills 25 --seed 7 [--window 4.0] [--work DIR]

Exit status 0 when the log is exact, 1 otherwise. ``tests/test_alerts.py`` runs a short version.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from newswatch import command

REPO = Path(__file__).resolve().parent.parent
WORDS = (
    "The minister said the plan would be reviewed by the committee next month, after a long"
    " debate in parliament about the budget and the timing of the new rules for the region."
)


# Seconds a request may take: far beyond what a loopback answer takes on the busiest machine, so
# no page is ever kept from its feed entry for a timeout, and the final crawl reads the feed.
CRAWL_TIMEOUT_S = 300


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def headline(i: int) -> str:
    """Story ``i``'s headline, on its page and in its feed entry alike: its topics are in it."""
    topic = ("Korea Utara" if i % 2 else "North Korea") + (" and Jakarta" if i % 3 == 0 else "")
    return f"Story {i} about {topic}"


def expected_topics(i: int) -> set[str]:
    """The topics story ``i`` alerts: korea always, jakarta for every third story."""
    return {"korea"} | ({"jakarta"} if i % 3 == 0 else set())


def article_page(i: int) -> str:
    paragraphs = "".join(
        f"<p>{WORDS} Paragraph {k} of {headline(i)} once more for good measure.</p>"
        for k in range(4)
    )
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{headline(i)}</title></head><body><header>Site</header>"
        f"<article><h1>{headline(i)}</h1>{paragraphs}</article>"
        "<footer>Footer</footer></body></html>"
    )


def feed_xml(base: str, count: int) -> str:
    items = "".join(
        f"<item><title>{headline(i)}</title><link>{base}/news/{i}.html</link>"
        f"<guid>{base}/news/{i}.html</guid></item>"
        for i in reversed(range(count))
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
        f"<link>{base}/</link><description>t</description>{items}</channel></rss>"
    )


def serve(site: Path) -> tuple[ThreadingHTTPServer, str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(site)))
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


def write_site(site: Path, base: str, count: int) -> None:
    (site / "news").mkdir(parents=True, exist_ok=True)
    for i in range(count):
        page = site / "news" / f"{i}.html"
        if not page.exists():
            page.write_text(article_page(i), encoding="utf-8")
    (site / "feed.xml").write_text(feed_xml(base, count), encoding="utf-8")


def write_config(work: Path, feed_url: str) -> Path:
    config = work / "config.yaml"
    config.write_text(
        "database: newswatch.db\n"
        f"feeds:\n  - name: loop\n    url: {feed_url}\n"
        "topics:\n"
        '  - name: korea\n    query: \'"korea utara" OR "north korea"\'\n'
        "  - name: jakarta\n    query: jakarta\n"
        "alerts:\n  log: alerts.jsonl\n  digest: digest.md\n  backfill: true\n"
        f"crawl:\n  delay: 0\n  timeout: {CRAWL_TIMEOUT_S}\n  obey_robots: false\n"
        "  allow_private_addresses: true\n",
        encoding="utf-8",
    )
    return config


def crawl(config: Path, kill_after: float | None) -> int | None:
    """Run one crawl; kill it with SIGKILL after ``kill_after`` seconds if it is still running."""
    proc = subprocess.Popen(
        command("crawl", "-c", str(config), "--no-progress"),
        cwd=config.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        return proc.wait(timeout=kill_after if kill_after is not None else 300)
    except subprocess.TimeoutExpired:
        if kill_after is None:
            raise
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return None


def check(work: Path, count: int) -> list[str]:
    """Problems with the stories, the alerts table and the alert log; empty when all is exact.

    ``count`` is how many stories the feed lists at the end.
    """
    db = sqlite3.connect(work / "newswatch.db")
    rows = {
        alert_id: (topic, url, delivered)
        for alert_id, topic, url, delivered in db.execute(
            "SELECT a.id, a.topic, s.url, a.delivered FROM alerts a JOIN stories s"
            " ON s.id = a.story_id"
        )
    }
    urls = [url for (url,) in db.execute("SELECT url FROM stories")]
    db.close()
    log = work / "alerts.jsonl"
    raw = log.read_bytes() if log.exists() else b""
    problems = []
    if raw and not raw.endswith(b"\n"):
        problems.append("the log ends in an unfinished line")
    entries = [json.loads(line) for line in raw.decode("utf-8").split("\n") if line]
    counts = Counter(entry["alert_id"] for entry in entries)
    problems += [f"alert {i} logged {n} times" for i, n in counts.items() if n > 1]
    problems += [f"alert {i} not logged" for i in rows if i not in counts]
    problems += [f"alert {i} logged but not a row" for i in counts if i not in rows]
    problems += [f"alert {i} not marked delivered" for i, row in rows.items() if not row[2]]
    for entry in entries:
        row = rows.get(entry["alert_id"])
        if row and (entry["topic"], entry["url"]) != row[:2]:
            problems.append(f"alert {entry['alert_id']} logged as another alert")
    if not rows:
        problems.append("no alerts at all: the loop proved nothing")
    stored = {int(url.rsplit("/", 1)[1].removesuffix(".html")): url for url in urls}
    if sorted(stored) != list(range(count)):
        problems.append(f"{len(stored)} stories stored, the feed lists {count}")
    expected = {(topic, url) for i, url in stored.items() for topic in expected_topics(i)}
    alerted = Counter(row[:2] for row in rows.values())
    problems += [f"no {topic} alert for {url}" for topic, url in expected - set(alerted)]
    problems += [f"unexpected {topic} alert for {url}" for topic, url in set(alerted) - expected]
    problems += [f"{n} {t} alerts for {u}" for (t, u), n in alerted.items() if n > 1]
    return problems


def run(work: Path, kills: int = 10, seed: int = 1, per_round: int = 4, window: float = 4.0):
    """The whole loop in ``work``; returns (problems, kills that hit a running crawl)."""
    rng = random.Random(seed)
    site = work / "site"
    site.mkdir(parents=True, exist_ok=True)
    httpd, base = serve(site)
    try:
        config = write_config(work, f"{base}/feed.xml")
        count = 6
        killed = 0
        for _ in range(kills):
            write_site(site, base, count)
            if crawl(config, rng.uniform(0.2, window)) is None:
                killed += 1
            count += rng.randint(0, per_round)
        write_site(site, base, count)
        rc = crawl(config, None)
        problems = [] if rc == 0 else [f"the clean crawl exited {rc}"]
        return problems + check(work, count), killed
    finally:
        httpd.shutdown()
        httpd.server_close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=25)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--window", type=float, default=4.0, help="max seconds before a kill")
    parser.add_argument("--work", type=Path, help="scratch folder (default: a temporary one)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="kill-loop-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    problems, killed = run(work, args.kills, args.seed, window=args.window)
    print(f"{killed} of {args.kills} crawls killed mid-run; {time.monotonic() - started:.1f}s")
    for problem in problems:
        print("FAIL:", problem)
    print("alert log exact" if not problems else f"{len(problems)} problems; see {work}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
