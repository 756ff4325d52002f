"""Exactly-once delivery of alert rows to the alert log.

Alerts are rows before they are lines. Delivery takes the undelivered rows in id order, appends
their lines, flushes and fsyncs, and only then marks the rows delivered. A crash between the
two leaves rows undelivered whose lines are already in the log; the next delivery reads the
log's tail, finds those alert ids and only marks them. A crash in the middle of an append
leaves a last line without its newline: that line belongs to a row still undelivered (rows are
marked only after the fsync), so delivery cuts the file back to its last newline and writes the
line again. The log is only ever appended to, apart from that cut.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from collections.abc import Iterator
from typing import BinaryIO

from ...storage import alerts as sql
from ...storage.store import Store
from ..config import Config
from .copies import add_copies
from .plain_text import json_line

logger = logging.getLogger("newswatch.alert_log")

_BLOCK = 1 << 16
BATCH = 5000  # alert rows read, written and marked at a time


def alert_record(row: dict) -> dict:
    """The alert-log object for an alert row: the contract's keys, the matched terms, the
    page's "Sumber:" credit, and where else the report ran (after ``add_copies``)."""
    return {
        "alert_id": row["alert_id"],
        "topic": row["topic"],
        "url": row["url"],
        "title": row["title"],
        "published": row["published"],
        "feed": row["feed"],
        "created": row["created"],
        "snippet": row["snippet"],
        "terms": json.loads(row["terms"] or "[]"),
        "source": row.get("source"),
        "also_in": row.get("also_in") or [],
    }


def deliver(store: Store, config: Config) -> int:
    """Append undelivered alerts to the log exactly once, then mark them; returns lines written.

    ``BATCH`` rows at a time, each batch appended, fsynced and then marked: the memory of one
    batch, however many alerts a cycle made, and the same exactly-once as one batch (a crash
    between a batch's fsync and its marks leaves lines the next delivery finds in the tail).
    """
    if not sql.has_undelivered(store):
        return 0  # the common case: no lock, and no empty log file made
    path = config.alerts.log
    path.parent.mkdir(parents=True, exist_ok=True)
    written = already = 0
    with open(path, "a+b") as log:
        fcntl.flock(log.fileno(), fcntl.LOCK_EX)  # one writer, even if two cycles ever overlap
        repaired = False
        for rows in sql.undelivered_batches(store, BATCH):
            if not rows:
                continue
            if not repaired:
                repair_tail(log)
                repaired = True
            add_copies(store, rows)
            logged = logged_alerts(log, rows[0]["alert_id"])
            lines = [
                json_line(alert_record(row))
                for row in rows
                if logged.get(row["alert_id"]) != (row["topic"], row["url"])
            ]
            if lines:
                log.write("".join(lines).encode("utf-8"))
                log.flush()
                os.fsync(log.fileno())
            sql.mark_delivered(store, [row["alert_id"] for row in rows])
            written += len(lines)
            already += len(rows) - len(lines)
    if already:
        logger.info("alert log: %d alerts were already logged", already)
    return written


def deliver_or_log(store: Store, config: Config) -> int:
    """Deliver, but let a log we cannot write (disk full, bad path) wait for the next cycle."""
    try:
        return deliver(store, config)
    except OSError as exc:
        logger.error("alert log not written, retried next cycle: %s: %s", config.alerts.log, exc)
        return 0


def repair_tail(log: BinaryIO) -> None:
    """Cut a last line that has no newline (an append cut short) back to the last newline."""
    size = log.seek(0, os.SEEK_END)
    if size == 0:
        return
    log.seek(size - 1)
    if log.read(1) == b"\n":
        return
    end = size
    keep = 0
    while end > 0:
        start = max(0, end - _BLOCK)
        log.seek(start)
        found = log.read(end - start).rfind(b"\n")
        if found >= 0:
            keep = start + found + 1
            break
        end = start
    logger.warning("alert log: removing %d bytes of an unfinished line", size - keep)
    log.truncate(keep)
    log.flush()
    os.fsync(log.fileno())


def logged_alerts(log: BinaryIO, lowest_id: int) -> dict[int, tuple[str, str]]:
    """Alert ids (with topic and url) at the end of the log, back to the first below lowest_id."""
    found: dict[int, tuple[str, str]] = {}
    for line in _lines_backwards(log):
        try:
            record = json.loads(line)
            alert_id = int(record["alert_id"])
        except (ValueError, TypeError, KeyError):
            continue  # not ours: a line someone added by hand
        if alert_id < lowest_id:
            break
        found[alert_id] = (record.get("topic"), record.get("url"))
    return found


def _lines_backwards(log: BinaryIO) -> Iterator[bytes]:
    """The file's complete lines, last first, read in blocks from the end."""
    end = log.seek(0, os.SEEK_END)
    rest = b""
    while end > 0:
        start = max(0, end - _BLOCK)
        log.seek(start)
        block = log.read(end - start) + rest
        end = start
        lines = block.split(b"\n")
        rest = lines[0]  # may continue in the previous block
        for line in reversed(lines[1:]):
            if line.strip():
                yield line
    if rest.strip():
        yield rest
