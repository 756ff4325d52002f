"""Article parsing: page bytes in, one clean :class:`Article` out, one module per concern.

:mod:`.parse` runs the pipeline; each other module reads one thing from the page. trafilatura
is imported where it is first called: the config loader imports this package for its rules, and
a command that only reads the config should not wait for it.
"""

from .canonical import amp_canonical
from .parse import Article, parse_article
from .rules import ExtractRules, pattern_problem, selector_problem

__all__ = [
    "Article",
    "ExtractRules",
    "amp_canonical",
    "parse_article",
    "pattern_problem",
    "selector_problem",
]
