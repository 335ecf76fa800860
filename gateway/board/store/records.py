"""Every record sites sent, and what the board keeps of them.

A record is stored once under its site and id (`records` is unique on
(site_id, record_id)), and its content is copied into the board's responses,
answers and alerts, so the inbox, exports and figures read one shape.

Sites pull opt-outs and opt-ins by `seq` ("after the last one I had"), so
those must become visible in seq order. PostgreSQL hands out seqs before
commit, and a seq of 10 committed after 11 would be missed by a site that
pulled 11 meanwhile; so they are stored one transaction at a time there
(portable.one_at_a_time), which makes their seq order their commit order.
"""

from __future__ import annotations

import json

from sqlalchemy import Connection, func, insert, select, union

from gateway.board.schema import alerts, answers, records, responses, sites
from gateway.board.store import own_words
from gateway.board.store.portable import insert_if_new, one_at_a_time

PULLED = ("opt_out", "opt_in")  # the kinds sites pull from other sites
STORING_PULLED = "storing records that sites pull"


def record_hash(conn: Connection, site_id: str, record_id: str) -> str | None:
    """The hash of what `site_id` sent under `record_id`, if it did."""
    return conn.execute(
        select(records.c.body_hash).where(
            records.c.site_id == site_id, records.c.record_id == record_id
        )
    ).scalar()


def response_ids_held_elsewhere(conn: Connection, response_ids, site_id: str):
    """Which of these response ids a site other than `site_id` holds on the
    board: its response is stored under it, or one of its alerts names it."""
    wanted = sorted(response_ids)
    if not wanted:
        return set()
    held = union(
        select(responses.c.id).where(
            responses.c.id.in_(wanted), responses.c.site_id != site_id
        ),
        select(alerts.c.response_id).where(
            alerts.c.response_id.in_(wanted), alerts.c.site_id != site_id
        ),
    )
    return set(conn.execute(held).scalars())


def one_batch_at_a_time(conn: Connection, site_id: str) -> None:
    """Until this transaction ends, no other batch from this site is stored
    (on PostgreSQL; SQLite stores one at a time anyway). A site sends one
    batch after another, so this costs nothing, and a batch that a proxy
    sent again to another board process while the first was still at work
    (an erasure, say, before the response it erases is in) is decided after
    the first, as on SQLite."""
    one_at_a_time(conn, f"storing records from site {site_id}")


def insert_record(conn: Connection, **values) -> bool:
    """Store a record under its site and id; False (and nothing stored) if that
    site already sent one with this id. `values`: record_id, site_id, kind,
    body, body_hash, queued_at, received_at."""
    if values["kind"] in PULLED:
        one_at_a_time(conn, STORING_PULLED)  # until commit: seq order is commit order
    return insert_if_new(conn, records, values)


def apply_response(conn: Connection, record: dict, received_at: str, own_steps):
    """A site's closed response, into the board's responses and answers, and
    the texts at `own_steps` (a person's own words) kept for the search."""
    texts = own_words.texts_of(record, own_steps)
    conn.execute(
        insert(responses).values(
            id=record["id"],
            site_id=record["site_id"],
            participant_id=record.get("participant"),
            flow_id=record["flow_id"],
            flow_version=record["flow_version"],
            channel=record["channel"],
            language=record["language"],
            kiosk=record.get("kiosk"),
            helped=bool(record.get("helped")),
            started_at=record["started_at"],
            closed_at=record["closed_at"],
            status=record["status"],
            close_reason=record.get("close_reason"),
            opening_text=record.get("opening_text"),
            received_at=received_at,
            entered_by=record.get("entered_by"),
            has_free_text=bool(texts),
        )
    )
    if record["answers"]:
        conn.execute(
            insert(answers),
            [
                {
                    "response_id": record["id"],
                    "step_id": answer["step_id"],
                    "position": answer["position"],
                    "value": answer.get("value"),
                    "raw": answer.get("raw"),
                    "prompt": answer["prompt"],
                    "state": answer["state"],
                    "answered_at": answer["answered_at"],
                }
                for answer in record["answers"]
            ],
        )
    own_words.keep(conn, record["id"], texts)


def apply_alert(conn: Connection, record: dict, received_at: str) -> None:
    conn.execute(
        insert(alerts).values(
            id=record["id"],
            site_id=record["site_id"],
            response_id=record["response_id"],
            step_id=record["step_id"],
            category=record["category"],
            rule=record["rule"],
            raised_at=record["raised_at"],
            received_at=received_at,
        )
    )


def opt_changes_since(conn: Connection, cursor: int, site_id: str, limit: int):
    """Opt-outs and opt-ins that other sites sent, after `cursor`."""
    rows = conn.execute(
        select(records.c.seq, records.c.kind, records.c.body)
        .where(
            records.c.seq > cursor,
            records.c.site_id != site_id,
            records.c.kind.in_(PULLED),
        )
        .order_by(records.c.seq)
        .limit(limit)
    )
    return [{**json.loads(row.body), "seq": row.seq, "kind": row.kind} for row in rows]


def records_by_day(conn: Connection, site_id: str) -> dict[str, list[str]]:
    day = func.substr(records.c.queued_at, 1, 10).label("day")
    days: dict[str, list[str]] = {}
    for row in conn.execute(
        select(day, records.c.record_id)
        .where(records.c.site_id == site_id)
        .order_by(records.c.record_id)
    ):
        days.setdefault(row.day, []).append(row.record_id)
    return days


def count_records(conn: Connection, site_id: str | None = None) -> int:
    query = select(func.count()).select_from(records)
    if site_id is not None:
        query = query.where(records.c.site_id == site_id)
    return conn.execute(query).scalar_one()


def counts(conn: Connection) -> dict:
    """What the board holds, for /healthz: responses, and alerts still open."""
    return {
        "responses": conn.execute(select(func.count()).select_from(responses)).scalar(),
        "open_alerts": conn.execute(
            select(func.count()).select_from(alerts).where(alerts.c.status == "open")
        ).scalar(),
    }


def open_alerts(conn: Connection, site_names: tuple[str, ...] | None) -> list[dict]:
    """Alerts no one has acknowledged yet, oldest first, at the given sites
    (None: every site), each with its site's name."""
    query = (
        select(
            alerts.c.site_id,
            alerts.c.id,
            alerts.c.response_id,
            alerts.c.category,
            alerts.c.raised_at,
            sites.c.name.label("site_name"),
        )
        .select_from(alerts.join(sites, sites.c.site_id == alerts.c.site_id))
        .where(alerts.c.status == "open")
        .order_by(alerts.c.raised_at)
    )
    if site_names is not None:
        query = query.where(sites.c.name.in_(site_names))
    return [dict(row) for row in conn.execute(query).mappings()]


def alerts_dealt_with(conn: Connection, site_id: str, alert_ids) -> list[dict]:
    """Of these alerts of `site_id`, the ones someone dealt with, and when."""
    if not alert_ids:
        return []
    rows = conn.execute(
        select(alerts.c.id, alerts.c.acknowledged_at).where(
            alerts.c.site_id == site_id,
            alerts.c.id.in_(sorted(set(alert_ids))),
            alerts.c.status == "acknowledged",
        )
    )
    return [{"id": row.id, "at": row.acknowledged_at} for row in rows]
