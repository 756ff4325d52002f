"""Reading the config file's YAML: libyaml when present, duplicate keys reported, and what a
large file parses to kept for the next read of the same bytes.

PyYAML keeps the last of two equal keys without a word; in a config that silently drops the
first setting, so the loader records each duplicate as a problem instead.

A config of 100,000 feeds is 7 MB of YAML: libyaml takes 5 s of CPU to read it, and its node
tree peaks near 300 MB, memory the process keeps. Every cycle's ``newswatch crawl`` reads the
same file again (and the daemon reads it when it changes). So a file of ``CACHE_MIN_BYTES`` or
more leaves what it parsed to (plain dicts, lists and scalars, and its duplicate keys) in the
user's cache folder, under the SHA-256 of its bytes: the next read of the same bytes loads it
in some 20 ms with ``marshal``. Parsing is a pure function of the bytes (and PyYAML's version,
part of the key), so a hit is exactly what parsing would give; validation always runs. The
file holds what the config holds (a channel URL's password too): it is readable by our user
only, like the daemon's snapshot. Any problem with the cache (no folder, no permission, a
damaged file) only means the file is parsed, as without one.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import marshal
import os
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError

# libyaml's parser when PyYAML has it: a 10,000-feed config loads in 0.3 s instead of 3 s.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):
    """SafeLoader that records duplicate mapping keys, which PyYAML silently overwrites."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[str] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # "<<: *anchor" may be overridden
                continue
            key = self.construct_object(key_node, deep=deep)
            try:
                is_dup = key in seen
                seen.add(key)
            except TypeError:  # unhashable key: let the base class report it
                continue
            if is_dup:
                mark = key_node.start_mark
                self.duplicates.append(
                    f"line {mark.line + 1}: duplicate key {key!r} (the later value would win)"
                )
        return super().construct_mapping(node, deep=deep)


logger = logging.getLogger("newswatch.config")

# Below this, libyaml reads a file in a few milliseconds: nothing worth a file in a cache.
CACHE_MIN_BYTES = 256 * 1024
_CACHE_FORMAT = f"newswatch-config-1/pyyaml-{yaml.__version__}/{_BaseLoader.__name__}"


def cache_folder() -> Path | None:
    """``$NEWSWATCH_CACHE_DIR``, else ``$XDG_CACHE_HOME/newswatch``, else ``~/.cache/newswatch``."""
    if os.environ.get("NEWSWATCH_CACHE_DIR"):
        return Path(os.environ["NEWSWATCH_CACHE_DIR"])
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]) / "newswatch"
    try:
        return Path.home() / ".cache" / "newswatch"
    except RuntimeError:  # no home folder (a service user): no cache
        return None


def _cache_file(path: Path) -> Path | None:
    """One file per config path (the next version of the file replaces it)."""
    folder = cache_folder()
    if folder is None:
        return None
    name = hashlib.sha256(str(path.resolve()).encode("utf-8", "surrogateescape")).hexdigest()
    return folder / f"config-{name[:32]}.marshal"


def _cached(path: Path, digest: str) -> tuple[Any, list[str]] | None:
    where = _cache_file(path)
    try:
        kept = marshal.loads(where.read_bytes()) if where is not None else None
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if not (isinstance(kept, tuple) and len(kept) == 4 and kept[:2] == (_CACHE_FORMAT, digest)):
        return None
    return kept[2], kept[3]


def _keep(path: Path, digest: str, data: Any, duplicates: list[str]) -> None:
    where = _cache_file(path)
    if where is None:
        return
    try:
        blob = marshal.dumps((_CACHE_FORMAT, digest, data, duplicates))
    except ValueError:  # a value marshal cannot hold (a YAML timestamp): parse it each time
        return
    tmp = where.with_name(f".{where.name}.{os.getpid()}.tmp")
    try:
        where.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(blob)
        os.replace(tmp, where)
    except OSError as exc:
        logger.debug("config cache not written (%s): %s", where, exc)
        with contextlib.suppress(OSError):  # never made (no folder), or already gone
            tmp.unlink()


def read_yaml(path: Path) -> tuple[Any, list[str]]:
    """The file's data and its duplicate-key problems; ConfigError if it cannot be read at all."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: file not found"], path) from None
    except IsADirectoryError:
        raise ConfigError([f"{path}: is a directory, not a config file"], path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: cannot read ({exc})"], path) from None
    digest = None
    if len(text) >= CACHE_MIN_BYTES:
        digest = hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()
        kept = _cached(path, digest)
        if kept is not None:
            data, duplicates = kept
            return data, [f"{path}: {d}" for d in duplicates]
    data, duplicates = _parse(path, text)
    if digest is not None:
        _keep(path, digest, data, duplicates)
    return data, [f"{path}: {d}" for d in duplicates]


def _parse(path: Path, text: str) -> tuple[Any, list[str]]:
    loader = _Loader(text)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        what = exc.problem or exc.context or "invalid YAML"
        raise ConfigError([f"{path}: YAML syntax error{where}: {what}"], path) from None
    except yaml.YAMLError as exc:
        raise ConfigError([f"{path}: YAML syntax error: {exc}"], path) from None
    finally:
        loader.dispose()
    return data, loader.duplicates
