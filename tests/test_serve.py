"""``newswatch serve``: the store in a browser through Datasette, read-only.

Through Datasette's own test client on a database the product wrote (stories, feed polls,
topics and alerts through the cycle's own steps, and the digest): every page answers, the
internal tables are hidden, every table and column is described, each canned query returns
its rows, the stories table opens without the bodies, the digest and Atom feeds are served at
their fixed paths and nothing else is, and no write reaches the file. The command itself: a
missing extra or database is one line and exit 1; a real server answers and stops on SIGINT.
"""

from __future__ import annotations

import asyncio
import hashlib
import signal
import socket
import sqlite3
import subprocess
import sys
import urllib.request

import pytest
from click.testing import CliRunner
from datasette.app import Datasette
from datasette.utils.asgi import Request

from newswatch import command
from newswatch.scheduler.cli import main
from newswatch.scheduler.cli.commands import SERVE_EXTRA
from newswatch.scheduler.cli.serve import errors
from newswatch.scheduler.cli.serve.app import build_datasette
from newswatch.scheduler.cli.serve.metadata import shipped
from newswatch.scheduler.cli.serve.stories_page import DEFAULT_VIEW
from newswatch.scheduler.config import load_config
from newswatch.scheduler.cycle import after_crawl, before_crawl
from newswatch.scheduler.delivery.digest import update_digest
from newswatch.storage.store import FeedPoll, NewStory, Store

from conftest import write_config

BODY_ONLY = "zebrafinch"  # a word only in a story's body: a page that shows it shows the body
STORIES = [
    ("wire", "North Korea fires a missile", f"Pyongyang said North Korea tested it. {BODY_ONLY}"),
    ("wire", "Seoul markets calm", "Traders in Seoul shrugged off the launch from North Korea."),
    ("desk", "Jakarta floods", "Heavy rain flooded parts of Jakarta on Monday."),
]
VISIBLE = {"stories", "alerts", "feeds", "links", "topics", "runs", "channels", "deliveries"}
QUERIES = ("latest_alerts", "alerts_for_topic", "search_stories", "feed_health")


def make_store(tmp_path, digest="digest.html"):
    """A config and the database a crawl would leave: 3 stories in 2 feeds, a good and a failed
    poll, and the alerts of two topics (korea: 2 stories, seoul: 1), then the digest."""
    path = write_config(
        tmp_path,
        [("wire", "http://127.0.0.1:9/wire.xml"), ("desk", "http://127.0.0.1:9/desk.xml")],
        topics=[("korea", '"north korea"'), ("seoul", "seoul")],
        alerts={"digest": digest},
    )
    config = load_config(path)
    with Store(config.database) as store:
        boundary = before_crawl(store, config)
        for number, (feed, title, body) in enumerate(STORIES):
            url = f"https://example.com/{number}"
            store.add_story(NewStory(url, title, body, "2025-09-09T06:45:00+00:00", [], feed))
        store.record_polls(
            [
                FeedPoll("wire", "http://127.0.0.1:9/wire.xml", "ok", http_status=200),
                FeedPoll("desk", "http://127.0.0.1:9/desk.xml", "error", 503, "HTTP 503"),
            ]
        )
        after_crawl(store, config, boundary)
        update_digest(store, config)
    return config


@pytest.fixture
def config(tmp_path):
    return make_store(tmp_path)


@pytest.fixture
def site(config):
    datasette = build_datasette(config)
    yield datasette
    datasette.get_database("newswatch").close()
    datasette.executor.shutdown()


def get(datasette, path, **kwargs):
    return asyncio.run(datasette.client.get(path, **kwargs))


def rows(datasette, path):
    response = get(datasette, path + ("&" if "?" in path else "?") + "_shape=array")
    assert response.status_code == 200, response.text
    return response.json()


def fingerprint(path):
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


def test_every_page_answers(site):
    pages = ["/", "/newswatch", DEFAULT_VIEW, "/newswatch/stories/1"]
    pages += [f"/newswatch/{table}" for table in sorted(VISIBLE - {"stories"})]
    pages += [f"/newswatch/{query}" for query in QUERIES]
    pages += ["/newswatch/alerts_for_topic?topic=korea", "/newswatch/search_stories?query=seoul"]
    for page in pages:
        response = get(site, page)
        assert response.status_code == 200, (page, response.text[:500])
        assert response.headers["content-type"].startswith("text/html")


