"""The one answer to "is this link known?", so no story is ever asked for twice.

A link is known when a stored story names it (every link variant ever seen is in the ``links``
table) or when this crawl has already asked for it (another feed listed it, or an AMP page led
to a canonical another entry had). Only the first is a story we have; the second is a request
in flight, so the spider counts the two apart.
"""

from __future__ import annotations

from collections.abc import Callable


class KnownLinks:
    def __init__(self, stored: Callable[[str], bool]) -> None:
        self._stored = stored
        self._asked: set[str] = set()

    def stored(self, url: str) -> bool:
        """Whether a stored story already names ``url``."""
        return self._stored(url)

    def claim(self, url: str) -> bool:
        """True the first time this crawl asks for ``url``; False for every later time."""
        if url in self._asked:
            return False
        self._asked.add(url)
        return True

    def claim_if_new(self, url: str) -> bool:
        """True (and claimed for a request) when ``url`` is neither stored nor asked for yet."""
        return not self.stored(url) and self.claim(url)
