"""An answer that got a reply is on disk: prove it by killing the real
`gateway simulate` process with SIGKILL straight after the reply.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import time
from pathlib import Path

import pytest

from gateway.db import connect
from tests.conftest import GATEWAY

MAX_READS = 200
READ_TIMEOUT = 30.0


def database(env: dict) -> Path:
    return Path(env["GATEWAY_INSTANCE_PATH"]) / "gateway.sqlite3"


def read_until(process: subprocess.Popen, marker: str) -> str:
    """What the process printed, up to and including `marker`: a bounded read."""
    seen = ""
    deadline = time.monotonic() + READ_TIMEOUT  # a safety net, never asserted on
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        for _ in range(MAX_READS):
            if not selector.select(max(0.0, deadline - time.monotonic())):
                break
            chunk = os.read(process.stdout.fileno(), 65536)
            if not chunk:
                break
            seen += chunk.decode("utf-8")
            if marker in seen:
                return seen
    raise AssertionError(f"never saw {marker!r}; got {seen!r}")


def stored_answers(env: dict) -> tuple[list[dict], list[dict]]:
    db = connect(database(env))
    try:
        responses = list(db.query("SELECT * FROM responses ORDER BY id"))
        answers = list(
            db.query("SELECT response_id, step_id, value, raw, state FROM answers")
        )
        sessions = list(db.query("SELECT response_id FROM sessions"))
    finally:
        db.close()
    for response in responses:
        response["answers"] = {
            a["step_id"]: a for a in answers if a["response_id"] == response["id"]
        }
        response["has_session"] = {"response_id": response["id"]} in sessions
    return responses, answers


@pytest.mark.parametrize(
    ("typed", "next_question", "expected"),
    [
        (["2"], "Please tell us why", {"overall": "good"}),
        (
            ["2", "the nurses listened"],
            "Can we text you",
            {"overall": "good", "why": "the nurses listened"},
        ),
    ],
)
def test_answer_that_got_a_reply_survives_sigkill(
    gateway_env, typed, next_question, expected
):
    process = subprocess.Popen(
        [GATEWAY, "simulate", "friends-and-family"],
        env=gateway_env,
        bufsize=0,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        read_until(process, "Overall, how was your experience")
        process.stdin.write("".join(line + "\n" for line in typed).encode())
        read_until(process, next_question)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        process.stdin.close()
        process.stdout.close()
    assert process.returncode == -signal.SIGKILL

    [response], _ = stored_answers(gateway_env)
    assert response["status"] == "open"
    assert response["has_session"]
    for step, value in expected.items():
        assert response["answers"][step]["value"] == value
        assert response["answers"][step]["state"] == "answered"
    assert set(response["answers"]) == set(expected)

    fresh = subprocess.run(
        [GATEWAY, "simulate", "friends-and-family"],
        env=gateway_env,
        text=True,
        input="1\nlovely\nno\n",
        capture_output=True,
        check=False,
    )
    assert fresh.returncode == 0, fresh.stderr
    assert "Thank you" in fresh.stdout
    responses, _ = stored_answers(gateway_env)
    assert [r["status"] for r in responses] == ["open", "complete"]
    assert responses[0]["has_session"]
    assert responses[1]["answers"]["overall"]["value"] == "very_good"


def test_connections_use_wal_and_full_sync(tmp_path):
    db = connect(tmp_path / "check.sqlite3")
    try:
        assert next(db.query("PRAGMA synchronous"))["synchronous"] == 2
        assert next(db.query("PRAGMA journal_mode"))["journal_mode"] == "wal"
        assert next(db.query("PRAGMA foreign_keys"))["foreign_keys"] == 1
    finally:
        db.close()
