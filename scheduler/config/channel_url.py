"""A notification channel's apprise URL: checked when the config is read, sent to, never shown.

A channel URL holds secrets (a bot token, an SMTP password, a webhook key), usually through
``${VAR}`` references to the environment. The URL is expanded and read by apprise when the
config is read, so a URL apprise cannot use is a config error, not a failure at the first alert.
After that it shows only as its service; its secrets are registered (``scheduler.secrets``) so
that nothing we log, store or print can show one.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from io import StringIO
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from .. import secrets

ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_URL_PIECES = re.compile(r"[/:@?&=#]+")
_URL_PIECES_BUT_COLON = re.compile(r"[/@?&=#]+")  # a bot token "123:ABC" is one secret
_HIDDEN = re.compile(r".\.\.\..")  # apprise shows a hidden token by its first and last character
# Query parameters whose values are secrets: a header (``+Authorization=...``), or a name that
# says so (``token``, ``apikey``, ``secret``, ``pass``, ``auth``, ``key``).
_SECRET_PARAM = re.compile(r"^\+|token|key|secret|pass|auth|sig", re.I)


class ChannelURLError(ValueError):
    """Why a URL cannot be a channel; the message never holds the URL or a secret."""


@dataclass(frozen=True)
class ChannelURL:
    """An expanded apprise URL; it prints as its service, never as itself."""

    value: str = field(repr=False)  # the expanded URL: what apprise sends to
    service: str  # apprise's name for it: "Telegram", "E-Mail", "JSON", ...
    masked: str = field(repr=False, compare=False)  # apprise's privacy form, blanked again

    def __str__(self) -> str:
        return self.service

    @classmethod
    def read(cls, text: str, environ: dict[str, str]) -> ChannelURL:
        """Expand ``${VAR}`` from ``environ`` and let apprise read the result."""
        missing = [name for name in ENV_REFERENCE.findall(text) if name not in environ]
        if missing:
            names = ", ".join("${" + name + "}" for name in dict.fromkeys(missing))
            raise ChannelURLError(f"{names} not set in the environment")
        expanded = [environ[m.group(1)] for m in ENV_REFERENCE.finditer(text)]
        value = ENV_REFERENCE.sub(lambda m: environ[m.group(1)], text).strip()
        secrets.register([*expanded, *_stated_secrets(value)])
        scheme = value.split("://", 1)[0].lower() if "://" in value else ""
        plugin, told = _instantiate(value)
        if plugin is None:
            reason = _reason(told, value) or "apprise cannot read it"
            raise ChannelURLError(
                f"not a notification URL apprise can use ({scheme or 'no scheme'}://...: {reason})"
            )
        masked = plugin.url(privacy=True)
        secrets.register(_hidden_pieces(value, masked))
        return cls(value=value, service=plugin.service_name, masked=secrets.redact(masked))


def _stated_secrets(value: str) -> set[str]:
    """The password (as written and decoded) and the query values that are secrets."""
    try:
        parts = urlsplit(value)
        password = parts.password or ""
        query = parse_qsl(parts.query, keep_blank_values=False)
    except ValueError:
        return set()
    found = {password, unquote(password)}
    found |= {v for k, v in query if _SECRET_PARAM.search(k)}
    return {s for s in found if s}


def _hidden_pieces(value: str, masked: str) -> set[str]:
    """The pieces of ``value`` apprise's masked form hides (it shows ``1...e`` for a token)."""
    hidden = [p for p in _URL_PIECES.split(masked) if _HIDDEN.fullmatch(p)]
    rest = value.split("://", 1)[-1]
    pieces = {*_URL_PIECES.split(rest), *_URL_PIECES_BUT_COLON.split(rest)}
    return {
        piece
        for piece in pieces
        for shown in hidden
        if len(piece) > 4 and piece[0] == shown[0] and piece[-1] == shown[-1]
    }


_APPRISE_LOG = threading.Lock()


def quiet_apprise() -> logging.Logger:
    """Apprise's logger, kept to itself: what it says about URLs and answers may hold secrets,
    so it never reaches our handlers (a send's own log comes back with its result)."""
    logger = logging.getLogger("apprise")
    logger.propagate = False
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())
    return logger


def _instantiate(value: str) -> tuple[Any, str]:
    import apprise  # loads its plugins (a tenth of a second): only for configs that notify

    logger = quiet_apprise()
    buffer = StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(message)s"))
    with _APPRISE_LOG:  # one config read at a time hears apprise (the daemon has threads)
        old_level = logger.level
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        try:
            plugin = apprise.Apprise.instantiate(value)
        finally:
            logger.removeHandler(handler)
            logger.setLevel(old_level)
    return plugin, buffer.getvalue()


def _reason(told: str, value: str) -> str:
    """Apprise's last word on a URL it could not read, with the URL itself taken out."""
    lines = [line.strip() for line in told.splitlines() if line.strip()]
    if not lines:
        return ""
    last = lines[-1].replace(value, "").replace(value.split("?", 1)[0], "")
    return secrets.redact(re.sub(r"\s*\S+://\S*", "", last)).rstrip(" :.")
