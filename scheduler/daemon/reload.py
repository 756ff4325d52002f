"""Config reload: the file is re-read at a tick of the crawl job when it changed; a bad edit
never stops it.

"Changed" means other bytes (their SHA-256, some 10 ms for a 7 MB file): the same bytes give
the same config, and reading and checking a config of 100,000 feeds costs seconds of CPU, at
every tick (each few seconds) most of a core. A file's modification time is not enough: two
writes of the same size within the clock's granularity (a few ms) would look like one.

The crawl child runs on a snapshot of the last config that loaded (paths made absolute), so a
file broken between the daemon's read and the child's start cannot break the cycle either.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
from pathlib import Path

import yaml

from ..config import Config, ConfigError, load_config
from ..config.yaml_file import read_yaml

logger = logging.getLogger("newswatch.daemon")
# libyaml's emitter when PyYAML has it: the pure-Python one takes a minute for 100,000 feeds.
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def file_signature(path: Path) -> bytes | None:
    """What tells a rewritten file from the one read before: the SHA-256 of its bytes."""
    try:
        return hashlib.sha256(path.read_bytes()).digest()
    except OSError:
        return None


def snapshot_path(database: Path) -> Path:
    return database.with_name(database.name + ".last-good-config.yaml")


def write_snapshot(config: Config, path: Path) -> bool:
    """Save ``config`` with absolute paths, so the child can run it whatever the file says now.

    Returns False (and leaves the old snapshot) when the file no longer reads back as ``config``,
    e.g. it changed while we read it.
    """
    try:
        data, _ = read_yaml(config.path)  # libyaml, and the cache of a large file
    except ConfigError:
        return False
    data = data or {}
    if not isinstance(data, dict):
        return False
    data["database"] = str(config.database)
    alerts = data.get("alerts") if isinstance(data.get("alerts"), dict) else {}
    alerts.update(log=str(config.alerts.log), digest=str(config.alerts.digest))
    data["alerts"] = alerts
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        head = f"# newswatch run: the last good copy of {config.path}, paths made absolute.\n"
        # Readable by our user only: a channel URL written without ${VAR} holds its secret.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(head + yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True))
        same = dataclasses.replace(load_config(tmp), path=config.path) == config
        if same:
            os.replace(tmp, path)
        return same
    except (OSError, ConfigError):
        return False
    finally:
        tmp.unlink(missing_ok=True)


class ConfigReloader:
    """The last good config, its snapshot for the child, and the problem last logged."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.path = config.path
        self.snapshot = snapshot_path(config.database)
        self.snapshot_ok = write_snapshot(config, self.snapshot)
        self._problem: str | None = None  # logged once, until the file is good again
        self._read: bytes | None = None  # the signature of the file as last read

    @property
    def child_config(self) -> Path:
        """The file the crawl child is given: the snapshot, unless it could not be written."""
        return self.snapshot if self.snapshot_ok else self.config.path

    def reload(self) -> Config:
        """Re-read the file; the config to use now (a new object only when it changed).

        On any problem the last good config stays, and the problem is logged once. The same
        bytes as at the last read are not read again.
        """
        signature = file_signature(self.path)
        if signature is not None and signature == self._read:
            return self.config
        self._read = signature
        try:
            new = load_config(self.path)
        except ConfigError as exc:
            return self._keep("; ".join(exc.problems))
        if new.database != self.config.database:
            return self._keep(
                f"database: changing it needs a restart of newswatch run"
                f" ({self.config.database} -> {new.database})"
            )
        if self._problem is not None:
            logger.info("config is good again: %s", self.path)
            self._problem = None
        if new != self.config:
            old, self.config = self.config, new
            changed = [
                f.name
                for f in dataclasses.fields(Config)
                if getattr(old, f.name) != getattr(new, f.name)
            ]
            logger.info("config reloaded: %s changed", ", ".join(changed))
            self.snapshot_ok = write_snapshot(new, self.snapshot)
        return self.config

    def _keep(self, problem: str) -> Config:
        if problem != self._problem:
            logger.error("config error, keeping the last good config: %s", problem)
            self._problem = problem
        return self.config
