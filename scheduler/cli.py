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


def _duration(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    """A --since DURATION (``90m``, ``24h``, ``7d``) in seconds."""
    if value is None:
        return None
    from .config import parse_duration

    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


since_option = click.option(
    "--since", metavar="DURATION", callback=_duration, help="Only the last DURATION (24h, 7d)."
)


@main.command("alerts")
@config_option
@since_option
@click.option("--topic", metavar="NAME", help="Only this topic.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def alerts_command(
    config_path: Path, since: float | None, topic: str | None, as_json: bool
) -> None:
    """Print stored alerts, newest first."""
    config = load_or_exit(config_path)
    from .alert_views import print_alerts

    print_alerts(config, since=since, topic=topic, as_json=as_json)


@main.command("digest")
@config_option
@since_option
@click.option("--format", "fmt", type=click.Choice(["md", "html"]), help="Default: from -o.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write it (default: alerts.digest; - for stdout).",
)
def digest_command(
    config_path: Path, since: float | None, fmt: str | None, output: Path | None
) -> None:
    """Write a digest of recent alerts grouped by topic (Markdown or HTML)."""
    config = load_or_exit(config_path)
    from storage.alerts import open_readonly

    from .digest import render, write_digest

    window = since or config.alerts.digest_window
    conn = open_readonly(config.database)  # None before the first crawl: an empty digest
    try:
        if output is not None and str(output) == "-":
            text, _ = render(conn, config, window, fmt or "md")
            click.echo(text, nl=False)
            return
        path, count = write_digest(conn, config, output, fmt, window)
    finally:
        if conn is not None:
            conn.close()
    click.echo(f"digest: {count} alert{'s' if count != 1 else ''} written to {path}")


@main.group()
def topics() -> None:
    """Work with topic queries."""


@topics.command("test")
@click.argument("query")
@config_option
@since_option
@click.option("--limit", default=20, show_default=True, help="Stories to show (all are counted).")
def topics_test(config_path: Path, query: str, since: float | None, limit: int) -> None:
    """Dry-run QUERY (FTS5 syntax) against stored stories; writes nothing."""
    config = load_or_exit(config_path)
    from .alert_views import print_dry_run
    from .config import validate_fts_query

    error = validate_fts_query(query)
    if error is not None:
        hint = ""
        if "no such column" in error:  # kim-jong-un parses as column filters
            hint = '; put words joined by "-" or ":" in double quotes'
        click.echo(f"FTS5 rejects this query: {error}{hint}", err=True)
        sys.exit(2)
    print_dry_run(config, query, since=since, limit=limit)


if __name__ == "__main__":
    main()
