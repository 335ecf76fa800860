"""Exactly once through a hostile network and a sync process killed again and again.

A real board process and a real site install, with tests/sync/fault_proxy.py
between them resetting connections, cutting answers after the board has
committed, delaying, and answering like a captive portal. `gateway sync run`
is SIGKILLed at random moments many times. Afterwards the board must hold
exactly the site's records: none missing, none doubled. It runs again with
two board processes on one PostgreSQL database, the proxy sending each
request to the next in turn. The last test runs the same against a board
whose uniqueness guarantee has been removed, and shows that the check then
fails: it is the guarantee that holds it together.
"""

from __future__ import annotations

import random
import shutil
import signal
import sqlite3
import subprocess
import time
from contextlib import ExitStack

import pytest

from gateway.config import pseudonym_key_file
from gateway.db import connect, write_txn
from gateway.store.core import set_meta
from tests.conftest import GATEWAY, serve_gateway
from tests.sync.fault_proxy import FaultProxy
from tests.sync.helpers import database, enrol, install, make_responses, rows, run

RESPONSES = 240
KILLS = 12
HOSTILE = {"pass": 4, "reset": 2, "cut": 3, "delay": 1, "portal": 1}


def point_site_at(site_env: dict, url: str) -> None:
    db = connect(database(site_env))
    try:
        with write_txn(db):
            set_meta(db, "sync_board_url", url)
    finally:
        db.close()


