"""Per-feed polling on a fake clock: adaptive interval, pinned feeds, backoff, Retry-After."""

from __future__ import annotations

import random
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from newswatch.scheduler.polling import due_time, feed_phase, parse_retry_after, plan_next
from newswatch.storage.store import iso

from conftest import rss, run_newswatch, write_config

NOW = datetime(2025, 9, 9, 6, 45, tzinfo=UTC)
BOUNDS = dict(default=900.0, min_interval=300.0, max_interval=21600.0)


def plan(**kw):
    args = dict(now=NOW, result="ok", new_entries=0, previous_interval=None, errors=0, pinned=None)
    args.update(BOUNDS)
    args.update(kw)
    return plan_next(**args)


def test_news_shortens_quiet_lengthens_within_bounds():
    assert plan(new_entries=3).interval == 450
    assert plan(result="not_modified").interval == 900 * 1.25
    interval = 900.0
    for _ in range(10):  # a feed with news at every poll settles at the minimum
        interval = plan(new_entries=1, previous_interval=interval).interval
    assert interval == 300
    for _ in range(40):  # a quiet feed drifts to the maximum
        interval = plan(result="not_modified", previous_interval=interval).interval
    assert interval == 21600
    assert plan(new_entries=1, previous_interval=21600).interval == 10800  # and comes back
    result = plan(new_entries=1, previous_interval=600)
    assert result.next_poll == NOW + timedelta(seconds=300)


def test_pinned_interval_does_not_adapt():
    for kw in ({"new_entries": 5}, {"result": "not_modified"}):
        p = plan(pinned=2.0, previous_interval=2.0, **kw)
        assert p.interval == 2.0 and p.next_poll == NOW + timedelta(seconds=2)


def test_errors_back_off_exponentially_with_bounded_jitter():
    rng = random.Random(7)
    waits = []
    for errors in range(1, 8):
        p = plan(result="error", errors=errors, previous_interval=900, rng=rng)
        assert p.interval == 900  # the interval itself is kept
        waits.append((p.next_poll - NOW).total_seconds())
    for errors, wait in enumerate(waits, start=1):
        base = min(900 * 2**errors, 21600)
        assert base <= wait <= base * 1.25
    assert waits[-1] <= 21600 * 1.25


def test_retry_after_is_honoured():
    assert parse_retry_after("120", NOW) == 120
    assert parse_retry_after(b"Tue, 09 Sep 2025 07:45:00 GMT", NOW) == 3600
    assert parse_retry_after("garbage", NOW) is None
    # Hostile values never break a cycle: odd digits, huge numbers, absurd dates.
    assert parse_retry_after("\u00b2".encode("latin-1"), NOW) is None
    assert parse_retry_after("1" * 400, NOW) == 30 * 86400
    assert parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", NOW) == 30 * 86400
    plan(result="error", errors=1, retry_after=parse_retry_after("1" * 400, NOW))
    p = plan(result="error", errors=1, retry_after=86400, rng=random.Random(1))
    assert p.next_poll == NOW + timedelta(days=1)
    assert plan(result="not_modified", retry_after=10).next_poll > NOW + timedelta(seconds=10)


def row(last_poll: datetime, wait: float, errors: int = 0) -> dict:
    """A ``feeds`` row as a poll at ``last_poll`` planned it, ``wait`` seconds ahead."""
    next_poll = last_poll + timedelta(seconds=wait)
    return {"last_poll": iso(last_poll), "next_poll": iso(next_poll), "errors": errors}


def test_a_feed_never_polled_is_due_now():
    for state in (None, {}, {"last_poll": None, "next_poll": None, "errors": 0}):
        assert due_time(state, 900, NOW) == NOW


def test_the_planned_poll_stands_while_the_config_allows_its_interval():
    planned = row(NOW - timedelta(minutes=5), 900)
    assert due_time(planned, 900, NOW) == NOW + timedelta(minutes=10)
    assert due_time(planned, 3600, NOW) == NOW + timedelta(minutes=10)  # never postponed
    overdue = row(NOW - timedelta(hours=2), 900)
    assert due_time(overdue, 900, NOW) == NOW - timedelta(minutes=105)  # due since then


def test_a_shorter_interval_brings_a_planned_poll_forward():
    # Polled 5 minutes ago under a 1 h interval; the config now allows at most 10 minutes.
    planned = row(NOW - timedelta(minutes=5), 3600)
    assert due_time(planned, 600, NOW) == NOW + timedelta(minutes=5)
    assert due_time(planned, 300, NOW) == NOW  # due now
    assert due_time(planned, 60, NOW) == NOW - timedelta(minutes=4)


