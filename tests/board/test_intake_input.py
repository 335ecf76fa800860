"""The board answers bad input plainly: a 400 for the request, or one record
rejected alone, never a 500; and each endpoint has a body limit of its own.

Against a real board (`gateway serve`, GATEWAY_ROLE=board) and a site that
enrolled with it through the real CLI, each request is built by hand and
signed with the site's own secret. One board and site serve the module; each
test makes its own responses, so their ids are new to the board.
"""

from __future__ import annotations

import json
import urllib.parse
from types import SimpleNamespace

import pytest

from gateway.board.sync_api import MAX_SMALL_REQUEST_BYTES
from gateway.db import write_txn
from gateway.sync.records import canonical
from tests.conftest import serve_gateway
from tests.sync.helpers import (
    batch,
    built_record,
    count,
    enrol,
    identity,
    install,
    make_responses,
    records_for,
    run,
    send,
    signed,
    site_db,
)

PUSH = "/board/sync/push"
DEEP = 100_000  # far past the depth at which Python's JSON parser gives up
TOO_DEEP_FOR_ONE_RECORD = 5_000


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    folder = tmp_path_factory.mktemp("board-input")
    board_env = install(folder / "board", "board")
    site_env = install(folder / "site", "site", GATEWAY_SYNC_BATCH="25")
    with serve_gateway(board_env, folder / "board.log") as (url, process):
        enrol(site_env, board_env, url)
        yield SimpleNamespace(
            url=url,
            board_env=board_env,
            site_env=site_env,
            process=process,
            log=folder / "board.log",
        )


def push(pair, body: bytes):
    site_id, secret = identity(pair.site_env)
    return send(pair.url, PUSH, signed(site_id, secret, PUSH, body), body)


def board_records(pair) -> int:
    return count(pair.board_env, "SELECT count(*) AS n FROM records")


def long_response(site_env: dict, characters: int) -> dict:
    """A new response with an answer `characters` long, as the site sends it."""
    (response_id,) = make_responses(site_env, 1)
    with site_db(site_env) as (_app, db), write_txn(db):
        db.execute(
            "UPDATE answers SET value = ?, raw = ? WHERE response_id = ? "
            "AND step_id = 'why'",
            ["y" * characters, "y" * characters, response_id],
        )
    return built_record(site_env, response_id)


# Deeply nested JSON -----------------------------------------------------------------


def nested_in_a_record() -> bytes:
    record = '{"id": "x", "kind": "response", "queued_at": ' + "[" * DEEP
    return b'{"records": [' + record.encode() + b"]}"


@pytest.mark.parametrize(
    "body",
    [b"[" * DEEP, b'{"records": ' + b"[" * DEEP, nested_in_a_record()],
    ids=["the whole body", "the list of records", "a field of one record"],
)
def test_a_push_nested_too_deeply_to_parse_is_a_400(pair, body):
    before = board_records(pair)

    status, answer, board_time = push(pair, body)

    assert status == 400, answer
    assert answer["error"] == "the JSON is nested too deeply"
    assert answer["board_time"] == board_time
    assert board_records(pair) == before
    assert pair.process.poll() is None


def test_an_enrolment_nested_too_deeply_is_a_400(pair):
    body = b"[" * (MAX_SMALL_REQUEST_BYTES - 1)

    status, answer, _ = send(pair.url, "/board/enrol", {}, body)

    assert status == 400, answer
    assert answer["error"] == "the JSON is nested too deeply"


@pytest.mark.parametrize("body", [b"[1]", b'"code"', b"null"])
def test_an_enrolment_that_is_not_an_object_is_a_400(pair, body):
    status, answer, _ = send(pair.url, "/board/enrol", {}, body)

    assert status == 400, answer
    assert answer["error"] == "send code and site_id"


def body_nested_too_deeply(record: dict) -> dict:
    return {**record, "body": "[" * TOO_DEEP_FOR_ONE_RECORD}


def answer_nested_too_deeply(record: dict) -> dict:
    data = json.loads(record["body"])
    data["answers"][0]["value"] = "NESTED"
    nested = "[" * TOO_DEEP_FOR_ONE_RECORD + "]" * TOO_DEEP_FOR_ONE_RECORD
    return {**record, "body": canonical(data).replace('"NESTED"', nested)}


def answer_not_text(record: dict) -> dict:
    data = json.loads(record["body"])
    data["answers"][0]["value"] = [[["a list, not text"]]]
    return {**record, "body": canonical(data)}


