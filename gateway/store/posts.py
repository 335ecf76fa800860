"""The "You said, we did" posts this site was sent: kept once each, newest
first for the kiosk and the texts."""

from __future__ import annotations

import json

from sqlite_utils import Database


def keep(db: Database, post: dict, now: str) -> bool:
    """Keep a post the board published; False if this site had it."""
    cursor = db.execute(
        """INSERT OR IGNORE INTO posts (id, words, sms_words, change, rung,
               took_part, reason, channels, published_at, received_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            post["id"],
            post["words"],
            post["sms_words"],
            post["change"],
            post["rung"],
            json.dumps(post["took_part"]),
            post["reason"],
            json.dumps(post["channels"]),
            post["published_at"],
            now,
        ],
    )
    return cursor.rowcount == 1


def newest(db: Database, channel: str, limit: int = 10) -> list[dict]:
    """The newest posts meant for `channel` ("kiosk", "sms"): the last to
    arrive first (a board's clock cannot pin one to the top)."""
    rows = db.execute(
        """SELECT * FROM posts WHERE EXISTS (
               SELECT 1 FROM json_each(posts.channels) WHERE value = ?)
           ORDER BY received_at DESC, published_at DESC, id LIMIT ?""",
        [channel, limit],
    )
    names = [column[0] for column in rows.description]
    found = [dict(zip(names, row, strict=True)) for row in rows.fetchall()]
    for post in found:
        post["took_part"] = json.loads(post["took_part"])
        post["channels"] = json.loads(post["channels"])
    return found
