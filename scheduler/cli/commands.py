"""The ``newswatch`` command line."""

from __future__ import annotations

import logging
import os
import sqlite3
import sys
from pathlib import Path

import click

from ..config import Config, ConfigError, load_config
from .logs import setup_logging

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
log_file_option = click.option(
    "--log-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Append the log to this file instead of stderr.",
)


def load_or_exit(path: Path) -> Config:
    """A bad config stops here, before anything is touched: every problem, exit status 2."""
    try:
        config = load_config(path)
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    context = click.get_current_context(silent=True)
    if context is not None:  # for the one line an unusable database ends with (see _Group)
        context.meta[_DATABASE] = config.database
    return config


_DATABASE = "newswatch.database"


def usable_or_exit(database: Path) -> None:
    """A database (or folder) a crawl cannot write stops here, before a thing is written."""
    from ...storage.usable import EXIT_UNUSABLE, DatabaseUnusable, check_writable

    try:
        check_writable(database)
    except DatabaseUnusable as exc:
        click.echo(f"newswatch: {exc}", err=True)
        sys.exit(EXIT_UNUSABLE)


class _Group(click.Group):
    """Turns a database that cannot be used (SQLite's error, or the folder's) into one clear
    line and its own exit status (EXIT_UNUSABLE)."""

    def invoke(self, ctx: click.Context):
        from ...storage import usable

        try:
            return super().invoke(ctx)
        except sqlite3.DatabaseError as exc:
            database = ctx.meta.get(_DATABASE)
            if database is None:
                raise
            from ...storage.store import BUSY_TIMEOUT_S

            line = usable.sqlite_line(database, exc, BUSY_TIMEOUT_S)
        except OSError as exc:
            database = ctx.meta.get(_DATABASE)
            if database is None or not usable.is_database_os_error(database, exc):
                raise
            line = usable.os_line(database, exc)
        except usable.DatabaseUnusable as exc:
            line = str(exc)
        click.echo(f"newswatch: {line}", err=True)
        sys.exit(usable.EXIT_UNUSABLE)


@click.group(cls=_Group)
@click.version_option(package_name="newswatch")
def main() -> None:
    """newswatch: watch news feeds for topics, store each story once, alert on matches."""


@main.command()
@config_option
@click.option("--feed", "feeds", multiple=True, metavar="NAME", help="Only this feed (repeatable).")
@click.option(
    "--progress/--no-progress", default=None, help="Progress bar (default: on a terminal)."
)
@click.option(
    "--due", is_flag=True, help="Only the feeds whose next poll has come (the daemon's cycles)."
)
@click.option("-v", "--verbose", is_flag=True, help="Log every skipped entry and known story.")
@log_file_option
def crawl(
    config_path: Path,
    feeds: tuple[str, ...],
    progress: bool | None,
    due: bool,
    verbose: bool,
    log_file: Path | None,
) -> None:
    """One crawl of all (or the named) feeds, then topic matching and alerts."""
    config = load_or_exit(config_path)
    unknown = sorted(set(feeds) - {feed.name for feed in config.feeds})
    if unknown:
        click.echo(f"--feed: no feed named {', '.join(map(repr, unknown))} in the config", err=True)
        sys.exit(2)
    usable_or_exit(config.database)
    setup_logging(verbose, log_file)
    from ..cycle import run_cycle
    from ..locks import LockFile, LockHeld, crawl_lock_path

    try:  # one crawl per database at a time: a manual crawl while the daemon's child runs
        lock = LockFile(crawl_lock_path(config.database), "newswatch crawl").acquire()
    except LockHeld as exc:
        click.echo(f"{exc}; try again when it has finished", err=True)
        sys.exit(3)
    try:
        summary = run_cycle(config, feeds, progress=progress, due_only=due)
    finally:
        lock.release()
    click.echo(summary.line())
    status = 0 if summary.completed else 1  # 1: cut short by a signal, not a completed run
    from ..delivery.sender import sends_still_running

    if sends_still_running():  # a notification cut at its timeout still holds a thread
        exit_now(status)
    sys.exit(status)


