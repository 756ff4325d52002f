"""The demo's sample outlet: the pages shipped in ``site/``, served on a loopback port.

Two feeds, one Indonesian and one English, whose items point at this server's own address;
before the second cycle one feed grows by two stories, as a real feed would between polls.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable

from .loopback import LoopbackServer, Page

SITE_PACKAGE = __package__  # the folder beside this module, wherever it is installed
SITE_FOLDER = "site"
FEEDS = {"kabar-contoh": "/feeds/kabar-contoh.xml", "world-desk": "/feeds/world-desk.xml"}
GROWING_FEED = "kabar-contoh"  # the feed that lists two more stories in the second cycle
NEW_ITEMS = "/feeds/kabar-contoh-new.xml"  # those two items, spliced in at {{new_items}}
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".xml": "application/rss+xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}


def site_files() -> dict[str, bytes]:
    """Every file of the bundled site by URL path, read as package data (works from a wheel)."""
    files: dict[str, bytes] = {}

    def walk(node: Traversable, prefix: str) -> None:
        for child in node.iterdir():
            if child.is_dir():
                walk(child, f"{prefix}{child.name}/")
            elif not child.name.startswith("."):
                files[prefix + child.name] = child.read_bytes()

    walk(resources.files(SITE_PACKAGE).joinpath(SITE_FOLDER), "/")
    return files


@dataclass
class SampleSite:
    """The sample outlet on a loopback port: static pages, and feeds rendered for that port."""

    files: dict[str, bytes] = field(default_factory=site_files)
    grown: bool = False  # whether the growing feed lists its two new stories
    requests: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.server = LoopbackServer(self.page, name="newswatch-demo")
        self.base = self.server.base

    def start(self) -> SampleSite:
        self.server.start()
        return self

    def close(self) -> None:
        """Stop serving and free the port; safe to call more than once."""
        self.server.close()

    def page(self, request_path: str) -> Page | None:
        path = request_path.split("?", 1)[0].split("#", 1)[0]
        with self.lock:
            self.requests.append(path)
        body = self.body(path)
        if body is None:
            return None
        suffix = path[path.rfind(".") :] if "." in path else ""
        return Page(body, content_type=CONTENT_TYPES.get(suffix, "text/plain"))

    def feed(self, path: str) -> bytes:
        """A feed template with this server's address (and, once grown, the new items)."""
        text = self.files[path].decode("utf-8")
        new = ""
        if self.grown and path == FEEDS[GROWING_FEED]:
            new = self.files[NEW_ITEMS].decode("utf-8")
        return text.replace("{{new_items}}", new).replace("{{base}}", self.base).encode("utf-8")

    def body(self, path: str) -> bytes | None:
        if path in FEEDS.values():
            return self.feed(path)
        if path == NEW_ITEMS:
            return None  # a fragment, not a feed
        return self.files.get(path)

    def entries(self) -> int:
        """How many items the feeds list right now."""
        return sum(self.feed(path).count(b"<item>") for path in FEEDS.values())

    def article_requests(self) -> list[str]:
        with self.lock:
            return [p for p in self.requests if p.startswith(("/news/", "/amp/"))]
