"""The install: one import package, ``newswatch``, that nothing on the path can shadow."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import tomllib

from newswatch import command
from newswatch.crawler.settings import scrapy_settings
from newswatch.scheduler.config import load_config

from conftest import REPO, write_config

FOLDERS = {"newswatch": "newswatch", "crawler": "newswatch.crawler"}
FOLDERS |= {"scheduler": "newswatch.scheduler", "storage": "newswatch.storage"}


def test_every_package_folder_is_installed_under_newswatch():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    declared = set(project["tool"]["setuptools"]["packages"])
    found = set()
    for folder, dotted in FOLDERS.items():
        for init in (REPO / folder).rglob("__init__.py"):
            parts = init.parent.relative_to(REPO / folder).parts
            found.add(".".join((dotted, *parts)))
    assert declared == found


def test_the_distribution_installs_newswatch_alone_at_the_top_level():
    dist = importlib.metadata.distribution("newswatch")
    assert (dist.read_text("top_level.txt") or "").split() == ["newswatch"]


def test_the_folders_are_not_importable_on_their_own(tmp_path):
    for name in ("crawler", "scheduler", "storage"):
        probe = subprocess.run(
            [sys.executable, "-c", f"import {name}"], cwd=tmp_path, capture_output=True
        )
        assert probe.returncode != 0, name


def test_a_scheduler_folder_in_the_working_directory_cannot_shadow_the_children(tmp_path):
    decoy = tmp_path / "scheduler"
    decoy.mkdir()
    (decoy / "__init__.py").write_text("")
    (decoy / "__main__.py").write_text("print('decoy')\n")
    child = subprocess.run(command("--version"), cwd=tmp_path, capture_output=True, text=True)
    assert child.returncode == 0, child.stderr
    assert "decoy" not in child.stdout
    assert "version" in child.stdout


def test_scrapy_components_are_handed_over_as_classes(tmp_path):
    config = load_config(write_config(tmp_path, [("f", "http://127.0.0.1:9/feed.xml")]))
    settings = scrapy_settings(config.crawl)
    components = [
        *settings["DOWNLOADER_MIDDLEWARES"],
        *settings["ITEM_PIPELINES"],
        *settings["EXTENSIONS"],
        settings["TWISTED_DNS_RESOLVER"],
    ]
    assert components and all(isinstance(component, type) for component in components)