def text_that_is_not_unicode(record: dict) -> dict:
    data = json.loads(record["body"])
    data["answers"][1]["value"] = "half a character: \ud800"
    return {**record, "body": json.dumps(data, ensure_ascii=False)}


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        (body_nested_too_deeply, "the body is nested too deeply"),
        (answer_nested_too_deeply, "the body is nested too deeply"),
        (answer_not_text, "the record holds a value that is not text or a number"),
        (text_that_is_not_unicode, "could not be stored"),
    ],
    ids=["nested body", "nested answer", "answer not text", "half a character"],
)
def test_one_bad_record_is_rejected_alone_and_the_rest_stored(pair, spoil, reason):
    records = records_for(pair.site_env, 3)
    records[1] = spoil(records[1])
    before = board_records(pair)

    status, answer, _ = push(pair, batch(records))

    assert status == 200, answer
    results = {result["id"]: result for result in answer["results"]}
    assert results[records[0]["id"]]["status"] == "stored"
    assert results[records[2]["id"]]["status"] == "stored"
    assert results[records[1]["id"]]["status"] == "rejected"
    assert results[records[1]["id"]]["reason"].startswith(reason)
    assert board_records(pair) == before + 2
    # Why it was refused may be logged, never what it says (answers, pseudonyms).
    logged = pair.log.read_text(encoding="utf-8", errors="replace")
    for words in ("half a character", "a list, not text", "participant_id"):
        assert words not in logged


# The pull cursor --------------------------------------------------------------------


# The stream, and the opt-change pull older sites still make.
PULLS = {"/board/sync/stream": "records", "/board/sync/pull": "opt_changes"}


def pull(pair, cursor: str, body: bytes = b"", endpoint="/board/sync/pull"):
    site_id, secret = identity(pair.site_env)
    path = f"{endpoint}?cursor=" + urllib.parse.quote(cursor)
    headers = signed(site_id, secret, path, body, method="GET")
    return send(pair.url, path, headers, body, method="GET")


@pytest.mark.parametrize("endpoint", PULLS)
@pytest.mark.parametrize(
    "cursor",
    ["1" * 30, str(2**63), "-1", "abc", "", "1e3", "+5", " 5", "5.0", "\u0663"],
)
def test_a_cursor_that_is_not_a_plain_number_in_range_is_a_400(pair, cursor, endpoint):
    status, answer, board_time = pull(pair, cursor, endpoint=endpoint)

    assert status == 400, answer
    assert answer["error"] == "cursor must be a whole number the board gave out"
    assert answer["board_time"] == board_time


@pytest.mark.parametrize("endpoint", PULLS)
@pytest.mark.parametrize("cursor", ["0", "007", str(2**63 - 1)])
def test_a_cursor_in_range_is_answered(pair, cursor, endpoint):
    status, answer, _ = pull(pair, cursor, endpoint=endpoint)

    assert status == 200, answer
    assert isinstance(answer[PULLS[endpoint]], list)
    assert isinstance(answer["cursor"], int)


# Body limits, endpoint by endpoint ---------------------------------------------------


def test_a_push_larger_than_every_other_request_is_taken(pair):
    """The app's own limit is small (32 KiB); the push has 16 MiB of its own."""
    record = long_response(pair.site_env, 100_000)  # twice over: value and raw
    body = batch([record])
    assert len(body) > 200_000

    status, answer, _ = push(pair, body)

    assert status == 200, answer
    assert answer["results"] == [{"id": record["id"], "status": "stored"}]


def test_enrolment_refuses_a_body_over_its_small_limit(pair):
    body = json.dumps(
        {"code": "ABCD-EFGH-JKLM", "site_id": "x" * MAX_SMALL_REQUEST_BYTES}
    ).encode()

    status, answer, board_time = send(pair.url, "/board/enrol", {}, body)

    assert status == 413, answer
    assert answer["error"] == "request too large"
    assert answer["board_time"] == board_time


@pytest.mark.parametrize(
    "path",
    ["/board/sync/pull?cursor=0", "/board/sync/stream?cursor=0", "/board/sync/verify"],
)
def test_pull_and_verify_refuse_a_body_over_their_small_limit(pair, path):
    site_id, secret = identity(pair.site_env)
    body = b" " * (MAX_SMALL_REQUEST_BYTES + 1)
    headers = signed(site_id, secret, path, body, method="GET")

    status, answer, _ = send(pair.url, path, headers, body, method="GET")

    assert status == 413, answer
    assert answer["error"] == "request too large"


def test_the_site_still_syncs_through_all_of_it(pair):
    make_responses(pair.site_env, 3)
    result = run(pair.site_env, "sync", "run", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    verified = run(pair.site_env, "sync", "verify", check=False)
    assert verified.returncode == 0, verified.stdout + verified.stderr
