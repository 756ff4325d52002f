"""Shared test fixtures: a loopback news server the tests control, configs, and the CLI."""

from __future__ import annotations

import copy
import email
import email.message
import json
import os
import select
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from newswatch import command
from newswatch.scheduler.cli.demo.loopback import LoopbackServer, Page

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).parent.parent


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html"
    headers: dict[str, str] = field(default_factory=dict)
    hold: bool = False  # answer only once the test calls ``server.release()`` (or at teardown)
    conditional: bool = False  # answer If-None-Match with 304, like nginx does for static files


class NewsServer:
    """A loopback outlet whose pages the test sets; it logs every request path.

    It is the product's own loopback server (the one ``newswatch demo`` serves its sample
    site with), so validators and 304s behave the same in the tests and in the demo.
    """

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)  # notified at every request
        self.released = threading.Event()  # held routes answer once it is set
        self.server = LoopbackServer(self.page, name="newswatch-test")
        self.base = self.server.base
        self.port = self.server.port

    def page(self, path: str) -> Page | None:
        with self.arrived:
            self.requests.append(path)
            self.arrived.notify_all()
        route = self.routes.get(path) or self.routes.get(path.split("?")[0])
        if route is None:
            return None
        if route.hold:
            self.released.wait()
        return Page(route.body, route.status, route.content_type, route.headers, route.conditional)

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, body: bytes | str = b"", **kwargs) -> str:
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.routes[path] = Route(body=body, **kwargs)
        return self.url(path)

    def add_fixture(self, path: str, fixture: str, **kwargs) -> str:
        return self.add(path, (FIXTURES / fixture).read_bytes(), **kwargs)

    def hits(self, prefix: str) -> list[str]:
        with self.lock:
            return [p for p in self.requests if p.startswith(prefix)]

    def wait_for(self, prefix: str, count: int = 1, timeout: float = 60) -> list[str]:
        """Block until ``count`` requests for paths starting with ``prefix`` have arrived."""

        def arrived() -> list[str]:
            return [p for p in self.requests if p.startswith(prefix)]

        with self.arrived:
            if not self.arrived.wait_for(lambda: len(arrived()) >= count, timeout):
                raise AssertionError(f"{len(arrived())} requests for {prefix}, wanted {count}")
            return arrived()

    def release(self) -> None:
        """Let every held request (and any later one) answer."""
        self.released.set()


@pytest.fixture
def server():
    srv = NewsServer()
    srv.server.start()
    yield srv
    srv.release()
    srv.server.close()


def rss(items: list[dict], title: str = "Test feed") -> str:
    """An RSS 2.0 document; each item dict has link, title and optional description/guid."""
    parts = [
        f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>{title}'
        "</title><link>http://example.invalid/</link><description>t</description>"
    ]
    for item in items:
        parts.append("<item>")
        for key in ("title", "link", "description", "guid", "pubDate"):
            if key in item:
                parts.append(f"<{key}>{item[key]}</{key}>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "".join(parts)


def write_config(tmp_path: Path, feeds: list[tuple[str, str]], topics=(), **sections) -> Path:
    """A test config in tmp_path: loopback allowed, no delay, short timeouts."""
    crawl = {
        "user_agent": "newswatch-test/0.1",
        "obey_robots": True,
        "concurrency_per_host": 4,
        "delay": 0,
        "timeout": 5,
        "max_page_bytes": 2_000_000,
        "allow_private_addresses": True,
    }
    crawl.update(sections.pop("crawl", {}))
    data = {
        "database": "newswatch.db",
        "feeds": [{"name": name, "url": url} for name, url in feeds],
        "topics": [{"name": name, "query": query} for name, query in topics],
        "alerts": {"log": "alerts.jsonl", "digest": "digest.md", "backfill": True},
        "schedule": {"interval": "15m"},
        "crawl": crawl,
    }
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key].update(value)
        else:
            data[key] = value
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _config_cache(tmp_path_factory, monkeypatch):
    """Each test's own cache folder: no test writes to the user's ``~/.cache``."""
    monkeypatch.setenv("NEWSWATCH_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


MINIMAL_CONFIG = {
    "feeds": [{"name": "antara-dunia", "url": "https://www.antaranews.com/rss/dunia.xml"}]
}


def minimal_config(**overrides: object) -> dict:
    """MINIMAL_CONFIG plus ``section={...}`` or ``key=value`` overrides (sections are merged)."""
    data = copy.deepcopy(MINIMAL_CONFIG)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key].update(value)
        else:
            data[key] = value
    return data


def write_yaml(tmp_path: Path, data: object, name: str = "config.yaml") -> Path:
    """``data`` as a YAML file in tmp_path; a string is written as it is."""
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def config_problems(tmp_path: Path, data: object) -> list[str]:
    """The problems load_config reports for ``data`` (it must reject it)."""
    from newswatch.scheduler.config import ConfigError, load_config

    with pytest.raises(ConfigError) as info:
        load_config(write_yaml(tmp_path, data))
    return info.value.problems


SAFETY_NET_S = 90  # how long a test waits for a signal before it gives up (only when broken)


