"""Globally unique, time-sortable ids (UUIDv7, RFC 9562) for every record that syncs.

Python 3.11 has no uuid7, and the layout is a few lines, so it is written here
rather than taken as a dependency. Ids made in the same millisecond, or after
the clock steps back, still sort in creation order (RFC 9562 6.2, method 1).
"""

from __future__ import annotations

import os
import threading
import time
import uuid


class UuidV7Generator:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = 0
        self._counter = 0  # 12 bits, seeded randomly each new millisecond

    def __call__(self, now_ms: int | None = None) -> str:
        with self._lock:
            ms = int(time.time() * 1000) if now_ms is None else now_ms
            if ms <= self._last_ms:
                ms, counter = self._last_ms, self._counter + 1
                if counter > 0xFFF:  # over 4,096 in a millisecond: borrow the next
                    ms, counter = ms + 1, 0
            else:
                counter = int.from_bytes(os.urandom(2), "big") & 0x3FF
            self._last_ms, self._counter = ms, counter
        rand_b = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
        value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | counter << 64
        value |= 0b10 << 62 | rand_b
        return str(uuid.UUID(int=value))


uuid7 = UuidV7Generator()
