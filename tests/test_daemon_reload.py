"""Config reload: re-read every cycle, a bad edit logged once while the last good config runs on,
schedule changes applied at once, and the snapshot the crawl child is given."""

from __future__ import annotations

import logging
from datetime import timedelta

import yaml

from newswatch.scheduler.config import load_config
from newswatch.scheduler.daemon.reload import snapshot_path, write_snapshot
from newswatch.scheduler.daemon.schedule import CRAWL_JOB, DIGEST_JOB

from conftest import daemon_config

# A stand-in child that notes the interval of the config file it was given, one line a cycle.
NOTE_INTERVAL = (
    "import sys; from pathlib import Path; from newswatch.scheduler.config import load_config\n"
    "config = load_config(sys.argv[1])\n"
    "with open(config.database.with_name('intervals'), 'a') as out:\n"
    "    print(config.schedule.interval, file=out)\n"
)


def test_a_bad_config_while_running_keeps_the_last_good_one(
    make_daemon, daemon_clock, tmp_path, caplog
):
    caplog.set_level(logging.INFO, "newswatch")
    d = make_daemon(NOTE_INTERVAL)
    d.add_jobs()
    config_file = tmp_path / "config.yaml"
    good = config_file.read_text()
    config_file.write_text(good.replace("interval: 1s", "interval: soon", 1))
    d.crawl_job()
    daemon_clock.mono += 1  # past the cycle gap
    d.crawl_job()
    assert caplog.text.count("config error, keeping the last good config:") == 1  # said once
    assert "schedule.interval: " in caplog.text
    assert "cycle 2 ok in" in caplog.text
    # Both cycles ran on the last good config, from its snapshot (paths made absolute).
    assert (tmp_path / "intervals").read_text().split() == ["1.0", "1.0"]
    assert load_config(snapshot_path(tmp_path / "newswatch.db")).database == d.config.database


def test_a_fixed_config_with_a_new_interval_reschedules_at_once(
    make_daemon, daemon_clock, tmp_path, caplog
):
    caplog.set_level(logging.INFO, "newswatch")
    d = make_daemon(NOTE_INTERVAL)
    d.add_jobs()
    config_file = tmp_path / "config.yaml"
    data = yaml.safe_load(config_file.read_text())
    config_file.write_text("feeds: [")
    d.crawl_job()
    data["schedule"]["interval"] = "7s"
    config_file.write_text(yaml.safe_dump(data))
    daemon_clock.mono += 1  # past the cycle gap
    d.crawl_job()
    assert "config is good again" in caplog.text
    assert "config reloaded: schedule changed" in caplog.text
    assert "crawl interval is now 7s" in caplog.text
    job = d.scheduler.get_job(CRAWL_JOB)
    assert job.trigger.interval == timedelta(seconds=7)
    assert job.next_run_time == daemon_clock.wall + timedelta(seconds=7)
    assert job.misfire_grace_time == 7
    assert (tmp_path / "intervals").read_text().split() == ["1.0", "7.0"]  # the new one runs


def test_a_new_database_needs_a_restart(make_daemon, tmp_path, caplog):
    d = make_daemon()
    config_file = tmp_path / "config.yaml"
    config_file.write_text(config_file.read_text().replace("newswatch.db", "other.db"))
    assert d.reload().database == tmp_path / "newswatch.db"
    assert "database: changing it needs a restart of newswatch run" in caplog.text


def test_a_digest_time_set_or_removed_by_an_edit_changes_the_digest_job(make_daemon, tmp_path):
    d = make_daemon()
    d.add_jobs()
    config_file = tmp_path / "config.yaml"
    data = yaml.safe_load(config_file.read_text())
    data["schedule"]["digest_at"] = "07:00"
    config_file.write_text(yaml.safe_dump(data))
    d.reload()
    hour = {f.name: str(f) for f in d.scheduler.get_job(DIGEST_JOB).trigger.fields}["hour"]
    assert hour == "7"
    del data["schedule"]["digest_at"]
    config_file.write_text(yaml.safe_dump(data))
    d.reload()
    assert d.scheduler.get_job(DIGEST_JOB) is None


def test_the_snapshot_resolves_paths_like_the_original(tmp_path):
    config = load_config(daemon_config(tmp_path, [("a", "http://127.0.0.1:9/feed.xml")]))
    snapshot = snapshot_path(config.database)
    assert write_snapshot(config, snapshot)
    copy = load_config(snapshot)
    assert (copy.database, copy.alerts.log, copy.alerts.digest) == (
        config.database,
        config.alerts.log,
        config.alerts.digest,
    )
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_file_changed_since_it_was_read_leaves_the_old_snapshot(tmp_path):
    config = load_config(daemon_config(tmp_path, [("a", "http://127.0.0.1:9/feed.xml")]))
    snapshot = snapshot_path(config.database)
    assert write_snapshot(config, snapshot)
    kept = snapshot.read_text()
    config.path.write_text(config.path.read_text().replace("interval: 1s", "interval: 2s", 1))
    assert not write_snapshot(config, snapshot)
    assert snapshot.read_text() == kept


def test_an_unchanged_file_is_not_read_again_and_a_same_size_edit_is_seen(
    make_daemon, tmp_path, monkeypatch
):
    """A config of 100,000 feeds costs seconds to read: a tick reads it only when its bytes
    changed, even an edit of the same size within the clock's granularity."""
    from newswatch.scheduler.daemon import reload as reload_module

    d = make_daemon()
    d.add_jobs()
    reads = []
    real = reload_module.load_config
    monkeypatch.setattr(reload_module, "load_config", lambda p: reads.append(p) or real(p))
    d.reload()
    d.reload()
    d.reload()
    assert len(reads) == 1
    config_file = tmp_path / "config.yaml"
    config_file.write_text(config_file.read_text().replace("interval: 1s", "interval: 2s", 1))
    assert d.reload().schedule.interval == 2
    d.reload()
    assert len(reads) == 3  # the new file, and its snapshot written and read back
