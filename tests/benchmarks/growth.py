"""Growth benchmark: does a cycle's work cost more as the store fills up to a million stories?

Not part of the test run (no ``test_`` prefix). A store is filled with stories of generated
text (a Zipf-distributed vocabulary and a few thousand two-word names, so common words have
long FTS5 doclists, as in a real archive), one link each, first seen a month ago. At each size
a warm cycle's work that touches the store is timed (CPU), without the network:

- ``links``: 10,000 feed entries looked up (9,800 known, 200 new), as the spider does;
- ``store``: the 200 new stories written;
- ``after crawl``: clustering, the 1,000 topics matched over the new stories, the alert log;
- ``digest`` and ``atom``: rewritten from the alerts (the window's, not the store's).

Usage, from the repository root::

    python tests/benchmarks/growth.py [--sizes 10000 100000 1000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newswatch.scheduler.config import load_config
from newswatch.scheduler.cycle import after_crawl, before_crawl
from newswatch.scheduler.delivery.atom import update_feeds
from newswatch.scheduler.delivery.digest import update_digest
from newswatch.storage.store import NewStory, Store, iso

VOCABULARY = 20_000
NAMES = 3_000
TOPICS = 1_000
NEW = 200
LOOKUPS = 10_000


class Words:
    def __init__(self, seed: int) -> None:
        rng = random.Random(seed)
        syllables = "ka ri mu to se la pe no bu di ga ya wi ho ze sa ma".split()  # noqa: SIM905
        made = set()
        while len(made) < VOCABULARY + 2 * NAMES:
            made.add("".join(rng.choices(syllables, k=rng.randint(2, 5))))
        made = sorted(made)
        rng.shuffle(made)
        self.words = made[:VOCABULARY]
        rest = made[VOCABULARY:]
        self.names = [
            f"{a.title()} {b.title()}" for a, b in zip(rest[::2], rest[1::2], strict=True)
        ]
        weights = [1 / (rank + 1) for rank in range(VOCABULARY)]  # Zipf: a few very common
        self.cumulative = list(_accumulate(weights))
        self.rng = rng

    def body(self, n: int = 120) -> str:
        words = self.rng.choices(self.words, cum_weights=self.cumulative, k=n)
        for _ in range(3):
            words.insert(self.rng.randrange(n), self.rng.choice(self.names))
        return " ".join(words) + "."


def _accumulate(values):
    total = 0.0
    for value in values:
        total += value
        yield total


def write_config(folder: Path, words: Words) -> Path:
    rng = random.Random(3)
    topics = []
    for i in range(TOPICS):
        a, b = rng.sample(words.names, 2)
        query = [f'"{a}"', f'"{a}" OR "{b}"', f'"{a}" NOT "{b}"'][i % 3]
        topics.append({"name": f"topic-{i}", "query": query})
    config = {
        "database": str(folder / "newswatch.db"),
        "feeds": [{"name": f"feed-{i}", "url": f"http://127.0.0.1:9/{i}.xml"} for i in range(50)],
        "topics": topics,
        "alerts": {
            "log": str(folder / "alerts.jsonl"),
            "digest": str(folder / "digest.md"),
            "backfill": True,
        },
    }
    path = folder / "config.yaml"
    path.write_text(json.dumps(config))  # JSON is YAML
    return path


def fill(store: Store, words: Words, start: int, stop: int) -> None:
    """Filler stories ``start`` to ``stop - 1`` (``https://oN.example/K``), first seen a month
    ago, each with its link; clustering starts after them, as after an upgrade."""
    seen = iso(datetime.now(UTC) - timedelta(days=30))
    conn = store.db.conn
    for first in range(start, stop, 10_000):
        urls = [f"https://o{k % 50}.example/{k}" for k in range(first, min(first + 10_000, stop))]
        with conn:
            conn.executemany(
                "INSERT INTO stories (url, title, body, feed, first_seen) VALUES (?, ?, ?, 'f', ?)",
                [(url, words.body(8), words.body(), seen) for url in urls],
            )
            conn.executemany(
                "INSERT INTO links (url, story_id, feed, first_seen)"
                " SELECT url, id, 'f', first_seen FROM stories WHERE url = ?",
                [(url,) for url in urls],
            )
    with store.write() as db:  # the filler was matched and clustered when it came
        last = db.execute("SELECT max(id) FROM stories").fetchone()[0]
        db.execute("UPDATE meta SET value = ? WHERE key = 'clustered_through'", [last])
        db.execute("UPDATE topics SET matched_through = ?", [last])


def cycle(store: Store, config, words: Words, filler: int, round_: int) -> dict[str, float]:
    rng = random.Random(round_)
    timings = {}
    start = time.process_time()
    known = [
        f"https://o{i % 50}.example/{i}" for i in rng.sample(range(1, filler + 1), LOOKUPS - NEW)
    ]
    fresh = [f"https://new.example/{filler}/{round_}/{i}" for i in range(NEW)]
    found = sum(store.story_for_link(url) is not None for url in known + fresh)
    assert found == LOOKUPS - NEW
    timings["links"] = time.process_time() - start
    boundary = before_crawl(store, config)
    start = time.process_time()
    for url in fresh:
        store.add_story(NewStory(url, words.body(8), words.body(), None, [], "feed-1"))
    timings["store"] = time.process_time() - start
    start = time.process_time()
    alerts = after_crawl(store, config, boundary)
    timings["after crawl"] = time.process_time() - start
    start = time.process_time()
    update_digest(store, config)
    timings["digest"] = time.process_time() - start
    start = time.process_time()
    update_feeds(store, config)
    timings["atom"] = time.process_time() - start
    timings = {key: round(value * 1000) for key, value in timings.items()}
    timings["alerts"] = alerts
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="*", type=int, default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--keep", type=Path, help="build the store in this folder and keep it")
    args = parser.parse_args()
    words = Words(1)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        config = load_config(write_config(folder, words))
        report = {}
        with Store(config.database) as store:
            filler = 0  # filler stories 1..filler; each size's new stories come after
            for size in sorted(args.sizes):
                started = time.perf_counter()
                fill(store, words, filler + 1, size + 1)
                filled = time.perf_counter() - started
                filler = size
                rounds = [cycle(store, config, words, filler, r) for r in range(3)]
                report[f"{size:,} stories"] = {
                    "fill s": round(filled),
                    "db MB": round(Path(config.database).stat().st_size / 1e6),
                    "CPU ms per warm cycle (3 rounds)": rounds,
                }
                print(json.dumps({f"{size:,}": report[f"{size:,} stories"]}), flush=True)
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
