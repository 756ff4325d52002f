"""Alerts: rows first, then the log, each alert exactly once through crashes, restarts, backfill."""

from __future__ import annotations

import importlib.util
import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from newswatch.scheduler.cli import main
from newswatch.scheduler.config import load_config
from newswatch.scheduler.cycle import after_crawl, before_crawl
from newswatch.scheduler.delivery import alert_log as alerting
from newswatch.scheduler.delivery.alert_log import alert_record, deliver
from newswatch.scheduler.delivery.plain_text import json_line
from newswatch.storage import alerts as sql
from newswatch.storage.search import max_story_id
from newswatch.storage.store import NewStory, Store
from newswatch.storage.topics import match_topics

from conftest import REPO, rss, run_newswatch, write_config

CONTRACT_KEYS = {"alert_id", "topic", "url", "title", "published", "feed", "created", "snippet"}


def config_for(tmp_path, topics, backfill=True):
    feeds = [("wire", "http://127.0.0.1:9/feed.xml")]  # never crawled here
    path = write_config(tmp_path, feeds, topics=topics, alerts={"backfill": backfill})
    return load_config(path)


def add(store, key, title, body="", backfill=False):
    story = NewStory(f"https://example.com/{key}", title, body, None, [], "wire", backfill=backfill)
    return store.add_story(story)[0]


def log_entries(config):
    if not config.alerts.log.exists():
        return []
    return [json.loads(line) for line in config.alerts.log.read_text("utf-8").splitlines()]


def cycle(store, config, stories=()):
    """One cycle without the crawl: boundary, the stories the crawl would store, matching."""
    before = before_crawl(store, config)
    for story in stories:
        add(store, *story)
    return after_crawl(store, config, before)


@pytest.fixture
def korea(tmp_path):
    config = config_for(tmp_path, [("korea", '"korea utara" OR "north korea"'), ("seoul", "seoul")])
    with Store(config.database) as store:
        yield store, config


def test_new_stories_alert_once_and_reach_the_log_once(korea):
    store, config = korea
    stories = [
        ("a", "North Korea fires missile", "Seoul said the launch was detected."),
        ("b", "Korea Utara uji rudal", ""),
        ("c", "Weather", "Sunny."),
    ]
    assert cycle(store, config, stories) == 3
    entries = log_entries(config)
    assert sorted((e["topic"], e["url"][-1]) for e in entries) == [
        ("korea", "a"),
        ("korea", "b"),
        ("seoul", "a"),
    ]
    assert all(CONTRACT_KEYS | {"terms", "source", "also_in"} == set(e) for e in entries)
    first = next(e for e in entries if e["topic"] == "korea" and e["url"].endswith("a"))
    assert first["terms"] == ["north korea"] and first["title"] == "North Korea fires missile"
    assert first["feed"] == "wire" and first["created"].endswith("+00:00")
    assert sql.undelivered(store) == []
    # Restart: the same stories never alert again, the log is unchanged.
    assert cycle(store, config) == 0
    assert cycle(store, config, [("d", "Weather again", "Cloudy.")]) == 0
    assert len(log_entries(config)) == 3
    assert store.count("alerts") == 3


def test_an_empty_body_is_matched_on_its_title(korea):
    store, config = korea
    assert cycle(store, config, [("t", "Seoul hosts summit", "")]) == 1
    assert log_entries(config)[0]["snippet"] == "Seoul hosts summit"


def test_backfill_stories_are_stored_not_alerted_unless_asked(tmp_path):
    config = config_for(tmp_path, [("seoul", "seoul")], backfill=False)
    with Store(config.database) as store:
        stories = [("old", "Seoul at dawn", "", True), ("new", "Seoul at dusk", "", False)]
        assert cycle(store, config, stories) == 1
        assert [e["url"] for e in log_entries(config)] == ["https://example.com/new"]
        assert store.count("stories") == 2
        assert cycle(store, config, [("later", "Seoul later", "", False)]) == 1

    other = tmp_path / "other"
    other.mkdir()
    config = config_for(other, [("seoul", "seoul")], backfill=True)
    with Store(config.database) as store:
        assert cycle(store, config, [("old", "Seoul", "", True), ("new", "Seoul", "", False)]) == 2


