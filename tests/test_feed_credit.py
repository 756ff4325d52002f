"""A story that several feeds list is credited to the first of them in the config, whichever
feed answered first; and it is backfill only when every feed that listed it was on its first
poll."""

from __future__ import annotations

import sqlite3
import subprocess
from urllib.parse import urlsplit

import pytest

from newswatch import command

from conftest import rss, run_newswatch, write_config

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title>
<link rel="canonical" href="{path}"></head><body><article><h1>{title}</h1>{paragraphs}
</article></body></html>"""
SHARED = "/news/shared.html"


def page(title: str, path: str) -> str:
    paragraphs = "".join(
        f"<p>Paragraph {i}: officials in Seoul said North Korea fired a missile on Tuesday,"
        " and the report added more detail about what happened next in the region.</p>"
        for i in range(5)
    )
    return PAGE.format(title=title, path=path, paragraphs=paragraphs)


def add_page(server, path: str, title: str) -> str:
    server.add(path, page(title, path))
    return server.url(path)


def add_feed(server, path: str, items: list[tuple[str, str]], hold: bool = False) -> str:
    body = rss([{"title": title, "link": link} for title, link in items])
    return server.add(path, body, content_type="application/rss+xml", hold=hold)


def story_rows(database) -> dict[str, tuple[str, int]]:
    """Each stored story's path: (its feed, its backfill flag); {} before the database exists."""
    try:
        conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    except sqlite3.OperationalError:
        return {}
    try:
        rows = conn.execute("SELECT url, feed, backfill FROM stories").fetchall()
    except sqlite3.OperationalError:  # not created yet
        return {}
    finally:
        conn.close()
    return {urlsplit(url).path: (feed, backfill) for url, feed, backfill in rows}


def crawl_while_held(server, config, path: str, *args: str) -> None:
    """A crawl in which the held feed answers only once the other feed's entry has asked for
    the page at ``path``: that feed claimed the story, which the crawl used to credit it to."""
    child = subprocess.Popen(
        command("crawl", "-c", str(config), "--no-progress", *args),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        server.wait_for(path)
    finally:
        server.release()
        _, errors = child.communicate(timeout=60)
    assert child.returncode == 0, errors


@pytest.mark.parametrize("held", [False, True], ids=["config-order", "first-feed-slower"])
def test_a_story_two_feeds_list_is_credited_to_the_first_in_the_config(tmp_path, server, held):
    shared = add_page(server, SHARED, "North Korea fires a missile")
    first = add_feed(
        server,
        "/first.xml",
        [("Missile", shared + "?utm_source=rss"), ("A", add_page(server, "/news/a.html", "A"))],
        hold=held,
    )
    second = add_feed(
        server, "/second.xml", [("B", add_page(server, "/news/b.html", "B")), ("M", shared)]
    )
    config = write_config(tmp_path, [("first", first), ("second", second)], crawl={"timeout": 30})
    database = tmp_path / "newswatch.db"
    if held:
        crawl_while_held(server, config, SHARED)
    else:
        result = run_newswatch("crawl", "-c", str(config), "--no-progress")
        assert result.returncode == 0, result.stderr
    assert story_rows(database) == {
        SHARED: ("first", 1),
        "/news/a.html": ("first", 1),
        "/news/b.html": ("second", 1),
    }


def test_a_story_an_established_feed_lists_is_news_though_a_new_feed_lists_it_too(tmp_path, server):
    old = add_page(server, "/news/old.html", "Old news about North Korea")
    second = add_feed(server, "/second.xml", [("Old", old)])
    first = add_feed(server, "/first.xml", [])
    config = write_config(
        tmp_path,
        [("first", first), ("second", second)],
        topics=[("korea", '"north korea"')],
        alerts={"backfill": False},
        crawl={"timeout": 30},
    )
    database = tmp_path / "newswatch.db"
    result = run_newswatch("crawl", "-c", str(config), "--feed", "second", "--no-progress")
    assert result.returncode == 0, result.stderr
    assert story_rows(database) == {"/news/old.html": ("second", 1)}

    # The second feed, polled before, now lists a new story; the first feed, new to the
    # config, lists it too on its first poll, and answers first.
    shared = add_page(server, SHARED, "North Korea fires a missile")
    add_feed(server, "/second.xml", [("Missile", shared), ("Old", old)], hold=True)
    add_feed(server, "/first.xml", [("Missile", shared)])
    crawl_while_held(server, config, SHARED)

    assert story_rows(database)[SHARED] == ("first", 0)  # news: the second feed's, not backfill
    alerts = run_newswatch("alerts", "-c", str(config), "--json")
    assert alerts.returncode == 0, alerts.stderr
    assert SHARED in alerts.stdout and "/news/old.html" not in alerts.stdout
