"""No record holds up the ones behind it: the queue's order, and a record too
large for the board even alone.

A real board process, a site driven through the real `gateway sync` CLI (a
new process each pass, so what a pass counts must be in the site's SQLite),
and a proxy on 127.0.0.1 between them that answers 413 to a push over a
size, or refuses every request. The queue's order is read in-process.
"""

from __future__ import annotations

import pytest

from gateway.db import write_txn
from gateway.pseudonyms import work_out_pseudonyms
from gateway.sync.records import next_batch
from gateway.sync.runner import TOO_LARGE_PASSES_BEFORE_SET_ASIDE
from tests.sync.helpers import (
    board_response_ids,
    count,
    database,
    make_responses,
    proxy_to_board,
    queue,
    raise_alert,
    rows,
    run,
    set_board_url,
    site_db,
    text,
)

PHONE = "+447700900123"
PROXY_LIMIT_BYTES = 64 * 1024  # a normal batch of 25 is about a third of this
LONG_ANSWER = "x" * 60_000  # as value and as raw: twice this, even alone


def make_too_large(site_env: dict, response_id: str) -> None:
    """Give a waiting response an answer too long for the proxy, and make it
    the oldest record in the queue."""
    with site_db(site_env) as (_app, db), write_txn(db):
        db.execute(
            "UPDATE answers SET value = ?, raw = ? WHERE response_id = ? "
            "AND step_id = 'why'",
            [LONG_ANSWER, LONG_ANSWER, response_id],
        )
        db.execute(
            "UPDATE sync_queue SET queued_at = '2026-01-01T00:00:00Z' "
            "WHERE record_id = ?",
            [response_id],
        )


def refusing_large_pushes(path: str, body: bytes) -> int | None:
    if path.startswith("/board/sync/push") and len(body) > PROXY_LIMIT_BYTES:
        return 413
    return None


def queued(site_env: dict, record_id: str) -> dict:
    return rows(
        database(site_env),
        "SELECT * FROM sync_queue WHERE record_id = ?",
        [record_id],
    )[0]


# The order ----------------------------------------------------------------------


def test_alerts_then_opt_changes_then_responses_whatever_waits(site_env):
    older = make_responses(site_env, 30)  # a backlog, queued before the rest
    with site_db(site_env) as (_app, db), write_txn(db):
        db.execute("UPDATE sync_queue SET queued_at = '2000-01-01T00:00:00Z'")
    text(site_env, PHONE, "Hello", "SM1")
    text(site_env, PHONE, "STOP", "SM2")  # an opt-out, queued after the backlog
    text(site_env, PHONE, "START", "SM3")  # and an opt-in after that
    raise_alert(site_env)

    with site_db(site_env) as (app, db):
        work_out_pseudonyms(db, app.config["INSTANCE_PATH"], 60)
        first = next_batch(db, 3, "2026-11-21T09:00:00Z")
        everything = next_batch(db, 100, "2026-11-21T09:00:00Z")

    # Queued in the same second, an opt-out and an opt-in may go either way
    # round: the board takes the newer by its time, whatever the order.
    assert first[0]["kind"] == "alert"
    assert {record["kind"] for record in first[1:]} == {"opt_out", "opt_in"}
    kinds = [record["kind"] for record in everything]
    assert kinds[:3] == [record["kind"] for record in first]
    assert set(kinds[3:]) == {"response"}
    responses = [record["id"] for record in everything[3:]]
    assert responses[: len(older)] == sorted(older)  # oldest first among them


def test_a_record_found_too_large_waits_behind_its_kind_but_not_behind_others(
    site_env,
):
    older = make_responses(site_env, 3)
    text(site_env, PHONE, "Hello", "SM1")
    text(site_env, PHONE, "STOP", "SM2")
    raise_alert(site_env)
    with site_db(site_env) as (app, db):
        work_out_pseudonyms(db, app.config["INSTANCE_PATH"], 60)
    with site_db(site_env) as (_app, db), write_txn(db):
        db.execute(
            "UPDATE sync_queue SET held_back = 1 WHERE kind = 'alert' OR record_id = ?",
            [older[0]],
        )
        order = [r["id"] for r in next_batch(db, 100, "2026-11-21T09:00:00Z")]

    kinds = {row["record_id"]: row["kind"] for row in queue(site_env)}
    assert [kinds[record_id] for record_id in order[:2]] == ["alert", "opt_out"]
    assert order[-1] == older[0]  # behind every other response


