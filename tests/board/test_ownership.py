"""Every record belongs to the site that sends it, whatever its id.

Two sites, Rose Court and Oak House, enrolled with one real board (`gateway
serve`, GATEWAY_ROLE=board) through the real CLI. Rose Court sends records by
hand, signed with its own secret, using ids that are Oak House's; Oak House
syncs with `gateway sync run`. What each site and the board hold is read from
their SQLite. One board and two sites serve the module; each test makes its
own records, so their ids are new to the board.
"""

from __future__ import annotations

import itertools
import uuid
from types import SimpleNamespace

import pytest

from gateway import store
from gateway.sync.enrolment import board_client
from gateway.sync.records import canonical
from tests.conftest import serve_gateway
from tests.sync.helpers import (
    built_record,
    count,
    database,
    enrol,
    identity,
    install,
    make_responses,
    raise_alert,
    rows,
    run,
    site_db,
    text,
)

STAMP = "2026-11-21T09:00:00Z"
PERSON = "ab" * 32  # a pseudonym
_numbers = itertools.count(100)


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ownership")
    board_env = install(folder / "board", "board")
    rose = install(folder / "rose", "site", GATEWAY_SYNC_BATCH="25")
    oak = install(folder / "oak", "site", GATEWAY_SYNC_BATCH="25")
    with serve_gateway(board_env, folder / "board.log") as (url, _process):
        enrol(rose, board_env, url, name="Rose Court")
        enrol(oak, board_env, url, name="Oak House")
        yield SimpleNamespace(board_env=board_env, rose=rose, oak=oak)


def push_as(site_env: dict, records: list[dict]) -> dict[str, dict]:
    """Send `records` signed as this site; the board's result for each, by id."""
    with site_db(site_env) as (app, db):
        results, _board_time = board_client(db, app.config).push(records)
    return {result["id"]: result for result in results}


def opt_change(record_id: str, kind: str = "opt_out") -> dict:
    body = canonical({"participant": PERSON, "at": STAMP})
    return {"id": record_id, "kind": kind, "queued_at": STAMP, "body": body}


def alert_record(site_env: dict, alert_id: str, response_id: str) -> dict:
    site_id, _secret = identity(site_env)
    body = {
        "id": alert_id,
        "site_id": site_id,
        "response_id": response_id,
        "step_id": "why",
        "category": "self_harm",
        "rule": "self_harm",
        "raised_at": STAMP,
    }
    return {
        "id": alert_id,
        "kind": "alert",
        "queued_at": STAMP,
        "body": canonical(body),
    }


def response_claimed_by(site_env: dict, record: dict) -> dict:
    """Another site's response record, claimed as this site's own."""
    site_id, _secret = identity(site_env)
    with site_db(site_env) as (_app, db):
        (mine,) = make_responses(site_env, 1)
        data = store.sync.response_record(db, mine)
    data["id"] = record["id"]
    data["site_id"] = site_id
    return {**record, "body": canonical(data)}


def alert_of(site_env: dict, response_id: str) -> str:
    (row,) = rows(
        database(site_env), "SELECT id FROM alerts WHERE response_id = ?", [response_id]
    )
    return row["id"]


def opt_out_at(site_env: dict) -> str:
    """A new opt-out by SMS at the site; its record id."""
    number = next(_numbers)
    phone = f"+447700900{number}"
    text(site_env, phone, "Hello", f"SMhello{number}")
    text(site_env, phone, "STOP", f"SMstop{number}")
    waiting = rows(
        database(site_env),
        "SELECT record_id FROM sync_queue WHERE kind = 'opt_out' AND synced_at IS NULL",
    )
    assert len(waiting) == 1
    return waiting[0]["record_id"]


