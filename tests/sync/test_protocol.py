"""The sync protocol between a site and its board, end to end.

The board is a real `gateway serve` process (GATEWAY_ROLE=board); sites are
installs driven through the real `gateway` CLI, or in-process through
`gateway.sync` where a test needs a clock of its own (a board down for 72
simulated hours, a site clock two hours wrong). Stand-ins for what lies
between a site and its board (a captive portal, a proxy that refuses large
bodies) are small HTTP servers on 127.0.0.1 in a thread. Covered: conflicts,
answers that are not the board's, 413 halving, retrying for days, `sync
verify`, clock skew, and opt-outs for what is not a pseudonym. Outcomes are
checked in each install's SQLite. What is queued is in test_queue.py;
enrolment in test_enrolment.py.
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime

from gateway import store
from gateway.db import write_txn
from gateway.privacy import pseudonym
from gateway.sync.enrolment import board_client
from gateway.sync.runner import SyncSchedule, sync_once
from gateway.sync.stream import pull_stream
from tests.conftest import serve_gateway
from tests.sync.helpers import (
    MOMENT,
    Handler,
    board_response_ids,
    built_record,
    change_board,
    changed,
    count,
    database,
    http_server,
    make_responses,
    proxy_to_board,
    queue,
    rows,
    run,
    set_board_url,
    site_db,
)

PHONE, OTHER_PHONE = "+447700900123", "+447700900456"
HARM = "I want to kill myself"


# 1. Conflicts -----------------------------------------------------------------


def test_the_same_id_with_other_content_is_a_conflict_and_the_first_stays(
    enrolled_site, board
):
    (response_id,) = make_responses(enrolled_site, 1)
    first = built_record(enrolled_site, response_id)
    other = {**first, "body": changed(first["body"])}
    with site_db(enrolled_site) as (app, db):
        client = board_client(db, app.config)
        stored, _ = client.push([first])
        conflict, _ = client.push([other])
        repeat, _ = client.push([first])

    assert stored == [{"id": response_id, "status": "stored"}]
    assert conflict[0]["status"] == "rejected"
    assert "conflict" in conflict[0]["reason"]
    assert repeat == [{"id": response_id, "status": "already_had"}]
    kept = rows(database(board.env), "SELECT body FROM records")
    assert [row["body"] for row in kept] == [first["body"]]
    answers = rows(
        database(board.env),
        "SELECT value FROM answers WHERE response_id = ? AND step_id = 'why'",
        [response_id],
    )
    assert [row["value"] for row in answers] == ["Answer number 0"]


def test_a_conflicting_record_is_set_aside_and_never_blocks_the_rest(
    enrolled_site, board
):
    first_ids = make_responses(enrolled_site, 3)
    run(enrolled_site, "sync", "run")
    victim = first_ids[0]
    frozen = rows(
        database(enrolled_site),
        "SELECT body FROM sync_queue WHERE record_id = ?",
        [victim],
    )[0]["body"]
    with site_db(enrolled_site) as (_app, db), write_txn(db):
        db.execute(
            "UPDATE sync_queue SET synced_at = NULL, body = ? WHERE record_id = ?",
            [changed(frozen), victim],
        )
    later_ids = make_responses(enrolled_site, 2)

    result = run(enrolled_site, "sync", "run")

    assert "Sent 3, acknowledged 2, set aside 1, left 0." in result.stdout
    aside = rows(
        database(enrolled_site),
        "SELECT record_id, set_aside_reason FROM sync_queue "
        "WHERE set_aside_at IS NOT NULL",
    )
    assert [row["record_id"] for row in aside] == [victim]
    assert "conflict" in aside[0]["set_aside_reason"]
    status = run(enrolled_site, "sync", "status").stdout
    assert "Set aside: 1." in status
    assert f"set aside response {victim}: conflict" in status
    assert board_response_ids(board.env) == sorted(first_ids + later_ids)
    on_board = rows(
        database(board.env),
        "SELECT body FROM records WHERE record_id = ?",
        [victim],
    )
    assert [row["body"] for row in on_board] == [frozen]
    again = run(enrolled_site, "sync", "run")
    assert "Sent 0," in again.stdout  # set aside: not sent again


# 2. A 200 that is not the board ---------------------------------------------------


class CaptivePortal(Handler):
    PAGE = b"<html><body><h1>Welcome to Care Home Wi-Fi</h1>Sign in</body></html>"

    def do_GET(self) -> None:
        self.reply(200, self.PAGE, "text/html")

    def do_POST(self) -> None:
        self.body()
        self.reply(200, self.PAGE, "text/html")


def test_a_captive_portal_page_marks_nothing(enrolled_site, board):
    ids = make_responses(enrolled_site, 5)
    with http_server(CaptivePortal) as (url, _server):
        set_board_url(enrolled_site, url)
        result = run(enrolled_site, "sync", "run", check=False)

    assert result.returncode != 0
    assert "Stopped" in result.stderr
    assert "not the board's" in result.stderr
    waiting = queue(enrolled_site)
    assert sorted(row["record_id"] for row in waiting) == sorted(ids)
    assert all(row["synced_at"] is None for row in waiting)
    assert all(row["set_aside_at"] is None for row in waiting)
    assert count(board.env, "SELECT count(*) AS n FROM records") == 0


# 3. 413 halves the batch ----------------------------------------------------------


def refusing_over(limit: int):
    """For `proxy_to_board`: 413 to a push of more than `limit` records. The
    sizes refused and passed on are kept in .refused and .forwarded."""

    def refuses(path: str, data: bytes) -> int | None:
        if not path.startswith("/board/sync/push"):
            return None
        sent = len(json.loads(data)["records"])
        (refuses.refused if sent > limit else refuses.forwarded).append(sent)
        return 413 if sent > limit else None

    refuses.refused, refuses.forwarded = [], []
    return refuses


def test_a_413_halves_the_batch_until_it_fits(enrolled_site, board):
    ids = make_responses(enrolled_site, 40)
    sizes = refusing_over(5)
    with proxy_to_board(board.port, sizes) as (url, _server):
        set_board_url(enrolled_site, url)
        result = run(enrolled_site, "sync", "run", check=False)

    assert result.returncode == 0, result.stderr
    assert "Sent 40, acknowledged 40, set aside 0, left 0." in result.stdout
    assert sizes.refused[:3] == [25, 12, 6]  # halved until it fits
    assert sizes.forwarded and max(sizes.forwarded) <= 5
    assert sum(sizes.forwarded) == 40
    assert board_response_ids(board.env) == sorted(ids)
    assert count(board.env, "SELECT count(*) AS n FROM records") == 40


# 4. The board down for 72 hours -----------------------------------------------------


def test_a_site_keeps_trying_for_72_hours_and_then_delivers_everything(
    enrolled_site, board, tmp_path
):
    ids = make_responses(enrolled_site, 8)
    board.process.terminate()
    board.process.wait(timeout=10)
    clock = [MOMENT.timestamp()]  # simulated seconds: moved, never slept

    def now() -> datetime:
        return datetime.fromtimestamp(clock[0], UTC)

    attempts, errors = [], set()
    with site_db(enrolled_site) as (app, db):
        client = board_client(db, app.config)
        batch_size = app.config["SYNC_BATCH"]
        cap = app.config["SYNC_MAX_BACKOFF_SECONDS"]
        schedule = SyncSchedule(cap, clock=lambda: clock[0])
        while clock[0] - MOMENT.timestamp() < 72 * 3600:
            if schedule.due():
                attempts.append(clock[0])
                summary = sync_once(db, client, now, batch_size)
                errors.add(summary.error)
                schedule.record(summary)
            assert schedule.next_at > clock[0], "the schedule must move on"
            clock[0] = schedule.next_at
        held = store.sync.queue_summary(db)

        assert len(errors) == 1
        assert "could not reach the board" in errors.pop()
        gaps = [
            later - earlier
            for earlier, later in zip(attempts, attempts[1:], strict=False)
        ]
        assert max(gaps) <= cap
        assert len(attempts) > 200
        assert (held["waiting"], held["synced"], held["set_aside"]) == (8, 0, 0)

        with serve_gateway(board.env, tmp_path / "board2.log", port=board.port):
            summary = sync_once(db, client, now, batch_size)
            schedule.record(summary)

        assert summary.error is None
        assert summary.acknowledged == 8
        assert schedule.due()  # back to a pass every time
        assert store.sync.queue_summary(db)["waiting"] == 0
    assert board_response_ids(board.env) == sorted(ids)
    assert count(board.env, "SELECT count(*) AS n FROM records") == 8


# 5. Verify ------------------------------------------------------------------------


def test_sync_verify_names_the_day_that_differs(enrolled_site, board):
    ids = make_responses(enrolled_site, 4)
    run(enrolled_site, "sync", "run")
    gone = ids[2]
    day = rows(
        database(enrolled_site),
        "SELECT substr(queued_at, 1, 10) AS day FROM sync_queue WHERE record_id = ?",
        [gone],
    )[0]["day"]
    that_day = count(
        enrolled_site,
        "SELECT count(*) AS n FROM sync_queue "
        "WHERE synced_at IS NOT NULL AND substr(queued_at, 1, 10) = ?",
        [day],
    )
    change_board(
        board.env,
        ("DELETE FROM answers WHERE response_id = ?", [gone]),
        ("DELETE FROM own_words WHERE response_id = ?", [gone]),
        ("DELETE FROM responses WHERE id = ?", [gone]),
        ("DELETE FROM records WHERE record_id = ?", [gone]),
    )

    result = run(enrolled_site, "sync", "verify", check=False)

    assert result.returncode != 0
    assert f"{day}: this site {that_day}, the board {that_day - 1}" in result.stdout
    assert len(result.stdout.splitlines()) == 1  # only that day differs
    assert "differ" in result.stderr


# 6. Clock skew -----------------------------------------------------------------


def two_hours_fast() -> float:
    return time.time() + 7200


def test_a_site_with_a_wrong_clock_still_syncs_and_is_flagged(enrolled_site, board):
    ids = make_responses(enrolled_site, 3)
    with site_db(enrolled_site) as (app, db):
        client = board_client(db, app.config, clock=two_hours_fast)
        summary = sync_once(db, client, lambda: datetime.now(UTC), 25)
        offset = client.offset

    assert summary.error is None
    assert summary.acknowledged == 3
    assert round(offset / 3600) == -2  # the board's clock minus the site's
    assert board_response_ids(board.env) == sorted(ids)
    sites = run(board.env, "board", "sites").stdout
    assert "Rose Court  3 records" in sites
    assert "CLOCK +120 min from the board's" in sites


def test_a_site_keeps_the_clock_correction_it_learned(enrolled_site, board):
    """The correction a site learns from the board is kept (meta
    `sync_clock_offset`): the next pass starts from it, and `sync status`
    shows it."""
    make_responses(enrolled_site, 1)
    with site_db(enrolled_site) as (app, db):
        client = board_client(db, app.config, clock=two_hours_fast)
        assert sync_once(db, client, lambda: datetime.now(UTC), 25).error is None
        later = board_client(db, app.config, clock=two_hours_fast)
    status = run(enrolled_site, "sync", "status").stdout
    shown = re.search(r"Clock: the board's is ([+-]\d+) s", status)
    assert shown is not None, status

    assert (round(later.offset / 3600), round(int(shown[1]) / 3600)) == (-2, -2), (
        "the clock offset learned from the board was not kept: "
        "meta sync_clock_offset is never written"
    )


# 7. Opt-outs from the board ------------------------------------------------------


class OptChangesOnly:
    """A board whose stream holds these opt-out changes, then nothing more."""

    def __init__(self, changes: list[dict]):
        records = [
            {"seq": seq, "id": f"change-{seq}", "kind": change.pop("kind")}
            | {"body": change}
            for seq, change in enumerate(changes, start=1)
        ]
        self.answers = [{"records": records, "cursor": len(records)}]
        self.answers.append({"records": [], "cursor": len(records)})

    def stream(self, _cursor: int) -> dict:
        return self.answers.pop(0)


def test_an_opt_out_for_anything_but_a_pseudonym_is_ignored(db, runtime):
    real, other = pseudonym(runtime.pseudonym_key, PHONE), "b" * 64
    at = "2026-11-23T10:00:00Z"
    board = OptChangesOnly(
        [
            {"kind": "opt_out", "participant": real + "\n", "at": at},
            {"kind": "opt_out", "participant": real.upper(), "at": at},
            {"kind": "opt_out", "participant": other, "at": at},
        ]
    )
    assert pull_stream(db, board, lambda: MOMENT) == {"opt_out": 1}
    assert list(db.query("SELECT id FROM participants")) == [{"id": other}]