def test_backoff_and_retry_after_are_not_shortened():
    # A failed poll's wait may be backoff or the server's Retry-After: it stands.
    failed = row(NOW - timedelta(minutes=5), 86400, errors=1)
    assert due_time(failed, 60, NOW) == NOW - timedelta(minutes=5) + timedelta(days=1)


def test_a_last_poll_after_now_means_the_clock_was_set_back():
    later = NOW + timedelta(hours=2)  # the clock read two hours more at the last poll
    assert due_time(row(later, 900), 900, NOW) == NOW  # not held back two hours
    failed = row(later, 1800, errors=2)
    assert due_time(failed, 900, NOW) == later + timedelta(seconds=1800)


def feed_rows(db):
    conn = sqlite3.connect(db)
    rows = {
        r[0]: r[1:] for r in conn.execute("SELECT name, next_poll, interval, last_poll FROM feeds")
    }
    conn.close()
    return rows


def test_due_crawl_polls_only_due_feeds(tmp_path, server):
    server.add("/a.xml", rss([]), content_type="application/rss+xml")
    server.add("/b.xml", rss([]), content_type="application/rss+xml")
    server.add("/busy.xml", "slow down", status=429, headers={"Retry-After": "3600"})
    config = write_config(
        tmp_path,
        [
            ("a", server.url("/a.xml")),
            ("b", server.url("/b.xml")),
            ("busy", server.url("/busy.xml")),
        ],
    )
    assert run_newswatch("crawl", "-c", str(config)).returncode == 0
    rows = feed_rows(tmp_path / "newswatch.db")
    polled_at = datetime.fromisoformat(rows["a"][2])
    spread = datetime.fromisoformat(rows["a"][0]) - polled_at  # a first poll: spread
    assert timedelta(minutes=5) <= spread <= timedelta(seconds=900 * 1.25)
    assert rows["a"][1] == 900 * 1.25  # no news: lengthened
    busy_wait = datetime.fromisoformat(rows["busy"][0]) - polled_at
    assert busy_wait >= timedelta(seconds=3590)

    server.requests.clear()
    assert run_newswatch("crawl", "-c", str(config), "--due").returncode == 0
    assert [p for p in server.requests if p.endswith(".xml")] == []  # none due yet

    conn = sqlite3.connect(tmp_path / "newswatch.db")
    with conn:
        conn.execute("UPDATE feeds SET next_poll = '2000-01-01T00:00:00+00:00' WHERE name = 'b'")
    conn.close()
    result = run_newswatch("crawl", "-c", str(config), "--due")
    assert result.returncode == 0
    assert [p for p in server.requests if p.endswith(".xml")] == ["/b.xml"]
    status = run_newswatch("status", "-c", str(config))
    assert "HTTP 429" in status.stdout


def test_due_crawl_polls_a_feed_whose_shortened_interval_has_passed(tmp_path, server):
    server.add("/a.xml", rss([]), content_type="application/rss+xml")
    server.add("/b.xml", rss([]), content_type="application/rss+xml")
    config = write_config(tmp_path, [("a", server.url("/a.xml")), ("b", server.url("/b.xml"))])
    pinned = config.read_text().replace(
        f"url: {server.url('/a.xml')}", f"url: {server.url('/a.xml')}\n  interval: 1h"
    )
    config.write_text(pinned)
    assert run_newswatch("crawl", "-c", str(config)).returncode == 0
    # Both polled 10 minutes ago: a planned 1 h ahead (pinned), b 15m * 1.25 ahead (the whole
    # interval, not the spread of a first poll, which could fall within the 10 minutes).
    conn = sqlite3.connect(tmp_path / "newswatch.db")
    with conn:
        conn.execute(
            "UPDATE feeds SET last_poll = strftime(?, last_poll, '-10 minutes'),"
            " next_poll = strftime(?, last_poll, '-10 minutes', '+' || interval || ' seconds')",
            ["%Y-%m-%dT%H:%M:%S+00:00"] * 2,
        )
    conn.close()
    server.requests.clear()
    assert run_newswatch("crawl", "-c", str(config), "--due").returncode == 0
    assert server.hits("/a.xml") == server.hits("/b.xml") == []  # neither due yet

    # The config now pins a to 5 minutes: its poll planned under 1 h is due.
    config.write_text(pinned.replace("interval: 1h", "interval: 5m"))
    assert run_newswatch("crawl", "-c", str(config), "--due").returncode == 0
    assert [p for p in server.requests if p.endswith(".xml")] == ["/a.xml"]
    assert feed_rows(tmp_path / "newswatch.db")["a"][1] == 300  # planned under the new pin


