"""Who may see the details: this machine itself, or a caller with the health token.

A request counts as local only when it reached the gateway from a loopback
address directly. One that came through a proxy (it carries forwarding
headers) is treated as coming from the internet, even when the proxy runs on
this machine and GATEWAY_TRUST_PROXY is not set.
"""

from __future__ import annotations

import hmac
import ipaddress

from flask import current_app, request

FORWARDING_HEADERS = (
    "Forwarded",
    "X-Forwarded-For",
    "X-Forwarded-Host",
    "X-Forwarded-Proto",
    "X-Forwarded-Port",
    "X-Forwarded-Prefix",
    "X-Real-IP",
    "Via",
)


def is_local_request() -> bool:
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    address = getattr(address, "ipv4_mapped", None) or address  # ::ffff:127.0.0.1
    if not address.is_loopback:
        return False
    return not any(header in request.headers for header in FORWARDING_HEADERS)


def has_health_token() -> bool:
    """`Authorization: Bearer <GATEWAY_HEALTH_TOKEN>`, compared in constant time."""
    token = current_app.config.get("HEALTH_TOKEN")
    given = request.headers.get("Authorization", "")
    if not token or not given.startswith("Bearer "):
        return False
    return hmac.compare_digest(given[len("Bearer ") :].encode(), token.encode())
