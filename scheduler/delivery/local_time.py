"""Times as a person reads them: in ``schedule.timezone``, to the minute, with the zone's name.

Stored times are ISO 8601: UTC for our own (``first_seen``, ``created``) and as the outlet stated
it for ``published`` (an offset, a bare date, or none). A time with an offset is shown in the
configured zone ("2025-09-09 13:45 WIB"); a bare date or a time without an offset is shown as
the outlet wrote it, since there is nothing to convert it from.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo


@lru_cache(maxsize=4096)  # a digest shows each story's time once per topic it matched
def local_time(value: str | None, zone: str) -> str:
    """``value`` (ISO 8601) in ``zone``, or as written when it has no offset; "" for none."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if len(value) <= 10 or moment.tzinfo is None:  # a bare date, or a clock without a zone
        return value.replace("T", " ")
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")
