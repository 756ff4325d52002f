"""The one gate every request passes, redirects included (Scrapy re-sends each hop through here).

Scrapy has no SSRF guard of its own: this refuses any scheme but http(s) and, unless the config
allows private addresses, any host that is or resolves to a non-global address (loopback,
private ranges, link-local, CGNAT, ...). Names are resolved off the reactor thread and cached.
"""

from __future__ import annotations

import ipaddress
import socket
from functools import lru_cache

from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.threads import deferToThread

from .urls import ALLOWED_SCHEMES


class UnsafeRequest(IgnoreRequest):
    """A request the gate refused; the message says why."""


def address_is_public(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


@lru_cache(maxsize=4096)
def _resolve(host: str) -> tuple[str, ...]:
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return ()
    return tuple(sorted({info[4][0] for info in infos}))


def host_problem(host: str, addresses: tuple[str, ...]) -> str | None:
    """Why a host may not be fetched, or None when it may."""
    if not addresses:
        return f"cannot resolve host {host!r}"
    private = [a for a in addresses if not address_is_public(a)]
    if private:
        return f"host {host!r} is a private or local address ({private[0]})"
    return None


class SafetyMiddleware:
    """Downloader middleware: scheme allow-list and private-address refusal."""

    def __init__(self, allow_private: bool):
        self.allow_private = allow_private

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.getbool("NEWSWATCH_ALLOW_PRIVATE_ADDRESSES"))

    async def process_request(self, request):
        scheme = request.url.split(":", 1)[0].lower()
        if scheme not in ALLOWED_SCHEMES:
            raise UnsafeRequest(f"scheme {scheme!r} is not allowed")
        if self.allow_private:
            return None
        host = (urlparse_cached(request).hostname or "").strip("[]")
        try:
            ipaddress.ip_address(host)
            addresses = (host,)
        except ValueError:
            addresses = await maybe_deferred_to_future(deferToThread(_resolve, host))
        problem = host_problem(host, addresses)
        if problem:
            raise UnsafeRequest(problem)
        return None
