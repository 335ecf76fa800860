"""Request signatures between a site and its board: HMAC-SHA256 with the site's secret.

The signature covers a timestamp, a one-time nonce, the method, the path with
its query, and the body. The board refuses a timestamp outside its skew
window and a nonce it has seen, so a request cannot be replayed.
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
    secret: bytes, timestamp: int, nonce: str, method: str, path: str, body: bytes
) -> str:
    message = f"{timestamp}\n{nonce}\n{method.upper()}\n{path}\n".encode() + body
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


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
    return {
        SITE: site_id,
        TIME: str(timestamp),
        NONCE: nonce,
        SIGNATURE: signature(secret, timestamp, nonce, method, path, body),
        SITE_CLOCK: str(site_clock),
    }


def is_valid(secret: bytes, headers, method: str, path: str, body: bytes) -> bool:
    try:
        timestamp = int(headers.get(TIME, ""))
    except ValueError:
        return False
    nonce = headers.get(NONCE, "")
    given = headers.get(SIGNATURE, "")
    expected = signature(secret, timestamp, nonce, method, path, body)
    return bool(nonce) and hmac.compare_digest(expected, given)
