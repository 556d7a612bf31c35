"""Subscription checks: which push endpoints the server may POST to, and which keys are usable."""

from __future__ import annotations

import re
from collections.abc import Iterable
from ipaddress import ip_address
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec

ENDPOINT_MAX = 1024
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f]|\s")


def endpoint_refusal(endpoint: str, *, hosts: Iterable[str], allow_http: bool = False) -> str | None:
    """Say why the server must not POST to *endpoint*, or ``None`` when it is allowed.

    Only https on the default port to a host on *hosts* (exact, or a subdomain of an entry
    starting with a dot); no user info, no IP literal unless listed exactly. *allow_http* (tests)
    also admits http and any port, still only to listed hosts.
    """
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > ENDPOINT_MAX:
        return "missing or too long"
    if _CONTROL_OR_SPACE.search(endpoint):
        return "control characters or spaces"
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        return "not a URL"
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes:
        return f"scheme {parts.scheme!r} not allowed"
    if "@" in parts.netloc or parts.username is not None or parts.password is not None:
        return "user info not allowed"
    host = (parts.hostname or "").rstrip(".")
    if not host:
        return "no host"
    if port is not None and not allow_http and port != 443:
        return f"port {port} not allowed"
    allowed = [h.strip().lower().rstrip(".") for h in hosts if h and h.strip()]
    try:
        ip_address(host)
        is_ip = True
    except ValueError:
        is_ip = False
    if is_ip:
        return None if host in allowed else "IP address not allowed"
    if not re.fullmatch(r"[a-z0-9.-]+", host):
        return "host name not allowed"
    for entry in allowed:
        if entry.startswith("."):
            if host.endswith(entry) and len(host) > len(entry):
                return None
        elif host == entry:
            return None
    return f"host {host!r} is not a known push service"


def is_p256_point(raw: bytes | None) -> bool:
    """Tell whether *raw* is an uncompressed point on P-256 (a subscription's ``p256dh``)."""
    if not raw or len(raw) != 65 or raw[0] != 4:
        return False
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError:
        return False
    return True

