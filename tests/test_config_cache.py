"""A large config's parsed YAML, kept in the user's cache for the next read of the same bytes:
the same config as a parse gives, never a stale one, and no cache never an error."""

from __future__ import annotations

import os
import stat

import pytest

from newswatch.scheduler.config import ConfigError, load_config, yaml_file
from newswatch.scheduler.config.yaml_file import CACHE_MIN_BYTES

from conftest import write_yaml


def large_config(feeds: int = 5000, interval: str = "15m") -> dict:
    data = {
        "feeds": [
            {"name": f"feed-{i:05d}", "url": f"https://outlet{i % 50}.example/feeds/{i}.xml"}
            for i in range(feeds)
        ],
        "schedule": {"interval": interval},
    }
    return data


class NoParse(yaml_file._Loader):
    """A loader that fails the test if the file is parsed at all."""

    def get_single_data(self):
        raise AssertionError("the file was parsed, not read from the cache")


def cache_files():
    return list(yaml_file.cache_folder().glob("config-*.marshal"))


def test_a_large_config_read_again_comes_from_the_cache_and_equals_a_parse(tmp_path, monkeypatch):
    path = write_yaml(tmp_path, large_config())
    assert path.stat().st_size >= CACHE_MIN_BYTES
    parsed = load_config(path)
    assert len(cache_files()) == 1
    monkeypatch.setattr(yaml_file, "_Loader", NoParse)
    assert load_config(path) == parsed


def test_an_edited_config_is_parsed_again_never_read_stale(tmp_path, monkeypatch):
    path = write_yaml(tmp_path, large_config(interval="15m"))
    assert load_config(path).schedule.interval == 900
    write_yaml(tmp_path, large_config(interval="20m"))  # same size, other bytes
    assert load_config(path).schedule.interval == 1200
    assert len(cache_files()) == 1  # the new version replaced the old one
    monkeypatch.setattr(yaml_file, "_Loader", NoParse)
    assert load_config(path).schedule.interval == 1200


def test_duplicate_keys_are_reported_from_the_cache_too(tmp_path):
    text = write_yaml(tmp_path, large_config()).read_text()
    path = write_yaml(tmp_path, text + "schedule: {interval: 30m}\n")
    for _ in range(2):  # parsed, then from the cache
        with pytest.raises(ConfigError) as caught:
            load_config(path)
        assert any("duplicate key 'schedule'" in p for p in caught.value.problems)


def test_a_damaged_cache_file_is_ignored(tmp_path):
    path = write_yaml(tmp_path, large_config())
    parsed = load_config(path)
    (kept,) = cache_files()
    kept.write_bytes(kept.read_bytes()[:1000])
    assert load_config(path) == parsed
    kept.write_bytes(b"not marshal at all")
    assert load_config(path) == parsed


def test_no_usable_cache_folder_only_means_parsing(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("NEWSWATCH_CACHE_DIR", str(blocker / "cache"))  # under a file
    path = write_yaml(tmp_path, large_config())
    assert load_config(path) == load_config(path)


def test_the_cache_file_is_readable_by_our_user_only(tmp_path):
    """It holds what the config holds, a channel URL's password too."""
    load_config(write_yaml(tmp_path, large_config()))
    (kept,) = cache_files()
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE(kept.parent.stat().st_mode) == 0o700


def test_a_small_config_leaves_no_cache_file(tmp_path):
    load_config(write_yaml(tmp_path, large_config(feeds=3)))
    assert cache_files() == []


def test_the_cache_folder_follows_xdg_when_not_set(monkeypatch, tmp_path):
    monkeypatch.delenv("NEWSWATCH_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert yaml_file.cache_folder() == tmp_path / "newswatch"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert yaml_file.cache_folder() == tmp_path / ".cache" / "newswatch"
    assert os.fspath(yaml_file.cache_folder()).startswith(str(tmp_path))
