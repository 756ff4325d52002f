"""A notification channel's apprise URL: sent to, never shown.

A channel URL holds secrets (a bot token, an SMTP password, a webhook key), usually through
``${VAR}`` references to the environment. The URL is expanded and checked by apprise when the
config is read (a URL apprise cannot use is a config error, not a failure at the first alert);
after that it prints only as its service and apprise's own masked form, and every secret in it
is registered so the log filter blanks it should a library ever log it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from io import StringIO
from typing import Any
from urllib.parse import urlsplit

ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
MASK = "***"
MIN_SECRET_CHARS = 4  # shorter pieces (a port, "ok") are not worth blanking everywhere
_URL_PIECES = re.compile(r"[/:@?&=#]+")
_URL_PIECES_BUT_COLON = re.compile(r"[/@?&=#]+")  # a bot token "123:ABC" is one secret
_HIDDEN = re.compile(r".\.\.\..")  # apprise shows a hidden token as its first and last char

_SECRETS: set[str] = set()  # every secret of every channel URL read in this process


def known_secrets() -> frozenset[str]:
    return frozenset(_SECRETS)


def redact(text: str) -> str:
    """``text`` with every known secret blanked, longest first (one may contain another)."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text


class ChannelURLError(ValueError):
    """Why a URL cannot be a channel; the message never holds the URL or a secret."""


@dataclass(frozen=True)
class ChannelURL:
    """An expanded apprise URL that prints as ``service (masked URL)``, never as itself."""

    value: str = field(repr=False)  # the expanded URL: what apprise sends to
    service: str  # apprise's name for it: "Telegram", "E-Mail", "JSON", ...
    masked: str = field(compare=False)  # apprise's privacy form: tokens and passwords hidden

    def __str__(self) -> str:
        return self.service

    @classmethod
    def read(cls, text: str, environ: dict[str, str]) -> ChannelURL:
        """Expand ``${VAR}`` from ``environ`` and let apprise read the result."""
        missing = [name for name in ENV_REFERENCE.findall(text) if name not in environ]
        if missing:
            names = ", ".join("${" + name + "}" for name in dict.fromkeys(missing))
            raise ChannelURLError(f"{names} not set in the environment")
        references = {m.group(0): environ[m.group(1)] for m in ENV_REFERENCE.finditer(text)}
        value = ENV_REFERENCE.sub(lambda m: environ[m.group(1)], text).strip()
        scheme = value.split("://", 1)[0].lower() if "://" in value else ""
        secrets = {v for v in references.values() if len(v) >= MIN_SECRET_CHARS}
        secrets |= {_password(value)} - {""}
        plugin, told = _instantiate(value)
        if plugin is None:
            _register(secrets)
            reason = _reason(told, value) or "apprise cannot read it"
            raise ChannelURLError(
                f"not a notification URL apprise can use ({scheme or 'no scheme'}://...: {reason})"
            )
        masked = plugin.url(privacy=True)
        secrets |= _pieces(value, masked)
        _register(secrets)
        return cls(value=value, service=plugin.service_name, masked=redact(masked))


def _password(value: str) -> str:
    try:
        return urlsplit(value).password or ""
    except ValueError:
        return ""


def _pieces(value: str, masked: str) -> set[str]:
    """The pieces of ``value`` that apprise's masked form hides (``1...e`` for a token)."""
    hidden = [p for p in _URL_PIECES.split(masked) if _HIDDEN.fullmatch(p)]
    rest = value.split("://", 1)[-1]
    pieces = {*_URL_PIECES.split(rest), *_URL_PIECES_BUT_COLON.split(rest)}
    pieces = {p for p in pieces if len(p) >= MIN_SECRET_CHARS}
    return {
        piece
        for piece in pieces
        for shown in hidden
        if piece[0] == shown[0] and piece[-1] == shown[-1] and piece not in masked
    }


def _register(secrets: set[str]) -> None:
    _SECRETS.update(secrets)


@contextmanager
def apprise_log() -> Iterator[StringIO]:
    """Apprise's log of what happens inside the block, kept here, never passed on.

    Apprise logs the URLs it cannot read and the answers of the services it sends to; those
    may hold secrets, so they are read (and blanked) by us instead of reaching any handler.
    """
    logger = logging.getLogger("apprise")
    buffer = StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(message)s"))
    old_level, old_propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield buffer
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        logger.propagate = old_propagate


def _instantiate(value: str) -> tuple[Any, str]:
    import apprise  # loads its plugins (a tenth of a second): only for configs that notify

    with apprise_log() as told:
        plugin = apprise.Apprise.instantiate(value)
    return plugin, told.getvalue()


def _reason(told: str, value: str) -> str:
    """Apprise's last word on a URL it could not read, with the URL itself taken out."""
    lines = [line.strip() for line in told.splitlines() if line.strip()]
    if not lines:
        return ""
    last = lines[-1].replace(value, "").replace(value.split("?", 1)[0], "")
    return redact(re.sub(r"\s*\S+://\S*", "", last)).rstrip(" :.") or ""
