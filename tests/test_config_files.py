"""The config file itself: the shipped one loads, a broken file or YAML is named, paths resolve
against the file's folder, and every problem is reported in one go."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from newswatch.scheduler.config import CONFIG_KEYS, Config, ConfigError, load_config

from conftest import MINIMAL_CONFIG, config_problems, minimal_config, write_yaml

REPO = Path(__file__).resolve().parent.parent
SHIPPED = REPO / "config.yaml"


# --- the shipped config ---------------------------------------------------------------------------


def test_shipped_config_loads_clean():
    config = load_config(SHIPPED)
    assert isinstance(config, Config)
    assert config.path == SHIPPED
    assert config.database == REPO / "data" / "newswatch.db"
    assert config.alerts.log == REPO / "data" / "alerts.jsonl"
    assert config.alerts.digest == REPO / "data" / "digest.md"
    names = {f.name for f in config.feeds}
    assert {"bbc-world", "guardian-world", "aljazeera"} <= names
    assert len(config.feeds) >= 7
    assert {t.name for t in config.topics} == {"korea-utara", "rusia-ukraina"}
    assert config.crawl.obey_robots is True
    assert config.crawl.allow_private_addresses is False
    assert config.crawl.delay == 1.0
    assert config.crawl.concurrency_per_host == 2


def commented_example(text: str, key: str) -> list:
    """The commented-out list right under ``key: []`` (an example a user uncomments)."""
    lines = text.split(f"\n{key}: []\n", 1)[1].split("\n\n", 1)[0].splitlines()
    block = [line[1:] for line in lines if line.startswith("#")]
    return yaml.safe_load("\n".join(block)) or []


def test_shipped_config_writes_every_documented_key():
    """The shipped file is the user's reference, so it should show every key (a channel, which
    needs a secret, as a commented example: the shipped file must load on a fresh machine)."""
    text = SHIPPED.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert data["notify"] == []
    data["notify"] = commented_example(text, "notify")
    present = set()
    for key, value in data.items():
        if isinstance(value, dict):
            present |= {f"{key}.{k}" for k in value}
        elif isinstance(value, list):
            present |= {f"{key}[].{k}" for item in value for k in item}
            present |= {  # one nested block, e.g. feeds[].extract.body
                f"{key}[].{k}.{kk}"
                for item in value
                for k, v in item.items()
                if isinstance(v, dict)
                for kk in v
            }
        else:
            present.add(key)
    assert set(CONFIG_KEYS) - present == set()


def test_loading_touches_nothing_on_disk(tmp_path):
    path = write_yaml(tmp_path, MINIMAL_CONFIG)
    before = sorted(tmp_path.rglob("*"))
    load_config(path)
    assert sorted(tmp_path.rglob("*")) == before


def test_config_read_twice_is_equal_and_frozen(tmp_path):
    """The daemon compares a reloaded config with the last one to see whether it changed."""
    path = write_yaml(tmp_path, MINIMAL_CONFIG)
    config = load_config(path)
    assert load_config(path) == config
    write_yaml(tmp_path, minimal_config(crawl={"delay": 2}))
    assert load_config(path) != config
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.crawl.delay = 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.feeds[0].url = "https://elsewhere.example/"


# --- paths ----------------------------------------------------------------------------------------


def test_relative_paths_resolve_against_config_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # cwd must not matter
    data = minimal_config(
        database="db/x.db", alerts={"log": "../logs/a.jsonl", "digest": "out/d.html"}
    )
    path = write_yaml(tmp_path / "conf", data)
    config = load_config(Path("conf") / "config.yaml")
    assert config.path == path
    assert config.database == tmp_path / "conf" / "db" / "x.db"
    assert config.alerts.log == tmp_path / "logs" / "a.jsonl"
    assert config.alerts.digest == tmp_path / "conf" / "out" / "d.html"
    assert all(p.is_absolute() for p in (config.database, config.alerts.log))


def test_absolute_paths_kept(tmp_path):
    target = tmp_path / "elsewhere" / "n.db"
    config = load_config(write_yaml(tmp_path / "c", minimal_config(database=str(target))))
    assert config.database == target


# --- the file itself ------------------------------------------------------------------------------


def test_missing_file(tmp_path):
    path = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.problems == [f"{path}: file not found"]


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    path = write_yaml(tmp_path, "feeds:\n  - name: a\n    url: [unclosed\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    (problem,) = info.value.problems
    assert problem.startswith(f"{path}: YAML syntax error at line ")


def test_duplicate_yaml_key_is_a_problem(tmp_path):
    text = "feeds: [{name: a, url: 'https://a.example/'}]\ncrawl:\n  delay: 1\n  delay: 0\n"
    problems = config_problems(tmp_path, text)
    assert problems == [
        f"{tmp_path / 'config.yaml'}: line 4: duplicate key 'delay' (the later value would win)"
    ]


def test_yaml_merge_keys_may_be_overridden(tmp_path):
    text = (
        "feeds:\n"
        "  - &base {name: a, url: 'https://a.example/', interval: 10m}\n"
        "  - <<: *base\n"
        "    name: b\n"
        "    url: https://b.example/\n"
    )
    config = load_config(write_yaml(tmp_path, text))
    assert [(f.name, f.interval) for f in config.feeds] == [("a", 600), ("b", 600)]


@pytest.mark.parametrize("text", ["- a\n- b\n", "just a string\n"])
def test_top_level_must_be_a_mapping(tmp_path, text):
    (problem,) = config_problems(tmp_path, text)
    assert "expected a mapping of keys at the top level" in problem


def test_empty_file_reports_missing_feeds(tmp_path):
    assert config_problems(tmp_path, "") == [
        "feeds: required: a non-empty list of feeds (name, url)"
    ]


# --- unknown keys ---------------------------------------------------------------------------------

FEED = MINIMAL_CONFIG["feeds"][0]
CHANNEL = {"name": "desk", "url": "json://127.0.0.1:9/hook"}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({**MINIMAL_CONFIG, "databse": "x.db"}, "databse: unknown key; did you mean database?"),
        (
            minimal_config(schedule={"timezon": "UTC"}),
            "schedule.timezon: unknown key; did you mean timezone?",
        ),
        (
            minimal_config(feeds=[FEED | {"intervall": "1h"}]),
            "feeds[0].intervall: unknown key; did you mean interval?",
        ),
        (
            minimal_config(feeds=[FEED | {"extract": {"drop_line": ["x"]}}]),
            "feeds[0].extract.drop_line: unknown key; did you mean drop_lines?",
        ),
        (
            minimal_config(topics=[{"name": "t", "querry": "x"}]),
            "topics[0].querry: unknown key; did you mean query?",
        ),
        (
            minimal_config(notify=[CHANNEL | {"topic": []}]),
            "notify[0].topic: unknown key; did you mean topics?",
        ),
        # Nothing near it at that level: no guess.
        (minimal_config(crawl={"colour": "red"}), "crawl.colour: unknown key"),
        ({**MINIMAL_CONFIG, 7: "x"}, "7: unknown key"),
    ],
)
def test_an_unknown_key_suggests_the_nearest_key_of_its_level(tmp_path, data, expected):
    problems = config_problems(tmp_path, data)
    assert expected in problems, problems
    if "did you mean" not in expected:
        assert not any("did you mean" in p for p in problems), problems


# --- every problem at once ------------------------------------------------------------------------


def test_all_problems_reported_at_once(tmp_path):
    data = minimal_config(
        feeds=[{"name": "Bad Name", "url": "ftp://x"}, {"url": "https://ok.example/"}],
        topics=[{"name": "t", "query": "AND"}],
        alerts={"digest": "d.txt", "backfill": "yes"},
        schedule={"interval": "15"},
        crawl={"timeout": "abc", "colour": "red"},
        extra=1,
    )
    problems = config_problems(tmp_path, data)
    keys = [p.split(":", 1)[0] for p in problems]
    assert sorted(keys) == sorted(
        [
            "extra",
            "feeds[0].name",
            "feeds[0].url",
            "feeds[1].name",
            "topics[0].query",
            "alerts.digest",
            "alerts.backfill",
            "schedule.interval",
            "crawl.colour",
            "crawl.timeout",
        ]
    )


def test_config_error_message_lists_every_problem(tmp_path):
    path = write_yaml(tmp_path, minimal_config(crawl={"timeout": "abc", "delay": "x"}))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    text = str(info.value)
    assert str(path) in text and "2 problems" in text
    assert all(p in text for p in info.value.problems)