def process_gone(pid: int, timeout: float = SAFETY_NET_S) -> bool:
    """True once process ``pid`` has ended (its pidfd turns readable then), False at timeout."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([fd], [], [], timeout)[0])
    finally:
        os.close(fd)


DAEMON_SCHEDULE = {"interval": "1s", "min_interval": "1s", "max_interval": "1s", "deadline": "20s"}


def daemon_config(
    tmp_path: Path, feeds, topics=(("talks", "talks"),), schedule=None, **sections
) -> Path:
    """A config for ``newswatch run`` tests: every feed due at every cycle, one a second."""
    schedule = {**DAEMON_SCHEDULE, **(schedule or {})}
    return write_config(tmp_path, feeds, list(topics), schedule=schedule, **sections)


def stand_in(code: str):
    """A stand-in for the daemon's crawl child: its command hook, with the config file in
    ``sys.argv[1]`` as ``newswatch crawl -c`` would get it."""
    return lambda config_file: [sys.executable, "-c", code, str(config_file)]


class DaemonClock:
    """The daemon's two clocks, moved by the test: ``now`` is the wall clock the schedule plans
    on (and the daily digest is dated by), ``monotonic`` the deadline's, grace's and watchdog's."""

    def __init__(self, wall: datetime) -> None:
        self.wall = wall
        self.mono = 1000.0

    def now(self) -> datetime:
        return self.wall

    def monotonic(self) -> float:
        return self.mono


@pytest.fixture
def daemon_clock() -> DaemonClock:
    return DaemonClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))


@pytest.fixture
def make_daemon(tmp_path, daemon_clock):
    """A daemon on the fake clocks, on a scheduler that is never started (its jobs are set and
    read back through APScheduler's public API), with a stand-in for the crawl child."""
    from apscheduler.schedulers.background import BackgroundScheduler

    from newswatch.scheduler.config import load_config
    from newswatch.scheduler.daemon import Daemon

    def make(code: str = "pass", schedule=None, **kwargs):
        feeds = [("a", "http://127.0.0.1:9/feed.xml")]
        config = load_config(daemon_config(tmp_path, feeds, schedule=schedule))
        return Daemon(
            config,
            command=stand_in(code),
            scheduler=BackgroundScheduler(timezone="UTC"),
            now=daemon_clock.now,
            clock=daemon_clock.monotonic,
            **kwargs,
        )

    return make


def run_newswatch(
    *args: str, cwd: Path | None = None, timeout: float = 120, env: dict | None = None
):
    """Run the CLI in a fresh process, as a user would (a Scrapy reactor cannot restart)."""
    env = dict(os.environ, COLUMNS="200") | (env or {})
    return subprocess.run(
        command(*args),
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class Webhook:
    """A loopback receiver for apprise's ``json://``: it keeps every message it accepted, and
    answers with the statuses the test queues (then 200), or holds them (a hanging receiver)."""

    def __init__(self) -> None:
        self.received: list[dict] = []  # the JSON bodies answered 200
        self.refused: list[dict] = []
        self.statuses: list[int] = []  # answers to give before 200s, in order
        self.hold = False  # True: each request waits for ``released`` before it is answered
        self.released = threading.Event()
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)
        self.posts = 0  # requests that arrived, answered or not
        self.server = LoopbackServer(lambda path: None, name="newswatch-webhook", receive=self.post)

    def post(self, path: str, body: bytes) -> Page:
        message = json.loads(body or b"{}")
        with self.arrived:
            status = self.statuses.pop(0) if self.statuses else 200
            # A receiver that read the message has it, whether its answer gets back or not.
            (self.received if status == 200 else self.refused).append(message)
            self.posts += 1
            self.arrived.notify_all()
        if self.hold:
            self.released.wait()
        return Page(b"{}", status, "application/json", conditional=False)

    def wait_for_posts(self, count: int, timeout: float = 60) -> None:
        with self.arrived:
            if not self.arrived.wait_for(lambda: self.posts >= count, timeout):
                raise AssertionError(f"{self.posts} requests reached the webhook, wanted {count}")

    def url(self, path: str = "/hook") -> str:
        return f"json://127.0.0.1:{self.server.port}{path}"

    def keys(self) -> list[str]:
        """The idempotency key each accepted message ended with."""
        with self.lock:
            return [m["message"].rsplit("\n", 1)[-1] for m in self.received]


@pytest.fixture
def webhook():
    hook = Webhook()
    hook.server.start()
    yield hook
    hook.released.set()
    hook.server.close()


class Mailbox:
    """A local SMTP server (aiosmtpd) on loopback; ``messages`` are the e-mails it received."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))  # aiosmtpd needs a port number: ask the kernel for one
        self.port = probe.getsockname()[1]
        probe.close()
        self.messages: list[email.message.Message] = []
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def url(self, **query: str) -> str:
        params = "&".join(f"{k}={v}" for k, v in query.items())
        return f"mailto://127.0.0.1:{self.port}?from=newswatch@example.org&to=desk@example.org&mode=insecure&{params}"


@pytest.fixture
def mailbox():
    box = Mailbox()
    box.controller.start()
    yield box
    box.controller.stop()
