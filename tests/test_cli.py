"""The `gateway` command as a person at a site uses it: init, flows check,
simulate, export, backup and worker, run in-process against a fresh install.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import signal
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from flows.loader import BUNDLED_FLOWS
from gateway import store
from gateway.conversations import answer, start_conversation
from gateway.db import connect, write_txn
from gateway.privacy import pseudonym

FFT_ANSWERS = "1\nlovely staff\nyes\n"
FORMULA = '=HYPERLINK("http://evil.example","click me")'
BROKEN_FLOW = """\
id: broken
version: 1
title: Broken
steps:
  - id: first
    kind: scael
    text: How was it?
  - id: second
    kind: text
    text: Why?
"""


def simulate(runner, flow_id: str, text: str) -> str:
    result = runner.invoke(["simulate", flow_id], input=text)
    assert result.exit_code == 0, result.output
    return result.stdout


def export_jsonl(runner, *args: str) -> list[dict]:
    result = runner.invoke(["export", "--format", "jsonl", *args])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def export_csv(runner, *args: str) -> tuple[list[str], list[dict]]:
    result = runner.invoke(["export", "--format", "csv", *args])
    assert result.exit_code == 0, result.output
    reader = csv.DictReader(io.StringIO(result.stdout))
    return reader.fieldnames or [], list(reader)


def database_path(config: dict) -> Path:
    return Path(config["INSTANCE_PATH"]) / "gateway.sqlite3"


@pytest.fixture
def keep_sigterm():
    """`gateway worker` installs a SIGTERM handler; give pytest its own back."""
    previous = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, previous)


def test_help_lists_every_command(runner):
    result = runner.invoke(["--help"])
    assert result.exit_code == 0
    for command in ("init", "serve", "worker", "flows", "simulate", "export", "backup"):
        assert re.search(rf"^\s+{command}\s", result.output, re.MULTILINE), command


def test_init_twice_changes_nothing(runner, initialised, db):
    instance = Path(initialised["INSTANCE_PATH"])
    keys = [instance / "secret_key", instance / "keys" / "pseudonym.key"]
    before = {key: key.read_bytes() for key in keys}
    site_id = store.core.get_meta(db, "site_id")

    result = runner.invoke(["init"])

    assert result.exit_code == 0, result.output
    assert "nothing to do" in result.output
    assert site_id and site_id in result.output
    assert store.core.get_meta(db, "site_id") == site_id
    for key in keys:
        assert key.read_bytes() == before[key]
        assert key.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("secret_key", [None, "set-by-environment"])
@pytest.mark.parametrize(
    "args",
    [
        ["serve", "--port", "1"],
        ["worker", "--once"],
        ["simulate", "friends-and-family"],
        ["export"],
        ["backup", "BACKUP"],
    ],
)
def test_commands_before_init_say_run_init(
    runner, test_config, tmp_path, args, secret_key
):
    if secret_key:
        test_config["SECRET_KEY"] = secret_key
    args = [str(tmp_path / "backup") if arg == "BACKUP" else arg for arg in args]
    result = runner.invoke(args, input="1\n")
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert "gateway init" in result.output
    assert not database_path(test_config).exists()
    assert not (tmp_path / "backup").exists()


def test_flows_check_passes_bundled_flows(runner):
    result = runner.invoke(["flows", "check"])
    assert result.exit_code == 0, result.output
    ok_lines = [line for line in result.stdout.splitlines() if line.startswith("ok:")]
    assert len(ok_lines) == len(list(BUNDLED_FLOWS.glob("*.yaml")))
    assert any("friends-and-family" in line for line in ok_lines)


@pytest.mark.parametrize(
    ("find", "replace", "line", "step", "message"),
    [
        ("kind: scael", "kind: scael", 5, "first", "unknown step kind 'scael'"),
        ("kind: scael", "kind: scale\n    scale: nope", 5, "first", "nope"),
        ("    text: Why?\n", "    nxt: first\n", 8, "second", "missing 'text'"),
    ],
)
def test_flows_check_names_file_line_and_step(
    runner, tmp_path, find, replace, line, step, message
):
    bad = tmp_path / "bad.yaml"
    bad.write_text(BROKEN_FLOW.replace(find, replace), encoding="utf-8")
    result = runner.invoke(["flows", "check", str(bad)])
    assert result.exit_code != 0
    errors = [e for e in result.stderr.splitlines() if e.startswith("error:")]
    assert any(
        f"{bad}:{line}:" in e and f"step '{step}'" in e and message in e for e in errors
    ), result.stderr


@pytest.mark.parametrize("as_folder", [False, True])
@pytest.mark.parametrize("with_bad", [False, True])
def test_flows_check_good_and_bad_files(runner, tmp_path, as_folder, with_bad):
    good = Path(shutil.copy(BUNDLED_FLOWS / "care-home-life.yaml", tmp_path))
    bad = tmp_path / "bad.yaml"
    if with_bad:
        bad.write_text(BROKEN_FLOW, encoding="utf-8")
    args = [tmp_path] if as_folder else [good, bad] if with_bad else [good]
    result = runner.invoke(["flows", "check", *map(str, args)])
    assert f"ok: {good}" in result.stdout
    assert (result.exit_code != 0) is with_bad
    assert (f"error: {bad}:5:" in result.stderr) is with_bad
    assert ("1 of 2 flow file(s) have errors" in result.output) is with_bad


def test_simulated_conversation_is_exported_as_test_data(runner, initialised):
    shown = simulate(runner, "friends-and-family", FFT_ANSWERS)
    assert "Please tell us why" in shown and "Thank you" in shown

    [record] = export_jsonl(runner, "--include-test")
    assert record["flow"] == "friends-and-family"
    assert record["channel"] == "simulator" and record["is_test"] is True
    assert record["status"] == "complete" and record["completed_at"]
    answers = record["answers"]
    assert answers["overall"]["value"] == "very_good"
    assert answers["why"]["value"] == "lovely staff"
    assert answers["contact"]["value"] == "yes"
    assert export_jsonl(runner) == []


def test_csv_export_columns(runner, initialised):
    simulate(runner, "friends-and-family", FFT_ANSWERS)
    header, rows = export_csv(runner, "--include-test")
    for column in (
        "id",
        "flow",
        "flow_version",
        "channel",
        "language",
        "site",
        "started_at",
        "completed_at",
        "overall",
        "overall.state",
    ):
        assert column in header
    assert header.index("overall.state") == header.index("overall") + 1
    assert rows[0]["overall"] == "very_good"
    assert rows[0]["overall.state"] == "answered"
    assert rows[0]["is_test"] == "true"


def test_invalid_answer_twice_reprompts_then_moves_on(runner, initialised):
    shown = simulate(runner, "friends-and-family", "purple\nbanana\nok staff\nno\n")
    assert "Sorry, I did not understand" in shown
    assert "We will go on to the next question" in shown
    [record] = export_jsonl(runner, "--include-test")
    overall = record["answers"]["overall"]
    assert overall["state"] == "no_answer"
    assert overall["value"] is None and overall["raw"] == "banana"
    assert record["answers"]["why"]["value"] == "ok staff"


def test_simulate_ended_by_eof_is_partial(runner, initialised):
    result = runner.invoke(["simulate", "friends-and-family"], input="2\n")
    assert result.exit_code == 0, result.output
    assert "partial" in result.stderr
    [record] = export_jsonl(runner, "--include-test")
    assert record["status"] == "partial" and record["completed_at"] is None
    assert record["answers"]["overall"]["value"] == "good"
    assert record["answers"]["why"]["state"] == "not_reached"
    assert record["answers"]["contact"]["state"] == "not_reached"


def test_simulate_unknown_flow_lists_flows(runner, initialised):
    result = runner.invoke(["simulate", "no-such-flow"], input="1\n")
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert "no-such-flow" in result.output
    assert "friends-and-family" in result.output and "care-home-life" in result.output


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_since_a_future_date_gives_nothing(runner, initialised, fmt):
    simulate(runner, "friends-and-family", FFT_ANSWERS)
    result = runner.invoke(
        ["export", "--format", fmt, "--include-test", "--since", "2999-01-01"]
    )
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == (1 if fmt == "csv" else 0)
    assert "Exported 0 response(s)" in result.stderr


def test_export_flow_filter(runner, initialised):
    simulate(runner, "friends-and-family", FFT_ANSWERS)
    simulate(runner, "care-home-life", "good\nmusic\nyes\n")
    records = export_jsonl(runner, "--include-test", "--flow", "care-home-life")
    assert [r["flow"] for r in records] == ["care-home-life"]
    assert records[0]["answers"]["activities"]["value"] == "music"
    assert len(export_jsonl(runner, "--include-test")) == 2


def test_csv_defuses_formula_cells(runner, initialised):
    simulate(runner, "friends-and-family", f"1\n{FORMULA}\nyes\n")
    _, [row] = export_csv(runner, "--include-test")
    assert row["why"] == "'" + FORMULA
    [record] = export_jsonl(runner, "--include-test")
    assert record["answers"]["why"]["value"] == FORMULA


def test_export_never_contains_a_phone_number(runner, runtime, db, now):
    phone = "+447700900123"
    pid = pseudonym(runtime.pseudonym_key, phone)
    with write_txn(db):
        store.core.ensure_participant(db, pid, now.isoformat(), phone=phone)
    turn = start_conversation(db, runtime, channel="sms", now=now, participant_id=pid)
    for seconds, text in enumerate(["2", "kind nurses", "yes"], 1):
        later = now + timedelta(seconds=seconds)
        turn = answer(db, runtime, turn.response_id, text, later)
    assert turn.outcome.done

    for fmt in ("csv", "jsonl"):
        result = runner.invoke(["export", "--format", fmt, "--include-test"])
        assert result.exit_code == 0, result.output
        assert turn.response_id in result.stdout
        assert "7700900123" not in result.output


def test_backup_copies_database_and_keys(runner, initialised, tmp_path):
    simulate(runner, "friends-and-family", FFT_ANSWERS)
    instance = Path(initialised["INSTANCE_PATH"])
    target = tmp_path / "backup"
    result = runner.invoke(["backup", str(target)])
    assert result.exit_code == 0, result.output

    with (
        closing(sqlite3.connect(target / "gateway.sqlite3")) as copy,
        closing(sqlite3.connect(database_path(initialised))) as live,
    ):
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        query = "SELECT id, status FROM responses ORDER BY id"
        assert copy.execute(query).fetchall() == live.execute(query).fetchall() != []
    for key in ("secret_key", "keys/pseudonym.key"):
        assert (target / key).read_bytes() == (instance / key).read_bytes()


def test_backup_into_a_non_empty_folder_fails(runner, initialised, tmp_path):
    target = tmp_path / "backup"
    target.mkdir()
    (target / "notes.txt").write_text("keep me", encoding="utf-8")
    result = runner.invoke(["backup", str(target)])
    assert result.exit_code != 0
    assert "not empty" in result.output
    assert [p.name for p in target.iterdir()] == ["notes.txt"]


def test_backup_while_a_write_transaction_is_open(runner, initialised, tmp_path):
    simulate(runner, "friends-and-family", FFT_ANSWERS)
    target = tmp_path / "backup"
    writer = connect(database_path(initialised))
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO meta (key, value) VALUES ('uncommitted', 'x')")
        result = runner.invoke(["backup", str(target)])
    finally:
        writer.conn.rollback()
        writer.close()
    assert result.exit_code == 0, f"{result.output} {result.exception!r}"
    with closing(sqlite3.connect(target / "gateway.sqlite3")) as copy:
        assert copy.execute("SELECT count(*) FROM responses").fetchone() == (1,)
        uncommitted = "SELECT count(*) FROM meta WHERE key = 'uncommitted'"
        assert copy.execute(uncommitted).fetchone() == (0,)


@pytest.mark.parametrize("channel", ["sms", "simulator"])
@pytest.mark.parametrize(
    ("hours", "idle", "fresh"),
    [
        (None, timedelta(hours=25), timedelta(hours=23)),
        (1, timedelta(hours=2), timedelta(minutes=10)),
    ],
)
def test_worker_once_closes_quiet_conversations(
    runner, test_config, runtime, db, keep_sigterm, channel, hours, idle, fresh
):
    if hours:
        test_config["SMS_SESSION_HOURS"] = hours
    clock = datetime.now(UTC)
    quiet = start_conversation(db, runtime, channel=channel, now=clock - idle)
    recent = start_conversation(db, runtime, channel=channel, now=clock - fresh)

    result = runner.invoke(["worker", "--once"])

    assert result.exit_code == 0, result.output
    rows = {row["id"]: row for row in db.query("SELECT * FROM responses")}
    assert rows[quiet.response_id]["status"] == "partial"
    assert rows[quiet.response_id]["close_reason"] == "expired"
    assert rows[recent.response_id]["status"] == "open"
    assert store.conversations.load_session(db, recent.response_id) is not None
    assert store.conversations.load_session(db, quiet.response_id) is None


def test_simulate_runs_sms_keywords_and_says_what_we_keep(runner, initialised):
    shown = simulate(runner, "friends-and-family", "HELP\n1\nKind staff\nyes\n")
    assert shown.startswith("We keep your answers, not your name.")
    assert "Text RESTART to start again" in shown  # HELP answered, not a wrong answer
    assert "Sorry, I did not understand" not in shown
    assert "Thank you. We read every answer." in shown


def test_simulate_stop_ends_the_run_as_a_partial_response(runner, initialised):
    result = runner.invoke(["simulate", "friends-and-family"], input="1\nSTOP\n")
    assert result.exit_code == 0, result.output
    [record] = [
        json.loads(line)
        for line in runner.invoke(
            ["export", "--format", "jsonl", "--include-test"]
        ).output.splitlines()
        if line.startswith("{")
    ]
    assert (record["status"], record["close_reason"]) == ("partial", "opted_out")
    assert record["channel"] == "simulator" and record["is_test"] is True


def test_a_long_scripted_simulation_is_never_throttled_as_a_flood(runner, initialised):
    answers = "\n".join(["purple"] * 12 + ["1", "Kind", "yes"]) + "\n"
    shown = simulate(runner, "care-home-life", "bad\n" + answers)
    assert "sent a lot of messages" not in shown


def test_simulate_starts_afresh_even_when_its_number_was_opted_out(
    runner, initialised, monkeypatch
):
    monkeypatch.setattr("secrets.randbelow", lambda _n: 7)  # always the same number
    runner.invoke(["simulate", "friends-and-family"], input="STOP\n")
    shown = simulate(runner, "friends-and-family", "1\nKind\nno\n")
    assert shown.startswith("We keep your answers, not your name.")
    assert "Thank you. We read every answer." in shown
