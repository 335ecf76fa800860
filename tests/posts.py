"""A "You said, we did" post as the board's stream carries it to a site, for
the tests of the stream, the site and the kiosk."""

from __future__ import annotations

PUBLISHED_AT = "2026-11-20T09:00:00Z"


def a_post(post_id: str = "post-1", **changes) -> dict:
    """A post the board's form would make (co-produced, for kiosks and
    texts), with `changes`."""
    return {
        "id": post_id,
        "words": "You said the lift was often broken. We had it fixed.",
        "sms_words": "We fixed the lift.",
        "change": "made",
        "rung": "co-production",
        "took_part": ["staff", "members"],
        "reason": "",
        "channels": ["kiosk", "sms"],
        "published_at": PUBLISHED_AT,
    } | changes
