"""The store as Datasette reads it: every connection read-only, the write ones included.

Datasette 0.65 opens a "mutable" database with ``mode=ro`` for reads, but with a plain
read-write connection for its writes (write canned queries, plugins that write, the JSON write
API of later versions). ``immutable=1`` is no answer either: it tells SQLite the file never
changes, while the daemon keeps writing it (WAL), so Datasette would read stale or torn pages.

So every connection, read or write, is opened here with ``mode=ro`` (SQLite refuses any write:
"attempt to write a readonly database") and ``PRAGMA query_only``; nothing Datasette or a
plugin installed beside it asks can change or create the file. WAL readers never block the
daemon's writes. A read-only connection may still create the ``-wal`` and ``-shm`` files
beside the database when no writer has them open: that is how SQLite reads WAL, not a change
of the database.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from datasette.database import Database


class ReadOnlyDatabase(Database):
    """A file database no connection can write, under the name it is added with."""

    def __init__(self, ds, path: Path) -> None:
        super().__init__(ds, path=str(path), is_mutable=True)  # mutable: the daemon writes it
        # The path as a file: URI (spaces, '?' and '#' in a folder name stay part of the path).
        self.uri = f"{Path(path).resolve().as_uri()}?mode=ro"

    def connect(self, write: bool = False) -> sqlite3.Connection:
        conn = sqlite3.connect(self.uri, uri=True, check_same_thread=False)
        conn.execute("PRAGMA query_only = 1")
        self._all_file_connections.append(conn)
        return conn
