"""Each failed feed or page is one log line with its feed, URL and a reason that says what
happened; no library's traceback comes with it, and a refused page is kept from its entry."""

from __future__ import annotations

import sqlite3

import pytest
from scrapy import Request
from scrapy.exceptions import CannotResolveHostError
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from newswatch.crawler.failures import failure_reason, is_transient
from newswatch.crawler.feeds import parse_feed
from newswatch.crawler.middlewares import HostNotFound, SafetyMiddleware, UnsafeRequest

from conftest import run_newswatch, write_config

NO_HOST = "feed.nowhere.invalid"  # .invalid never resolves (RFC 6761)
NO_PAGE_HOST = "news.nowhere.invalid"


def stories(db) -> dict[str, sqlite3.Row]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    rows = {row["url"]: row for row in conn.execute("SELECT * FROM stories")}
    conn.close()
    return rows


def failed(request: Request, exc: Exception) -> Failure:
    failure = Failure(exc)
    failure.request = request  # as Scrapy hands it to an errback
    return failure


def log_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


def test_an_unresolvable_feed_reads_the_same_through_the_gate(tmp_path):
    """With private addresses refused, the gate resolves names itself: same line, same words."""
    config = write_config(
        tmp_path, [("gone", f"http://{NO_HOST}/rss.xml")], crawl={"allow_private_addresses": False}
    )
    result = run_newswatch("crawl", "-c", str(config))
    assert result.returncode == 0, result.stderr
    assert log_lines(result.stderr) == [
        line for line in log_lines(result.stderr) if "feed=gone" in line
    ]
    assert len(log_lines(result.stderr)) == 1, result.stderr
    assert f"reason=cannot resolve host '{NO_HOST}'" in result.stderr


def test_an_html_page_given_as_a_feed_says_so(tmp_path, server):
    server.add("/news/", "<!DOCTYPE html><html><body><p>Beranda<br></body></html>")
    config = write_config(tmp_path, [("home", server.url("/news/"))])
    result = run_newswatch("crawl", "-c", str(config))
    assert result.returncode == 0
    [line] = log_lines(result.stderr)
    assert line.endswith("reason=not a feed: an HTML page (text/html), not RSS or Atom")
    assert "mismatched tag" not in line


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"<!DOCTYPE html><html><p>x<br></html>", "text/html", "an HTML page (text/html)"),
        (b'{"items": []}', "application/json", "JSON (application/json)"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3", "application/pdf", "a PDF file (application/pdf)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png", "an image (image/png)"),
        (bytes(range(256)), "application/octet-stream", "binary data"),
        (b"", "application/rss+xml", "the answer is empty"),
        (b'<?xml version="1.0"?><urlset><url/></urlset>', "", "XML whose root is <urlset>"),
    ],
)
def test_what_a_document_that_is_not_a_feed_is(body, content_type, reason):
    problem = parse_feed(body, "https://outlet.example/rss", content_type).problem
    assert problem.startswith(f"not a feed: {reason}")
    assert "<unknown>" not in problem and "mismatched tag" not in problem


def test_a_feed_that_breaks_off_before_its_first_entry_says_where():
    problem = parse_feed(b'<?xml version="1.0"?><rss version="2.0"><chan', "https://o/rss").problem
    assert problem == "broken feed: the XML breaks (unclosed token) before any entry"


def test_a_private_address_refusal_names_the_setting():
    gate = SafetyMiddleware(allow_private=False)
    request = Request("http://10.1.2.3/feed.xml")
    with pytest.raises(UnsafeRequest) as info:
        import asyncio

        asyncio.run(gate.process_request(request))
    reason = failure_reason(failed(request, info.value))
    assert reason.startswith("refused: 10.1.2.3 is a private or local address")
    assert "crawl.allow_private_addresses" in reason


def test_dns_failure_is_no_refusal_and_may_pass():
    request = Request(f"http://{NO_HOST}/rss.xml")
    for exc in (
        HostNotFound(f"cannot resolve host {NO_HOST!r}"),
        CannotResolveHostError(f"DNS lookup failed: no results for hostname lookup: {NO_HOST}."),
    ):
        failure = failed(request, exc)
        assert failure_reason(failure) == f"cannot resolve host {NO_HOST!r}"
        assert is_transient(failure)


def test_a_private_answer_refused_when_connecting_is_worded_as_a_refusal(monkeypatch):
    """DNS rebinding: Twisted words the resolver's refusal as a failed lookup; we do not."""
    from newswatch.crawler import resolver

    monkeypatch.setitem(resolver.refused_at_connect, "rebind.example", "127.0.0.1")
    request = Request("http://rebind.example/rss.xml")
    reason = failure_reason(failed(request, CannotResolveHostError("DNS lookup failed")))
    assert reason.startswith("refused: host 'rebind.example' resolved to 127.0.0.1")
    assert "crawl.allow_private_addresses" in reason


def test_a_redirect_to_a_scheme_never_fetched_is_a_refusal():
    request = Request("https://outlet.example/a.html")
    response = Response(request.url, status=302, headers={"Location": "file:///etc/passwd"})
    reason = failure_reason(failed(request, HttpError(response, "Ignoring non-200 response")))
    assert reason == "refused: HTTP 302 redirect to 'file:///etc/passwd' (only http and https)"
    response = Response(request.url, status=404)
    assert failure_reason(failed(request, HttpError(response, "x"))) == "HTTP 404 Not Found"
