"""What a site and its board agree on besides signatures: how large a batch
may be, how a day's records are summed up for `gateway sync verify`, and
the words a "You said, we did" post is made of."""

from __future__ import annotations

import hashlib

# The board refuses a larger push with 413; the site then halves its batch.
MAX_BATCH_BYTES = 16 * 1024 * 1024

# A post: the rung of the ladder of co-production its decision was made on
# (lowest first), who took part (members: board members with lived
# experience), where people hear of it, and whether the change is made.
POST_RUNGS = ("informing", "consulting", "engaging", "co-design", "co-production")
POST_TOOK_PART = ("staff", "members")
POST_CHANNELS = ("kiosk", "sms")
POST_CHANGES = ("planned", "made")
POST_WORDS_LIMIT = 600
POST_SMS_LIMIT = 459  # three texts of plain letters (the board also counts texts)
POST_REASON_LIMIT = 200


def summarise_days(days: dict[str, list[str]]) -> dict[str, dict]:
    """Per day, how many records and a hash of their ids, to compare both sides."""
    return {
        day: {
            "count": len(ids),
            "hash": hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest(),
        }
        for day, ids in days.items()
    }