# A record too large even alone -------------------------------------------------------


def test_a_record_too_large_even_alone_is_skipped_and_the_rest_go(enrolled_site, board):
    (large,) = make_responses(enrolled_site, 1)
    make_too_large(enrolled_site, large)
    others = make_responses(enrolled_site, 30)
    text(enrolled_site, PHONE, "Hello", "SM1")
    text(enrolled_site, PHONE, "STOP", "SM2")  # an opt-out, and its response
    waiting_before = len(queue(enrolled_site))

    with proxy_to_board(board.port, refusing_large_pushes) as (url, server):
        set_board_url(enrolled_site, url)
        result = run(enrolled_site, "sync", "run", check=False)

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"acknowledged {waiting_before - 1}, set aside 0, left 1." in result.stdout
    assert "Skipped 1 record(s) too large" in result.stdout
    on_board = board_response_ids(board.env)
    assert set(others) <= set(on_board)
    assert large not in on_board
    kinds = count(board.env, "SELECT count(*) AS n FROM records WHERE kind = 'opt_out'")
    assert kinds == 1
    held = queued(enrolled_site, large)
    assert (held["too_large_passes"], held["held_back"]) == (1, 1)
    assert held["synced_at"] is None and held["set_aside_at"] is None
    assert server.refused  # the proxy really did refuse it
    status = run(enrolled_site, "sync", "status").stdout
    assert f"too large response {large}: refused in 1 of 3 passes" in status


def test_a_record_refused_alone_in_enough_passes_is_set_aside_with_its_reason(
    enrolled_site, board
):
    (large,) = make_responses(enrolled_site, 1)
    make_too_large(enrolled_site, large)
    with proxy_to_board(board.port, refusing_large_pushes) as (url, _server):
        set_board_url(enrolled_site, url)
        for passes in range(1, TOO_LARGE_PASSES_BEFORE_SET_ASIDE + 1):
            (other,) = make_responses(enrolled_site, 1)
            result = run(enrolled_site, "sync", "run", check=False)
            assert result.returncode == 0, result.stdout + result.stderr
            assert other in board_response_ids(board.env)
            if passes < TOO_LARGE_PASSES_BEFORE_SET_ASIDE:
                assert queued(enrolled_site, large)["too_large_passes"] == passes
                # A pass with nothing else to send counts for nothing.
                alone = run(enrolled_site, "sync", "run", check=False)
                assert alone.returncode != 0
                assert "even for one record" in alone.stderr
                assert queued(enrolled_site, large)["too_large_passes"] == passes

    aside = queued(enrolled_site, large)
    assert aside["set_aside_at"] is not None
    assert "too large for the board, even alone" in aside["set_aside_reason"]
    assert "set aside 1, left 0." in result.stdout
    status = run(enrolled_site, "sync", "status").stdout
    assert "Set aside: 1." in status
    assert f"set aside response {large}: too large for the board, even alone" in (
        status
    )
    assert large not in board_response_ids(board.env)


def refusing_everything_with(status: int):
    def refuses(_path: str, _body: bytes) -> int:
        return status

    return refuses


@pytest.mark.parametrize("status", [413, 502])
def test_a_proxy_refusing_everything_sets_nothing_aside(enrolled_site, board, status):
    ids = make_responses(enrolled_site, 8)
    passes = TOO_LARGE_PASSES_BEFORE_SET_ASIDE + 1
    with proxy_to_board(board.port, refusing_everything_with(status)) as (
        url,
        server,
    ):
        set_board_url(enrolled_site, url)
        results = [
            run(enrolled_site, "sync", "run", check=False) for _ in range(passes)
        ]

    assert all(result.returncode != 0 for result in results)
    assert all("Stopped" in result.stderr for result in results)
    assert not server.forwarded
    # A few records tried alone a pass, not every record in the queue.
    assert len(server.refused) <= passes * 12
    held = queue(enrolled_site)
    assert sorted(row["record_id"] for row in held) == sorted(ids)
    assert all(row["synced_at"] is None for row in held)
    assert all(row["set_aside_at"] is None for row in held)
    assert all(row["too_large_passes"] == 0 for row in held)
    assert count(board.env, "SELECT count(*) AS n FROM records") == 0
    assert "Sent 0, acknowledged 0, set aside 0" in results[-1].stdout
