"""Helpers for sync tests: a board and a site, each a real install of its own.

The board runs as `gateway serve` with GATEWAY_ROLE=board; the site is an
install whose CLI (`gateway sync ...`) runs as a real process too. Site data
is made in-process through the same conversation functions the channels use.
"""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gateway import create_app
from gateway.conversations import answer, start_conversation
from gateway.db import connect, write_txn
from tests.conftest import GATEWAY


def install(folder: Path, role: str, **settings: str) -> dict:
    """`gateway init` for a new install; returns the environment to run it with."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env.update(
        GATEWAY_INSTANCE_PATH=str(folder),
        GATEWAY_ROLE=role,
        GATEWAY_SITE=folder.name,
        **settings,
    )
    run(env, "init")
    return env


def run(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [GATEWAY, *args], env=env, capture_output=True, text=True, check=check
    )


def database(env: dict) -> str:
    return str(Path(env["GATEWAY_INSTANCE_PATH"]) / "gateway.sqlite3")


def add_site(board_env: dict, name: str) -> str:
    """`gateway board add-site NAME`; returns the enrolment code it printed."""
    printed = run(board_env, "board", "add-site", name).stdout
    return printed.splitlines()[0].rsplit(" ", 1)[-1]


def enrol(site_env: dict, board_env: dict, board_url: str, name: str = "Rose Court"):
    code = add_site(board_env, name)
    result = run(site_env, "sync", "enroll", board_url, code, check=False)
    assert result.returncode == 0, result.stderr + result.stdout
    return result


def site_app(site_env: dict):
    return create_app(
        {"INSTANCE_PATH": site_env["GATEWAY_INSTANCE_PATH"], "ROLE": "site"}
    )


def make_responses(site_env: dict, count: int, start: datetime | None = None) -> list:
    """`count` finished kiosk responses (two answers each) at the site; their ids."""
    app = site_app(site_env)
    runtime = app.extensions["gateway"]
    db = connect(app.config["DATABASE"])
    moment = start or datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    ids = []
    try:
        with write_txn(db):
            for n in range(count):
                now = moment + timedelta(seconds=n)
                turn = start_conversation(
                    db, runtime, channel="kiosk", now=now, kiosk="Lounge"
                )
                answer(db, runtime, turn.response_id, "2", now)
                answer(db, runtime, turn.response_id, f"Answer number {n}", now)
                ids.append(turn.response_id)
    finally:
        db.close()
    return ids


def rows(path: str, sql: str, params=()) -> list[dict]:
    db = connect(path)
    try:
        return list(db.query(sql, params))
    finally:
        db.close()