def test_a_new_topic_skips_the_stories_stored_before_it(tmp_path):
    config = config_for(tmp_path, [("korea", '"north korea"')])
    with Store(config.database) as store:
        cycle(store, config, [("a", "North Korea and Seoul", "")])
        config = config_for(tmp_path, [("korea", '"north korea"'), ("seoul", "seoul")])
        assert cycle(store, config) == 0  # story "a" predates topic "seoul"
        assert cycle(store, config, [("b", "North Korea and Seoul again", "")]) == 2
        assert sorted((e["topic"], e["url"][-1]) for e in log_entries(config)) == [
            ("korea", "a"),
            ("korea", "b"),
            ("seoul", "b"),
        ]


def test_a_changed_query_does_not_alert_old_stories_again(tmp_path):
    config = config_for(tmp_path, [("korea", '"north korea"')])
    with Store(config.database) as store:
        cycle(store, config, [("a", "North Korea", ""), ("b", "Korea Utara", "")])
        config = config_for(tmp_path, [("korea", '"north korea" OR "korea utara"')])
        assert cycle(store, config) == 0
        assert cycle(store, config, [("c", "Korea Utara lagi", "")]) == 1


def test_a_topic_removed_then_added_again_counts_as_new(tmp_path):
    config = config_for(tmp_path, [("korea", "korea"), ("seoul", "seoul")])
    with Store(config.database) as store:
        cycle(store, config, [("a", "Korea", "")])
        cycle(store, config_for(tmp_path, [("seoul", "seoul")]), [("b", "Korea again", "")])
        assert cycle(store, config) == 0  # neither a nor b: both predate its return
        assert cycle(store, config, [("c", "Korea once more", "")]) == 1


def test_stories_of_a_crawl_that_died_before_matching_alert_next_cycle(korea):
    store, config = korea
    before_crawl(store, config)
    add(store, "a", "North Korea", "")  # ... and the process dies here
    assert cycle(store, config, [("b", "Seoul", "")]) == 2
    assert sorted(e["url"][-1] for e in log_entries(config)) == ["a", "b"]


def test_crash_after_commit_before_the_log_append(korea, monkeypatch):
    store, config = korea

    def die(*args):
        raise SystemExit("killed")

    before = before_crawl(store, config)
    add(store, "a", "North Korea")
    add(store, "b", "Seoul")
    monkeypatch.setattr(alerting, "deliver", die)
    with pytest.raises(SystemExit):
        after_crawl(store, config, before)
    assert store.count("alerts") == 2 and not config.alerts.log.exists()
    monkeypatch.undo()
    assert cycle(store, config) == 0  # nothing new, but the rows are delivered now
    assert sorted(e["alert_id"] for e in log_entries(config)) == [1, 2]
    assert sql.undelivered(store) == []


def test_crash_after_the_log_append_before_marking(korea, monkeypatch):
    store, config = korea
    cycle(store, config, [("a", "North Korea", "")])

    def die(*args):
        raise SystemExit("killed")

    monkeypatch.setattr(sql, "mark_delivered", die)
    with pytest.raises(SystemExit):
        cycle(store, config, [("b", "North Korea", ""), ("c", "Seoul and North Korea", "")])
    assert [e["alert_id"] for e in log_entries(config)] == [1, 2, 3, 4]
    assert len(sql.undelivered(store)) == 3
    monkeypatch.undo()
    assert deliver(store, config) == 0
    assert sql.undelivered(store) == []
    assert [e["alert_id"] for e in log_entries(config)] == [1, 2, 3, 4]
    assert cycle(store, config, [("d", "Seoul", "")]) == 1
    assert [e["alert_id"] for e in log_entries(config)] == [1, 2, 3, 4, 5]


def test_a_line_cut_short_is_removed_and_written_again(korea, monkeypatch):
    store, config = korea
    monkeypatch.setattr(alerting, "deliver", lambda *a: 0)  # rows only
    cycle(store, config, [("a", "North Korea", ""), ("b", "Seoul", ""), ("c", "Seoul", "")])
    monkeypatch.undo()
    lines = [json_line(alert_record(row)) for row in sql.undelivered(store)]
    # The process died in the middle of appending line 2 (line 1 was written, not marked).
    config.alerts.log.write_text(lines[0] + lines[1][:25], encoding="utf-8")
    assert deliver(store, config) == 2
    assert config.alerts.log.read_text("utf-8") == "".join(lines)
    assert sql.undelivered(store) == []


