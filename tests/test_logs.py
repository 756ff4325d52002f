"""What the log shows at each verbosity: each failure once, never the parser's page notes."""

from __future__ import annotations

import logging

from newswatch.crawler.article import parse
from newswatch.scheduler.cli.logs import PARSER_LOGGER, setup_logging


def test_verbose_shows_our_debug_lines_but_not_the_parsers_notes_on_each_page():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        setup_logging(verbose=True)
        assert logging.getLogger("newswatch.crawl").isEnabledFor(logging.DEBUG)
        assert parse.logger.name.startswith(PARSER_LOGGER + ".")
        assert not parse.logger.isEnabledFor(logging.DEBUG)
        assert parse.logger.isEnabledFor(logging.WARNING)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        logging.getLogger("newswatch").setLevel(logging.NOTSET)
        logging.getLogger(PARSER_LOGGER).setLevel(logging.NOTSET)


def test_a_channels_secret_is_blanked_in_any_log_line(capsys):
    from newswatch.scheduler import secrets

    secrets.register(["tok-4711-secret"])
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        setup_logging()
        try:
            raise ValueError("cannot reach https://bot:tok-4711-secret@chat.example/x")
        except ValueError:
            logging.getLogger("newswatch.notify").exception("send failed: %s", "tok-4711-secret")
        logging.getLogger("apprise").error("Failed for tok-4711-secret")  # never reaches us
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        logging.getLogger("newswatch").setLevel(logging.NOTSET)
    err = capsys.readouterr().err
    assert "send failed: ***" in err and "https://bot:***@chat.example/x" in err
    assert "tok-4711-secret" not in err
