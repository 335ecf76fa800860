"""Request signatures between a site and its board: HMAC-SHA256 with the site's secret.

The signature covers the corrected time, the site's own clock, a one-time
nonce, the method, the path with its query, and the body. The board refuses a
time outside its skew window and a nonce it has seen, so a request cannot be
replayed.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid

SITE = "X-Gateway-Site"
TIME = "X-Gateway-Time"  # Unix seconds, by the site's corrected clock
NONCE = "X-Gateway-Nonce"
SIGNATURE = "X-Gateway-Signature"
SITE_CLOCK = "X-Gateway-Site-Clock"  # the site's own uncorrected clock
BOARD_TIME = "X-Gateway-Board-Time"  # on every board answer


def signature(
    secret: bytes,
    timestamp: str,
    site_clock: str,
    nonce: str,
    method: str,
    path: str,
    body: bytes,
) -> str:
    head = f"{timestamp}\n{site_clock}\n{nonce}\n{method.upper()}\n{path}\n"
    return hmac.new(secret, head.encode() + body, hashlib.sha256).hexdigest()


def signed_headers(
    site_id: str,
    secret: bytes,
    timestamp: int,
    method: str,
    path: str,
    body: bytes,
    site_clock: int,
) -> dict[str, str]:
    nonce = uuid.uuid4().hex
    stamp, clock = str(timestamp), str(site_clock)
    return {
        SITE: site_id,
        TIME: stamp,
        SITE_CLOCK: clock,
        NONCE: nonce,
        SIGNATURE: signature(secret, stamp, clock, nonce, method, path, body),
    }


def is_valid(secret: bytes, headers, method: str, path: str, body: bytes) -> bool:
    """Everything a signed request says (its times, nonce, method, path with its
    query, and body) is exactly what the site signed."""
    stamp = headers.get(TIME, "")
    nonce = headers.get(NONCE, "")
    expected = signature(
        secret, stamp, headers.get(SITE_CLOCK, ""), nonce, method, path, body
    )
    given = headers.get(SIGNATURE, "")
    return bool(stamp and nonce) and hmac.compare_digest(expected, given)
