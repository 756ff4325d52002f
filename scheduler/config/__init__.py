"""Load and validate ``config.yaml`` into frozen dataclasses.

Validation is hand-written (PyYAML is the only dependency) so every message can name the exact
key path (``feeds[2].url: ...``) and so that *all* problems are reported in one go: a user fixing
a config file should not have to rerun the tool once per typo.

Each key is declared once, in ``schema``; ``settings`` reads a file against it, ``checks`` holds
the value checkers, ``loader`` the checks across keys. This module only re-exports.
"""

from __future__ import annotations

from ...crawler.article import ExtractRules
from .durations import parse_duration, show_duration, show_span
from .errors import ConfigError
from .fts import query_problem, validate_fts_query
from .loader import load_config
from .schema import (
    CONFIG_KEYS,
    DEFAULTS,
    SETTINGS,
    AlertsConfig,
    ChannelConfig,
    Config,
    CrawlConfig,
    FeedConfig,
    ScheduleConfig,
    TopicConfig,
)

__all__ = [
    "CONFIG_KEYS",
    "DEFAULTS",
    "SETTINGS",
    "AlertsConfig",
    "ChannelConfig",
    "Config",
    "ConfigError",
    "CrawlConfig",
    "ExtractRules",
    "FeedConfig",
    "ScheduleConfig",
    "TopicConfig",
    "load_config",
    "parse_duration",
    "query_problem",
    "show_duration",
    "show_span",
    "validate_fts_query",
]