def sync_all(site_env: dict) -> str:
    result = run(site_env, "sync", "run", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "set aside 0, left 0." in result.stdout
    return result.stdout


def held_on_board(board_env: dict, record_id: str) -> list[str]:
    """The sites the board holds `record_id` for."""
    return [
        row["site_id"]
        for row in rows(
            database(board_env),
            "SELECT site_id FROM records WHERE record_id = ?",
            [record_id],
        )
    ]


# Taken first, by another site: the owner's record is still stored ----------------


def oak_record(oak: dict, kind: str) -> str:
    """A record of `kind` waiting at Oak House, not yet sent; its id."""
    if kind == "response":
        return make_responses(oak, 1)[0]
    if kind == "alert":
        return alert_of(oak, raise_alert(oak))
    return opt_out_at(oak)


@pytest.mark.parametrize(
    ("oak_kind", "rose_kind"),
    [
        ("response", "opt_out"),
        ("response", "opt_in"),
        ("alert", "opt_out"),
        ("alert", "alert"),
        ("opt_out", "opt_in"),
    ],
)
def test_an_id_taken_first_by_another_site_is_still_the_owners(
    sites, oak_kind, rose_kind
):
    sync_all(sites.oak)
    taken = oak_record(sites.oak, oak_kind)
    if rose_kind == "alert":
        squat = alert_record(sites.rose, taken, str(uuid.uuid4()))
    else:
        squat = opt_change(taken, rose_kind)
    push_as(sites.rose, [squat])

    sync_all(sites.oak)  # nothing set aside: no conflict for the owner

    oak_id, _ = identity(sites.oak)
    assert oak_id in held_on_board(sites.board_env, taken)
    (mine,) = rows(
        database(sites.oak),
        "SELECT synced_at, set_aside_at FROM sync_queue WHERE record_id = ?",
        [taken],
    )
    assert mine["synced_at"] is not None and mine["set_aside_at"] is None
    if oak_kind == "response":
        owner = rows(
            database(sites.board_env),
            "SELECT site_id FROM responses WHERE id = ?",
            [taken],
        )
        assert owner == [{"site_id": oak_id}]
    if oak_kind == "alert":
        assert count(
            sites.board_env,
            "SELECT count(*) AS n FROM alerts WHERE id = ? AND site_id = ?",
            [taken, oak_id],
        )
    verified = run(sites.oak, "sync", "verify", check=False)
    assert verified.returncode == 0, verified.stdout + verified.stderr


# Held already by another site: rejected alone --------------------------------------


def test_records_using_another_sites_response_id_are_rejected_alone(sites):
    (response_id,) = make_responses(sites.oak, 1)
    sync_all(sites.oak)
    oak_id, _ = identity(sites.oak)
    theirs = built_record(sites.oak, response_id)
    before = rows(
        database(sites.board_env),
        "SELECT body FROM records WHERE record_id = ?",
        [response_id],
    )
    (good,) = [built_record(sites.rose, rid) for rid in make_responses(sites.rose, 1)]
    squats = [
        opt_change(response_id, "opt_out"),
        opt_change(response_id, "opt_in"),
        response_claimed_by(sites.rose, theirs),
        alert_record(sites.rose, str(uuid.uuid4()), response_id),
    ]

    results = [
        push_as(sites.rose, [squat, good])  # one at a time: one id per batch
        for squat in squats
    ]

    for squat, result in zip(squats, results, strict=True):
        assert result[squat["id"]]["status"] == "rejected", (squat["kind"], result)
        assert "another site" in result[squat["id"]]["reason"], squat["kind"]
    assert results[0][good["id"]]["status"] == "stored"
    assert all(r[good["id"]]["status"] == "already_had" for r in results[1:])
    after = rows(
        database(sites.board_env),
        "SELECT site_id, body FROM records WHERE record_id = ?",
        [response_id],
    )
    assert after == [{"site_id": oak_id, "body": before[0]["body"]}]
    rose_alerts = count(
        sites.board_env,
        "SELECT count(*) AS n FROM alerts WHERE response_id = ?",
        [response_id],
    )
    assert rose_alerts == 0
    owner = rows(
        database(sites.board_env),
        "SELECT site_id FROM responses WHERE id = ?",
        [response_id],
    )
    assert owner == [{"site_id": oak_id}]
    verified = run(sites.oak, "sync", "verify", check=False)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_an_alert_names_its_response_for_its_own_site_before_it_arrives(sites):
    """Oak House's alert goes ahead of its response. From then on the response
    id is Oak House's: Rose Court cannot claim it, and Oak House's response is
    stored when it comes."""
    response_id = raise_alert(sites.oak)
    with site_db(sites.oak) as (_app, db):
        alert = store.sync.alert_record(db, alert_of(sites.oak, response_id))
    body = canonical(alert)
    sent = push_as(
        sites.oak,
        [{"id": alert["id"], "kind": "alert", "queued_at": STAMP, "body": body}],
    )
    assert sent[alert["id"]]["status"] == "stored"

    claimed = push_as(
        sites.rose,
        [
            response_claimed_by(sites.rose, built_record(sites.oak, response_id)),
            alert_record(sites.rose, str(uuid.uuid4()), response_id),
        ],
    )

    assert [r["status"] for r in claimed.values()] == ["rejected", "rejected"]
    assert all("another site" in r["reason"] for r in claimed.values())
    sync_all(sites.oak)
    oak_id, _ = identity(sites.oak)
    owner = rows(
        database(sites.board_env),
        "SELECT site_id FROM responses WHERE id = ?",
        [response_id],
    )
    assert owner == [{"site_id": oak_id}]
