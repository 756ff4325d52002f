"""``python tests/loopback_public.py crawl ...``: newswatch with loopback counted as public.

A test serves its outlet on 127.0.0.1, and ``crawl.allow_private_addresses`` is all or nothing:
to see a refusal of another private address (a redirect to 10.0.0.1) in a real crawl, this runs
the command with only 127.0.0.1 and ::1 let through the gate, everything else as shipped.
"""

from __future__ import annotations

import runpy
import sys

from newswatch.crawler import middlewares, resolver

_shipped = middlewares.address_is_public


def address_is_public(address: str) -> bool:
    return address in ("127.0.0.1", "::1") or _shipped(address)


middlewares.address_is_public = address_is_public
resolver.address_is_public = address_is_public
sys.argv[0] = "newswatch"
runpy.run_module("newswatch", run_name="__main__", alter_sys=True)
