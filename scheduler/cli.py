"""The ``newswatch`` command line."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from .config import Config, ConfigError, load_config

DEFAULT_CONFIG = "config.yaml"
config_option = click.option(
    "-c",
    "--config",
    "config_path",
    default=DEFAULT_CONFIG,
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The config file.",
)


_NOISY = (
    "scrapy.",
    "twisted",
    "py.warnings",
    "asyncio",
    "trafilatura",
    "htmldate",
    "charset_normalizer",
)


class _LibraryNoise(logging.Filter):
    """Scrapy and Twisted narrate every step; we log each failure once ourselves."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith(_NOISY):
            return record.levelno >= logging.ERROR and record.name != "scrapy.core.downloader"
        return True


def setup_logging(verbose: bool = False) -> None:
    level = logging.DEBUG if verbose else logging.INFO
    if sys.stderr.isatty():
        from rich.logging import RichHandler

        handler: logging.Handler = RichHandler(show_path=False, markup=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S")
        )
    handler.addFilter(_LibraryNoise())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("newswatch").setLevel(level)


def load_or_exit(path: Path) -> Config:
    """A bad config stops here, before anything is touched: every problem, exit status 2."""
    try:
        return load_config(path)
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)


@click.group()
@click.version_option(package_name="newswatch")
def main() -> None:
    """newswatch: watch news feeds for topics, store each story once, alert on matches."""


@main.command()
@config_option
@click.option("--feed", "feeds", multiple=True, metavar="NAME", help="Only this feed (repeatable).")
@click.option(
    "--progress/--no-progress", default=None, help="Progress bar (default: on a terminal)."
)
@click.option("-v", "--verbose", is_flag=True, help="Log every skipped entry and known story.")
def crawl(config_path: Path, feeds: tuple[str, ...], progress: bool | None, verbose: bool) -> None:
    """One crawl of all (or the named) feeds, then topic matching and alerts."""
    config = load_or_exit(config_path)
    unknown = sorted(set(feeds) - {feed.name for feed in config.feeds})
    if unknown:
        click.echo(f"--feed: no feed named {', '.join(map(repr, unknown))} in the config", err=True)
        sys.exit(2)
    setup_logging(verbose)
    from .cycle import run_cycle

    summary = run_cycle(config, feeds, progress=progress)
    click.echo(summary.line())


@main.command()
@config_option
def status(config_path: Path) -> None:
    """One row per feed: last poll, result, stories, errors, next poll."""
    config = load_or_exit(config_path)
    from .status import print_status

    print_status(config)


if __name__ == "__main__":
    main()
