"""The secrets of this process's notification channels, so no line we write can show one.

Channel URLs are the only secrets newswatch holds (bot tokens, SMTP passwords, webhook keys).
Reading a URL registers its secrets here; the log filter (``cli/logs.py``) and every reason we
store or print pass through :func:`redact`, which blanks them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

MASK = "***"
MIN_SECRET_CHARS = 4  # shorter pieces (a port, "ok") are not worth blanking everywhere

_SECRETS: set[str] = set()
_LOCK = threading.Lock()


def register(secrets: Iterable[str]) -> None:
    with _LOCK:
        _SECRETS.update(s for s in secrets if len(s) >= MIN_SECRET_CHARS)


def known_secrets() -> frozenset[str]:
    with _LOCK:
        return frozenset(_SECRETS)


def redact(text: str) -> str:
    """``text`` with every known secret blanked, longest first (one may contain another)."""
    for secret in sorted(known_secrets(), key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text
