"""`gateway invite`, `gateway outbox` and `gateway worker`: invitations from a file,
the outbox by pseudonym, and the worker as a real process sending to a fake Twilio.
"""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from flows.formats import iso
from gateway import create_app, store
from gateway.config import load_config
from gateway.conversations import answer
from gateway.db import connect, write_txn
from gateway.privacy import pseudonym
from gateway.sms.quiet_hours import quiet_until
from tests.conftest import GATEWAY, TWILIO_TOKEN

FLOW = "friends-and-family"
FIRST_QUESTION = "Overall, how was your experience of our service?"
# Line 1 is the heading; 3 repeats 2; 4 is too short; 5 is no number; 6 opted out.
NUMBERS_CSV = """name,mobile,team
Ann,07700 900001,ward 1
Bob,+447700900001,ward 2
Cat,0770,ward 3
Dan,not known,ward 4
Eve,07700 900003,ward 5
Fay,0044 7700 900004,ward 6
"""
WRITTEN = ["07700 900001", "+447700900001", "0770", "not known", "07700 900003"]
WRITTEN += ["0044 7700 900004", "+447700900003", "+447700900004", "900001", "900003"]
WRITTEN += ["900004", "900 001", "900 003", "900 004"]


def assert_no_numbers(text: str, numbers=WRITTEN) -> None:
    for number in numbers:
        assert number not in text


def outbox_rows(config: dict) -> list[dict]:
    db = connect(load_config(overrides=config)["DATABASE"])
    try:
        return list(db.query("SELECT * FROM outbox ORDER BY id"))
    finally:
        db.close()


def opt_out(config: dict, phone: str) -> str:
    app = create_app(config)
    participant_id = pseudonym(app.extensions["gateway"].pseudonym_key, phone)
    db = connect(app.config["DATABASE"])
    try:
        with write_txn(db):
            now = iso(datetime.now(UTC))
            store.core.ensure_participant(db, participant_id, now, phone=phone)
            store.sms.set_opted_out(db, participant_id, now)
    finally:
        db.close()
    return participant_id


@pytest.fixture
def numbers_file(tmp_path):
    path = tmp_path / "numbers.csv"
    path.write_text(NUMBERS_CSV, encoding="utf-8")
    return path


def test_invite_queues_each_person_once_and_reports_skips_by_line(
    runner, initialised, numbers_file
):
    opt_out(initialised, "+447700900003")
    result = runner.invoke(["invite", FLOW, "--to-file", str(numbers_file)])
    assert result.exit_code == 0, result.output
    assert f"Queued 2 invitation(s) to '{FLOW}'." in result.output
    assert "Skipped 1 duplicate: line 3." in result.output
    assert "Skipped 1 too short to be a phone number: line 4." in result.output
    assert "Skipped 1 not a phone number: line 5." in result.output
    assert "Skipped 1 opted out: line 6." in result.output
    assert_no_numbers(result.output)
    key = create_app(initialised).extensions["gateway"].pseudonym_key
    rows = outbox_rows(initialised)
    assert {r["participant_id"] for r in rows} == {
        pseudonym(key, "+447700900001"),
        pseudonym(key, "+447700900004"),
    }
    assert {(r["kind"], r["flow_id"], r["status"]) for r in rows} == {
        ("invite", FLOW, "pending")
    }


def test_invite_gives_the_reason_for_each_number_it_refuses(
    runner, initialised, tmp_path
):
    written = [
        "447700900111",  # line 2: the country code without its +, so queued
        "020 7946 0000",  # 3
        "0800 123 4567",  # 4
        "+44 7700 9001234",  # 5
        "+999 123456789",  # 6
        "0207946000",  # 7: a London number one digit short
        "020 7946 0001",  # 8
    ]
    path = tmp_path / "numbers.csv"
    path.write_text("phone\n" + "\n".join(written) + "\n", encoding="utf-8")
    result = runner.invoke(["invite", FLOW, "--to-file", str(path)])
    assert result.exit_code == 0, result.output
    assert f"Queued 1 invitation(s) to '{FLOW}'." in result.output
    for skipped in (
        "Skipped 2 landline, which cannot get texts: line 3, 8.",
        "Skipped 1 freephone number, which cannot get texts: line 4.",
        "Skipped 1 too long to be a phone number: line 5.",
        "Skipped 1 unknown country code: line 6.",
        "Skipped 1 no such number in its country: line 7.",
    ):
        assert skipped in result.output
    assert_no_numbers(result.output, [*written, "7946", "900111", "123456789"])
    key = create_app(initialised).extensions["gateway"].pseudonym_key
    assert [r["participant_id"] for r in outbox_rows(initialised)] == [
        pseudonym(key, "+447700900111")
    ]


@pytest.mark.parametrize(
    "text, queued",
    [
        ("ref,Mobile phone\nA1,07700 900021\nA2,07700 900022\n", 2),
        ("Phone number\n07700 900021\n", 1),
        ("07700 900021,first visit\n07700 900022,second visit\n", 2),  # no heading
    ],
    ids=["mobile-column", "phone-heading", "first-column"],
)
def test_invite_finds_the_number_column(runner, initialised, tmp_path, text, queued):
    path = tmp_path / "numbers.csv"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(["invite", FLOW, "--to-file", str(path)])
    assert result.exit_code == 0, result.output
    assert f"Queued {queued} invitation(s)" in result.output
    assert "Skipped" not in result.output
    assert len(outbox_rows(initialised)) == queued


