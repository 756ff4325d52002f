"""URL identity: the one normal form every link and canonical URL is stored and looked up in.

We write this ourselves rather than use ``w3lib.url.canonicalize_url`` because that sorts the
query and percent-encodes the path, which changes a URL that is already canonical; we only strip
what is certainly noise (tracking parameters, the fragment) and fold what is case-insensitive.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

ALLOWED_SCHEMES = ("http", "https")

# Query parameters that never change which story a URL names.
TRACKING_PREFIXES = ("utm_",)
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gclsrc",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "yclid",
        "igshid",
        "_ga",
        "_gl",
        "ref_src",
        "cmpid",
        "ito",
    }
)
DEFAULT_PORTS = {"http": 80, "https": 443}

# Second-level labels under which a registered domain takes three labels (news.detik.co.id).
_SECOND_LEVEL = frozenset({"co", "com", "net", "org", "ac", "go", "or", "gov", "edu", "web", "my"})


def is_tracking_param(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def normalize_url(url: str) -> str | None:
    """The normal form of an http(s) URL, or None when it is not one.

    Lower-cases scheme and host, drops a default port, the fragment and tracking parameters,
    keeps the path and the order of the remaining query as they are.
    """
    if not isinstance(url, str):
        return None
    url = url.strip()
    if "\\" in url or any(ord(c) < 0x20 for c in url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if scheme not in ALLOWED_SCHEMES or not host:
        return None
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = parts.path or "/"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        kept = [(k, v) for k, v in pairs if not is_tracking_param(k)]
        if len(kept) != len(pairs):
            query = urlencode(kept)
    return urlunsplit((scheme, netloc, path, query, ""))


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def outlet_of(url: str) -> str:
    """The host a person names an outlet by (``www.tribunnews.com`` is ``tribunnews.com``), with
    its port when one is given: two sites on one address are two outlets."""
    host = host_of(url)
    host = host[4:] if host.startswith("www.") else host
    try:
        port = urlsplit(url).port
    except ValueError:
        port = None
    return f"{host}:{port}" if port and port not in (80, 443) else host


def site_of(host: str) -> str:
    """The registered domain of a host, by a small rule (no public-suffix list is shipped).

    ``solo.tribunnews.com`` -> ``tribunnews.com``; ``news.detik.co.id`` -> ``detik.co.id``.
    An IP address is its own site.
    """
    host = host.lower().rstrip(".")
    try:
        ipaddress.ip_address(host.strip("[]"))
        return host
    except ValueError:
        pass
    labels = host.split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def same_site(url_a: str, url_b: str) -> bool:
    host_a, host_b = host_of(url_a), host_of(url_b)
    return bool(host_a) and site_of(host_a) == site_of(host_b)
