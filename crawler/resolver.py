"""Scrapy's DNS resolver, refusing non-global answers: the address checked is the one dialled.

The request gate (``middlewares.py``) refuses private hosts before a request is sent; this
closes the gap between its lookup and the connection (DNS rebinding: a name that answers with
a public address first and a loopback one the second time).
"""

from __future__ import annotations

from scrapy.resolver import CachingThreadedResolver, dnscache
from twisted.internet.error import DNSLookupError

from .middlewares import PRIVATE_REFUSAL, address_is_public

# Names whose answer was refused when connecting, and that answer: Twisted turns the refusal
# into a plain "DNS lookup failed", so the reason of the failed request is looked up here.
refused_at_connect: dict[str, str] = {}


class PublicOnlyResolver(CachingThreadedResolver):
    allow_private = False

    @classmethod
    def from_crawler(cls, crawler, reactor):
        resolver = super().from_crawler(crawler, reactor)
        resolver.allow_private = crawler.settings.getbool("NEWSWATCH_ALLOW_PRIVATE_ADDRESSES")
        return resolver

    def getHostByName(self, name, timeout=()):  # noqa: N802 - Twisted's interface
        deferred = super().getHostByName(name, timeout)
        if not self.allow_private:
            deferred.addCallback(self._refuse_private, name)
        return deferred

    def _refuse_private(self, address: str, name: str) -> str:
        if not address_is_public(address):
            dnscache.pop(name, None)  # never reuse an answer that was refused
            refused_at_connect[name] = address
            raise DNSLookupError(
                f"host {name!r} is a private or local address ({address}); {PRIVATE_REFUSAL}"
            )
        return address
