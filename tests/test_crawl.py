"""``newswatch crawl`` end to end, against pages and feeds served on loopback by the test."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest

from newswatch import command

from conftest import FIXTURES, rss, run_newswatch, write_config

ARTICLE = """<!doctype html><html><head><meta charset="utf-8"><title>{title} - Outlet</title>
<link rel="canonical" href="{path}"></head><body><nav>Home | World | Sport</nav>
<article><h1>{title}</h1>{paragraphs}</article><footer>Copyright Outlet</footer></body></html>"""


def page(title: str, path: str, words: str = "officials said on Tuesday") -> str:
    paragraphs = "".join(
        f"<p>Paragraph {i} of the story: {words}, and the report added more detail "
        f"about what happened next in the region.</p>"
        for i in range(5)
    )
    return ARTICLE.format(title=title, path=path, paragraphs=paragraphs)


def stories(db_path) -> dict[str, sqlite3.Row]:
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    rows = {row["url"]: row for row in conn.execute("SELECT * FROM stories")}
    conn.close()
    return rows


def article_hits(server) -> list[str]:
    return [p for p in server.requests if p.startswith(("/news/", "/amp/", "/bad/"))]


@pytest.fixture
def outlet(server):
    """Two outlets' worth of feeds: Indonesian and English, with every kind of bad page."""
    server.add_fixture("/news/korut-rudal.html", "pages/tribun_korut.html")
    server.add_fixture("/news/ukraine-drone.html", "pages/english_jsonld.html")
    server.add_fixture("/amp/ukraine-drone.html", "pages/english_jsonld_amp.html")
    server.add("/bad/500.html", "oops", status=500)
    server.add("/bad/slow.html", page("Slow", "/bad/slow.html"), hold=True)  # never answers
    server.add("/bad/loop.html", "", status=302, headers={"Location": "/bad/loop.html"})
    server.add("/bad/big.html", page("Big", "/bad/big.html") + "<!--" + "x" * 300_000 + "-->")
    server.add("/bad/doc.pdf", b"%PDF-1.4 binary", content_type="application/pdf")
    sentinel = FIXTURES / "pages" / "expected.json"  # a local file a hostile redirect points at
    server.add("/bad/tofile.html", "", status=302, headers={"Location": sentinel.as_uri()})
    server.add(
        "/bad/empty.html",
        '<html><head><meta property="article:published_time" content="2025-09-10T08:00:00+07:00">'
        '</head><body><nav><a href="/">Home</a> | <a href="/w">World</a></nav></body></html>',
    )
    tribun = [
        {"title": "Korut uji rudal", "link": server.url("/news/korut-rudal.html?utm_source=rss")},
        {"title": "Hilang", "link": server.url("/bad/404.html"), "description": "Ringkasan 404"},
        {"title": "Galat", "link": server.url("/bad/500.html"), "description": "<b>Ringkasan</b>"},
        {"title": "Lambat", "link": server.url("/bad/slow.html")},
        {"title": "Putar", "link": server.url("/bad/loop.html")},
        {"title": "Besar", "link": server.url("/bad/big.html")},
        {"title": "Dokumen", "link": server.url("/bad/doc.pdf")},
        {"title": "Kosong", "link": server.url("/bad/empty.html")},
        {"title": "Berkas", "link": server.url("/bad/tofile.html")},
    ]
    world = [
        {"title": "Drones", "link": server.url("/news/ukraine-drone.html#top")},
        {"title": "Drones (AMP)", "link": server.url("/amp/ukraine-drone.html")},
        {"title": "Korut", "link": server.url("/news/korut-rudal.html?fbclid=abc")},
    ]
    server.add("/tribun.xml", rss(tribun), content_type="application/rss+xml", conditional=True)
    server.add("/world.xml", rss(world), content_type="application/rss+xml", conditional=True)
    server.add("/broken.xml", "<html>this is no feed</html>", content_type="text/html")
    server.items = tribun
    return server


def crawl_config(tmp_path, server, timeout=10, **sections):
    feeds = [
        ("tribun", server.url("/tribun.xml")),
        ("world", server.url("/world.xml")),
        ("broken", server.url("/broken.xml")),
        ("missing", server.url("/missing.xml")),
    ]
    sections.setdefault("crawl", {}).update(timeout=timeout, max_page_bytes=200_000)
    return write_config(tmp_path, feeds, **sections)