def test_the_internal_tables_are_hidden_and_the_others_listed(site, config):
    conn = sqlite3.connect(config.database)
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    conn.close()
    fts = {name for name in tables if name.startswith("stories_fts")}
    assert fts >= {"stories_fts", "stories_fts_data", "stories_fts_idx", "stories_fts_config"}
    internal = {"_sqlite_migrations", "parse_attempts", "meta", "atom_feeds"} | fts
    internal |= {"story_signatures", "story_bands"}
    assert tables == VISIBLE | internal  # a new table is a decision: shown or hidden
    tables_json = get(site, "/newswatch.json").json()["tables"]
    listed = {table["name"]: table["hidden"] for table in tables_json}
    assert {name for name, hidden in listed.items() if hidden} == internal
    assert {name for name, hidden in listed.items() if not hidden} == VISIBLE
    for page in ("/", "/newswatch"):  # the index lists the biggest few tables of a database
        html = get(site, page).text
        for name in internal:
            assert f'href="/newswatch/{name}"' not in html, (page, name)
    html = get(site, "/newswatch").text
    for name in VISIBLE:
        assert f'href="/newswatch/{name}"' in html, name


def test_every_table_and_column_has_a_title_and_a_description(config):
    """Datasette 0.65 describes a column in one string; ours starts with the column's name in
    words, then says what it holds."""
    described = shipped()["databases"]["newswatch"]["tables"]
    conn = sqlite3.connect(config.database)
    tables = [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    for table in tables:
        meta = described.get(table)
        assert meta and meta.get("title") and meta.get("description"), table
        columns = [row[1] for row in conn.execute(f"PRAGMA table_info([{table}])")]
        assert sorted(meta.get("columns", {})) == sorted(columns), table
        for column, text in meta["columns"].items():
            assert text.strip() and text.endswith("."), (table, column, text)
    conn.close()
    for name, query in shipped()["databases"]["newswatch"]["queries"].items():
        assert query.get("title") and query.get("description"), name
        assert not query.get("write"), name  # the server writes nothing


def test_the_stories_table_opens_on_headline_outlet_date_and_link(site):
    response = get(site, "/newswatch/stories")
    assert response.status_code == 302
    assert response.headers["location"] == DEFAULT_VIEW
    html = get(site, DEFAULT_VIEW).text
    assert "North Korea fires a missile" in html and BODY_ONLY not in html
    data = get(site, DEFAULT_VIEW.replace("/stories?", "/stories.json?")).json()
    assert data["columns"] == ["id", "title", "feed", "published", "url"]
    assert [row[1] for row in data["rows"]] == [title for _, title, _ in reversed(STORIES)]
    # What "Show all columns" leads to (the sort stays) is the whole table; so is a story's page.
    assert BODY_ONLY in get(site, "/newswatch/stories?_sort_desc=first_seen").text
    story = get(site, "/newswatch/stories/1").text  # top to bottom, the text at reading width
    assert BODY_ONLY in story and '<dl class="newswatch-story">' in story
    style = get(site, "/-/newswatch/static/newswatch.css")
    assert style.status_code == 200 and "dl.newswatch-story" in style.text
    assert 'href="/-/newswatch/static/newswatch.css"' in story
    assert BODY_ONLY in get(site, "/newswatch/stories.json").text  # the API stays whole


def test_facets_on_feed_and_topic(site):
    def facets(path):
        return {
            name: {value["value"]: value["count"] for value in facet["results"]}
            for name, facet in get(site, path).json()["facet_results"].items()
        }

    assert facets("/newswatch/stories.json")["feed"] == {"wire": 2, "desk": 1}
    assert facets("/newswatch/alerts.json")["topic"] == {"korea": 2, "seoul": 1}
    assert facets("/newswatch/links.json")["feed"] == {"wire": 2, "desk": 1}
    assert 'class="facet-info facet-newswatch-stories-feed' in get(site, DEFAULT_VIEW).text


def test_latest_alerts(site):
    found = rows(site, "/newswatch/latest_alerts.json")
    assert [(row["topic"], row["headline"]) for row in found] == [
        ("seoul", "Seoul markets calm"),
        ("korea", "Seoul markets calm"),
        ("korea", "North Korea fires a missile"),
    ]
    assert found[0]["outlet"] == "wire" and found[0]["link"] == "https://example.com/1"
    assert found[0]["alerted"] and found[0]["published"] == "2025-09-09T06:45:00+00:00"


def test_alerts_for_a_topic(site):
    found = rows(site, "/newswatch/alerts_for_topic.json?topic=korea")
    headlines = [row["headline"] for row in found]
    assert headlines == ["Seoul markets calm", "North Korea fires a missile"]
    assert rows(site, "/newswatch/alerts_for_topic.json?topic=seoul")[0]["link"].endswith("/1")
    assert rows(site, "/newswatch/alerts_for_topic.json?topic=nothing") == []


def test_search_stories_with_snippets(site):
    found = rows(site, "/newswatch/search_stories.json?query=%22north+korea%22+NOT+seoul")
    assert [row["headline"] for row in found] == ["North Korea fires a missile"]
    assert "**North Korea** fires a missile" in found[0]["snippet"]  # the best column: title
    found = rows(site, "/newswatch/search_stories.json?query=jakarta")
    assert [(row["outlet"], row["link"]) for row in found] == [("desk", "https://example.com/2")]
    html = get(site, "/newswatch/search_stories?query=jakarta").text
    assert "<mark>Jakarta</mark>" in html and "**Jakarta**" not in html
    bad = get(site, "/newswatch/search_stories.json?query=%22unclosed")
    assert bad.status_code == 400 and "unterminated string" in bad.json()["error"]


def test_feed_health(site):
    found = {row["feed"]: row for row in rows(site, "/newswatch/feed_health.json")}
    assert found["wire"]["last_result"] == "ok" and found["wire"]["errors"] == 0
    assert found["wire"]["stories"] == 2 and found["wire"]["last_poll"]
    assert found["desk"]["last_result"] == "error" and found["desk"]["errors"] == 1
    assert found["desk"]["last_error"] == "HTTP 503" and found["desk"]["stories"] == 1
    assert list(found) == ["desk", "wire"]  # the failing feed first


def test_the_digest_and_feeds_at_their_fixed_paths(site, config, capfd):
    digest = get(site, "/-/newswatch/digest")
    assert digest.status_code == 200
    assert digest.headers["content-type"] == "text/html; charset=utf-8"
    assert digest.content == config.alerts.digest.read_bytes()
    assert "North Korea fires a missile" in digest.text
    assert "default-src 'none'" in digest.headers["content-security-policy"]
    folder = config.alerts.digest.parent
    assert get(site, "/-/newswatch/alerts.atom").status_code == 404  # not written yet
    (folder / "alerts.atom").write_text("<feed>every topic</feed>", encoding="utf-8")
    (folder / "alerts-korea.atom").write_text("<feed>korea</feed>", encoding="utf-8")
    for path, body in (("alerts.atom", "every topic"), ("alerts-korea.atom", "korea")):
        response = get(site, "/-/newswatch/" + path)
        assert response.status_code == 200, path
        assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
        assert response.text == f"<feed>{body}</feed>"
    assert get(site, "/-/newswatch/alerts-seoul.atom").status_code == 404  # a topic, no file yet
    assert "Traceback" not in "".join(capfd.readouterr())  # a feed reader's 404s stay quiet
    index = get(site, "/").text
    for link in ("digest", "alerts.atom", "alerts-korea.atom", "alerts-seoul.atom"):
        assert f'href="/-/newswatch/{link}"' in index


def test_no_other_file_is_reachable(site, config):
    folder = config.alerts.digest.parent
    (folder / "secret.atom").write_text("<feed>not ours</feed>", encoding="utf-8")
    (folder / "alerts-gone.atom").write_text("<feed>a topic not in the config</feed>")
    for path in (
        "/-/newswatch/secret.atom",
        "/-/newswatch/alerts-gone.atom",
        "/-/newswatch/config.yaml",
        "/-/newswatch/..%2Fconfig.yaml",
        "/-/newswatch/digest/../config.yaml",
        "/-/newswatch/%2e%2e/config.yaml",
        "/-/newswatch/alerts.jsonl",
        "/-/newswatch/newswatch.db",
    ):
        response = get(site, path)
        assert response.status_code in (302, 404), path
        assert "not ours" not in response.text and "database:" not in response.text, path


def test_other_errors_and_other_datasettes_get_datasettes_own_handler(site):
    """Ours only quiets 4xx errors of the Datasette ``serve`` built; the rest is Datasette's."""
    request = Request.fake("/newswatch/boom")
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:  # Datasette's handler prints the exception being handled
        crash = asyncio.run(errors.handle_exception(site, request, exc)())
    assert crash.status == 500
    plain = Datasette(memory=True)
    assert get(plain, "/-/newswatch/digest").status_code == 404
    assert get(plain, "/_memory/stories").status_code == 404


def test_a_markdown_digest_is_served_as_markdown(tmp_path):
    config = make_store(tmp_path, digest="digest.md")
    datasette = build_datasette(config)
    response = get(datasette, "/-/newswatch/digest")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    assert response.content == config.alerts.digest.read_bytes()
    config.alerts.digest.unlink()
    assert get(datasette, "/-/newswatch/digest").status_code == 404
    datasette.get_database("newswatch").close()


def test_a_write_is_refused_and_the_file_unchanged(site, config):
    before = fingerprint(config.database)
    insert = "insert into topics (name, query, first_seen) values ('x', 'x', 'x')"
    refused = get(site, "/newswatch.json", params={"sql": insert})
    assert refused.status_code == 400 and refused.json()["error"] == "Statement must be a SELECT"
    # A WITH passes Datasette's SELECT check; the connection itself refuses the write.
    sneaky = f"with t as (select 1) {insert}"
    refused = get(site, "/newswatch.json", params={"sql": sneaky})
    assert refused.status_code == 400 and "readonly" in refused.json()["error"]
    # Datasette's write path (write canned queries, plugins) is read-only too.
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        asyncio.run(site.get_database("newswatch").execute_write(insert))
    assert fingerprint(config.database) == before
    with sqlite3.connect(config.database) as conn:
        assert conn.execute("SELECT count(*) FROM topics WHERE name = 'x'").fetchone() == (0,)


def test_a_write_canned_query_posted_is_refused(site, config):
    """Ours has none; one slipped into the metadata is still refused by the connection."""
    queries = site._metadata_local["databases"]["newswatch"]["queries"]
    queries["sneak"] = {"sql": "delete from alerts", "write": True}
    before = fingerprint(config.database)
    form = get(site, "/newswatch/sneak")
    token = form.cookies["ds_csrftoken"]
    posted = asyncio.run(
        site.client.post(
            "/newswatch/sneak",
            data={"csrftoken": token},
            cookies={"ds_csrftoken": token},
        )
    )
    assert posted.status_code == 302  # Datasette reports the outcome as a message, then shows
    shown = get(site, posted.headers["location"], cookies=posted.cookies)
    assert "attempt to write a readonly database" in shown.text
    assert fingerprint(config.database) == before
    with sqlite3.connect(config.database) as conn:
        assert conn.execute("SELECT count(*) FROM alerts").fetchone() == (3,)


def test_without_datasette_serve_says_what_to_install(config, monkeypatch):
    for name in [name for name in sys.modules if name.startswith("newswatch.scheduler.cli.serve.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "datasette", None)  # import datasette now fails
    result = CliRunner().invoke(main, ["serve", "-c", str(config.path)])
    assert result.exit_code == 1
    assert result.output == SERVE_EXTRA + "\n"
    assert "pip install 'newswatch[serve]'" in SERVE_EXTRA


def test_without_a_database_serve_says_so_and_creates_none(tmp_path):
    path = write_config(tmp_path, [("wire", "http://127.0.0.1:9/wire.xml")])
    result = CliRunner().invoke(main, ["serve", "-c", str(path)])
    assert result.exit_code == 1
    assert "no database at" in result.output and "newswatch crawl" in result.output
    assert not (tmp_path / "newswatch.db").exists()


def free_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def test_serve_answers_on_loopback_and_stops_on_sigint(config):
    port = free_port()
    child = subprocess.Popen(
        command("serve", "-c", str(config.path), "--port", str(port)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = child.stdout.readline()  # printed once the port is listening
        assert "read-only at" in first, child.communicate()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/newswatch/digest") as page:
            assert page.status == 200
            assert b"North Korea fires a missile" in page.read()
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=15)
        out = first + out
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == 0, err
    assert f"read-only at http://127.0.0.1:{port}/" in out
    assert "Traceback" not in err
