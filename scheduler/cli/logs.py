"""Where the log goes and how it reads: a terminal, journald, a log file, or plain lines.

One failure is one line of ours; the libraries' own narration (Scrapy, Twisted, trafilatura)
is filtered out below ERROR, so a person (or ``journalctl -p warning``) reads only what matters.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path

from ..secrets import known_secrets, redact

PARSER_LOGGER = "newswatch.crawler.article"

_NOISY = (
    "scrapy.",
    "twisted",
    "py.warnings",
    "asyncio",
    "trafilatura",
    "htmldate",
    "charset_normalizer",
    "apprise",
)


# Logs an ERROR, with some 60 lines of chained tracebacks, whenever a host's robots.txt cannot
# be fetched (no such host, connection refused, timeout); the feed or page asked of that host
# then fails the same way, and our errback logs that once, with its feed, URL and reason.
_ROBOTS_LOGGER = "scrapy.downloadermiddlewares.robotstxt"


def _is_download_failure(record: logging.LogRecord) -> bool:
    """A record of a download that failed (not of a crash), which a request's errback reports."""
    exc = record.exc_info[1] if record.exc_info else None
    if exc is None:
        return False
    from ...crawler.failures import DOWNLOAD_FAILURES  # Scrapy is loaded by then: it logged

    return isinstance(exc, DOWNLOAD_FAILURES)


class _LibraryNoise(logging.Filter):
    """Scrapy and Twisted narrate every step; we log each failure once ourselves."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith(_NOISY):
            if record.levelno < logging.ERROR or record.name == "scrapy.core.downloader":
                return False
            # Any other exception there (a bug in our gate, which the robots.txt request
            # passes too) is still shown whole.
            return not (record.name == _ROBOTS_LOGGER and _is_download_failure(record))
        return True


class _Secrets(logging.Filter):
    """Blanks every secret of a notification channel's URL, wherever a line would show one.

    Our own lines name a channel by its name and service, never its URL; this catches what a
    library might say (an exception quoting a URL, a traceback).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if known_secrets():
            text = record.getMessage()
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            clean = redact(text)
            if clean != text:
                record.msg, record.args = clean, None
            if record.exc_text:
                record.exc_text = redact(record.exc_text)
        return True


class _JournalFormatter(logging.Formatter):
    """journald stamps each line itself; a ``<N>`` prefix gives it the syslog priority."""

    def format(self, record: logging.LogRecord) -> str:
        level = record.levelno
        priority = 3 if level >= logging.ERROR else 4 if level >= logging.WARNING else 6
        return f"<{priority}>" + super().format(record)


def _stderr_is_journal() -> bool:
    """systemd sets JOURNAL_STREAM to the device:inode of the stderr it connected to journald."""
    try:
        st = os.fstat(sys.stderr.fileno())
    except (OSError, ValueError):
        return False
    return os.environ.get("JOURNAL_STREAM", "") == f"{st.st_dev}:{st.st_ino}"


def setup_logging(verbose: bool = False, log_file: Path | None = None) -> None:
    """Logs to ``log_file`` (appended) or stderr: a terminal, journald, or plain lines."""
    level = logging.DEBUG if verbose else logging.INFO
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        # Reopens the file when logrotate moves it away.
        handler: logging.Handler = logging.handlers.WatchedFileHandler(log_file, encoding="utf-8")
        handler.setFormatter(
            logging.Formatter(
                "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S"
            )
        )
    elif sys.stderr.isatty():
        from rich.logging import RichHandler

        handler = RichHandler(show_path=False, markup=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
    elif _stderr_is_journal():
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(_JournalFormatter("%(levelname)s %(name)s: %(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S")
        )
    handler.addFilter(_LibraryNoise())
    handler.addFilter(_Secrets())
    logging.captureWarnings(True)  # library warnings (dateutil, lxml) become filtered records
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("newswatch").setLevel(level)
    # The parser's notes on each page (not HTML, no article text) are for a developer reading
    # the parser; the crawl logs each failed page once, with its feed, URL and reason.
    logging.getLogger(PARSER_LOGGER).setLevel(logging.WARNING)