def test_crawl_stores_each_story_once_and_survives_bad_input(tmp_path, outlet):
    config = crawl_config(tmp_path, outlet, timeout=2)  # the slow page never answers
    result = run_newswatch("crawl", "-c", str(config))
    assert result.returncode == 0, result.stderr
    base = outlet.base
    rows = stories(tmp_path / "newswatch.db")

    korut = rows[f"{base}/news/korut-rudal.html"]
    assert korut["title"] == "Korea Utara Kembali Uji Coba Rudal Balistik di Lepas Pantai Timur"
    assert korut["published"] == "2025-09-09T13:45:00+07:00"
    assert json.loads(korut["authors"]) == ["Namira"]
    assert korut["feed"] in ("tribun", "world")  # both list it; the first answer wins
    assert korut["extraction"] == "page"
    assert "Baca juga" not in korut["body"] and "\n\n" in korut["body"]

    drone = rows[f"{base}/news/ukraine-drone.html"]  # the AMP link is the same story
    assert drone["extraction"] == "page"
    assert drone["published"] == "2025-03-14T06:20:00+02:00"

    # Pages that failed are kept from their feed entries, and marked so.
    for path, title in [
        ("/bad/404.html", "Hilang"),
        ("/bad/500.html", "Galat"),
        ("/bad/slow.html", "Lambat"),
        ("/bad/loop.html", "Putar"),
        ("/bad/big.html", "Besar"),
        ("/bad/doc.pdf", "Dokumen"),
        ("/bad/empty.html", "Kosong"),
    ]:
        row = rows[base + path]
        assert (row["title"], row["extraction"]) == (title, "feed"), path
    assert rows[f"{base}/bad/500.html"]["body"] == "Ringkasan"
    assert rows[f"{base}/bad/empty.html"]["published"] == "2025-09-10T08:00:00+07:00"  # page's
    assert not any("served_at" in row["body"] for row in rows.values())  # file:// never read
    assert rows[f"{base}/bad/tofile.html"]["extraction"] == "feed"  # Scrapy won't follow it
    assert len(rows) == 10

    # Every failure is reported once, with its feed, URL and reason.
    err = result.stderr
    for needle in [
        "feed=broken",
        "feed=missing",
        "bad/404.html reason=HTTP 404",
        "bad/500.html reason=HTTP 500",
        "bad/slow.html reason=timed out",
        "bad/big.html reason=",
        "bad/doc.pdf reason=not HTML",
        "bad/empty.html reason=no article text",
        "bad/loop.html reason=",
        "bad/tofile.html reason=refused: HTTP 302 redirect to 'file:///",
    ]:
        assert err.count(needle) == 1, (needle, err)
    assert "Traceback" not in err
    summary = result.stdout.strip().splitlines()[-1]
    assert "2 failed" in summary and "new stories:" in summary


def test_recrawl_fetches_no_known_story_and_new_items_only(tmp_path, outlet):
    outlet.release()  # the slow page answers: only the 500 fails for a transient reason
    config = crawl_config(tmp_path, outlet)
    assert run_newswatch("crawl", "-c", str(config)).returncode == 0
    before = stories(tmp_path / "newswatch.db")
    fetched = len(article_hits(outlet))

    again = run_newswatch("crawl", "-c", str(config))
    assert again.returncode == 0
    # Not one request for a stored story; only the page that failed for a transient reason
    # (a 500) is asked again.
    assert article_hits(outlet)[fetched:] == ["/bad/500.html"]
    fetched = len(article_hits(outlet))
    assert "(2 unchanged)" in again.stdout  # both good feeds answered 304
    assert stories(tmp_path / "newswatch.db").keys() == before.keys()

    outlet.add("/news/baru.html", page("Berita baru", "/news/baru.html"))
    items = [
        {"title": "Baru", "link": outlet.url("/news/baru.html?utm_medium=feed")},
        *outlet.items,
    ]
    outlet.add("/tribun.xml", rss(items), content_type="application/rss+xml", conditional=True)
    third = run_newswatch("crawl", "-c", str(config))
    assert third.returncode == 0
    assert sorted(article_hits(outlet)[fetched:]) == ["/bad/500.html", "/news/baru.html"]
    fourth = run_newswatch("crawl", "-c", str(config))
    assert fourth.returncode == 0
    assert len(article_hits(outlet)) == fetched + 2  # its retries are spent: nothing more
    after = stories(tmp_path / "newswatch.db")
    assert set(after) - set(before) == {outlet.url("/news/baru.html")}
    for url, row in before.items():  # nothing stored before was changed (but retry counts)
        kept = {key: row[key] for key in row.keys() if key != "retries_left"}  # noqa: SIM118 (a Row iterates values)
        assert kept == {key: after[url][key] for key in kept}


def test_private_addresses_refused_unless_allowed(tmp_path, server):
    server.add("/feed.xml", rss([{"title": "x", "link": server.url("/news/x.html")}]))
    feeds = [
        ("loopback", server.url("/feed.xml")),
        ("by-name", f"http://localhost:{server.port}/feed.xml"),
    ]
    config = write_config(tmp_path, feeds, crawl={"allow_private_addresses": False})
    result = run_newswatch("crawl", "-c", str(config))
    assert result.returncode == 0
    assert server.requests == []  # not even robots.txt
    assert result.stderr.count("private or local address") == 2
    assert "2 failed" in result.stdout