def test_invite_to_an_unknown_flow_fails_and_lists_the_flows(
    runner, initialised, numbers_file
):
    result = runner.invoke(["invite", "no-such-flow", "--to-file", str(numbers_file)])
    assert result.exit_code != 0
    assert "No flow called 'no-such-flow'" in result.output
    assert "care-home-life, friends-and-family" in result.output
    assert_no_numbers(result.output)
    assert outbox_rows(initialised) == []


def test_outbox_lists_what_waits_by_pseudonym(runner, initialised, numbers_file):
    assert runner.invoke(["outbox"]).output.strip() == "The outbox is empty."
    runner.invoke(["invite", FLOW, "--to-file", str(numbers_file)])
    result = runner.invoke(["outbox"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("pending: 3\n")  # Eve has not opted out here
    for row in outbox_rows(initialised):
        listed = f"{row['participant_id'][:12]}  invite  pending  tries 0"
        assert listed in result.output
    assert result.output.count(f"(the first question of {FLOW})") == 3
    assert_no_numbers(result.output)
    sent = runner.invoke(["outbox", "--status", "sent"])
    assert "pending: 3" in sent.output and "invite" not in sent.output


def test_outbox_refuses_a_status_there_is_not_and_lists_the_real_ones(
    runner, initialised
):
    result = runner.invoke(["outbox", "--status", "bogus"])
    assert result.exit_code == 2
    assert "'bogus' is not one of" in result.output
    for status in ("pending", "sent", "delivered", "failed", "cancelled"):
        assert f"'{status}'" in result.output
    assert "The outbox is empty." not in result.output


def test_an_empty_quiet_hours_setting_turns_quiet_hours_off(tmp_path):
    """The docs and the setting's help say so; the worker process relies on it."""
    config = load_config({"GATEWAY_QUIET_HOURS": ""}, {"INSTANCE_PATH": str(tmp_path)})
    late = datetime(2026, 1, 15, 22, 30, tzinfo=UTC)
    assert quiet_until(late, config["QUIET_HOURS"], config["TIMEZONE"]) is None


def run(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [GATEWAY, *args], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def worker_env(gateway_env, fake_twilio) -> dict:
    """The environment of a worker sending to the fake Twilio, outside quiet hours.

    Quiet hours are a one-minute span twelve hours from now, not "": an empty
    GATEWAY_QUIET_HOURS currently means the default (see the test above), and
    this test must not depend on the time of day it runs at.
    """
    start = datetime.now(ZoneInfo("Europe/London")) + timedelta(hours=12)
    span = f"{start:%H:%M}-{start + timedelta(minutes=1):%H:%M}"
    return {
        **gateway_env,
        "TWILIO_ACCOUNT_SID": fake_twilio.account_sid,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "GATEWAY_TWILIO_FROM_NUMBER": "+447700900000",
        "GATEWAY_TWILIO_API_BASE": fake_twilio.base_url,
        "GATEWAY_QUIET_HOURS": span,
        "GATEWAY_OUTBOX_RATE": "50",
    }


def test_the_worker_process_sends_each_invitation_once(
    worker_env, fake_twilio, tmp_path, db, runtime
):
    path = tmp_path / "numbers.csv"
    path.write_text("phone\n07700 900011\n07700 900012\n+447700900013\n")
    queued = run(worker_env, "invite", FLOW, "--to-file", str(path))
    assert queued.returncode == 0, queued.stderr
    assert "Queued 3 invitation(s)" in queued.stdout
    first = run(worker_env, "worker", "--once")
    assert first.returncode == 0, first.stderr
    phones = ["+447700900011", "+447700900012", "+447700900013"]
    assert sorted(m["to"] for m in fake_twilio.messages) == phones
    assert len(fake_twilio.attempts) == 3
    assert all(FIRST_QUESTION in m["body"] for m in fake_twilio.messages)
    assert "outbox: 3 sent" in first.stderr
    # Someone answers, then goes quiet: the next pass closes their conversation.
    participant_id = pseudonym(runtime.pseudonym_key, phones[0])
    session = store.conversations.find_open_session(db, participant_id, "sms")
    earlier = datetime.now(UTC) - timedelta(days=2)
    answer(db, runtime, session.response_id, "2", earlier)
    answer(db, runtime, session.response_id, "Nurse Priya at 07700 900011", earlier)
    second = run(worker_env, "worker", "--once")
    assert second.returncode == 0, second.stderr
    assert "closed 1 quiet conversation(s)" in second.stderr
    assert len(fake_twilio.attempts) == 3  # nothing more was sent
    for output in (queued, first, second):
        log = output.stdout + output.stderr
        assert_no_numbers(log, [*phones, "7700 900011", "900011", "900012", "900013"])
        assert "Priya" not in log and FIRST_QUESTION not in log
    rows = outbox_rows({"INSTANCE_PATH": worker_env["GATEWAY_INSTANCE_PATH"]})
    assert [r["status"] for r in rows] == ["queued"] * 3


def test_without_twilio_the_worker_sends_nothing_and_messages_wait(
    gateway_env, fake_twilio, tmp_path
):
    env = {k: v for k, v in gateway_env.items() if not k.startswith("TWILIO_")}
    env["GATEWAY_TWILIO_API_BASE"] = fake_twilio.base_url
    path = tmp_path / "numbers.csv"
    path.write_text("07700 900031\n07700 900032\n")
    assert run(env, "invite", FLOW, "--to-file", str(path)).returncode == 0
    result = run(env, "worker", "--once")
    assert result.returncode == 0, result.stderr
    assert "No Twilio account set up" in result.stderr
    assert fake_twilio.attempts == []
    rows = outbox_rows({"INSTANCE_PATH": env["GATEWAY_INSTANCE_PATH"]})
    assert [(r["status"], r["attempts"]) for r in rows] == [("pending", 0)] * 2
