"""Posts: "You said, we did". A post is a draft until staff publish it; then
it goes down the stream (stream.py) to its sites, once, in the transaction
that publishes it, and cannot be changed.

A site sees a post as the stream carries it (`published_body`): its words,
what changed and how the decision was made. Never who wrote it.
"""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import Connection, delete, insert, select, update

from gateway.board.schema import post_sites, posts, sites
from gateway.board.store import audit, stream
from gateway.board.store.portable import insert_if_new

DRAFT, PUBLISHED = "draft", "published"
p = posts.c


def save_draft(
    conn: Connection,
    post_id: str,
    fields: dict,
    site_ids: list[str],
    *,
    by: int,
    at: str,
) -> bool:
    """Write a new draft under `post_id`, or change the draft it is; False
    (nothing changed) if it was published meanwhile. `fields`: words,
    sms_words, change, rung, took_part and channels (lists), reason, tag.
    The same new draft saved twice at once is written once, then changed:
    the database's key decides, not a look first."""
    values = {
        **fields,
        "took_part": ",".join(fields["took_part"]),
        "channels": ",".join(fields["channels"]),
        "changed_at": at,
    }
    new = {"id": post_id, "state": DRAFT, "written_by": by, "written_at": at}
    if insert_if_new(conn, posts, new | values):
        audit.change(conn, at, by, "post_written", post=post_id)
    else:
        found = conn.execute(
            select(p.state).where(p.id == post_id).with_for_update()
        ).scalar()
        if found != DRAFT:
            return False
        conn.execute(update(posts).where(p.id == post_id).values(**values))
        audit.change(conn, at, by, "post_changed", post=post_id)
    conn.execute(delete(post_sites).where(post_sites.c.post_id == post_id))
    if site_ids:
        conn.execute(
            insert(post_sites),
            [{"post_id": post_id, "site_id": s} for s in sorted(set(site_ids))],
        )
    return True


def post(conn: Connection, post_id: str) -> dict | None:
    """One post with its lists as lists and its sites' ids; None if none."""
    row = conn.execute(select(posts).where(p.id == post_id)).mappings().first()
    if row is None:
        return None
    return _shaped(dict(row), _sites_of(conn, [post_id]).get(post_id, []))


def all_posts(conn: Connection) -> list[dict]:
    """Every post, drafts first, newest change first within each."""
    rows = conn.execute(select(posts).order_by(p.state, p.changed_at.desc()))
    found = [dict(row) for row in rows.mappings()]
    by_post = _sites_of(conn, [row["id"] for row in found])
    return [_shaped(row, by_post.get(row["id"], [])) for row in found]


NOT_A_DRAFT, CHANGED, NO_SITE, DONE = "not a draft", "changed", "no site", "done"


def publish(conn: Connection, post_id: str, seen: str, *, by: int, at: str) -> str:
    """Publish a draft, as it was when its page was shown (`seen`: its
    version() then), to its sites that are enrolled and not revoked. DONE,
    or why not (nothing changed): NOT_A_DRAFT, CHANGED since, or NO_SITE."""
    found = conn.execute(
        select(p.state).where(p.id == post_id).with_for_update()
    ).scalar()
    if found != DRAFT:
        return NOT_A_DRAFT
    draft = post(conn, post_id)
    if version(draft) != seen:
        return CHANGED
    live = conn.execute(
        select(sites.c.site_id).where(
            sites.c.site_id.in_(draft["site_ids"]), sites.c.revoked_at.is_(None)
        )
    ).scalars()
    to = sorted(live)
    if not to:
        return NO_SITE
    conn.execute(
        update(posts)
        .where(p.id == post_id)
        .values(state=PUBLISHED, published_by=by, published_at=at, changed_at=at)
    )
    draft |= {"published_at": at}
    stream.publish(conn, "post", published_body(draft), at, sites=to)
    audit.change(conn, at, by, "post_published", post=post_id, sites=len(to))
    return DONE


def version(post: dict) -> str:
    """A short hash of everything a draft says and where it goes: two saves
    in one second with different words have different versions."""
    said = {key: post[key] for key in (*SAID, "site_ids", "tag", "changed_at")}
    encoded = json.dumps(said, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(encoded).hexdigest()[:32]


SAID = ("words", "sms_words", "change", "rung", "took_part", "reason", "channels")


def published_body(post: dict) -> dict:
    """What a site is sent of a post."""
    return {
        "id": post["id"],
        "words": post["words"],
        "sms_words": post["sms_words"],
        "change": post["change"],
        "rung": post["rung"],
        "took_part": post["took_part"],
        "reason": post["reason"],
        "channels": post["channels"],
        "published_at": post["published_at"],
    }


def _sites_of(conn: Connection, post_ids: list[str]) -> dict[str, list[str]]:
    if not post_ids:
        return {}
    rows = conn.execute(
        select(post_sites.c.post_id, post_sites.c.site_id)
        .where(post_sites.c.post_id.in_(post_ids))
        .order_by(post_sites.c.site_id)
    )
    found: dict[str, list[str]] = {}
    for post_id, site_id in rows:
        found.setdefault(post_id, []).append(site_id)
    return found


def _shaped(row: dict, site_ids: list[str]) -> dict:
    row["took_part"] = [part for part in row["took_part"].split(",") if part]
    row["channels"] = [part for part in row["channels"].split(",") if part]
    return row | {"site_ids": site_ids}
