"""A loopback crawl of a few hundred hostile feeds: every failure must be one log line.

    python scripts/hostile_feeds.py [--feeds 300] [--keep DIR]

It serves feeds of its own making on 127.0.0.1 (broken XML, HTML pages, JSON, images, empty
answers, HTTP errors, bodies past ``crawl.max_page_bytes``, redirects to private addresses and
to ``file://``, redirect loops, articles that fail each of those ways), adds feeds on hosts that
do not resolve (``.invalid``), on private addresses and on a closed port, and runs one
``newswatch crawl`` over all of them with private addresses refused (only the server's own
127.0.0.1 is let through, as ``tests/loopback_public.py`` does). Then it prints how many feeds,
failures and log lines there were, how many lines were tracebacks (must be 0) and how many
lines each failure took (must be 1), and exits 1 if either is not so.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

from newswatch.scheduler.cli.demo.loopback import LoopbackServer, Page

MAX_PAGE_BYTES = 200_000
# ``newswatch crawl`` with 127.0.0.1 counted as public, every other private address refused.
CRAWL = """
import sys
from newswatch.crawler import middlewares, resolver
shipped = middlewares.address_is_public
def address_is_public(address):
    return address in ("127.0.0.1", "::1") or shipped(address)
middlewares.address_is_public = resolver.address_is_public = address_is_public
from newswatch.scheduler.cli import main
main(prog_name="newswatch")
"""
ARTICLE = (
    "<!DOCTYPE html><html><head><title>Berita {n}</title></head><body><article><h1>Berita {n}"
    "</h1>"
    + "<p>Isi berita yang cukup panjang untuk dibaca sebagai sebuah artikel. </p>" * 12
    + "</article></body></html>"
)


def rss(base: str, links: list[str], title: str = "Hostile") -> bytes:
    items = "".join(
        f"<item><title>Judul {i}</title><link>{link}</link>"
        f"<description>Ringkasan {i}</description></item>"
        for i, link in enumerate(links)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{title}'
        f"</title><link>{base}/</link><description>d</description>{items}</channel></rss>"
    ).encode()


@dataclass
class Case:
    name: str  # the feed's name
    url: str
    failures: list[str]  # the URLs that must each have one log line (feed or article)


class Outlet:
    """The hostile site: each feed a path, each answer made up on the spot."""

    def __init__(self) -> None:
        self.pages: dict[str, Page] = {}
        self.server = LoopbackServer(self.pages.get, name="hostile-feeds")
        self.base = self.server.base

    def add(self, path: str, body: bytes = b"", status: int = 200, ctype="text/html", **headers):
        self.pages[path] = Page(body, status, ctype, dict(headers), conditional=False)
        return self.base + path


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def build(outlet: Outlet, count: int) -> list[Case]:
    """``count`` feeds, round-robin over the hostile kinds."""
    dead_port = closed_port()
    base = outlet.base
    kinds = [
        "no-host", "private", "broken-xml", "html-page", "json", "image", "empty", "binary",
        "http-404", "http-500", "http-403", "huge", "closed-port", "redirect-private",
        "redirect-file", "redirect-loop", "wrong-type-ok", "bad-articles", "xml-not-feed",
    ]  # fmt: skip
    cases = []
    for n in range(count):
        kind = kinds[n % len(kinds)]
        name = f"{kind}-{n}"
        path = f"/{name}/feed"
        url = base + path
        fails = [url]
        if kind == "no-host":
            url = f"http://feed-{n}.nowhere.invalid/rss.xml"
            fails = [url]
        elif kind == "private":
            url = f"http://10.{n % 250}.0.{1 + n % 200}/rss.xml"
            fails = [url]
        elif kind == "closed-port":
            url = f"http://127.0.0.1:{dead_port}/{name}.xml"
            fails = [url]
        elif kind == "broken-xml":
            outlet.add(
                path, b'<?xml version="1.0"?><rss version="2.0"><channel><ti', ctype="text/xml"
            )
        elif kind == "html-page":
            outlet.add(path, b"<!DOCTYPE html><html><body><p>Beranda<br><div></body></html>")
        elif kind == "json":
            outlet.add(path, json.dumps({"items": [n]}).encode(), ctype="application/json")
        elif kind == "image":
            outlet.add(path, b"\x89PNG\r\n\x1a\n" + bytes(200), ctype="image/png")
        elif kind == "empty":
            outlet.add(path, b"", ctype="application/rss+xml")
        elif kind == "binary":
            outlet.add(path, os.urandom(2048), ctype="application/octet-stream")
        elif kind.startswith("http-"):
            outlet.add(path, b"no", status=int(kind[5:]))
        elif kind == "huge":
            outlet.add(path, b"<rss>" + b" " * (MAX_PAGE_BYTES * 3), ctype="application/rss+xml")
        elif kind == "redirect-private":
            outlet.add(path, status=302, Location=f"http://192.168.{n % 250}.1/rss.xml")
        elif kind == "redirect-file":
            outlet.add(path, status=302, Location="file:///etc/passwd")
        elif kind == "redirect-loop":
            outlet.add(path, status=302, Location=path)
        elif kind == "xml-not-feed":
            outlet.add(path, b'<?xml version="1.0"?><urlset><url/></urlset>', ctype="text/xml")
        elif kind == "wrong-type-ok":  # a good feed served as text/plain: no failure at all
            page = outlet.add(f"/{name}/a.html", ARTICLE.format(n=n).encode())
            outlet.add(path, rss(base, [page]), ctype="text/plain")
            fails = []
        elif kind == "bad-articles":  # a good feed whose pages fail in every way
            links = {
                "private": outlet.add(
                    f"/{name}/to-private.html", status=302, Location="http://169.254.169.254/"
                ),
                "no-host": f"http://news-{n}.nowhere.invalid/a.html",
                "404": outlet.add(f"/{name}/gone.html", b"gone", status=404),
                "pdf": outlet.add(f"/{name}/doc.pdf", b"%PDF-1.7\n", ctype="application/pdf"),
                "huge": outlet.add(f"/{name}/huge.html", b"<p>" + b"x" * (MAX_PAGE_BYTES * 3)),
                "empty": outlet.add(f"/{name}/empty.html", b"<html><body></body></html>"),
                "good": outlet.add(f"/{name}/good.html", ARTICLE.format(n=n).encode()),
            }
            outlet.add(path, rss(base, list(links.values())), ctype="application/rss+xml")
            fails = [link for key, link in links.items() if key != "good"]
        cases.append(Case(name, url, fails))
    return cases


def config(folder: Path, cases: list[Case]) -> Path:
    data = {
        "database": str(folder / "newswatch.db"),
        "feeds": [{"name": case.name, "url": case.url} for case in cases],
        "alerts": {"log": str(folder / "alerts.jsonl"), "backfill": True},
        "crawl": {
            "allow_private_addresses": False,
            "obey_robots": True,
            "delay": 0,
            "concurrency_per_host": 16,
            "timeout": 10,
            "max_page_bytes": MAX_PAGE_BYTES,
        },
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@dataclass
class Report:
    feeds: int
    failing_feeds: int
    failures: int  # feeds and articles that must each have one log line
    status: int
    summary: str
    lines: list[str]
    lines_per_failure: Counter  # lines a failure took: how many failures took that many
    unexpected: list[str]  # log lines about no failure we made
    log: Path

    @property
    def tracebacks(self) -> int:
        return sum("Traceback" in line for line in self.lines)

    @property
    def error_records(self) -> int:
        return sum(" ERROR " in f" {line} " for line in self.lines)

    @property
    def ok(self) -> bool:
        return (
            self.status == 0
            and self.tracebacks == 0
            and self.error_records == 0
            and set(self.lines_per_failure) == {1}
            and not self.unexpected
        )


def run(folder: Path, count: int) -> Report:
    """Serve ``count`` hostile feeds, crawl them once into ``folder``, and count the log."""
    folder.mkdir(parents=True, exist_ok=True)
    outlet = Outlet()
    cases = build(outlet, count)
    with outlet.server:
        result = subprocess.run(
            [sys.executable, "-c", CRAWL, "crawl", "-c", str(config(folder, cases))],
            capture_output=True,
            text=True,
            timeout=900,
            env=dict(os.environ, COLUMNS="200"),
        )
    log = folder / "crawl.log"
    log.write_text(result.stderr, encoding="utf-8")
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    failures = {url for case in cases for url in case.failures}
    about = Counter()
    unexpected = []
    for line in lines:
        match = re.search(r" url=(\S+) ", line)
        if match is None or match.group(1) not in failures:
            unexpected.append(line)
        else:
            about[match.group(1)] += 1
    return Report(
        feeds=len(cases),
        failing_feeds=sum(1 for case in cases if case.url in case.failures),
        failures=len(failures),
        status=result.returncode,
        summary=result.stdout.strip(),
        lines=lines,
        lines_per_failure=Counter(about[url] for url in failures),
        unexpected=unexpected,
        log=log,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=300, help="How many feeds (default 300).")
    parser.add_argument("--keep", type=Path, help="Keep the config, database and log here.")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="hostile-feeds-"))
    report = run(folder, args.feeds)
    readable = report.feeds - report.failing_feeds
    print(f"feeds: {report.feeds} ({report.failing_feeds} failing, {readable} readable)")
    print(f"crawl: exit status {report.status}; {report.summary}")
    print(f"failures (feeds and articles): {report.failures}")
    print(f"log lines: {len(report.lines)}")
    print(f"traceback lines: {report.tracebacks}")
    print(f"ERROR records: {report.error_records}")
    per = ", ".join(
        f"{n} failures took {k} line(s)" for k, n in sorted(report.lines_per_failure.items())
    )
    print(f"lines per failure: {per}")
    print(f"log lines about no failure we made: {len(report.unexpected)}")
    for line in report.unexpected[:10]:
        print(f"  {line[:160]}")
    reasons = Counter(
        re.sub(r"\d+|'[^']*'|\([^)]*\)", "#", line.split(" reason=", 1)[-1])
        for line in report.lines
    )
    print("reasons (numbers, quoted names and parentheses as #):")
    for reason, n in reasons.most_common():
        print(f"  {n:4d}  {reason[:120]}")
    print(f"log: {report.log}")
    print("ok" if report.ok else "NOT OK")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
