"""load_config: read the file, check every key against the schema, then the checks across keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .checks import Checker, absolute
from .durations import show_duration
from .errors import ConfigError
from .schema import Config
from .settings import read_mapping
from .yaml_file import read_yaml


def load_config(path: str | Path) -> Config:
    """Read, validate and return the config at ``path``; raise ConfigError listing every problem.

    Relative paths inside the file are resolved against the file's own folder, so the tool
    behaves the same whatever directory it is started from. Nothing is created on disk.
    """
    config_path = Path(path).expanduser()
    data, problems = read_yaml(config_path)
    config, more = _validate(data, config_path)
    problems += more
    if problems or config is None:
        raise ConfigError(problems, config_path)
    return config


def _validate(data: Any, config_path: Path) -> tuple[Config | None, list[str]]:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return None, [f"{config_path}: expected a mapping of keys at the top level"]
    c = Checker(config_path.parent)
    config = read_mapping(c, "", Config, data, path=absolute(config_path))
    _check_across_keys(c, config)
    if c.problems:
        return None, c.problems
    return config, []


def _check_channels(c: Checker, config: Config) -> None:
    """A channel's topics must be topics of the config; a digest needs a time to be sent."""
    known = [topic.name for topic in config.topics if topic.name is not None]
    for i, channel in enumerate(config.notify):
        for j, topic in enumerate(channel.topics or ()):
            if topic not in known:
                listed = ", ".join(known) or "none are configured"
                c.problem(
                    f"notify[{i}].topics[{j}]", f"no topic named {topic!r} (topics: {listed})"
                )
        if channel.digest and config.schedule.digest_at is None:
            c.problem(
                f"notify[{i}].digest", "true needs schedule.digest_at, the daily digest's time"
            )


def _check_schedule(c: Checker, config: Config) -> None:
    """The schedule's durations against each other, each feed's and the crawl's timeout.

    Every one of these once passed and lost silently to another key: an interval below
    min_interval (the adapted interval never goes below it, and no feed is polled more often),
    and a deadline that one slow download could use up.
    """
    s = config.schedule
    lo, hi = s.min_interval, s.max_interval
    if lo is not None and hi is not None and lo > hi:
        c.problem(
            "schedule.min_interval",
            f"must not exceed schedule.max_interval ({show_duration(lo)} > {show_duration(hi)})",
        )
    if lo is not None:
        if s.interval is not None and s.interval < lo:
            c.problem(
                "schedule.interval",
                f"must not be below schedule.min_interval ({show_duration(s.interval)} <"
                f" {show_duration(lo)}): after its first poll a feed's interval is kept at"
                " min_interval or above",
            )
        for i, feed in enumerate(config.feeds):
            if feed.interval is not None and feed.interval < lo:
                c.problem(
                    f"feeds[{i}].interval",
                    f"must not be below schedule.min_interval ({show_duration(feed.interval)}"
                    f" < {show_duration(lo)}): no feed is polled more often; lower"
                    " schedule.min_interval to poll this one more often",
                )
    deadline, timeout = s.deadline, config.crawl.timeout
    if deadline is not None and timeout is not None and deadline <= timeout:
        c.problem(
            "schedule.deadline",
            f"must be longer than crawl.timeout ({show_duration(deadline)} is not above"
            f" {show_duration(timeout)}): one slow download could use up the whole cycle",
        )


def _check_across_keys(c: Checker, config: Config) -> None:
    """Checks between keys, only between values that were themselves valid (not None)."""
    _check_schedule(c, config)
    _check_channels(c, config)
    paths = {
        "database": config.database,
        "alerts.log": config.alerts.log,
        "alerts.digest": config.alerts.digest,
    }
    seen: dict[Path, str] = {}
    for key, p in paths.items():
        if p is None:
            continue
        if p in seen:
            c.problem(key, f"same file as {seen[p]} ({p.name})")
        else:
            seen[p] = key
