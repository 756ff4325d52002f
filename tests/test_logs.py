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
