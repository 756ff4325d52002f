"""The README documents every command, every option and every config key (sqlite-utils' habit),
and its config table states each key's default and meaning as the schema does."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest

from newswatch.scheduler.cli import main
from newswatch.scheduler.config import CONFIG_KEYS, SETTINGS

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


def config_table() -> list[tuple[str, str]]:
    """The README's ``| key | default | meaning |`` table, as (key, whole row) in its order."""
    section = README.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [(row.split("`", 2)[1], row) for row in rows]


def documented_default(setting) -> str:
    """A default as the table writes it: YAML (JSON spelling) in backticks, or a word."""
    if setting.required:
        return "required"
    if setting.follows is not None:
        return f"`{setting.follows}`"
    if setting.default is None:
        return "none"
    value = setting.default
    return f"`{value if isinstance(value, str) else json.dumps(value)}`"


TABLE = config_table()
ROWS = dict(TABLE)


@pytest.mark.parametrize("key", CONFIG_KEYS)
def test_config_key_documented_as_the_schema_states_it(key):
    """The README's row for ``key`` shows the schema's default and its help line as meaning.

    The schema (scheduler/config/schema.py) is the source and the README is checked against it,
    not the other way round: the help line sits beside the default and checker it describes,
    where a change of behaviour is made, and the installed program never reads the README. When
    this fails, put the expected row in the README (or fix the help line if the README was right).
    """
    setting = SETTINGS[key]
    expected = f"| `{key}` | {documented_default(setting)} | {setting.help} |"
    assert ROWS.get(key) == expected


def test_config_table_has_every_key_once_in_schema_order():
    assert [key for key, _ in TABLE] == list(CONFIG_KEYS)


def test_readme_has_the_two_commands():
    assert "pip install -e . && newswatch crawl" in README
    assert "pip install -e '.[test]' && pytest" in README


def test_the_development_section_names_every_module_and_only_real_ones():
    """A new engineer reads the rooms there: every module is named, and every name is a module."""
    repo = Path(__file__).parent.parent
    section = README.split("## Development", 1)[1].split("\n## ", 1)[0]
    sources = [
        path
        for room in ("crawler", "storage", "scheduler", "newswatch", "tests", "scripts")
        for path in (repo / room).rglob("*.py")
    ]
    named = set(re.findall(r"`([a-z_]+)(?:\.py)?`", section))
    modules = {
        path.stem
        for path in sources
        if path.parts[len(repo.parts)] in ("crawler", "storage", "scheduler")
        and path.name != "__init__.py"
    }
    assert sorted(modules - named) == [], "modules the Development section does not name"
    files = {path.name for path in sources}
    named_files = {name.rsplit("/", 1)[-1] for name in re.findall(r"`([a-z_/]+\.py)`", section)}
    assert sorted(named_files - files) == [], "files it names that do not exist"
