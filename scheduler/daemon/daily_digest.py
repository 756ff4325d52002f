"""The daily digest job: the day's digest in a dated file next to ``alerts.digest``.

Later cycles rewrite ``alerts.digest`` itself; the dated copy stays as it was written.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from ..config import Config
from ..delivery.digest import write_from_database
from ..delivery.digest_channels import send_daily_digest

logger = logging.getLogger("newswatch.daemon")


def dated_digest_path(config: Config, now: datetime) -> Path:
    """``digest-YYYY-MM-DD.md`` beside ``alerts.digest``, dated in ``schedule.timezone``."""
    day = now.astimezone(ZoneInfo(config.schedule.timezone)).date().isoformat()
    target = config.alerts.digest
    return target.with_name(f"{target.stem}-{day}{target.suffix}")


def write_daily_digest(config: Config, now: datetime) -> None:
    """Write the dated digest for ``now``; a failure is logged, and the next day runs."""
    try:
        path, count = write_from_database(config, dated_digest_path(config, now))
        logger.info("daily digest: %d alert%s in %s", count, "s" * (count != 1), path)
    except Exception:  # the daemon outlives a digest that failed
        logger.exception("daily digest not written")
        return
    send_daily_digest(config, path.stem)
