"""Notifications under fire: 100 alerts to three loopback channels, over simulated cycles.

One channel is healthy, one refuses half of its requests (HTTP 500, seeded), one takes each
request and never answers. The notify step of each cycle runs as the crawl runs it (real apprise,
real SQLite, the real timeouts), on a clock that moves 15 minutes per cycle, so backoff and the
attempt limit play out as they would over hours. It prints, per channel: alerts delivered (the
channel confirmed them), alert ids the receiver saw (repeats included), repeats, alerts given up,
the cycle by which every alert was settled; and the time the notify step added to each cycle.

    python scripts/notify_bench.py [--alerts 100] [--cycles 16] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import statistics
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from newswatch.scheduler.cli.demo.loopback import LoopbackServer, Page
from newswatch.scheduler.config import load_config
from newswatch.scheduler.cycle import after_crawl, before_crawl
from newswatch.scheduler.delivery.notify import notify
from newswatch.storage.store import NewStory, Store

KEY_PREFIX = "newswatch-alerts:"


class Receiver:
    """A webhook on loopback: ``healthy``, ``flaky`` (500 for half, seeded) or ``hanging``."""

    def __init__(self, kind: str, seed: int) -> None:
        self.kind = kind
        self.rng = random.Random(seed)
        self.seen: Counter[int] = Counter()  # alert ids in messages the receiver read
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.server = LoopbackServer(lambda path: None, name=kind, receive=self.post).start()

    def post(self, path: str, body: bytes) -> Page:
        message = json.loads(body)["message"]
        ids = message.rsplit("\n", 1)[-1].removeprefix(KEY_PREFIX).split(",")
        with self.lock:
            refuse = self.kind == "flaky" and self.rng.random() < 0.5
            if not refuse:
                self.seen.update(int(i) for i in ids)
        if self.kind == "hanging":
            self.stop.wait()  # read, never answered
        return Page(b"{}", 500 if refuse else 200, "application/json", conditional=False)

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.server.port}/{self.kind}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--alerts", type=int, default=100)
    parser.add_argument("--cycles", type=int, default=16)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--verbose", action="store_true", help="log each failed send")
    args = parser.parse_args()
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("newswatch").setLevel(logging.WARNING if args.verbose else logging.ERROR)
    receivers = {kind: Receiver(kind, args.seed) for kind in ("healthy", "flaky", "hanging")}
    work = Path(tempfile.mkdtemp(prefix="notify-bench-"))
    (work / "config.yaml").write_text(
        yaml.safe_dump(
            {
                "database": "newswatch.db",
                "feeds": [{"name": "wire", "url": "http://127.0.0.1:9/feed.xml"}],
                "topics": [{"name": "korea", "query": '"north korea"'}],
                "alerts": {"log": "alerts.jsonl", "digest": "digest.md"},
                "notify": [{"name": kind, "url": r.url} for kind, r in receivers.items()],
            }
        )
    )
    config = load_config(work / "config.yaml")
    now = [datetime(2026, 3, 1, 12, 0, tzinfo=UTC)]
    steps: list[float] = []
    settled_by: dict[str, int] = {}
    with Store(config.database, clock=lambda: now[0]) as store:
        boundary = before_crawl(store, config)
        for i in range(args.alerts):
            story = NewStory(
                f"https://e.example/{i}", f"North Korea report {i}", "", None, [], "wire"
            )
            store.add_story(story)
        after_crawl(store, config, boundary)
        for cycle in range(1, args.cycles + 1):
            started = time.monotonic()
            notify(store, config, budget=60.0, clock=lambda: now[0])
            steps.append(time.monotonic() - started)
            states = dict(
                store.db.execute(
                    "SELECT channel, sum(state = 'pending') FROM deliveries GROUP BY channel"
                ).fetchall()
            )
            for kind in receivers:
                if not states.get(kind) and kind not in settled_by:
                    settled_by[kind] = cycle
            now[0] += timedelta(minutes=15)
        rows = store.db.execute(
            "SELECT channel, state, count(*) FROM deliveries GROUP BY channel, state"
        ).fetchall()
    counts = {(channel, state): n for channel, state, n in rows}
    print(f"{args.alerts} alerts, 3 channels, {args.cycles} cycles 15 min apart (seed {args.seed})")
    print(
        f"{'channel':<9}{'delivered':>10}{'seen':>7}{'repeated':>9}{'failed':>8}{'pending':>8}"
        f"{'settled by':>12}"
    )
    for kind, receiver in receivers.items():
        seen = sum(receiver.seen.values())
        print(
            f"{kind:<9}{counts.get((kind, 'sent'), 0):>10}{seen:>7}"
            f"{seen - len(receiver.seen):>9}{counts.get((kind, 'failed'), 0):>8}"
            f"{counts.get((kind, 'pending'), 0):>8}"
            f"{('cycle ' + str(settled_by[kind])) if kind in settled_by else '-':>12}"
        )
    print(
        f"notify step per cycle: first {steps[0]:.2f}s, median {statistics.median(steps):.2f}s,"
        f" max {max(steps):.2f}s"
    )
    for receiver in receivers.values():
        receiver.stop.set()
        receiver.server.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
