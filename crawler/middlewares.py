"""The one gate every request passes, redirects included (Scrapy re-sends each hop through here).

Scrapy has no SSRF guard of its own: this refuses any scheme but http(s) and, unless the config
allows private addresses, any host that is or resolves to a non-global address (loopback,
private ranges, link-local, CGNAT, ...). Names are resolved off the reactor thread and cached.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

from scrapy.exceptions import IgnoreRequest
from scrapy.utils.httpobj import urlparse_cached

from .urls import ALLOWED_SCHEMES


class UnsafeRequest(IgnoreRequest):
    """A request the gate refused; the message says why."""


class HostNotFound(IgnoreRequest):
    """A host the gate could not resolve: no refusal of ours, a name without an address (yet)."""


# What every refusal of a private address says, so a person knows the setting behind it.
PRIVATE_REFUSAL = "private addresses are fetched only when crawl.allow_private_addresses is true"


def address_is_public(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


async def resolve(host: str) -> tuple[str, ...]:
    """Every address a name resolves to, looked up without blocking the event loop."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return ()
    return tuple(sorted({info[4][0] for info in infos}))


def host_problem(host: str, addresses: tuple[str, ...]) -> str | None:
    """Why a host may not be fetched, or None when it may."""
    if not addresses:
        return f"cannot resolve host {host!r}"
    private = [a for a in addresses if not address_is_public(a)]
    if private:
        if private[0] == host:
            return f"{host} is a private or local address; {PRIVATE_REFUSAL}"
        return f"host {host!r} resolves to a private or local address ({private[0]}); " + (
            PRIVATE_REFUSAL
        )
    return None


class SafetyMiddleware:
    """Downloader middleware: scheme allow-list and private-address refusal."""

    def __init__(self, allow_private: bool):
        self.allow_private = allow_private
        self.resolved: dict[str, tuple[str, ...]] = {}  # one cycle's lookups

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.getbool("NEWSWATCH_ALLOW_PRIVATE_ADDRESSES"))

    async def process_request(self, request):
        scheme = request.url.split(":", 1)[0].lower()
        if scheme not in ALLOWED_SCHEMES:
            raise UnsafeRequest(f"scheme {scheme!r} is not allowed (only http and https)")
        if self.allow_private:
            return None
        host = (urlparse_cached(request).hostname or "").strip("[]")
        try:
            ipaddress.ip_address(host)
            addresses = (host,)
        except ValueError:
            if host not in self.resolved:
                self.resolved[host] = await resolve(host)
            addresses = self.resolved[host]
        if not addresses:
            raise HostNotFound(f"cannot resolve host {host!r}")
        problem = host_problem(host, addresses)
        if problem:
            raise UnsafeRequest(problem)
        return None