@pytest.mark.parametrize("interval", ["2s"])
def test_feed_interval_pins(tmp_path, server, interval):
    server.add("/a.xml", rss([]), content_type="application/rss+xml")
    # A pinned interval may not be below schedule.min_interval.
    config = write_config(tmp_path, [("a", server.url("/a.xml"))], schedule={"min_interval": "1s"})
    text = config.read_text().replace(
        f"url: {server.url('/a.xml')}", f"url: {server.url('/a.xml')}\n  interval: {interval}"
    )
    config.write_text(text)
    assert run_newswatch("crawl", "-c", str(config)).returncode == 0
    assert feed_rows(tmp_path / "newswatch.db")["a"][1] == 2.0


def test_robots_crawl_delay_reaches_the_crawl(tmp_path, server):
    """The extension is wired to Scrapy's ``robots_parsed`` signal (its effect: test_politeness)."""
    server.add("/robots.txt", "User-agent: *\nCrawl-delay: 1\n", content_type="text/plain")
    items = [{"title": f"t{i}", "link": server.url(f"/news/{i}.html")} for i in range(2)]
    server.add("/feed.xml", rss(items), content_type="application/rss+xml")
    config = write_config(tmp_path, [("f", server.url("/feed.xml"))])
    result = run_newswatch("crawl", "-c", str(config), "-v")
    assert result.returncode == 0
    assert "robots.txt of 127.0.0.1" in result.stderr and "Crawl-delay 1s" in result.stderr
    assert sorted(server.requests) == ["/feed.xml", "/news/0.html", "/news/1.html", "/robots.txt"]


def waited(p) -> float:
    return (p.next_poll - NOW).total_seconds()


def test_the_feeds_of_one_cycle_are_next_due_over_the_interval():
    # A cold start, or a database planned before the spread: 1,000 feeds polled at one ``now``.
    rng = random.Random(5)  # for the feeds whose slot is too near: a random wait
    waits = [
        waited(plan(pinned=900.0, phase=feed_phase(f"feed-{i}"), rng=rng)) for i in range(1000)
    ]
    # Between min_interval (no feed is polled more often) and the interval (never exceeded)...
    assert min(waits) >= 300 and max(waits) <= 900
    # ...and evenly: no minute of those ten takes more than 15% of the feeds (10% is even).
    per_minute = [0] * 10
    for wait in waits:
        per_minute[min(int((wait - 300) // 60), 9)] += 1
    assert max(per_minute) <= 150, per_minute
    # Adaptive feeds too, within the interval each adapted to.
    for i in range(100):
        p = plan(result="not_modified", phase=feed_phase(f"feed-{i}"))
        assert p.interval == 1125 and 300 <= waited(p) <= 1125


def test_a_feed_polled_on_its_slot_keeps_its_cadence():
    phase = feed_phase("antara-dunia")
    assert phase == feed_phase("antara-dunia") == 0.9772459450177848  # stable: no salted hash
    slot = datetime.fromtimestamp(900 * (NOW.timestamp() // 900) + phase * 900, UTC)
    for late in (0.5, 30, 200):  # polled this late after its slot (a cycle's gap and its run)
        p = plan(now=slot + timedelta(seconds=late), pinned=900.0, phase=phase)
        assert p.next_poll == slot + timedelta(seconds=900)  # the next slot, not 900 s on


def test_a_spread_wait_is_never_past_the_interval_nor_below_the_minimum():
    rng = random.Random(9)
    for _ in range(2000):
        now = NOW + timedelta(seconds=rng.uniform(0, 86400))
        phase = rng.random()
        for pinned in (900.0, 3600.0, 300.0):
            p = plan(now=now, pinned=pinned, phase=phase)
            assert 300 <= (p.next_poll - now).total_seconds() <= pinned
        # An adapted interval near the minimum (news halved 660 to 330): at least the minimum.
        p = plan(now=now, new_entries=1, previous_interval=660, phase=phase)
        assert 300 <= (p.next_poll - now).total_seconds() <= 330
    # The plan is what due_time reads back: the interval only caps it.
    p = plan(result="not_modified", pinned=900.0, phase=0.5)
    state = {"last_poll": iso(NOW), "next_poll": iso(p.next_poll), "errors": 0}
    stored = datetime.fromisoformat(iso(p.next_poll))  # the table keeps whole seconds
    assert due_time(state, 900, NOW) == stored <= NOW + timedelta(seconds=900)


def test_the_spread_leaves_backoff_and_retry_after_alone():
    spread = plan(result="error", errors=3, previous_interval=900, phase=0.3, rng=random.Random(4))
    assert spread == plan(result="error", errors=3, previous_interval=900, rng=random.Random(4))
    assert 7200 <= waited(spread) <= 7200 * 1.25  # 8x backoff, up to 25% more
    # A Retry-After longer than the spread wait stands in full.
    p = plan(result="not_modified", phase=0.3, retry_after=5000)
    assert p.next_poll == NOW + timedelta(seconds=5000)
