"""Globally unique, time-sortable ids (UUIDv7, RFC 9562) for every record that syncs.

Python 3.11 has no uuid7, and the layout is a few lines, so it is written here
rather than taken as a dependency. Ids made in the same millisecond by one
process still sort in creation order (RFC 9562, section 6.2, method 3).
"""

from __future__ import annotations

import os
import threading
import time
import uuid

_lock = threading.Lock()
_last = (0, 0)  # (milliseconds, 12-bit counter)


def uuid7(now_ms: int | None = None) -> str:
    global _last
    with _lock:
        ms = int(time.time() * 1000) if now_ms is None else now_ms
        last_ms, counter = _last
        if ms <= last_ms:
            ms, counter = last_ms, counter + 1
            if counter > 0xFFF:  # more than 4,096 in a millisecond: borrow the next
                ms, counter = ms + 1, 0
        else:
            counter = int.from_bytes(os.urandom(2), "big") & 0x3FF
        _last = (ms, counter)
    rand_b = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76 | counter << 64
    value |= 0b10 << 62 | rand_b
    return str(uuid.UUID(int=value))
