"""`newswatch serve` in a real browser: headless Chromium screenshots of the served pages.

It makes a demo store (`newswatch demo`, offline) with an HTML digest, starts `newswatch serve`
on a free loopback port, and has headless Chromium load the index, the stories table, the
alerts table, the canned queries, a story and the digest, saving one PNG per page in the folder
named on the command line. It checks each page answers 200 before its screenshot, that each
PNG was written, and that the Atom feeds answer as Atom. Look at the PNGs: this is the check a
person does.

    python scripts/browser_check.py SHOTS_DIR [--chromium PATH] [--keep]

Without Chromium (Debian: `apt-get install chromium`) it prints "skipped: chromium not found"
and exits 0. Exit 1 when a page or a screenshot failed.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import yaml

from newswatch import command

# (file name, path, window height): the stories page is the redirect to its default columns.
PAGES = [
    ("index", "/", 900),
    ("database", "/newswatch", 1100),
    ("stories", "/newswatch/stories", 900),
    ("alerts", "/newswatch/alerts", 900),
    ("latest-alerts", "/newswatch/latest_alerts", 900),
    ("alerts-for-topic", "/newswatch/alerts_for_topic?topic=korea-utara", 900),
    ("search-stories", "/newswatch/search_stories?query=korut+OR+%22north+korea%22", 1000),
    ("feed-health", "/newswatch/feed_health", 700),
    ("story", "/newswatch/stories/13", 1100),
    ("digest", "/-/newswatch/digest", 1100),
]
# Fetched, not screenshotted (a browser offers an Atom feed as a download): (path, content type).
FEEDS = [
    ("/-/newswatch/alerts.atom", "application/atom+xml"),
    ("/-/newswatch/alerts-korea-utara.atom", "application/atom+xml"),
]
WIDTH = 1280
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium(given: str | None) -> str | None:
    if given:
        return shutil.which(given) or (given if Path(given).is_file() else None)
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


def free_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def run(*args: str) -> None:
    done = subprocess.run(command(*args), capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise SystemExit(f"newswatch {args[0]} failed:\n{done.stdout}{done.stderr}")


def make_demo(folder: Path) -> Path:
    """The demo's store, its digest switched to HTML and written; returns the config."""
    run("demo", "--dir", str(folder))
    config = folder / "config.yaml"
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["alerts"]["digest"] = "digest.html"
    config.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    run("digest", "-c", str(config))
    return config


def wait_until_up(server: subprocess.Popen) -> None:
    """Until serve says where it serves: it says so once its port is listening."""
    line = server.stdout.readline()
    if "read-only at" not in line:
        raise SystemExit("newswatch serve exited:\n" + line + server.communicate()[1])


def status_of(url: str) -> int:
    return fetch(url)[0]


def fetch(url: str) -> tuple[int, str, bytes]:
    """(status, content type, body) of a GET."""
    try:
        with urllib.request.urlopen(url, timeout=10) as page:
            return page.status, page.headers.get("content-type", ""), page.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("content-type", ""), b""


def png_size(path: Path) -> tuple[int, int] | None:
    head = path.read_bytes()[:24] if path.is_file() else b""
    if len(head) < 24 or not head.startswith(b"\x89PNG"):
        return None
    return struct.unpack(">II", head[16:24])


def screenshot(chromium: str, url: str, out: Path, height: int, profile: Path) -> str | None:
    """One page as a PNG; None when it worked, else what went wrong."""
    args = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        f"--window-size={WIDTH},{height}",
        "--virtual-time-budget=3000",  # let the page's own scripts run before the shot
        f"--screenshot={out}",
        url,
    ]
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=90)
    except subprocess.TimeoutExpired:
        return "chromium timed out"
    if png_size(out) is None:
        return f"no screenshot (chromium exit {done.returncode}): {done.stderr.strip()[-300:]}"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("shots", type=Path, help="folder for the PNGs (made if missing)")
    parser.add_argument("--chromium", help="the browser to run (default: chromium on PATH)")
    parser.add_argument("--keep", action="store_true", help="keep the demo folder; say where")
    options = parser.parse_args()
    chromium = find_chromium(options.chromium)
    if chromium is None:
        print("skipped: chromium not found")
        return 0
    options.shots.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="newswatch-browser-"))
    config = make_demo(work / "demo")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        command("serve", "-c", str(config), "--port", str(port)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    failures = 0
    try:
        wait_until_up(server)
        for name, path, height in PAGES:
            status = status_of(base + path)
            out = options.shots / f"{name}.png"
            out.unlink(missing_ok=True)
            problem = f"HTTP {status}" if status != 200 else None
            problem = problem or screenshot(chromium, base + path, out, height, work / name)
            failures += problem is not None
            size = png_size(out)
            shown = f"{out} ({size[0]}x{size[1]})" if size else "-"
            print(f"{name:<17} {path:<62} {problem or 'ok'}: {shown}")
        for path, wanted in FEEDS:
            status, kind, body = fetch(base + path)
            good = status == 200 and kind.startswith(wanted) and b"<feed" in body
            failures += not good
            print(f"{'feed':<17} {path:<62} {'ok' if good else 'FAILED'}: {status} {kind}")
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()
        if options.keep:
            print(f"demo store kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