def test_feed_option_limits_the_run(tmp_path, outlet):
    config = crawl_config(tmp_path, outlet)
    result = run_newswatch("crawl", "-c", str(config), "--feed", "world")
    assert result.returncode == 0, result.stderr
    assert outlet.hits("/tribun.xml") == [] and outlet.hits("/world.xml")
    assert set(stories(tmp_path / "newswatch.db")) == {
        outlet.url("/news/ukraine-drone.html"),
        outlet.url("/news/korut-rudal.html"),
    }
    unknown = run_newswatch("crawl", "-c", str(config), "--feed", "nope")
    assert unknown.returncode == 2 and "nope" in unknown.stderr


def test_a_page_whose_parse_never_finished_twice_is_kept_from_its_feed_entry(tmp_path, outlet):
    from newswatch.storage.store import Store

    korut = outlet.url("/news/korut-rudal.html")
    drone = outlet.url("/news/ukraine-drone.html")
    with Store(tmp_path / "newswatch.db") as store:  # two crawls died inside this parse
        store.note_parse(korut)
        store.note_parse(korut)
        store.note_parse(drone)  # one died inside this one: it is parsed again
    config = crawl_config(tmp_path, outlet)
    result = run_newswatch("crawl", "-c", str(config), "--feed", "world")
    assert result.returncode == 0, result.stderr
    rows = stories(tmp_path / "newswatch.db")
    assert (rows[korut]["title"], rows[korut]["extraction"]) == ("Korut", "feed")
    assert rows[drone]["extraction"] == "page"
    assert f"url={korut} reason=its parse was started 2 times" in result.stderr
    conn = sqlite3.connect(tmp_path / "newswatch.db")
    assert conn.execute("SELECT count(*) FROM parse_attempts").fetchone()[0] == 0  # all stored
    conn.close()