def kill_syncing_workers_at_random(
    site_env: dict, times: int, seed: int, left=None
) -> list:
    """Start `gateway worker` (it syncs in a loop) and SIGKILL it at a random
    moment, `times` times; returns how many records were left before each
    (`left(site_env)`: by default, those waiting to go up)."""
    left = left or waiting_count
    chance = random.Random(seed)
    waiting = []
    env = dict(
        site_env, GATEWAY_WORKER_INTERVAL="1", GATEWAY_SYNC_MAX_BACKOFF_SECONDS="1"
    )
    for _ in range(times):
        waiting.append(left(site_env))
        process = subprocess.Popen(
            [GATEWAY, "worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(chance.uniform(0.4, 1.6))  # start-up takes a few tenths
        # On a busy machine start-up can take longer than that: then wait
        # for records to start moving, so the kill lands while they do.
        moving_by = time.monotonic() + 20
        while (
            left(site_env) == waiting[-1] > 0
            and process.poll() is None
            and time.monotonic() < moving_by
        ):
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait()
    return waiting


def waiting_count(site_env: dict) -> int:
    return rows(
        database(site_env),
        "SELECT count(*) AS n FROM sync_queue WHERE synced_at IS NULL",
    )[0]["n"]


def sync_until_done(site_env: dict, attempts: int = 20) -> None:
    for _ in range(attempts):
        result = run(site_env, "sync", "run", check=False)
        if result.returncode == 0 and "left 0." in result.stdout:
            return
    raise AssertionError(f"the queue did not drain: {result.stdout}{result.stderr}")


def site_record_ids(site_env: dict) -> list[str]:
    return sorted(
        row["record_id"]
        for row in rows(database(site_env), "SELECT record_id FROM sync_queue")
    )


def board_holdings(board_env: dict) -> dict:
    path = database(board_env)
    return {
        "records": sorted(
            row["record_id"] for row in rows(path, "SELECT record_id FROM records")
        ),
        "responses": rows(path, "SELECT count(*) AS n FROM responses")[0]["n"],
        "answers": rows(path, "SELECT count(*) AS n FROM answers")[0]["n"],
    }


def hostile_sync(
    tmp_path, board_env: dict, seed: int, more: tuple[dict, ...] = ()
) -> tuple[dict, dict, dict]:
    """Serve the board, enrol a site, make responses, then sync through faults
    and kills, and finally through a quiet network until the queue drains.
    `more`: other board processes on the same database, which the proxy
    sends requests to in turn with the first."""
    site_env = install(tmp_path / "site", "site", GATEWAY_SYNC_BATCH="15")
    with ExitStack() as serving:
        served = [
            serving.enter_context(serve_gateway(env, tmp_path / f"board-{n}.log"))
            for n, env in enumerate((board_env, *more))
        ]
        board_url, process = served[0]
        enrol(site_env, board_env, board_url)
        make_responses(site_env, RESPONSES)
        ports = [int(url.rsplit(":", 1)[1]) for url, _ in served]
        proxy = FaultProxy(ports, HOSTILE, seed=seed)
        point_site_at(site_env, proxy.start())
        try:
            waiting = kill_syncing_workers_at_random(site_env, KILLS, seed)
            for _ in range(3):  # and some runs that end by themselves, faults and all
                run(site_env, "sync", "run", check=False)
            proxy.set_weights(**{"pass": 1})
            sync_until_done(site_env)
            verified = run(site_env, "sync", "verify", check=False)
        finally:
            proxy.stop()
        for _url, process in served:
            assert process.poll() is None, "the board must survive all of it"
    faults = dict(
        proxy.counts,
        waiting_before_each_kill=waiting,
        verified=verified,
        forwarded_to=list(proxy.forwarded_to.values()),
    )
    return site_env, board_holdings(board_env), faults


def test_every_record_arrives_exactly_once_through_faults_and_kills(tmp_path):
    board_env = install(tmp_path / "board", "board")
    site_env, board, faults = hostile_sync(tmp_path, board_env, seed=7)
    exactly_once(site_env, board, faults)


def test_exactly_once_with_two_board_processes_on_postgresql_taking_turns(
    tmp_path, postgres_url
):
    """The same, with the site's requests going to two board processes in
    turn (as behind a load balancer), both on one PostgreSQL database: a
    batch whose answer was cut at one is sent again to the other."""
    on_postgresql = {
        "GATEWAY_BOARD_DATABASE_URL": postgres_url,
        "GATEWAY_SECRET_KEY": "one key for both board processes",
    }
    first = install(tmp_path / "board", "board", **on_postgresql)
    second = install(tmp_path / "board-2", "board", **on_postgresql)
    share_pseudonym_key(first, second)
    site_env, board, faults = hostile_sync(tmp_path, first, seed=7, more=(second,))
    exactly_once(site_env, board, faults)
    taken = faults["forwarded_to"]  # requests each process was given, in turn
    assert min(taken) >= 5 and max(taken) - min(taken) <= 1, faults


def share_pseudonym_key(board_env: dict, other_env: dict) -> None:
    """Every board process hands sites the organisation's one pseudonym key."""
    source = pseudonym_key_file(board_env["GATEWAY_INSTANCE_PATH"])
    shutil.copy2(source, pseudonym_key_file(other_env["GATEWAY_INSTANCE_PATH"]))


def exactly_once(site_env: dict, board: dict, faults: dict) -> None:
    # Kills landed while records were still moving, not after the queue drained.
    in_flight = [n for n in faults["waiting_before_each_kill"] if 0 < n < RESPONSES]
    assert len(in_flight) >= 3, faults
    assert faults.get("cut", 0) > 0 and faults.get("reset", 0) > 0, faults
    assert faults.get("portal", 0) > 0, faults
    ours = site_record_ids(site_env)
    assert len(ours) == RESPONSES
    assert board["records"] == ours  # none missing, none doubled
    assert board["responses"] == RESPONSES
    assert board["answers"] == RESPONSES * 3
    assert waiting_count(site_env) == 0
    verified = faults["verified"]
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "exactly what this site synced" in verified.stdout


def remove_uniqueness(path: str) -> None:
    """Rebuild the board's tables without their unique keys (a broken board)."""
    conn = sqlite3.connect(path)
    try:
        conn.executescript(
            """
            PRAGMA foreign_keys = OFF;
            PRAGMA legacy_alter_table = ON;
            BEGIN;
            ALTER TABLE records RENAME TO records_old;
            CREATE TABLE records (seq INTEGER PRIMARY KEY, record_id TEXT,
                site_id TEXT, kind TEXT, body_hash TEXT, body TEXT, queued_at TEXT,
                received_at TEXT);
            DROP TABLE records_old;
            ALTER TABLE responses RENAME TO responses_old;
            CREATE TABLE responses AS SELECT * FROM responses_old WHERE 0;
            DROP TABLE responses_old;
            ALTER TABLE answers RENAME TO answers_old;
            CREATE TABLE answers AS SELECT * FROM answers_old WHERE 0;
            DROP TABLE answers_old;
            ALTER TABLE own_words RENAME TO own_words_old;
            CREATE TABLE own_words AS SELECT * FROM own_words_old WHERE 0;
            DROP TABLE own_words_old;
            COMMIT;
            """
        )
    finally:
        conn.close()


def test_without_the_boards_uniqueness_the_same_run_doubles_records(tmp_path):
    board_env = install(tmp_path / "board", "board")
    remove_uniqueness(database(board_env))
    site_env, board, faults = hostile_sync(tmp_path, board_env, seed=7)
    assert faults.get("cut", 0) > 0, faults
    ours = site_record_ids(site_env)
    with pytest.raises(AssertionError):
        assert board["records"] == ours
    assert len(board["records"]) > len(ours)  # the cut answers were stored twice
    assert board["responses"] > RESPONSES
