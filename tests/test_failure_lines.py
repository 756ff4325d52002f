"""Each failed feed or page is one log line with its feed, URL and a reason that says what
happened; no library's traceback comes with it, and a refused page is kept from its entry."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.exceptions import CannotResolveHostError, DownloadCancelledError
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from test_crawl import stories
from twisted.python.failure import Failure

from newswatch.crawler.failures import failure_reason, is_transient
from newswatch.crawler.feeds import parse_feed
from newswatch.crawler.middlewares import HostNotFound, SafetyMiddleware, UnsafeRequest

from conftest import rss, run_newswatch, write_config

NO_HOST = "feed.nowhere.invalid"  # .invalid never resolves (RFC 6761)
NO_PAGE_HOST = "news.nowhere.invalid"


def failed(request: Request, exc: Exception) -> Failure:
    failure = Failure(exc)
    failure.request = request  # as Scrapy hands it to an errback
    return failure


def log_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


def test_an_unresolvable_feed_and_page_are_one_line_each_and_no_traceback(tmp_path, server):
    page = f"http://{NO_PAGE_HOST}/news/a.html"
    server.add(
        "/feed.xml",
        rss([{"title": "Judul", "link": page, "description": "Ringkasan"}]),
        content_type="application/rss+xml",
    )
    feeds = [("gone", f"http://{NO_HOST}/rss.xml"), ("outlet", server.url("/feed.xml"))]
    config = write_config(tmp_path, feeds)
    result = run_newswatch("crawl", "-c", str(config))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "ERROR" not in result.stderr
    lines = log_lines(result.stderr)
    assert len(lines) == 2, result.stderr
    feed_line = next(line for line in lines if "feed=gone" in line)
    assert f"url=http://{NO_HOST}/rss.xml reason=cannot resolve host '{NO_HOST}'" in feed_line
    page_line = next(line for line in lines if "feed=outlet" in line)
    assert f"url={page} reason=cannot resolve host '{NO_PAGE_HOST}'" in page_line
    assert "refused" not in result.stderr  # a name without an address is no refusal of ours
    assert stories(tmp_path / "newswatch.db")[page]["extraction"] == "feed"


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


LOOPBACK_PUBLIC = Path(__file__).with_name("loopback_public.py")


def crawl_with_loopback_public(config: Path) -> subprocess.CompletedProcess:
    """``newswatch crawl`` with private addresses refused, but for the test server's loopback."""
    env = dict(os.environ, COLUMNS="200")
    argv = [sys.executable, str(LOOPBACK_PUBLIC), "crawl", "-c", str(config)]
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)


