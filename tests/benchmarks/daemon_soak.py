"""Daemon soak: ``newswatch run`` for many short cycles; does the daemon's memory stay flat?

Not part of the test run (no ``test_`` prefix). It serves a handful of feeds on loopback (each
answers 304 once it has been fetched, like a quiet outlet), starts the daemon as a user would
(``python -m newswatch run``) with ``schedule.interval`` short, follows its log, and samples the
daemon process (not its crawl children) from /proc after each cycle line:

- resident memory (VmRSS) at cycle 10 and at the last cycle; growth must stay under 10 MB;
- the daemon's own CPU time per idle cycle (user + system, cycles 10..N, averaged);
- open file descriptors and threads at both points (leaks show there first);
- the crawl children's CPU per cycle, for scale.

Then it sends SIGTERM and reports the exit status and the wall time.

Usage, from the repository root::

    python tests/benchmarks/daemon_soak.py [--cycles 1000] [--interval 1s] [--feeds 5]
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from newswatch import command

TESTS = Path(__file__).resolve().parents[1]
REPO = TESTS.parent
sys.path.insert(0, str(TESTS))

from conftest import NewsServer, rss, write_config  # noqa: E402

CYCLE_RE = re.compile(r"cycle (\d+) (ok|failed|overran|skipped|stopped)")
MAX_GROWTH_MB = 10.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def page(title: str) -> str:
    text = "".join(
        f"<p>Paragraph {i}: officials said on Tuesday that the talks would continue, and the"
        f" report added more detail about what happened next in the region.</p>"
        for i in range(4)
    )
    head = f"<html><head><title>{title}</title></head>"
    return f"{head}<body><article><h1>{title}</h1>{text}</article></body></html>"


def sample(pid: int) -> dict:
    """The daemon's RSS (kB), own and children's CPU (s), fds and threads, from /proc."""
    status = Path(f"/proc/{pid}/status").read_text()
    rss_kb = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
    threads = int(re.search(r"Threads:\s+(\d+)", status).group(1))
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    return {
        "rss_kb": rss_kb,
        "cpu": (utime + stime) / CLOCK_TICKS,
        "child_cpu": (cutime + cstime) / CLOCK_TICKS,
        "fds": len(os.listdir(f"/proc/{pid}/fd")),
        "threads": threads,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=1000)
    parser.add_argument("--interval", default="1s", help="schedule.interval (default 1s)")
    parser.add_argument("--feeds", type=int, default=5)
    args = parser.parse_args()
    first = min(10, args.cycles)

    server = NewsServer()
    server.server.start()
    feeds = []
    for n in range(args.feeds):
        items = []
        for k in range(2):
            path = f"/news/{n}-{k}.html"
            server.add(path, page(f"Story {n}-{k} about talks"))
            items.append({"title": f"Story {n}-{k}", "link": server.url(path)})
        server.add(
            f"/feed{n}.xml", rss(items), content_type="application/rss+xml", conditional=True
        )
        feeds.append((f"feed-{n}", server.url(f"/feed{n}.xml")))

    with tempfile.TemporaryDirectory(prefix="newswatch-soak-") as tmp:
        tmp_path = Path(tmp)
        config = write_config(
            tmp_path,
            feeds,
            [("talks", "talks")],
            schedule={
                "interval": args.interval,
                "min_interval": args.interval,
                "max_interval": args.interval,
                "deadline": "60s",
            },
        )
        log = tmp_path / "daemon.log"
        started = time.monotonic()
        daemon = subprocess.Popen(
            command("run", "-c", str(config), "--log-file", str(log)),
            stdout=subprocess.DEVNULL,
        )
        points: dict[int, dict] = {}
        outcomes: dict[str, int] = {}
        seen = 0
        try:
            while not log.exists():
                time.sleep(0.1)
            with log.open(encoding="utf-8") as lines:
                while seen < args.cycles:
                    line = lines.readline()
                    if not line:
                        if daemon.poll() is not None:
                            raise SystemExit(f"daemon exited with {daemon.returncode}")
                        time.sleep(0.05)
                        continue
                    match = CYCLE_RE.search(line)
                    if not match:
                        continue
                    seen = int(match.group(1))
                    outcomes[match.group(2)] = outcomes.get(match.group(2), 0) + 1
                    if seen in (first, args.cycles) or seen % 100 == 0:
                        points[seen] = sample(daemon.pid)
                        print(f"cycle {seen}: {points[seen]}", flush=True)
        finally:
            daemon.send_signal(signal.SIGTERM)
            status = daemon.wait(timeout=60)
            server.server.close()
        wall = time.monotonic() - started

    a, b = points[first], points[args.cycles]
    growth_mb = (b["rss_kb"] - a["rss_kb"]) / 1024
    cycles = args.cycles - first
    print()
    print(f"cycles: {args.cycles} at schedule.interval {args.interval}, {args.feeds} feeds (304)")
    print(f"outcomes: {outcomes}")
    print(f"wall time: {wall:.0f}s ({wall / args.cycles:.2f}s per cycle)")
    print(f"daemon RSS at cycle {first}: {a['rss_kb'] / 1024:.1f} MB")
    print(f"daemon RSS at cycle {args.cycles}: {b['rss_kb'] / 1024:.1f} MB")
    print(f"growth: {growth_mb:+.2f} MB (limit {MAX_GROWTH_MB:g} MB)")
    if cycles:
        cpu_ms = (b["cpu"] - a["cpu"]) / cycles * 1000
        child_ms = (b["child_cpu"] - a["child_cpu"]) / cycles * 1000
        print(f"daemon CPU per idle cycle: {cpu_ms:.1f} ms (crawl child: {child_ms:.0f} ms)")
    print(f"fds: {a['fds']} -> {b['fds']}; threads: {a['threads']} -> {b['threads']}")
    print(f"daemon exit status after SIGTERM: {status}")
    ok = growth_mb < MAX_GROWTH_MB and status == 0
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
