"""The people-facing side: the ``newswatch`` commands and what they print.

``commands`` is the click group; each view (``alerts_view``, ``topics_view``, ``status_view``)
reads the database read-only and prints; ``logs`` sets up the log; ``demo`` is the offline demo.
"""

from .commands import main

__all__ = ["main"]
