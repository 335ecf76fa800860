"""What a site and its board agree on besides signatures: how large a batch
may be, and how a day's records are summed up for `gateway sync verify`."""

from __future__ import annotations

import hashlib

# The board refuses a larger push with 413; the site then halves its batch.
MAX_BATCH_BYTES = 16 * 1024 * 1024


def summarise_days(days: dict[str, list[str]]) -> dict[str, dict]:
    """Per day, how many records and a hash of their ids, to compare both sides."""
    return {
        day: {
            "count": len(ids),
            "hash": hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest(),
        }
        for day, ids in days.items()
    }
