"""The README documents every command, every option and every config key (sqlite-utils' habit)."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from newswatch.scheduler.cli import main
from newswatch.scheduler.config import CONFIG_KEYS

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def commands(group: click.Group, prefix: str = "newswatch"):
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        if isinstance(command, click.Group):
            yield from commands(command, path)
        else:
            yield path, command


COMMANDS = list(commands(main))


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[p for p, _ in COMMANDS])
def test_command_and_its_options_documented(path, command):
    assert f"`{path}" in README, f"README does not show {path}"
    for param in command.params:
        if isinstance(param, click.Option):
            longest = max(param.opts, key=len)
            assert longest in README, f"README does not mention {path} {longest}"


@pytest.mark.parametrize("key", CONFIG_KEYS)
def test_config_key_documented(key):
    assert f"`{key}`" in README


def test_readme_has_the_two_commands():
    assert "pip install -e . && newswatch crawl" in README
    assert "pip install -e '.[test]' && pytest" in README
