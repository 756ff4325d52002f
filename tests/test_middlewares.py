"""The request gate: http(s) only, no private addresses unless allowed, on every hop."""

import asyncio

import pytest
from scrapy import Request

from newswatch.crawler.middlewares import (
    SafetyMiddleware,
    UnsafeRequest,
    address_is_public,
    host_problem,
)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2001:4860:4860::8888", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # CGNAT
        ("::1", False),
        ("fe80::1", False),
        ("::ffff:127.0.0.1", False),  # IPv4-mapped loopback
        ("0.0.0.0", False),
        ("not an ip", False),
    ],
)
def test_address_is_public(address, public):
    assert address_is_public(address) is public


def test_host_problem():
    assert host_problem("a.example", ("93.184.216.34",)) is None
    assert "private" in host_problem("evil.example", ("93.184.216.34", "10.0.0.1"))
    assert "cannot resolve" in host_problem("nowhere.invalid", ())


def run(coro):
    return asyncio.run(coro)


def test_gate_refuses_schemes_and_private_hosts():
    gate = SafetyMiddleware(allow_private=False)
    with pytest.raises(UnsafeRequest, match="private"):
        run(gate.process_request(Request("http://127.0.0.1:8000/feed.xml")))
    with pytest.raises(UnsafeRequest, match="private"):
        run(gate.process_request(Request("http://[::1]/x")))
    with pytest.raises(UnsafeRequest, match="private"):
        run(gate.process_request(Request("http://localhost/x")))
    # Literal addresses are refused before any connection is tried.
    for url in ("http://10.1.2.3/x", "http://169.254.169.254/latest/meta-data", "http://0.0.0.0/"):
        with pytest.raises(UnsafeRequest, match="private"):
            run(gate.process_request(Request(url)))
    for url in ("file:///etc/passwd", "ftp://a.example/x", "data:text/html,hi"):
        with pytest.raises(UnsafeRequest, match="scheme"):
            run(gate.process_request(Request(url)))


def test_gate_allows_private_when_configured():
    gate = SafetyMiddleware(allow_private=True)
    assert run(gate.process_request(Request("http://127.0.0.1:8000/feed.xml"))) is None


def test_resolver_refuses_a_private_answer_at_connect_time():
    """DNS rebinding: the name passed the gate, then resolves to loopback when dialled."""
    from scrapy.resolver import dnscache
    from twisted.internet.error import DNSLookupError

    from newswatch.crawler.resolver import PublicOnlyResolver

    resolver = PublicOnlyResolver.__new__(PublicOnlyResolver)
    dnscache["rebind.example"] = "127.0.0.1"
    with pytest.raises(DNSLookupError, match="private or local"):
        resolver._refuse_private("127.0.0.1", "rebind.example")
    assert "rebind.example" not in dnscache
    assert resolver._refuse_private("93.184.216.34", "a.example") == "93.184.216.34"
