"""A small outlet on 127.0.0.1: the demo's sample site, and the tests' and scripts' news servers.

It answers GET and HEAD from a callback that maps a path to a :class:`Page` (and a POST, a
webhook's, from another), and speaks the validators a real outlet (nginx serving static files)
speaks: an ``ETag`` on every answer and ``304 Not Modified`` when the client already has those
bytes. One implementation, so the demo, the tests and the benchmarks exercise the same
conditional requests the crawler relies on.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Page:
    """One answer: bytes and how to send them."""

    body: bytes = b""
    status: int = 200
    content_type: str | None = "text/html"
    headers: dict[str, str] = field(default_factory=dict)
    conditional: bool = True  # an ETag, and 304 to a client that sends it back


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha1(body).hexdigest()[:16] + '"'


Resolve = Callable[[str], Page | None]  # the request path (query included) -> its page, or 404
Receive = Callable[[str, bytes], Page | None]  # a POST's path and body -> the answer, or 404
MAX_POST_BYTES = 1 << 20


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass  # a crawler hanging up early (a timeout, a size cap) is no error of the outlet's


def _handler(resolve: Resolve, name: str, receive: Receive | None) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = name

        def log_message(self, format: str, *args) -> None:
            pass

        def do_GET(self) -> None:
            self._answer(resolve(self.path), send_body=True)

        def do_HEAD(self) -> None:
            self._answer(resolve(self.path), send_body=False)

        def do_POST(self) -> None:
            length = min(int(self.headers.get("Content-Length") or 0), MAX_POST_BYTES)
            body = self.rfile.read(length)
            self._answer(receive(self.path, body) if receive else None, send_body=True)

        def _answer(self, page: Page | None, send_body: bool) -> None:
            if page is None:
                page = Page(b"not found", 404, "text/plain", conditional=False)
            headers = dict(page.headers)
            status, body = page.status, page.body
            if page.conditional and status == 200:
                headers["ETag"] = etag_of(body)
                if self.headers.get("If-None-Match") == headers["ETag"]:
                    status, body = 304, b""
            try:
                self.send_response(status)
                if page.content_type and status != 304:
                    self.send_header("Content-Type", page.content_type)
                for key, value in headers.items():
                    self.send_header(key, value)
                if status != 304:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if send_body and status != 304:
                    self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler


class LoopbackServer:
    """An HTTP server on 127.0.0.1 and a free port, in a thread of this process."""

    def __init__(
        self, resolve: Resolve, name: str = "newswatch-loopback", receive: Receive | None = None
    ) -> None:
        self.httpd = _Server(("127.0.0.1", 0), _handler(resolve, name, receive))
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, name=name, daemon=True)

    def url(self, path: str) -> str:
        return self.base + path

    def start(self) -> LoopbackServer:
        self.thread.start()
        return self

    def close(self) -> None:
        """Stop serving and free the port; safe to call more than once."""
        if self.thread.is_alive():
            self.httpd.shutdown()
            self.thread.join(timeout=5)
        self.httpd.server_close()

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