def test_a_hostile_crawl_logs_one_line_per_failure_and_no_traceback(tmp_path, server):
    """Bad hosts, a private address, an HTML page, broken XML and a redirect to a private
    address, in one loopback crawl: each failure is one line with its feed, URL and reason."""
    gone_page = f"http://{NO_PAGE_HOST}/news/gone.html"
    redirected = server.url("/news/moved.html")
    good = server.url("/news/good.html")
    server.add(
        "/feed.xml",
        rss(
            [
                {"title": "Pindah", "link": redirected, "description": "Ringkasan pindah"},
                {"title": "Hilang", "link": gone_page, "description": "Ringkasan hilang"},
                {"title": "Baik", "link": good, "description": "Ringkasan baik"},
            ]
        ),
        content_type="application/rss+xml",
    )
    server.add("/news/moved.html", status=302, headers={"Location": "http://10.0.0.1/a.html"})
    body = "<p>" + "Isi berita yang cukup panjang untuk dibaca sebagai artikel. " * 20 + "</p>"
    server.add("/news/good.html", f"<html><head><title>Baik</title></head><body>{body}</body>")
    server.add("/home/", "<!DOCTYPE html><html><body><p>Beranda<br></body></html>")
    server.add(
        "/broken.xml",
        '<?xml version="1.0"?><rss version="2.0"><channel><title>x</titl',
        content_type="application/rss+xml",
    )
    failures = {  # url: (feed, what its reason says)
        f"http://{NO_HOST}/rss.xml": ("gone", f"reason=cannot resolve host '{NO_HOST}'"),
        "http://10.0.0.1/rss.xml": ("private", "crawl.allow_private_addresses is true"),
        server.url("/home/"): ("home", "reason=not a feed: an HTML page (text/html)"),
        server.url("/broken.xml"): ("broken", "reason=broken feed: the XML breaks"),
        gone_page: ("outlet", f"reason=cannot resolve host '{NO_PAGE_HOST}'"),
        redirected: ("outlet", "reason=refused: 10.0.0.1 is a private or local address"),
    }
    feeds = [
        ("gone", f"http://{NO_HOST}/rss.xml"),
        ("private", "http://10.0.0.1/rss.xml"),
        ("home", server.url("/home/")),
        ("broken", server.url("/broken.xml")),
        ("outlet", server.url("/feed.xml")),
    ]
    config = write_config(tmp_path, feeds, crawl={"allow_private_addresses": False})
    result = crawl_with_loopback_public(config)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "ERROR" not in result.stderr, result.stderr
    lines = log_lines(result.stderr)
    assert len(lines) == len(failures), result.stderr
    for url, (feed, reason) in failures.items():
        [line] = [line for line in lines if f"url={url} " in line]
        assert f"feed={feed} " in line and reason in line, line
    assert "4 feeds failed" in result.stdout or "4 failed" in result.stdout, result.stdout
    rows = stories(tmp_path / "newswatch.db")
    # The refused redirect is kept from its feed entry, like any other page we cannot read.
    assert (rows[redirected]["title"], rows[redirected]["extraction"]) == ("Pindah", "feed")
    assert rows[redirected]["body"] == "Ringkasan pindah"
    assert rows[gone_page]["extraction"] == "feed"
    assert rows[good]["extraction"] == "page"
    assert not [path for path in server.requests if "10.0.0.1" in path]


def test_a_refused_redirect_is_not_asked_again(tmp_path, server):
    moved = server.url("/news/moved.html")
    server.add(
        "/feed.xml",
        rss([{"title": "Pindah", "link": moved, "description": "Ringkasan"}]),
        content_type="application/rss+xml",
    )
    server.add("/news/moved.html", status=302, headers={"Location": "http://169.254.169.254/"})
    config = write_config(
        tmp_path, [("outlet", server.url("/feed.xml"))], crawl={"allow_private_addresses": False}
    )
    first = crawl_with_loopback_public(config)
    assert first.returncode == 0, first.stderr
    [line] = log_lines(first.stderr)
    assert "article failed, stored from the feed entry: feed=outlet" in line
    assert "169.254.169.254 is a private or local address" in line
    assert "(redirected to http://169.254.169.254/)" in line
    assert stories(tmp_path / "newswatch.db")[moved]["retries_left"] == 0


def test_a_page_too_large_names_its_setting_without_repeating_the_request():
    request = Request("https://outlet.example/huge.html")
    text = (
        "Expected to receive 600005 bytes which is larger than download max size (200000) in"
        " request <GET https://outlet.example/huge.html>."
    )
    reason = failure_reason(failed(request, DownloadCancelledError(text)))
    assert reason == "too large: 600005 bytes or more, over crawl.max_page_bytes (200000)"


def test_the_hostile_feeds_script_finds_one_line_per_failure(tmp_path):
    """A short run of ``scripts/hostile_feeds.py``: two feeds of each hostile kind."""
    repo = Path(__file__).parent.parent
    spec = importlib.util.spec_from_file_location("hostile", repo / "scripts" / "hostile_feeds.py")
    hostile = importlib.util.module_from_spec(spec)
    sys.modules["hostile"] = hostile  # its dataclasses look their module up
    try:
        spec.loader.exec_module(hostile)
    finally:
        del sys.modules["hostile"]
    report = hostile.run(tmp_path, 38)
    assert report.tracebacks == 0 and report.error_records == 0, report.lines
    assert report.unexpected == []
    assert report.lines_per_failure == {1: report.failures}
    assert report.ok
