"""Story clusters: a report's copies on other outlets grouped, different reports kept apart.

Bodies are made of seeded pseudo-words, so two reports share only what a test gives them.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from click.testing import CliRunner
from rich.console import Console

from newswatch.scheduler import clustering
from newswatch.scheduler.cli import main
from newswatch.scheduler.cli.alerts_view import print_alerts
from newswatch.scheduler.config import load_config
from newswatch.scheduler.cycle import after_crawl, before_crawl
from newswatch.scheduler.delivery.atom import render_feed
from newswatch.scheduler.delivery.copies import add_copies, also_in
from newswatch.scheduler.delivery.digest import render
from newswatch.scheduler.delivery.messages import alert_lines
from newswatch.storage import alerts as sql
from newswatch.storage import clusters as stored
from newswatch.storage.store import NewStory, Store

from conftest import write_config

SYLLABLES = [
    "ka",
    "ri",
    "mu",
    "to",
    "se",
    "la",
    "pe",
    "no",
    "bu",
    "di",
    "ga",
    "ya",
    "wi",
    "ho",
    "ze",
]
T0 = datetime(2025, 9, 9, 6, 0, tzinfo=UTC)


def words(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(SYLLABLES, k=rng.randint(2, 4))) for _ in range(n)]


def paragraph(seed: int, n: int = 40, *names: str) -> str:
    """A paragraph of ``n`` seeded words, ``names`` (the subject) mixed in."""
    out = words(seed, n)
    for i, name in enumerate(names):
        out.insert((i * 7) % len(out), name)
    return " ".join(out) + "."


def report(seed: int, paragraphs: int = 6, *names: str) -> list[str]:
    return [paragraph(seed * 100 + i, 40, *names) for i in range(paragraphs)]


def sister_copy(paras: list[str], outlet: str, see_also: str) -> str:
    """As sister sites rewrite a report: their dateline, a "Baca juga" line inside, the last
    paragraph cut, a paragraph of their own added, a "Sumber:" credit."""
    out = [f"{outlet.upper()} - {paras[0]}", paras[1], f"Baca juga: {see_also}", *paras[2:-1]]
    out += [paragraph(hash(outlet) % 1000, 25), f"Sumber: {outlet.title()}"]
    return "\n\n".join(out)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def world(tmp_path):
    feeds = [
        (name, f"http://127.0.0.1:9/{name}.xml") for name in ("wire", "solo", "jateng", "bali")
    ]
    topics = [("korea", '"korea utara" OR korut'), ("nuklir", "nuklir")]
    config = load_config(write_config(tmp_path, feeds, topics=topics, alerts={"backfill": True}))
    clock = Clock()
    with Store(config.database, clock=clock) as store:
        yield store, config, clock


def cycle(store, config, *stories):
    """One cycle without the crawl: each (host, feed, title, body) stored, then clustered and
    matched; returns the new alert rows."""
    boundary = before_crawl(store, config)
    ids = []
    for host, feed, title, body in stories:
        url = f"https://{host}/news/{abs(hash(title + body)) % 10**8}"
        ids.append(store.add_story(NewStory(url, title, body, None, [], feed))[0])
    return after_crawl(store, config, boundary), ids


def cluster_of(store, story_id):
    row = store.db.execute("SELECT cluster_id FROM stories WHERE id = ?", [story_id]).fetchone()
    return row[0]


def on_a_terminal(config, **options) -> str:
    out = StringIO()
    console = Console(file=out, force_terminal=True, color_system=None, width=200)
    print_alerts(config, console=console, **options)
    return out.getvalue()


def log_entries(config):
    lines = config.alerts.log.read_text("utf-8").splitlines() if config.alerts.log.exists() else []
    return [json.loads(line) for line in lines]


KOREA = report(1, 6, "Korea Utara", "Kim Jong Un")


def test_sister_site_copies_join_the_report_and_alert_once(world):
    store, config, clock = world
    added, (wire,) = cycle(
        store, config, ("antaranews.com", "wire", "Korut uji rudal", "\n\n".join(KOREA))
    )
    assert added == 1
    clock.now += timedelta(hours=2)
    copies = [
        (
            "solo.tribunnews.com",
            "solo",
            "Korea Utara Kembali Uji Rudal",
            sister_copy(KOREA, "tribunsolo.com", "Harga cabai"),
        ),
        (
            "jateng.tribunnews.com",
            "jateng",
            "Uji Rudal Korut",
            sister_copy(KOREA, "tribunjateng.com", "Banjir"),
        ),
    ]
    added, ids = cycle(store, config, *copies)
    assert added == 0
    assert [cluster_of(store, i) for i in ids] == [wire, wire]
    entries = log_entries(config)
    assert len(entries) == 1  # one report, one alert for the topic
    # The line was written when no copy was known; the digest, rewritten, names them now.
    assert entries[0]["also_in"] == []
    digest, count = render(store, config, 10**9, "md")
    assert count == 1 and "also in: solo, jateng" in digest


def test_a_copy_of_two_days_ago_joins_one_of_four_days_ago_does_not(world):
    store, config, clock = world
    _, (wire,) = cycle(store, config, ("antaranews.com", "wire", "Korut", "\n\n".join(KOREA)))
    clock.now += timedelta(days=2)
    _, (late,) = cycle(
        store, config, ("bali.example", "bali", "Korut", sister_copy(KOREA, "bali", "x"))
    )
    assert cluster_of(store, late) == wire
    other = report(2, 6, "Korea Utara")
    _, (first,) = cycle(store, config, ("antaranews.com", "wire", "Korut lagi", "\n\n".join(other)))
    clock.now += timedelta(days=4)
    added, (stale,) = cycle(
        store, config, ("bali.example", "bali", "Korut", sister_copy(other, "bali", "y"))
    )
    assert cluster_of(store, stale) == stale != first  # weeks-old text run again is news again
    assert added == 1


def test_different_reports_on_one_subject_stay_apart(world):
    store, config, clock = world
    a = report(3, 6, "Korea Utara", "Kim Jong Un", "Pyongyang")
    b = report(4, 6, "Korea Utara", "Kim Jong Un", "Pyongyang")  # the same day, same names
    follow_up = report(5, 4, "Korea Utara") + a[:2]  # yesterday's background repeated
    stories = [
        ("antaranews.com", "wire", "Korut uji rudal", "\n\n".join(a)),
        ("kompas.com", "solo", "Kim Jong Un ke Rusia", "\n\n".join(b)),
        ("detik.com", "jateng", "Korut, sehari kemudian", "\n\n".join(follow_up)),
    ]
    added, ids = cycle(store, config, *stories)
    assert [cluster_of(store, i) for i in ids] == ids
    assert added == 3


def test_a_live_blogs_updates_on_one_site_stay_apart(world):
    store, config, clock = world
    update = KOREA[:4]
    _, (first,) = cycle(store, config, ("live.example", "wire", "Live: Korut", "\n\n".join(update)))
    clock.now += timedelta(minutes=30)
    update = [paragraph(77, 40, "Korea Utara"), *update]  # the next update on top
    added, (second,) = cycle(
        store, config, ("live.example", "wire", "Live: Korut (2)", "\n\n".join(update))
    )
    assert cluster_of(store, second) == second
    assert added == 1


def test_short_stories_that_share_a_boilerplate_paragraph_stay_apart(world):
    store, config, clock = world
    boilerplate = paragraph(999, 30)  # "follow us on ..." under every story of a site
    stories = [
        (
            f"site{i}.example",
            "wire",
            f"Korut {i}",
            f"{paragraph(500 + i, 45, 'Korea Utara')}\n\n{boilerplate}",
        )
        for i in range(6)
    ]
    added, ids = cycle(store, config, *stories)
    assert [cluster_of(store, i) for i in ids] == ids
    assert added == 6


def test_a_body_too_short_to_tell_stays_alone(world):
    store, config, clock = world
    stub = "Korea Utara menembakkan rudal pagi ini."
    added, ids = cycle(
        store, config, ("a.example", "wire", "Korut", stub), ("b.example", "solo", "Korut", stub)
    )
    assert [cluster_of(store, i) for i in ids] == ids
    assert added == 2
    assert not store.db.execute("SELECT count(*) FROM story_signatures").fetchone()[0]


@pytest.mark.parametrize("batch", [1000, 1], ids=["one-batch", "a-batch-each"])
def test_copies_new_in_one_cycle_alert_once_and_the_log_names_the_others(world, batch, monkeypatch):
    monkeypatch.setattr(clustering, "BATCH", batch)
    store, config, clock = world
    stories = [
        ("antaranews.com", "wire", "Korut uji rudal", "\n\n".join(KOREA)),
        ("solo.tribunnews.com", "solo", "Uji rudal", sister_copy(KOREA, "tribunsolo.com", "a")),
        ("jateng.tribunnews.com", "jateng", "Rudal", sister_copy(KOREA, "tribunjateng.com", "b")),
        ("bali.example", "bali", "Korut", sister_copy(KOREA, "bali", "c")),
    ]
    added, ids = cycle(store, config, *stories)
    assert added == 1
    (entry,) = log_entries(config)
    assert entry["url"].startswith("https://antaranews.com/")
    assert entry["also_in"] == ["solo", "jateng", "bali"]
    assert entry["source"] is None


def test_a_copy_that_adds_a_paragraph_alerts_the_topic_it_brings_once(world):
    store, config, clock = world
    cycle(store, config, ("antaranews.com", "wire", "Korut", "\n\n".join(KOREA)))
    extra = "Pyongyang juga menguji hulu ledak nuklir baru."
    copy = sister_copy(KOREA, "tribunsolo.com", "a") + "\n\n" + extra
    added, (solo,) = cycle(store, config, ("solo.tribunnews.com", "solo", "Korut", copy))
    assert added == 1  # nuklir, which the report did not mention; korea stays one alert
    again = sister_copy(KOREA, "tribunjateng.com", "b") + "\n\n" + extra
    added, _ = cycle(store, config, ("jateng.tribunnews.com", "jateng", "Korut", again))
    assert added == 0
    entries = log_entries(config)
    assert [(e["topic"], e["feed"]) for e in entries] == [("korea", "wire"), ("nuklir", "solo")]
    assert entries[1]["also_in"] == ["wire"]


def test_every_place_an_alert_is_read_says_where_else_it_ran(world):
    store, config, clock = world
    cycle(store, config, ("antaranews.com", "wire", "Korut uji rudal", "\n\n".join(KOREA)))
    copies = [("jateng.tribunnews.com", "jateng", "R", sister_copy(KOREA, "tribunjateng.com", "b"))]
    copies += [
        (f"s{i}.example", "solo" if i % 2 else "bali", "R", sister_copy(KOREA, f"s{i}", "x"))
        for i in range(3)
    ]
    cycle(store, config, *copies)
    (row,) = sql.alerts_since(store)
    add_copies(store, [row])
    assert row["also_in"] == ["jateng", "bali", "solo"]
    assert also_in(row["also_in"]) == "jateng, bali (1 more)"
    assert "also in: jateng, bali (1 more)" in alert_lines(row, "UTC")
    feed = render_feed([row | {"terms": []}], feed_id="x", title="t", zone="UTC", prefix="tag:x")
    assert "also in: jateng, bali (1 more)" in feed
    html, _ = render(store, config, 10**9, "html")
    assert "also in: jateng, bali (1 more)" in html
    assert "also in: jateng, bali (1 more)" in on_a_terminal(config)
    piped = CliRunner().invoke(main, ["alerts", "-c", str(config.path)]).output
    assert piped.rstrip("\n").split("\t")[-1] == "jateng, bali, solo"  # all, for a program


def test_alerts_and_topics_test_collapse_a_report(world):
    store, config, clock = world
    body = "\n\n".join(KOREA) + "\n\nUji nuklir disebut."
    stories = [("antaranews.com", "wire", "Korut uji rudal", body)]
    stories += [
        ("solo.tribunnews.com", "solo", "Rudal Korut", sister_copy(KOREA, "tribunsolo.com", "a"))
    ]
    cycle(store, config, *stories)
    assert on_a_terminal(config).endswith("\n2 alerts\n")  # korea and nuklir, one report
    collapsed = on_a_terminal(config, collapse=True)
    assert "korea, nuklir" in collapsed and collapsed.endswith("\n2 alerts on 1 report\n")
    piped = CliRunner().invoke(main, ["alerts", "-c", str(config.path), "--collapse"]).output
    assert [line.split("\t")[1] for line in piped.splitlines()] == ["korea, nuklir"]
    query = ["topics", "test", '"korea utara"', "-c", str(config.path)]
    assert "2 matching stories\n" in CliRunner().invoke(main, query).output
    result = CliRunner().invoke(main, [*query, "--collapse"])
    assert "2 matching stories in 1 report" in result.output
    assert "also in: wire" in result.output or "also in: solo" in result.output


def test_the_band_index_is_rebuilt_from_stored_signatures_when_it_was_made_another_way(world):
    store, config, clock = world
    _, (wire,) = cycle(store, config, ("antaranews.com", "wire", "Korut", "\n\n".join(KOREA)))
    with store.write() as db:
        db.execute("DELETE FROM story_bands")  # lost, or made by a version with other bands
        db.execute("UPDATE meta SET value = 'other' WHERE key = 'cluster_bands'")
    _, (copy,) = cycle(
        store, config, ("bali.example", "bali", "K", sister_copy(KOREA, "bali", "x"))
    )
    assert cluster_of(store, copy) == wire
    assert stored.meta(store, "cluster_bands") == clustering.BANDS_MADE


def test_signatures_made_another_way_are_made_again_from_the_stories_in_the_window(world):
    store, config, clock = world
    _, (wire,) = cycle(store, config, ("antaranews.com", "wire", "Korut", "\n\n".join(KOREA)))
    with store.write() as db:
        db.execute("UPDATE story_signatures SET signature = zeroblob(256)")
        db.execute("UPDATE meta SET value = 'old' WHERE key = 'cluster_signatures'")
    _, (copy,) = cycle(
        store, config, ("bali.example", "bali", "K", sister_copy(KOREA, "bali", "x"))
    )
    assert cluster_of(store, copy) == wire


def test_bands_of_stories_too_old_to_be_copied_are_dropped_and_their_signatures_kept(world):
    store, config, clock = world
    cycle(store, config, ("antaranews.com", "wire", "Korut", "\n\n".join(KOREA)))
    assert store.db.execute("SELECT count(*) FROM story_bands").fetchone()[0] == clustering.BANDS
    clock.now += timedelta(days=5)
    cycle(store, config, ("kompas.com", "solo", "Lain", "\n\n".join(report(9))))
    assert store.db.execute("SELECT count(DISTINCT story_id) FROM story_bands").fetchone()[0] == 1
    assert store.db.execute("SELECT count(*) FROM story_signatures").fetchone()[0] == 2


def test_an_upgraded_database_clusters_copies_of_its_recent_reports_and_alerts_them_once(
    tmp_path,
):
    """A store from before clusters: its stories stay their own reports, those still inside the
    window get signatures on the first cycle, and a copy of one that already alerted does not
    alert again."""
    from sqlite_utils import Database

    from newswatch.storage.migrations import migrations

    feeds = [("wire", "http://127.0.0.1:9/wire.xml"), ("bali", "http://127.0.0.1:9/bali.xml")]
    path = write_config(tmp_path, feeds, topics=[("korea", '"korea utara"')])
    config = load_config(path)
    db = Database(config.database)
    migrations.apply(db, stop_before="m010_story_clusters")
    seen = T0.isoformat()
    body = "\n\n".join(KOREA)
    db["stories"].insert(
        {"url": "https://antaranews.com/1", "body": body, "feed": "wire", "first_seen": seen}
    )
    db["alerts"].insert({"story_id": 1, "topic": "korea", "created": seen, "delivered": seen})
    db.close()
    clock = Clock()
    clock.now += timedelta(hours=5)
    with Store(config.database, clock=clock) as store:
        assert stored.clustered_through(store) == 1
        store.db.execute(
            "INSERT INTO topics (name, query, first_seen, matched_through)"
            " VALUES ('korea', '\"korea utara\"', ?, 1)",
            [seen],
        )
        added, (copy,) = cycle(
            store, config, ("bali.example", "bali", "K", sister_copy(KOREA, "bali", "x"))
        )
        assert cluster_of(store, 1) is None  # the report stays its own, unchanged
        assert cluster_of(store, copy) == 1
        assert added == 0


def test_signatures_are_datasketchs_minhash_value_for_value():
    from datasketch import MinHash

    for body in ("\n\n".join(KOREA), paragraph(42, 300), "satu dua tiga empat"):
        found = clustering.shingles(body)
        reference = MinHash(num_perm=clustering.NUM_PERM, seed=clustering.SEED, scheme="affine32")
        reference.update_batch(list(found))
        assert clustering.signature(found) == reference.hashvalues.astype("<u4").tobytes()
