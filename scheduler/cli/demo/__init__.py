"""``newswatch demo``: the whole product on a bundled sample outlet, offline, in one command.

A loopback HTTP server in this process serves the sample site shipped in ``site/``; each
crawl cycle runs in a child process (``python -m newswatch crawl``), exactly as a user or the
daemon runs it, because Scrapy's reactor cannot start twice in one process.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.text import Text

from .... import command
from ....storage.store import Store
from ...delivery.plain_text import one_line
from .site import FEEDS, GROWING_FEED, SampleSite

TOPICS = {
    "korea-utara": (
        '"korea utara" OR "north korea" OR korut OR dprk OR "kim jong un"',
        "Korea Utara / North Korea",
    ),
    "rusia-ukraina": (
        "(ukraina OR ukraine) AND (rusia OR russia OR kremlin OR putin)",
        "Perang Rusia-Ukraina / Russia-Ukraine war",
    ),
}
# The second cycle's two stories; one of them is about both topics.
EXPECTED_ALERTS = {
    ("korea-utara", "/news/korut-satelit-mata-mata.html"),
    ("korea-utara", "/news/pasukan-korut-di-rusia.html"),
    ("rusia-ukraina", "/news/pasukan-korut-di-rusia.html"),
}
MARKER = ".newswatch-demo"  # marks a folder as ours, so a rerun may clear what it wrote
DEMO_FILES = ("config.yaml", "alerts.jsonl", "digest.md")  # and newswatch.db*
CYCLE_TIMEOUT = 300  # seconds; a crawl of this tiny site takes a few


class DemoError(Exception):
    """A problem the user can fix (a folder that is not ours); exit status 2."""


class DemoConsole(Console):
    """The demo's stdout, which a reader may close early (``newswatch demo | head -3``).

    The demo then finishes its work all the same, so the folder it names holds a complete
    database, and prints nothing more: no traceback, as any program whose reader went away.
    """

    def on_broken_pipe(self) -> None:  # rich's hook; by default it exits the program
        self.quiet = True  # every later print is a no-op
        try:  # the interpreter's last flush at exit must not meet the closed pipe either
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        except (OSError, ValueError):
            pass

    def print(self, *objects, **kwargs) -> None:
        try:
            super().print(*objects, **kwargs)
        except BrokenPipeError:  # a rich without the hook above
            self.on_broken_pipe()


# -- the demo folder ----------------------------------------------------------------------------


def prepare_folder(path: Path | None) -> Path:
    """A new temporary folder, or PATH if it is empty, missing, or a previous demo's."""
    if path is None:
        return Path(tempfile.mkdtemp(prefix="newswatch-demo-"))
    path = path.expanduser().resolve()
    if path.exists() and not path.is_dir():
        raise DemoError(f"--dir {path}: not a folder")
    if path.is_dir() and any(path.iterdir()):
        if not (path / MARKER).exists():
            raise DemoError(
                f"--dir {path}: not empty and not a previous demo's folder;"
                " choose a new or empty folder (or leave --dir out for a temporary one)"
            )
        # A rerun starts over; nothing else in the folder is touched.
        for file in [*(path / name for name in DEMO_FILES), *path.glob("newswatch.db*")]:
            file.unlink(missing_ok=True)
    path.mkdir(parents=True, exist_ok=True)
    (path / MARKER).write_text("written by `newswatch demo`; a rerun may overwrite its files\n")
    return path


def demo_config(base: str) -> str:
    """The demo's config.yaml: the sample feeds, two bilingual topics, backfill off."""
    feeds = "".join(f"  - name: {name}\n    url: {base}{path}\n" for name, path in FEEDS.items())
    topics = "".join(
        f"  - name: {name}\n    query: {_yaml_quote(query)}\n"
        f"    description: {_yaml_quote(description)}\n"
        for name, (query, description) in TOPICS.items()
    )
    return f"""\
# Written by `newswatch demo`. The feeds were served by the demo on this machine and are gone
# once it exits, so `newswatch crawl` with this file only reports them as failed; every other
# command (alerts, digest, topics test, status) works on what the demo stored.
database: newswatch.db

feeds:
{feeds}
# Each topic lists its Indonesian and English names, so stories in both languages match.
topics:
{topics}
alerts:
  log: alerts.jsonl
  digest: digest.md
  backfill: false   # a feed's first poll stores its stories but does not alert on them
  digest_window: 30d

schedule:
  timezone: Asia/Jakarta          # every time a person reads: the digest, alerts, status

crawl:
  user_agent: "newswatch-demo/0.1"
  delay: 0                        # a real outlet deserves the default 1 s between requests
  timeout: 10
  concurrency_per_host: 8
  allow_private_addresses: true   # the sample outlet is on 127.0.0.1
"""


def _yaml_quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# -- running it ---------------------------------------------------------------------------------


def crawl_once(config: Path) -> subprocess.CompletedProcess:
    """One ``newswatch crawl`` cycle in a child process, the same command the daemon runs.

    ``subprocess.run`` kills the child if we are interrupted, so Ctrl-C leaves no crawl behind.
    """
    return subprocess.run(
        command("crawl", "-c", str(config), "--no-progress"),
        capture_output=True,
        text=True,
        timeout=CYCLE_TIMEOUT,
    )