def exit_now(status: int) -> None:
    """Exit without waiting for threads: everything is stored, the log flushed, and a
    receiver trickling bytes into a send we gave up on cannot hold the crawl past its deadline."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


@main.command()
@config_option
def status(config_path: Path) -> None:
    """A few lines per feed: result, stories, errors, last and next poll, interval."""
    config = load_or_exit(config_path)
    from .status_view import print_status

    print_status(config)


def _duration(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    """A --since DURATION (``90m``, ``24h``, ``7d``) in seconds."""
    if value is None:
        return None
    from ..config import parse_duration

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
@click.option(
    "--collapse", is_flag=True, help="One entry per report: its topics together, copies named."
)
def alerts_command(
    config_path: Path, since: float | None, topic: str | None, as_json: bool, collapse: bool
) -> None:
    """Print stored alerts, newest first."""
    config = load_or_exit(config_path)
    from .alerts_view import print_alerts, unknown_topic

    problem = unknown_topic(config, topic) if topic is not None else None
    if problem is not None:
        click.echo(problem, err=True)
        sys.exit(2)
    print_alerts(config, since=since, topic=topic, as_json=as_json, collapse=collapse)


DIGEST_SUFFIXES = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html"}


def format_mismatch(fmt: str | None, output: Path | None) -> str | None:
    """Why ``--format`` and the ``-o`` file's suffix disagree (Markdown written into an .html
    file, which a browser then shows as one paragraph), or None. A suffix that names neither
    format (``.txt``) takes whatever --format asks for."""
    if fmt is None or output is None or str(output) == "-":
        return None
    implied = DIGEST_SUFFIXES.get(output.suffix.lower())
    if implied is None or implied == fmt:
        return None
    names = {"md": "Markdown", "html": "HTML"}
    return (
        f"digest: --format {fmt} does not match -o {output.name} ({output.suffix} is for"
        f" {names[implied]}): write to {output.stem}.{fmt}, or use --format {implied}"
    )


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
    from ...storage.store import reading
    from ..delivery.digest import render, write_from_database

    problem = format_mismatch(fmt, output)
    if problem is not None:
        click.echo(problem, err=True)
        sys.exit(2)
    window = since or config.alerts.digest_window
    if output is not None and str(output) == "-":
        with reading(config.database) as conn:  # None before the first crawl: an empty digest
            text, _ = render(conn, config, window, fmt or "md")
        click.echo(text, nl=False)
        return
    path, count = write_from_database(config, output, fmt, window)
    click.echo(f"digest: {count} alert{'s' if count != 1 else ''} written to {path}")


@main.group()
def topics() -> None:
    """Work with topic queries."""


@topics.command("test")
@click.argument("query")
@config_option
@since_option
@click.option("--limit", default=20, show_default=True, help="Stories to show (all are counted).")
@click.option(
    "--collapse", is_flag=True, help="One entry per report: syndicated copies named under it."
)
def topics_test(
    config_path: Path, query: str, since: float | None, limit: int, collapse: bool
) -> None:
    """Dry-run QUERY (FTS5 syntax) against stored stories; writes nothing."""
    config = load_or_exit(config_path)
    from ..config import query_problem
    from .topics_view import print_dry_run

    problem = query_problem(query)
    if problem is not None:
        click.echo(problem, err=True)
        sys.exit(2)
    print_dry_run(config, query, since=since, limit=limit, collapse=collapse)


@main.group()
def notify() -> None:
    """Work with notification channels."""


@notify.command("test")
@click.argument("names", nargs=-1, metavar="[NAME]...")
@config_option
def notify_test(config_path: Path, names: tuple[str, ...]) -> None:
    """Send a short test message to each (or each named) channel; say what each answered."""
    config = load_or_exit(config_path)
    from .notify_view import send_tests

    known = {channel.name for channel in config.notify}
    unknown = [name for name in names if name not in known]
    if not config.notify or unknown:
        listed = ", ".join(sorted(known)) or "none in the config"
        what = f"no channel named {', '.join(map(repr, unknown))}" if unknown else "no channels"
        click.echo(f"notify test: {what} (channels: {listed})", err=True)
        sys.exit(2)
    channels = [c for c in config.notify if not names or c.name in names]
    sys.exit(0 if send_tests(channels) else 1)


@main.command("run")
@config_option
@log_file_option
@click.option(
    "--grace",
    type=click.FloatRange(min=0),
    default=20.0,
    show_default=True,
    metavar="SECONDS",
    help="On SIGTERM/SIGINT, how long a running crawl may take to finish before it is stopped.",
)
def run_command(config_path: Path, log_file: Path | None, grace: float) -> None:
    """The daemon: crawl on the schedule (and write the daily digest) until SIGTERM/SIGINT."""
    config = load_or_exit(config_path)
    usable_or_exit(config.database)
    log_file = log_file.absolute() if log_file is not None else None
    setup_logging(log_file=log_file)
    from ..daemon import run_daemon
    from ..locks import LockHeld

    try:
        status = run_daemon(config, grace=grace, log_file=log_file)
    except LockHeld as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    from ..delivery.sender import sends_still_running

    if sends_still_running():  # a daily digest's send, given up on, still holds a thread
        exit_now(status)
    sys.exit(status)


SERVE_EXTRA = "newswatch serve needs Datasette, an optional extra: pip install 'newswatch[serve]'"


@main.command()
@config_option
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="The address to listen on (anyone who can reach it reads the whole store).",
)
@click.option(
    "--port", default=8001, show_default=True, type=click.IntRange(1, 65535), help="The port."
)
def serve(config_path: Path, host: str, port: int) -> None:
    """The store in a browser, read-only, through Datasette, with the digest and Atom feeds."""
    config = load_or_exit(config_path)
    try:
        from .serve.run import run_server
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] not in ("datasette", "uvicorn"):
            raise
        click.echo(SERVE_EXTRA, err=True)
        sys.exit(1)
    sys.exit(run_server(config, host, port))


@main.command()
@click.option(
    "--dir",
    "folder",
    metavar="PATH",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to write the demo's config, database, alert log and digest"
    " (default: a new temporary folder).",
)
def demo(folder: Path | None) -> None:
    """Run the whole product offline on a bundled sample outlet: crawl twice, show alerts."""
    from .demo import DemoError, run_demo

    try:
        status = run_demo(folder)
    except DemoError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    sys.exit(status)


if __name__ == "__main__":
    main()
