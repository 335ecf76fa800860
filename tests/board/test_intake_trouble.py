"""When the board itself cannot write (a full disk, a locked file), nothing is
set aside: the push is a 503 with Retry-After, and the site keeps its records
waiting for the next try.

The board runs in this process (Flask's test client) so that its store can be
made to fail; the site enrols with it as a real board process first.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import exc

from gateway import create_app
from gateway.board.intake import board_store as intake_store
from tests.conftest import serve_gateway
from tests.sync.helpers import batch, enrol, identity, install, records_for, signed

PUSH = "/board/sync/push"


def test_a_board_that_cannot_write_answers_503_and_sets_nothing_aside(
    tmp_path, monkeypatch
):
    board_env = install(tmp_path / "board", "board")
    site_env = install(tmp_path / "site", "site")
    with serve_gateway(board_env, tmp_path / "board.log") as (url, _process):
        enrol(site_env, board_env, url)
    board = create_app(
        {"INSTANCE_PATH": board_env["GATEWAY_INSTANCE_PATH"], "ROLE": "board"}
    )

    def disk_full(*_args, **_kwargs):  # as SQLAlchemy raises what SQLite said
        full = sqlite3.OperationalError("database or disk is full")
        raise exc.OperationalError("INSERT INTO records ...", {}, full)

    monkeypatch.setattr(intake_store, "insert_record", disk_full)
    site_id, secret = identity(site_env)
    body = batch(records_for(site_env, 2))
    headers = {
        **signed(site_id, secret, PUSH, body),
        "Content-Type": "application/json",
    }
    answer = board.test_client().post(PUSH, data=body, headers=headers)

    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "60"
    assert "results" not in answer.get_json()  # no record is marked rejected