def count_stories(database: Path) -> int:
    with Store(database, readonly=True) as store:
        return store.count("stories")


def read_alert_log(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as log:
        return [json.loads(line) for line in log if line.strip()]


@dataclass
class Cycle:
    """What one crawl child did, as the demo tells it."""

    summary: str
    stories: int
    article_requests: int


def run_demo(folder: Path | None, console: Console | None = None) -> int:
    """Serve the sample site, crawl it twice, show the alerts; returns the exit status."""
    console = console or DemoConsole(highlight=False, soft_wrap=True)
    folder = prepare_folder(folder)
    config = folder / "config.yaml"
    site = SampleSite().start()
    try:
        config.write_text(demo_config(site.base), encoding="utf-8")
        say(console, f"newswatch demo: a sample outlet served on {site.base}", "bold")
        say(console, "(loopback only: nothing is fetched from the internet)", "dim")
        say(console, f"folder: {folder}")

        console.print()
        entries = site.entries()
        say(console, f"Cycle 1: first poll of {len(FEEDS)} feeds, {entries} entries", "bold")
        first = _cycle(console, site, config, folder)
        if first is None:
            return 1
        say(
            console,
            f"  {entries} feed entries, {first.stories} stories: each is stored once under its"
            " canonical URL, so the story both feeds list, the link with utm_ tracking"
            " parameters and the AMP link add no second copy.\n"
            "  No alerts, on purpose: a feed's first poll is backfill (stored and searchable,"
            " not alerted), so adding a feed never floods you with old news.",
        )

        console.print()
        site.grown = True
        say(console, f"Cycle 2: {GROWING_FEED} now lists two new stories", "bold")
        second = _cycle(console, site, config, folder)
        if second is None:
            return 1
        say(
            console,
            f"  {second.stories - first.stories} new stories;"
            f" {second.article_requests} article pages fetched:"
            " known links are never fetched again, an unchanged feed answers 304.",
        )
    finally:
        site.close()

    alerts = read_alert_log(folder / "alerts.jsonl")
    console.print()
    show_alerts(console, alerts)
    show_paths(console, folder, config, second.stories, len(alerts))
    got = {(a["topic"], "/" + a["url"].split("/", 3)[-1]) for a in alerts}
    if got != EXPECTED_ALERTS or len(alerts) != len(EXPECTED_ALERTS):
        say(console, "Unexpected alerts: this install does not work as it should.", "bold red")
        return 1
    return 0


def _cycle(console: Console, site: SampleSite, config: Path, folder: Path) -> Cycle | None:
    """Run one crawl child and echo its summary; None (after its stderr) when it failed."""
    before = len(site.article_requests())
    result = crawl_once(config)
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        say(console, f"  the crawl failed (exit status {result.returncode}):", "bold red")
        console.print(Text(result.stderr.rstrip() or result.stdout.rstrip()))
        return None
    say(console, "  " + lines[-1], "cyan")
    for line in result.stderr.strip().splitlines():  # a clean demo has none: show any there is
        say(console, "  " + line, "yellow")
    return Cycle(
        lines[-1],
        count_stories(folder / "newswatch.db"),
        len(site.article_requests()) - before,
    )


def say(console: Console, text: str, style: str = "") -> None:
    """A line as plain text: never rich markup, so paths and titles print as they are."""
    console.print(Text(text, style=style))


def show_alerts(console: Console, alerts: list[dict]) -> None:
    say(console, f"Alerts ({len(alerts)}), each appended once to alerts.jsonl:", "bold")
    width = max((len(one_line(alert["topic"])) for alert in alerts), default=0) + 2
    for alert in alerts:
        line = Text("  ")
        line.append(one_line(alert["topic"]).ljust(width), style="cyan")
        line.append(one_line(alert["title"] or alert["url"]), style="bold")
        console.print(line)
        terms = ", ".join(one_line(term) for term in alert.get("terms") or [])
        say(
            console,
            "  " + " " * width + f"{one_line(alert['feed'])} · matched: {terms}",
            "dim",
        )


def show_paths(console: Console, folder: Path, config: Path, stories: int, alerts: int) -> None:
    """Where everything is, and the commands to look at it."""
    console.print()
    say(console, "Files", "bold")
    for label, path, note in (
        ("folder", folder, ""),
        ("config", config, ""),
        ("database", folder / "newswatch.db", f"  ({stories} stories)"),
        ("alert log", folder / "alerts.jsonl", f"  ({alerts} lines)"),
        ("digest", folder / "digest.md", "  (alerts grouped by topic)"),
    ):
        say(console, f"  {label:<10}{path}{note}")
    c = shlex.quote(str(config))
    query = shlex.quote('"north korea" OR "korea utara"')
    console.print()
    say(console, "Explore", "bold")
    for line in (
        f"newswatch alerts -c {c}",
        f"newswatch topics test {query} -c {c}",
        f"newswatch digest -c {c} -o -",
        f"newswatch status -c {c}",
        f"newswatch serve -c {c}",
    ):
        say(console, f"  {line}")
    if importlib.util.find_spec("datasette") is None:
        say(
            console,
            "  (serve needs Datasette, not installed here: pip install 'newswatch[serve]')",
            "dim",
        )
    say(
        console,
        "topics test searches everything stored, backfill included: that query finds the"
        " North Korea stories of both outlets, in both languages.",
        "dim",
    )
