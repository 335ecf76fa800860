"""The board refuses what its sites did not sign, and stores nothing from it.

Against a real board (`gateway serve`, GATEWAY_ROLE=board) and a site that
enrolled with it through the real CLI, each request here is built by hand:
urllib, `gateway.sync.signing` and the site's own secret from keys/sync.key.
Every refusal is checked twice: the status and reason the board answers, and
that the board's `records` did not grow. One board and site serve the
whole module (starting them is most of the cost); each test makes its own
responses so that their ids are new to the board. Revoking a site uses a
board and site of its own, since it cannot be undone.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest

from gateway.sync import signing
from gateway.sync.enrolment import sync_secret_file
from gateway.sync.records import canonical
from tests.conftest import serve_gateway
from tests.sync.helpers import (
    batch,
    database,
    enrol,
    identity,
    install,
    make_responses,
    records_for,
    rows,
    run,
    send,
    signed,
)

PUSH = "/board/sync/push"
SKEW = 300  # GATEWAY_SYNC_SKEW_SECONDS, the board's default


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """A board and a site enrolled with it as "Rose Court", shared by the module."""
    folder = tmp_path_factory.mktemp("signing")
    board_env = install(folder / "board", "board")
    site_env = install(folder / "site", "site", GATEWAY_SYNC_BATCH="25")
    with serve_gateway(board_env, folder / "board.log") as (url, _process):
        enrol(site_env, board_env, url)
        yield SimpleNamespace(url=url, board_env=board_env, site_env=site_env)


def board_records(board_env: dict) -> int:
    return rows(database(board_env), "SELECT count(*) AS n FROM records")[0]["n"]


def board_response_ids(board_env: dict) -> set[str]:
    return {row["id"] for row in rows(database(board_env), "SELECT id FROM responses")}


# The good request ------------------------------------------------------------


def test_a_correctly_signed_push_is_stored_and_acknowledged(pair):
    site_id, secret = identity(pair.site_env)
    records = records_for(pair.site_env, 3)
    body = batch(records)
    before = board_records(pair.board_env)

    status, answer, board_time = send(
        pair.url, PUSH, signed(site_id, secret, PUSH, body), body
    )

    assert status == 200, answer
    assert [(r["id"], r["status"]) for r in answer["results"]] == [
        (record["id"], "stored") for record in records
    ]
    assert answer["board_time"] == board_time
    assert board_records(pair.board_env) == before + 3
    assert {r["id"] for r in records} <= board_response_ids(pair.board_env)


def test_correctly_signed_pull_and_verify_are_answered(pair):
    site_id, secret = identity(pair.site_env)
    pull = "/board/sync/pull?cursor=0"
    status, answer, _ = send(
        pair.url, pull, signed(site_id, secret, pull, method="GET"), method="GET"
    )
    assert status == 200, answer
    assert answer["opt_changes"] == []
    stream = "/board/sync/stream?cursor=0"
    status, answer, _ = send(
        pair.url, stream, signed(site_id, secret, stream, method="GET"), method="GET"
    )
    assert status == 200, answer
    assert answer["records"] == []
    verify = "/board/sync/verify"
    status, answer, _ = send(
        pair.url, verify, signed(site_id, secret, verify, method="GET"), method="GET"
    )
    assert status == 200, answer
    assert isinstance(answer["days"], dict)


# Refusals --------------------------------------------------------------------


def test_a_body_other_than_the_one_signed_is_refused(pair):
    site_id, secret = identity(pair.site_env)
    signed_body = batch(records_for(pair.site_env, 1))
    sent = batch(records_for(pair.site_env, 2))
    before = board_records(pair.board_env)

    status, answer, _ = send(
        pair.url, PUSH, signed(site_id, secret, PUSH, signed_body), sent
    )

    assert status == 401
    assert "signature" in answer["error"]
    assert board_records(pair.board_env) == before


@pytest.mark.parametrize("path", ["/board/sync/pull", "/board/sync/stream"])
def test_a_query_other_than_the_one_signed_is_refused(pair, path):
    """The signed path includes its query: a changed cursor breaks the signature."""
    site_id, secret = identity(pair.site_env)
    headers = signed(site_id, secret, f"{path}?cursor=0", method="GET")
    status, answer, _ = send(pair.url, f"{path}?cursor=7", headers, method="GET")
    assert status == 401
    assert "signature" in answer["error"]


@pytest.mark.parametrize("off_by", [-(SKEW + 60), SKEW + 60])
def test_a_signing_time_outside_the_window_is_refused_with_the_board_time(pair, off_by):
    site_id, secret = identity(pair.site_env)
    body = batch(records_for(pair.site_env, 1))
    before = board_records(pair.board_env)
    headers = signed(site_id, secret, PUSH, body, timestamp=int(time.time()) + off_by)

    status, answer, board_time = send(pair.url, PUSH, headers, body)

    assert status == 401
    assert "clock" in answer["error"]
    assert answer["board_time"]  # so the site can correct its clock
    assert answer["board_time"] == board_time
    assert board_records(pair.board_env) == before


def test_a_replayed_request_is_refused_the_second_time(pair):
    site_id, secret = identity(pair.site_env)
    records = records_for(pair.site_env, 2)
    body = batch(records)
    headers = signed(site_id, secret, PUSH, body)

    first, answer, _ = send(pair.url, PUSH, headers, body)
    assert first == 200, answer
    after_first = board_records(pair.board_env)

    again, answer, _ = send(pair.url, PUSH, headers, body)

    assert again == 409
    assert "replay" in answer["error"]
    assert board_records(pair.board_env) == after_first


def test_a_request_signed_with_another_secret_is_refused(pair):
    site_id, _secret = identity(pair.site_env)
    body = batch(records_for(pair.site_env, 1))
    before = board_records(pair.board_env)
    wrong = bytes(32)

    status, answer, _ = send(pair.url, PUSH, signed(site_id, wrong, PUSH, body), body)

    assert status == 401
    assert "signature" in answer["error"]
    assert board_records(pair.board_env) == before


def test_a_request_from_an_unknown_site_is_refused(pair):
    _site_id, secret = identity(pair.site_env)
    body = batch(records_for(pair.site_env, 1))
    before = board_records(pair.board_env)
    stranger = str(uuid.uuid4())

    status, answer, _ = send(pair.url, PUSH, signed(stranger, secret, PUSH, body), body)

    assert status == 401
    assert "unknown site" in answer["error"]
    assert board_records(pair.board_env) == before


def test_a_request_with_no_signature_is_refused(pair):
    site_id, _secret = identity(pair.site_env)
    body = batch(records_for(pair.site_env, 1))
    before = board_records(pair.board_env)
    headers = {signing.SITE: site_id, signing.TIME: str(int(time.time()))}

    status, answer, _ = send(pair.url, PUSH, headers, body)

    assert status == 401
    assert board_records(pair.board_env) == before


def test_a_record_claiming_another_site_is_rejected_alone(pair):
    site_id, secret = identity(pair.site_env)
    records = records_for(pair.site_env, 3)
    forged = json.loads(records[1]["body"])
    forged["site_id"] = str(uuid.uuid4())
    records[1] = {**records[1], "body": canonical(forged)}
    body = batch(records)
    before = board_records(pair.board_env)

    status, answer, _ = send(pair.url, PUSH, signed(site_id, secret, PUSH, body), body)

    assert status == 200, answer
    results = {r["id"]: r for r in answer["results"]}
    assert results[records[0]["id"]]["status"] == "stored"
    assert results[records[2]["id"]]["status"] == "stored"
    assert results[records[1]["id"]]["status"] == "rejected"
    assert "another site" in results[records[1]["id"]]["reason"]
    assert board_records(pair.board_env) == before + 2
    on_board = board_response_ids(pair.board_env)
    assert records[0]["id"] in on_board
    assert records[2]["id"] in on_board
    assert records[1]["id"] not in on_board


def test_the_site_secret_is_kept_private(pair):
    """The secret that signs every request is readable by its owner only."""
    key = Path(sync_secret_file(pair.site_env["GATEWAY_INSTANCE_PATH"]))
    assert key.stat().st_mode & 0o077 == 0


# A revoked site (its own board: revoking cannot be undone) -------------------


def test_a_revoked_site_is_refused_and_its_sync_marks_nothing(enrolled_site, board):
    make_responses(enrolled_site, 4)
    revoked = run(board.env, "board", "revoke-site", "Rose Court")
    assert "Revoked 'Rose Court'" in revoked.stdout
    site_id, secret = identity(enrolled_site)
    body = batch(records_for(enrolled_site, 1))

    status, answer, _ = send(board.url, PUSH, signed(site_id, secret, PUSH, body), body)

    assert status == 403
    assert "revoked" in answer["error"]
    assert board_records(board.env) == 0

    result = run(enrolled_site, "sync", "run", check=False)

    assert result.returncode != 0
    assert "Stopped" in result.stderr
    assert "revoked" in result.stderr
    queue = rows(
        database(enrolled_site),
        "SELECT synced_at, set_aside_at FROM sync_queue",
    )
    assert len(queue) == 5
    assert all(r["synced_at"] is None and r["set_aside_at"] is None for r in queue)
    assert board_records(board.env) == 0
    sites = run(board.env, "board", "sites").stdout
    assert "REVOKED" in sites
