"""``newswatch demo`` end to end: the bundled outlet, two cycles, exactly the expected alerts."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
from urllib.parse import urlsplit

import pytest
import yaml

from newswatch import command

from conftest import run_newswatch

EXPECTED = {
    ("korea-utara", "/news/korut-satelit-mata-mata.html"),
    ("korea-utara", "/news/pasukan-korut-di-rusia.html"),
    ("rusia-ukraina", "/news/pasukan-korut-di-rusia.html"),
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo") / "demo"
    result = run_newswatch("demo", "--dir", str(folder), timeout=60)
    return folder, result


def test_demo_exits_0_and_says_where_everything_is(demo):
    folder, result = demo
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    out = result.stdout
    config = folder / "config.yaml"
    for needle in (
        "new stories: 12",
        "alerts: 0",
        "(1 unchanged)",
        "new stories: 2",
        "alerts: 3",
        f"newswatch alerts -c {config}",
        f"-c {config}",
        "newswatch topics test ",
        f"newswatch serve -c {config}",
        str(folder / "digest.md"),
        str(folder / "alerts.jsonl"),
    ):
        assert needle in out, (needle, out)


def test_demo_stores_each_story_once(demo):
    folder, _ = demo
    conn = sqlite3.connect(folder / "newswatch.db")
    rows = conn.execute("SELECT url, extraction, backfill FROM stories").fetchall()
    shared = conn.execute(
        "SELECT feed FROM stories WHERE url LIKE '%/news/korut-rudal-balistik.html'"
    ).fetchall()
    conn.close()
    assert shared == [("kabar-contoh",)]  # both feeds list it: the first in the config has it
    paths = [urlsplit(url).path for url, _, _ in rows]
    assert len(paths) == len(set(paths)) == 14
    assert all(extraction == "page" for _, extraction, _ in rows)
    assert "/news/ukraine-drone-attack.html" in paths  # the AMP link, stored as its canonical
    assert not any(urlsplit(url).query for url, _, _ in rows)  # utm_ parameters dropped
    new = {urlsplit(url).path for url, _, backfill in rows if not backfill}
    assert new == {path for _, path in EXPECTED}


def test_demo_alerts_exactly_the_expected_ones_once(demo):
    folder, _ = demo
    lines = (folder / "alerts.jsonl").read_text(encoding="utf-8").splitlines()
    logged = [(a["topic"], urlsplit(a["url"]).path) for a in map(json.loads, lines)]
    assert sorted(logged) == sorted(EXPECTED)
    conn = sqlite3.connect(folder / "newswatch.db")
    rows = conn.execute(
        "SELECT a.topic, s.url, a.delivered FROM alerts a JOIN stories s ON s.id = a.story_id"
    ).fetchall()
    conn.close()
    assert sorted((topic, urlsplit(url).path) for topic, url, _ in rows) == sorted(EXPECTED)
    assert all(delivered for _, _, delivered in rows)


def test_demo_writes_the_digest(demo):
    folder, _ = demo
    digest = (folder / "digest.md").read_text(encoding="utf-8")
    assert "3 alerts" in digest
    assert "## korea-utara (2)" in digest and "## rusia-ukraina (1)" in digest
    assert "Korut Klaim Berhasil Luncurkan Satelit" in digest


def test_demo_leaves_no_port_behind(demo):
    folder, _ = demo
    config = yaml.safe_load((folder / "config.yaml").read_text(encoding="utf-8"))
    port = urlsplit(config["feeds"][0]["url"]).port
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), 1):
        pass


def test_demo_config_works_with_the_other_commands(demo):
    folder, _ = demo
    config = str(folder / "config.yaml")
    alerts = run_newswatch("alerts", "-c", config, "--json")
    assert alerts.returncode == 0, alerts.stderr
    assert len(alerts.stdout.splitlines()) == 3
    dry = run_newswatch("topics", "test", '"north korea" OR "korea utara"', "-c", config)
    assert dry.returncode == 0, dry.stderr
    # Backfilled stories match too, in both languages.
    assert "South Korea says North Korean soldiers" in dry.stdout
    assert "Korea Utara Kembali Uji Coba Rudal" in dry.stdout


def test_demo_refuses_a_folder_that_is_not_its_own(tmp_path):
    (tmp_path / "config.yaml").write_text("database: mine.db\n", encoding="utf-8")
    result = run_newswatch("demo", "--dir", str(tmp_path))
    assert result.returncode == 2
    assert "not empty" in result.stderr
    assert (tmp_path / "config.yaml").read_text(encoding="utf-8") == "database: mine.db\n"


def test_demo_finishes_its_work_when_its_reader_stops_early(tmp_path):
    """``newswatch demo | head -3``: the closed pipe stops the output, not the crawl cycles."""
    folder = tmp_path / "demo"
    with open(tmp_path / "stderr", "wb") as stderr:
        child = subprocess.Popen(
            command("demo", "--dir", str(folder)),
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=dict(os.environ, COLUMNS="200"),
        )
        head = [child.stdout.readline() for _ in range(3)]
        child.stdout.close()  # as head does once it has its lines
        status = child.wait(timeout=60)
    assert head[0].startswith(b"newswatch demo: a sample outlet served on")
    errors = (tmp_path / "stderr").read_text(encoding="utf-8")
    assert errors == "", errors  # no BrokenPipeError, no traceback: it just stops printing
    assert status == 0  # the demo's own check still decides: the alerts are the expected ones
    conn = sqlite3.connect(folder / "newswatch.db")
    assert conn.execute("SELECT count(*) FROM stories").fetchone()[0] == 14
    rows = conn.execute(
        "SELECT a.topic, s.url FROM alerts a JOIN stories s ON s.id = a.story_id"
    ).fetchall()
    conn.close()
    assert sorted((topic, urlsplit(url).path) for topic, url in rows) == sorted(EXPECTED)
    assert len((folder / "alerts.jsonl").read_text(encoding="utf-8").splitlines()) == 3
    assert "3 alerts" in (folder / "digest.md").read_text(encoding="utf-8")
