"""Article parsing: page bytes in, one clean :class:`Article` out, one module per concern.

:mod:`.parse` runs the pipeline; the other modules each read one thing from the page.
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
