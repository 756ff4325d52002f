"""What went wrong with a download, in words a person reads: one short reason per failure.

The spider logs each failed feed or page once, with its feed, URL and one of these reasons, and
stores the reason as the feed's last error. A reason says what happened (the host has no
address, the server refused the connection, the page redirected to an address we never fetch),
and a refusal of ours names the setting behind it.
"""

from __future__ import annotations

import re
from http import HTTPStatus

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
    UnsupportedURLSchemeError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.httpobj import urlparse_cached

from .middlewares import PRIVATE_REFUSAL, HostNotFound, UnsafeRequest
from .resolver import refused_at_connect

_TRANSIENT = (
    DownloadTimeoutError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    ResponseDataLossError,
    CannotResolveHostError,
    HostNotFound,
)
# The ways a download fails that the request's own errback reports (with its feed, URL and
# reason): a library's record of one of these (Scrapy's robots.txt middleware logs an ERROR
# with chained tracebacks when a host's robots.txt cannot be fetched) says nothing more.
DOWNLOAD_FAILURES = (
    *_TRANSIENT,
    DownloadCancelledError,
    UnsupportedURLSchemeError,
    IgnoreRequest,
    HttpError,
)


def is_transient(failure) -> bool:
    """Whether a download failed for a reason that may be gone by the next poll."""
    exc = failure.value
    if isinstance(exc, HttpError):
        status = exc.response.status
        return status >= 500 or status in (408, 429)
    return isinstance(exc, _TRANSIENT)


def _host(failure) -> str:
    request = getattr(failure, "request", None)
    if request is None:
        return ""
    return (urlparse_cached(request).hostname or "").strip("[]")


def _http_reason(response) -> str:
    status = response.status
    if 300 <= status < 400:
        location = (response.headers.get(b"Location") or b"").decode("latin-1").strip()
        if location:
            # Scrapy follows only http(s) redirects: this one leads somewhere we never fetch.
            return f"refused: HTTP {status} redirect to {location[:200]!r} (only http and https)"
        return f"HTTP {status} redirect without a Location"
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"
    return f"HTTP {status} {phrase}"


def _too_large(text: str) -> str:
    """Scrapy's "Expected to receive N bytes which is larger than download max size (M) in
    request <GET ...>" (or "Received N bytes ..."), without the request it repeats."""
    found = re.search(r"(\d+) bytes.*max size \((\d+)\)", text)
    if not found:
        return f"too large: {text}"
    size, limit = found.groups()
    return f"too large: {size} bytes or more, over crawl.max_page_bytes ({limit})"


def failure_reason(failure, timeout: float | None = None) -> str:
    """A short, human reason for a failed download."""
    exc = failure.value
    if isinstance(exc, HttpError):
        return _http_reason(exc.response)
    if isinstance(exc, HostNotFound):
        return str(exc)
    if isinstance(exc, UnsafeRequest):
        request = getattr(failure, "request", None)
        if request is not None and request.meta.get("redirect_urls"):
            return f"refused: {exc} (redirected to {request.url})"
        return f"refused: {exc}"
    if isinstance(exc, DownloadTimeoutError):
        return f"timed out after {timeout:g}s" if timeout else "timed out"
    if isinstance(exc, DownloadCancelledError):
        return _too_large(str(exc))
    if isinstance(exc, CannotResolveHostError):
        host = _host(failure)
        address = refused_at_connect.get(host)
        if address:  # the resolver refused a private answer when connecting (DNS rebinding)
            return f"refused: host {host!r} resolved to {address} when connecting; " + (
                PRIVATE_REFUSAL
            )
        return f"cannot resolve host {host!r}" if host else "cannot resolve host"
    if isinstance(exc, DownloadConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ResponseDataLossError):
        return "the connection closed before the whole answer arrived"
    if isinstance(exc, DownloadFailedError):
        return f"download failed: {exc}".strip()
    if isinstance(exc, IgnoreRequest):
        text = str(exc)
        if text == "Forbidden by robots.txt":
            return "refused by the site's robots.txt"
        if text == "max redirections reached":
            return "too many redirects (crawl.max_redirects)"
        return text or "ignored"
    return f"{type(exc).__name__}: {exc}".strip()