def test_bad_config_exits_2_and_touches_nothing(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(
        "database: news.db\nfeeds:\n  - name: Bad Name\n    url: ftp://x/feed\n"
        "crawl:\n  timeout: soon\n  colour: blue\n",
        encoding="utf-8",
    )
    result = run_newswatch("crawl", "-c", str(config))
    assert result.returncode == 2
    for key in ("feeds[0].name", "feeds[0].url", "crawl.timeout", "crawl.colour"):
        assert key in result.stderr
    assert not (tmp_path / "news.db").exists()


def status_blocks(text: str) -> dict[str, list[str]]:
    """``newswatch status`` output as each feed's lines, by feed name (a block starts at a line
    that is not indented, after the title line)."""
    blocks: dict[str, list[str]] = {}
    for line in text.splitlines()[1:]:
        if not line.startswith(" "):
            name = line.split()[0]
            blocks[name] = []
        blocks[name].append(line)
    return blocks


def test_status_shows_a_block_per_feed_that_fits_80_columns(tmp_path, outlet):
    config = crawl_config(tmp_path, outlet)
    run_newswatch("crawl", "-c", str(config))
    conn = sqlite3.connect(tmp_path / "newswatch.db")
    with conn:  # an adapted interval (900 / 2 * 1.25): once shown as "562s" beside "5m"
        conn.execute("UPDATE feeds SET interval = 562.5 WHERE name = 'world'")
    conn.close()
    result = run_newswatch("status", "-c", str(config), env={"COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    blocks = status_blocks(result.stdout)
    assert list(blocks) == ["tribun", "world", "broken", "missing"], result.stdout
    for name, outcome in [("tribun", "ok"), ("world", "ok"), ("broken", "error")]:
        assert blocks[name][0].startswith(f"{name}  {outcome} · "), result.stdout
    assert blocks["missing"][-1].startswith("  last error: HTTP 404")
    assert blocks["world"][1].endswith(" · every 9m22s")
    # Every line but a last error (never cut) fits 80 columns; the interval is a span.
    lines = [line for block in blocks.values() for line in block]
    assert all(len(line) <= 80 for line in lines if "last error:" not in line), result.stdout
    spans = [line.rsplit(" every ", 1)[1] for line in lines if " every " in line]
    assert len(spans) == 4 and all(re.fullmatch(r"\d+[dhm](\d+[hms])?|\d\d?s", s) for s in spans)


def test_interrupted_first_poll_stays_backfill(tmp_path, server):
    """SIGINT mid-crawl: exit 1, and the stories the next crawl finds are still backfill."""
    import signal
    import subprocess

    items = []
    for i in range(6):
        path = f"/news/{i}.html"
        server.add(path, page(f"Korea Utara {i}", path, "korea utara said"), hold=True)
        items.append({"title": f"t{i}", "link": server.url(path)})
    server.add("/feed.xml", rss(items), content_type="application/rss+xml")
    config = write_config(
        tmp_path,
        [("f", server.url("/feed.xml"))],
        topics=[("korut", '"korea utara"')],
        alerts={"backfill": False},
        # The held page times out 5 s after it was asked for: SIGINT is handled long before.
        crawl={"concurrency_per_host": 1, "concurrency": 1, "timeout": 5},
    )
    child = subprocess.Popen(
        command("crawl", "-c", str(config)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    server.wait_for("/news/")  # the first page is asked for, and held: the crawl is busy
    child.send_signal(signal.SIGINT)
    out, _ = child.communicate(timeout=60)
    assert child.returncode == 1 and out.startswith("interrupted")
    first = stories(tmp_path / "newswatch.db")
    assert len(first) == 1  # the page in flight, kept from its entry when it timed out
    assert len(server.hits("/news/")) == 1  # no page was asked for after the signal

    server.release()
    again = run_newswatch("crawl", "-c", str(config))
    assert again.returncode == 0, again.stderr
    rows = stories(tmp_path / "newswatch.db")
    assert len(rows) == 6 and all(row["backfill"] == 1 for row in rows.values())
    assert not (tmp_path / "alerts.jsonl").exists() or (tmp_path / "alerts.jsonl").read_text() == ""


@pytest.mark.parametrize("content", [b"", b"this is not a database at all" * 100])
def test_unusable_database_is_one_clear_line_and_left_alone(tmp_path, server, content):
    server.add("/feed.xml", rss([]), content_type="application/rss+xml")
    config = write_config(tmp_path, [("f", server.url("/feed.xml"))])
    db = tmp_path / "newswatch.db"
    db.write_bytes(content)
    if not content:  # an empty file is a new database to SQLite: that one is fine
        assert run_newswatch("crawl", "-c", str(config)).returncode == 0
        return
    for name in ("crawl", "status"):
        result = run_newswatch(name, "-c", str(config))
        assert result.returncode == 4, result.stderr
        assert result.stderr == f"newswatch: {db}: is not an SQLite database (or it is corrupt)\n"
    assert db.read_bytes() == content


def test_status_before_any_crawl_creates_nothing(tmp_path, server):
    config = write_config(tmp_path, [("f", server.url("/feed.xml"))])
    result = run_newswatch("status", "-c", str(config))
    assert result.returncode == 0 and "never" in result.stdout
    assert not (tmp_path / "newswatch.db").exists()


def test_a_page_that_failed_for_a_transient_reason_is_read_later_and_alerted_once(tmp_path, server):
    """A 503 keeps the feed entry; when the page answers at a later poll, its text replaces
    the entry's and the topics are matched again: an alert the summary alone missed comes."""
    server.add("/news/a.html", "busy", status=503)
    items = [{"title": "Rapat", "link": server.url("/news/a.html"), "description": "Ringkasan"}]
    server.add("/feed.xml", rss(items), content_type="application/rss+xml", conditional=True)
    config = write_config(
        tmp_path,
        [("f", server.url("/feed.xml"))],
        topics=[("korut", '"korea utara"')],
        alerts={"backfill": True},
    )
    first = run_newswatch("crawl", "-c", str(config))
    assert first.returncode == 0 and "asked again" in first.stderr
    row = stories(tmp_path / "newswatch.db")[server.url("/news/a.html")]
    assert row["extraction"] == "feed" and row["body"] == "Ringkasan"
    assert not (tmp_path / "alerts.jsonl").exists() or not (tmp_path / "alerts.jsonl").read_text()

    server.add("/news/a.html", page("Rapat Korea Utara", "/news/a.html", "korea utara said"))
    second = run_newswatch("crawl", "-c", str(config))  # the feed itself answers 304
    assert second.returncode == 0, second.stderr
    assert "pages read on retry: 1" in second.stdout and "alerts: 1" in second.stdout
    rows = stories(tmp_path / "newswatch.db")
    assert len(rows) == 1
    row = rows[server.url("/news/a.html")]
    assert row["extraction"] == "page" and "korea utara said" in row["body"]
    log = (tmp_path / "alerts.jsonl").read_text().splitlines()
    assert len(log) == 1 and json.loads(log[0])["topic"] == "korut"

    third = run_newswatch("crawl", "-c", str(config))
    assert third.returncode == 0
    assert server.hits("/news/a.html") == ["/news/a.html"] * 2  # never again once read
    assert len((tmp_path / "alerts.jsonl").read_text().splitlines()) == 1