def test_delivery_only_appends(korea):
    store, config = korea
    config.alerts.log.write_text('{"note": "kept by hand"}\n', encoding="utf-8")
    cycle(store, config, [("a", "Seoul", "")])
    text = config.alerts.log.read_text("utf-8")
    assert text.startswith('{"note": "kept by hand"}\n') and text.count("\n") == 2


def test_titles_cannot_forge_log_lines(korea):
    store, config = korea
    evil = 'Seoul\n{"alert_id": 999, "topic": "forged"}\u2028x\x85y\r\x1b[31mred\u202eevil'
    cycle(store, config, [("a", evil, "Seoul\u2029body\x00")])
    raw = config.alerts.log.read_text("utf-8")
    assert len(raw.splitlines()) == 1 and raw.endswith("\n")
    assert raw.isprintable() or set(raw) - set(raw.strip()) == {"\n"}
    assert json.loads(raw)["title"] == evil  # escaped, not lost


def test_alerts_command(korea):
    store, config = korea
    cycle(store, config, [("a", "[bold]North Korea[/bold] \x1b[2J", ""), ("b", "Seoul", "")])
    runner = CliRunner()
    result = runner.invoke(main, ["alerts", "-c", str(config.path), "--json"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.output.splitlines()]
    assert [r["alert_id"] for r in records] == [2, 1]  # newest first
    assert all(r["delivered"] for r in records)
    result = runner.invoke(main, ["alerts", "-c", str(config.path), "--topic", "seoul", "--json"])
    assert [json.loads(line)["topic"] for line in result.output.splitlines()] == ["seoul"]
    result = runner.invoke(main, ["alerts", "-c", str(config.path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "[bold]North Korea[/bold]" in result.output and "\x1b" not in result.output
    result = runner.invoke(main, ["alerts", "-c", str(config.path), "--since", "soon"])
    assert result.exit_code == 2 and "not a duration" in result.output


LONG_KEY = "2026/12/06/" + "a-very-long-slug-of-a-story-about-north-korea-" * 3 + "a"
LONG_TITLE = "North Korea\tsays\nmore " + "and more " * 12


def test_alerts_into_a_pipe_print_one_whole_line_per_alert(korea):
    store, config = korea
    cycle(store, config, [(LONG_KEY, LONG_TITLE, ""), ("b", "Seoul", "")])
    result = CliRunner().invoke(main, ["alerts", "-c", str(config.path)], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 2  # no wrapping at 80 columns, no header, no count
    fields = [line.split("\t") for line in lines]
    assert [len(f) for f in fields] == [7, 7]  # created, topic, feed, published, title, url,
    assert [f[6] for f in fields] == ["", ""]  # and where else the report ran
    assert [(f[1], f[2]) for f in fields] == [("seoul", "wire"), ("korea", "wire")]
    assert fields[1][4] == LONG_TITLE.replace("\t", " ").replace("\n", " ").strip()
    assert fields[1][5] == f"https://example.com/{LONG_KEY}" and len(lines[1]) > 200


def test_alerts_on_a_terminal_keep_the_few_lines_per_alert(korea):
    from io import StringIO

    from rich.console import Console

    from newswatch.scheduler.cli.alerts_view import print_alerts

    store, config = korea
    cycle(store, config, [(LONG_KEY, LONG_TITLE, ""), ("b", "Seoul", "")])
    out = StringIO()
    console = Console(file=out, force_terminal=True, color_system=None, width=80)
    assert print_alerts(config, console=console) == 2
    lines = out.getvalue().splitlines()
    assert lines[-1] == "2 alerts" and "\t" not in out.getvalue()
    assert max(len(line) for line in lines) <= 80 and len(lines) > 4


def test_alerts_topic_must_name_a_topic_and_the_error_lists_them(korea, tmp_path):
    store, config = korea
    cycle(store, config, [("a", "North Korea", ""), ("b", "Seoul", "")])
    runner = CliRunner()
    result = runner.invoke(main, ["alerts", "-c", str(config.path), "--topic", "nosuch"])
    assert result.exit_code == 2
    assert result.output == "--topic: no topic named 'nosuch' (topics: korea, seoul)\n"
    # A topic taken out of the config keeps its stored alerts, and they can still be listed.
    write_config(tmp_path, [("wire", "http://127.0.0.1:9/feed.xml")], topics=[("korea", "korea")])
    result = runner.invoke(main, ["alerts", "-c", str(config.path), "--topic", "seoul", "--json"])
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["topic"] for line in result.output.splitlines()] == ["seoul"]


def test_alerts_since_filters_on_creation_time(tmp_path):
    config = config_for(tmp_path, [("seoul", "seoul")])
    old = datetime.now(UTC) - timedelta(days=3)
    with Store(config.database, clock=lambda: old) as store:
        cycle(store, config, [("a", "Seoul old", "")])
    with Store(config.database) as store:
        cycle(store, config, [("b", "Seoul new", "")])
    args = ["alerts", "-c", str(config.path), "--json"]
    result = CliRunner().invoke(main, [*args, "--since", "1d"])
    assert [json.loads(line)["url"][-1] for line in result.output.splitlines()] == ["b"]
    result = CliRunner().invoke(main, [*args, "--since", "7d"])
    assert len(result.output.splitlines()) == 2


def test_topics_test_is_a_dry_run(korea):
    store, config = korea
    add(store, "a", "North Korea <b>fires</b>", "Launch seen from Seoul.\n\nSecond paragraph.")
    add(store, "b", "Weather", "Sunny.")
    store.close()
    before = config.database.read_bytes()
    result = CliRunner().invoke(main, ["topics", "test", "seoul OR korea", "-c", str(config.path)])
    assert result.exit_code == 0, result.output
    assert "North Korea <b>fires</b>" in result.output
    assert "Launch seen from Seoul" in result.output and "1 matching story" in result.output
    with sqlite3.connect(config.database) as db:
        assert db.execute("SELECT count(*) FROM alerts").fetchone()[0] == 0
    assert config.database.read_bytes() == before
    assert not config.alerts.log.exists()
    bad = CliRunner().invoke(main, ["topics", "test", "kim-jong-un", "-c", str(config.path)])
    assert bad.exit_code == 2 and "double quotes" in bad.output
    none = CliRunner().invoke(main, ["topics", "test", "nothing", "-c", str(config.path)])
    assert "0 matching stories" in none.output


def article(title: str, topic: str) -> str:
    text = (
        f"Officials discussed {topic} at length on Tuesday, according to people familiar with"
        " the talks, which were held behind closed doors in the capital this week."
    )
    paragraphs = "".join(f"<p>{text} This is paragraph number {n}.</p>" for n in range(4))
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body><article><h1>{title}</h1>{paragraphs}</article></body></html>"
    )


def test_crawl_alerts_reach_the_log_exactly_once_across_crawls(server, tmp_path):
    pages = [("one", "Seoul summit", "Seoul"), ("two", "Rain forecast", "the weather")]
    items = []
    for slug, title, topic in pages:
        items.append(
            {"title": title, "link": server.add(f"/news/{slug}.html", article(title, topic))}
        )
    server.add("/feed.xml", rss(items), content_type="application/rss+xml")
    config = write_config(
        tmp_path, [("wire", server.url("/feed.xml"))], topics=[("seoul", "seoul")]
    )
    first = run_newswatch("crawl", "-c", str(config), "--no-progress", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "alerts: 1" in first.stdout
    items.insert(
        0,
        {
            "title": "Seoul again",
            "link": server.add("/news/3.html", article("Seoul again", "Seoul")),
        },
    )
    server.add("/feed.xml", rss(items), content_type="application/rss+xml")
    second = run_newswatch("crawl", "-c", str(config), "--no-progress", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    entries = [json.loads(line) for line in (tmp_path / "alerts.jsonl").read_text().splitlines()]
    assert [e["url"].rsplit("/", 1)[1] for e in entries] == ["one.html", "3.html"]
    digest = (tmp_path / "digest.md").read_text()
    assert "Seoul again" in digest and "Seoul summit" in digest
    listed = run_newswatch("alerts", "-c", str(config), "--json", cwd=tmp_path)
    assert [json.loads(line)["alert_id"] for line in listed.stdout.splitlines()] == [2, 1]


def test_sigkill_at_random_moments_leaves_each_alert_in_the_log_once(tmp_path):
    spec = importlib.util.spec_from_file_location("kill_loop", REPO / "scripts" / "kill_loop.py")
    kill_loop = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(kill_loop)
    problems, killed = kill_loop.run(tmp_path, kills=3, seed=5, window=2.5)
    assert problems == []
    assert killed >= 1  # at least one crawl was killed while it ran


def test_a_syndicated_copy_is_not_alerted_twice(korea):
    """One alert per report and topic; the copies themselves: tests/test_clusters.py."""
    store, config = korea
    report = " ".join(f"Seoul officials met on day {i} to discuss the budget." for i in range(12))

    def on(host, title, body):
        url = f"https://{host}/news/1"
        store.add_story(NewStory(url, title, body, None, [], "wire"))

    boundary = before_crawl(store, config)
    on("wire.example", "Seoul budget talks", report)
    assert after_crawl(store, config, boundary) == 1
    boundary = before_crawl(store, config)
    on("sister.example", "Seoul budget talks", "SISTER.EXAMPLE - " + report)  # a copy
    on("other.example", "Seoul budget", "Seoul weather " * 40)  # another report
    assert after_crawl(store, config, boundary) == 1  # the other report only
    assert [e["url"] for e in log_entries(config)] == [
        "https://wire.example/news/1",
        "https://other.example/news/1",
    ]


def test_a_log_that_cannot_be_written_waits_for_the_next_cycle(korea):
    store, config = korea
    config.alerts.log.mkdir()  # opening it for append fails
    assert cycle(store, config, [("a", "Seoul", "")]) == 1
    assert len(sql.undelivered(store)) == 1
    config.alerts.log.rmdir()
    assert cycle(store, config) == 0
    assert [e["alert_id"] for e in log_entries(config)] == [1]


def test_changed_stories_are_matched_again_and_alerted_once(tmp_path):
    """A story whose text changed (its page read on a retry) is matched again, once per topic."""
    with Store(tmp_path / "n.db") as store:
        first = add(store, "1", "Rapat", "ringkasan")
        other = add(store, "2", "Korea Utara")
        with store.write() as db:
            db.execute(
                "UPDATE stories SET body = 'korea utara menguji rudal' WHERE id = ?", [first]
            )
        topics = [("korut", '"korea utara"')]
        high = max_story_id(store)  # both stories already matched: only a changed one is again
        assert match_topics(store, topics, high, include_backfill=True, changed=[first]) == 1
        assert match_topics(store, topics, high, include_backfill=True, changed=[first]) == 0
        rows = store.db.execute("SELECT story_id FROM alerts").fetchall()
        assert rows == [(first,)]  # the other story was not among the changed ones
        assert other != first


def test_many_alerts_reach_the_log_in_batches_once_across_a_crash_between_them(korea, monkeypatch):
    """A cycle of 300,000 alerts is delivered a batch at a time (its memory, not all of
    them); a crash after one batch is marked leaves the rest to the next delivery, once."""
    store, config = korea
    monkeypatch.setattr(alerting, "BATCH", 2)
    monkeypatch.setattr(alerting, "deliver", lambda *a: 0)  # rows only
    cycle(store, config, [(f"s{i}", f"Seoul {i}", "") for i in range(7)])
    monkeypatch.undo()
    monkeypatch.setattr(alerting, "BATCH", 2)
    marked = []
    real_mark = sql.mark_delivered

    def mark_then_die(store_, ids):
        real_mark(store_, ids)
        marked.append(list(ids))
        if len(marked) == 2:
            raise SystemExit("killed")

    monkeypatch.setattr(sql, "mark_delivered", mark_then_die)
    with pytest.raises(SystemExit):
        deliver(store, config)
    assert marked == [[1, 2], [3, 4]]  # two batches of two, each marked after its append
    assert [e["alert_id"] for e in log_entries(config)] == [1, 2, 3, 4]
    monkeypatch.setattr(sql, "mark_delivered", real_mark)
    assert deliver(store, config) == 3
    assert [e["alert_id"] for e in log_entries(config)] == [1, 2, 3, 4, 5, 6, 7]
    assert sql.undelivered(store) == []
