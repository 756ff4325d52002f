"""``newswatch serve``: check the store is there and readable, then serve it until Ctrl-C.

Imports Datasette and uvicorn (the ``serve`` extra); the command turns their absence into one
line saying what to install.
"""

from __future__ import annotations

import contextlib
import ipaddress
import sys

import click
import uvicorn

from ....storage.store import reading
from ...config import Config
from .app import build_datasette


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def base_url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def run_server(config: Config, host: str, port: int) -> int:
    """Serve ``config.database`` read-only on host:port; returns the exit status."""
    path = config.database
    if not path.is_file():
        click.echo(
            f"newswatch serve: no database at {path} yet (newswatch crawl makes it)", err=True
        )
        return 1
    with reading(path) as conn:  # not SQLite: the command says so, before any server starts
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    datasette = build_datasette(config)
    # As ``datasette serve`` does: one worker; the lifespan runs Datasette's startup hooks.
    settings = uvicorn.Config(
        datasette.app(), host=host, port=port, log_level="warning", lifespan="on"
    )
    listening = settings.bind_socket()
    listening.listen(128)  # from here a request waits for the app, so the line below is true
    click.echo(f"serving {path} read-only at {base_url(host, port)} (Ctrl-C stops)")
    if not is_loopback(host):
        click.echo(
            f"warning: {host} is not a loopback address; anyone who can reach it reads the whole"
            " store (there is no login)",
            err=True,
        )
    sys.stdout.flush()
    running = uvicorn.Server(settings)
    # uvicorn raises Ctrl-C again once it has shut down; ``uvicorn.run`` swallows it too.
    with contextlib.suppress(KeyboardInterrupt):
        running.run(sockets=[listening])
    return 0 if running.started else 1
