"""Duty contacts: `gateway duty add/list/remove`, and the text each one gets,
through the outbox's priority lane, when someone may be at risk. A resident's
disclosure reaches the duty contact before 1,000 queued invitations, with
nothing of what was said and no one's number."""

from __future__ import annotations

import random
from contextlib import contextmanager

import pytest

from gateway.sms import outbox
from gateway.sms.invitations import queue_invitations
from gateway.sms.sender import TwilioSender
from tests.sms.helpers import PHONE, said

DUTY = "+447700900777"
DISCLOSURE = "I want to end my life"


def rows(db, sql: str, params=()) -> list[dict]:
    return list(db.query(sql, params))


@pytest.fixture
def on_duty(runner, sms_app):
    result = runner.invoke(["duty", "add", "Duty manager", "07700 900777"])
    assert result.exit_code == 0, result.output
    return result.output


@contextmanager
def outbox_worker(app, db, clock):
    """The outbox worker of `app`, sending through the real twilio client."""
    sender = TwilioSender(app.config)
    runtime = app.extensions["gateway"]
    try:
        yield outbox.OutboxWorker(
            db, runtime, sender, clock.now, lambda _s: None, random.Random(1)
        )
    finally:
        sender.close()


@pytest.fixture
def send_all(sms_app, sms_db, worker_clock):
    """Send everything the outbox holds."""
    with outbox_worker(sms_app, sms_db, worker_clock) as worker:
        yield worker.send_due


def test_a_disclosure_texts_the_duty_contact_before_a_thousand_invitations(
    on_duty, sms_db, sms_runtime, sms_send, send_all, fake_twilio, now
):
    # Fictional mobiles outside Ofcom's drama range, which holds only 1,000.
    numbers = [f"+447911123{n:03d}" for n in range(1000)]
    report = queue_invitations(
        sms_db, sms_runtime, "friends-and-family", enumerate(numbers, start=1), now
    )
    assert report.queued == 1000
    sms_send("Hello")
    reply = said(sms_send(DISCLOSURE))
    assert reply[0].startswith("You can talk to someone now.")

    assert send_all(limit=1) == {"sent": 1}
    [first] = fake_twilio.messages
    assert first["to"] == DUTY
    assert "Safeguarding alert at" in first["body"]
    assert "board" in first["body"]
    for never in ("end my life", "life", PHONE, PHONE[-6:]):
        assert never not in first["body"]
    [alert] = rows(sms_db, "SELECT id FROM alerts")
    [notice] = rows(sms_db, "SELECT * FROM alert_notices")
    assert notice["alert_id"] == alert["id"]


def test_quiet_hours_do_not_hold_a_duty_contacts_text(
    runner, sms_config, sms_db, fake_twilio, worker_clock, now
):
    from twilio.request_validator import RequestValidator

    from gateway import create_app
    from tests.conftest import TWILIO_TOKEN
    from tests.sms.helpers import INBOUND, form

    app = create_app({**sms_config, "QUIET_HOURS": "00:00-23:59"})  # always quiet
    app.extensions["gateway"].clock = lambda: now
    assert runner.invoke(["duty", "add", "Night nurse", DUTY]).exit_code == 0
    client, validator = app.test_client(), RequestValidator(TWILIO_TOKEN)
    for body in ("Hi", DISCLOSURE):
        data = form(body, PHONE)
        signed = validator.compute_signature(f"http://localhost{INBOUND}", data)
        answer = client.post(INBOUND, data=data, headers={"X-Twilio-Signature": signed})
        assert answer.status_code == 200
    with outbox_worker(app, sms_db, worker_clock) as worker:
        assert worker.send_due() == {"sent": 1}
    assert [m["to"] for m in fake_twilio.messages] == [DUTY]


def test_every_contact_is_texted_and_a_removed_one_is_not(
    runner, on_duty, sms_db, sms_send, send_all, fake_twilio
):
    assert runner.invoke(["duty", "add", "Deputy", "+447700900778"]).exit_code == 0
    assert runner.invoke(["duty", "add", "Gone", "+447700900779"]).exit_code == 0
    assert runner.invoke(["duty", "remove", "Gone"]).exit_code == 0
    sms_send("Hello")
    sms_send("he hits me")
    assert send_all() == {"sent": 2}
    assert {m["to"] for m in fake_twilio.messages} == {DUTY, "+447700900778"}


def test_no_text_for_test_data(runner, on_duty, sms_db):
    result = runner.invoke(
        ["simulate", "friends-and-family"], input=f"Hi\n{DISCLOSURE}\n"
    )
    assert result.exit_code == 0, result.output
    assert rows(sms_db, "SELECT count(*) AS n FROM alerts")[0]["n"] == 1
    assert rows(sms_db, "SELECT count(*) AS n FROM alert_notices")[0]["n"] == 0


def test_duty_list_shows_names_and_last_digits_never_the_number(runner, on_duty):
    listed = runner.invoke(["duty", "list"]).output
    assert "Duty manager  (number ending 777)" in listed
    assert "900777" not in listed and "07700" not in listed


def test_duty_list_with_no_one_says_no_one_is_texted(runner, sms_app):
    listed = runner.invoke(["duty", "list"]).output
    assert "There are no duty contacts. No one is texted" in listed


def test_a_contact_who_texted_stop_is_shown_as_not_texted(runner, on_duty, sms_send):
    sms_send("STOP", phone=DUTY)
    assert "NOT TEXTED" in runner.invoke(["duty", "list"]).output


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["add", "Duty manager", "07700 900778"], "already a duty contact"),
        (["add", "Someone", "12345"], "That number cannot be used"),
        (["add", "Someone", "020 8123 4567"], "cannot get texts"),  # a landline
        (["add", "<script>", "07700 900778"], "A duty contact's name is"),
        (["remove", "Nobody"], "There is no duty contact called 'Nobody'."),
    ],
)
def test_bad_duty_commands_say_what_is_wrong_and_change_nothing(
    runner, on_duty, sms_db, args, says
):
    before = rows(sms_db, "SELECT * FROM duty_contacts")
    result = runner.invoke(["duty", *args])
    assert result.exit_code == 1
    assert says in result.output
    assert rows(sms_db, "SELECT * FROM duty_contacts") == before


def texted(sms_db) -> list[str]:
    """Whom each duty text is for, by contact name, oldest first."""
    return [
        row["name"]
        for row in sms_db.query(
            """SELECT d.name FROM alert_notices n
               JOIN duty_contacts d ON d.id = n.contact_id
               ORDER BY n.notified_at, d.name"""
        )
    ]


def test_an_alert_no_one_deals_with_is_texted_again_then_escalated_then_left(
    runner, on_duty, sms_app, sms_db, sms_send, now
):
    from datetime import timedelta

    from gateway.duty import remind_duty_contacts

    assert (
        runner.invoke(
            ["duty", "add", "Area manager", "07700 900778", "--escalation"]
        ).exit_code
        == 0
    )
    sms_send("Hello")
    sms_send(DISCLOSURE)
    assert texted(sms_db) == ["Duty manager"]

    def remind(after_minutes: int) -> int:
        later = now + timedelta(minutes=after_minutes)
        return remind_duty_contacts(sms_db, sms_app.config, later)

    assert remind(29) == 0  # GATEWAY_ALERT_REMINDER_MINUTES: 30
    assert remind(31) == 1
    assert texted(sms_db) == ["Duty manager", "Duty manager"]
    assert remind(45) == 0  # 14 minutes since the reminder
    assert remind(62) == 2  # and now the escalation contact too
    assert texted(sms_db)[2:] == ["Area manager", "Duty manager"]
    assert remind(24 * 60) == 0  # three texts, then no more
    outbox = "SELECT count(*) AS n FROM outbox WHERE kind = 'duty_alert'"
    assert rows(sms_db, outbox)[0]["n"] == 4


def test_an_alert_the_board_said_was_dealt_with_gets_no_reminder(
    on_duty, sms_app, sms_db, sms_send, now
):
    from datetime import timedelta

    from gateway import store
    from gateway.db import write_txn
    from gateway.duty import remind_duty_contacts

    sms_send("Hello")
    sms_send(DISCLOSURE)
    [alert] = rows(sms_db, "SELECT id FROM alerts")
    with write_txn(sms_db):
        assert store.duty.mark_dealt_with(
            sms_db, alert["id"], "2026-12-01T10:00:00Z", "2026-12-01T10:05:00Z"
        )
    waiting = "SELECT status FROM outbox WHERE kind = 'duty_alert'"
    assert [row["status"] for row in rows(sms_db, waiting)] == ["cancelled"]
    later = now + timedelta(hours=2)
    assert remind_duty_contacts(sms_db, sms_app.config, later) == 0


def test_an_escalation_contact_is_texted_at_once_when_no_one_else_is_on_duty(
    runner, sms_db, sms_send, sms_app
):
    assert (
        runner.invoke(
            ["duty", "add", "Area manager", "07700 900778", "--escalation"]
        ).exit_code
        == 0
    )
    assert (
        "escalation: texted if an alert stays open"
        in runner.invoke(["duty", "list"]).output
    )
    sms_send("Hello")
    sms_send(DISCLOSURE)
    assert texted(sms_db) == ["Area manager"]


REASON = "They texted that they want to end their life; calling them now."


def reveal(runner, alert_id: str, by: str = "Duty manager", reason: str = REASON):
    return runner.invoke(["duty", "reveal", alert_id, "--by", by, "--reason", reason])


def test_a_duty_contact_sees_the_number_behind_an_alert_and_it_is_on_record(
    runner, on_duty, sms_db, sms_send, caplog
):
    sms_send("Hello")
    sms_send(DISCLOSURE)
    [alert] = rows(sms_db, "SELECT id, response_id FROM alerts")
    shown = runner.invoke(
        [
            "duty",
            "reveal",
            alert["response_id"],
            "--by",
            "Duty manager",
            "--reason",
            REASON,
        ]
    )
    assert shown.exit_code == 0, shown.output
    assert f"The number for this alert: {PHONE}" in shown.output
    [kept] = rows(sms_db, "SELECT * FROM number_reveals")
    assert (kept["alert_id"], kept["reason"]) == (alert["id"], REASON)
    listed = runner.invoke(["duty", "reveals"]).output
    assert f"alert {alert['id']}  by Duty manager: {REASON}" in listed
    assert PHONE not in listed and PHONE not in caplog.text


def test_reveal_refuses_without_a_duty_contact_a_reason_or_an_alert(
    runner, on_duty, sms_db, sms_send
):
    sms_send("Hello")
    sms_send(DISCLOSURE)
    [alert] = rows(sms_db, "SELECT id FROM alerts")

    def reveal(alert_id, by="Duty manager", reason=REASON):
        return runner.invoke(
            ["duty", "reveal", alert_id, "--by", by, "--reason", reason]
        )

    cases = {
        "There is no duty contact called 'Sam'": reveal(alert["id"], by="Sam"),
        "Say in 10 to 500 letters": reveal(alert["id"], reason="because"),
        "There is no alert with that id": reveal("not-an-alert"),
    }
    for says, refused in cases.items():
        assert refused.exit_code == 1 and says in refused.output, refused.output
        assert PHONE not in refused.output
    assert rows(sms_db, "SELECT * FROM number_reveals") == []
    assert "No number has been shown." in runner.invoke(["duty", "reveals"]).output


def test_a_kiosk_alert_has_no_number_to_reveal(runner, on_duty, sms_app, sms_db, now):
    from gateway.conversations import answer, start_conversation
    from gateway.db import write_txn

    runtime = sms_app.extensions["gateway"]
    with write_txn(sms_db):
        turn = start_conversation(sms_db, runtime, channel="kiosk", now=now)
        answer(sms_db, runtime, turn.response_id, "4", now)
        answer(sms_db, runtime, turn.response_id, DISCLOSURE, now)
    refused = reveal(runner, turn.response_id)
    assert refused.exit_code == 1
    assert "This alert has no number: it came from a kiosk" in refused.output


def test_a_duty_contact_survives_the_rekeying_that_enrolment_does(
    on_duty, sms_db, sms_app
):
    from gateway import store
    from gateway.config import pseudonym_key_file
    from gateway.db import write_txn
    from gateway.privacy import new_key, pseudonym
    from gateway.pseudonyms import work_out_pseudonyms
    from gateway.sync.enrolment import replace_pseudonym_key

    key, instance = new_key(), sms_app.config["INSTANCE_PATH"]
    with write_txn(sms_db):
        replace_pseudonym_key(sms_db, pseudonym_key_file(instance), key)
    assert work_out_pseudonyms(sms_db, instance, 60) == 1
    [contact] = rows(sms_db, "SELECT participant_id FROM duty_contacts")
    assert contact["participant_id"] == pseudonym(key, DUTY)
    assert store.sms.phone_for(sms_db, contact["participant_id"]) == DUTY


def test_a_contact_who_opted_out_is_passed_over_for_someone_who_can_be_texted(
    runner, on_duty, sms_db, sms_send, caplog
):
    assert (
        runner.invoke(
            ["duty", "add", "Area manager", "07700 900778", "--escalation"]
        ).exit_code
        == 0
    )
    sms_send("STOP", phone=DUTY)  # the duty manager's phone opts out
    sms_send("Hello")
    sms_send(DISCLOSURE)
    assert texted(sms_db) == ["Area manager"]  # the only one who can be


def test_an_alert_with_no_one_to_text_is_an_error_in_the_log(sms_db, sms_send, caplog):
    sms_send("Hello")
    sms_send(DISCLOSURE)
    assert "there is no duty contact to text" in caplog.text


def test_a_duty_contacts_reply_is_not_feedback_and_raises_no_alert(
    on_duty, sms_db, sms_send
):
    """It may repeat the alert's words ("checking the suicide alert"): taken
    as feedback, it would raise an alert that texts the duty contacts again."""
    reply = said(sms_send("On it, checking the suicide alert now", phone=DUTY))
    assert reply == [
        "This number sends safeguarding alerts. Replies are not read. "
        "Please look at the alerts on the board."
    ]
    assert rows(sms_db, "SELECT * FROM responses") == []
    assert rows(sms_db, "SELECT * FROM alerts") == []
    assert rows(sms_db, "SELECT * FROM sync_queue") == []
    [kept] = rows(sms_db, "SELECT handling FROM inbound_messages")
    assert kept["handling"] == "duty_reply"


def test_removing_a_contact_cancels_their_texts_still_waiting(
    runner, on_duty, sms_db, sms_send
):
    sms_send("Hello")
    sms_send(DISCLOSURE)
    assert runner.invoke(["duty", "remove", "Duty manager"]).exit_code == 0
    waiting = "SELECT status FROM outbox WHERE kind = 'duty_alert'"
    assert [row["status"] for row in rows(sms_db, waiting)] == ["cancelled"]


def test_an_alert_raised_with_no_contacts_is_texted_to_one_added_later_then_left(
    runner, sms_app, sms_db, sms_send, now, caplog
):
    from datetime import timedelta

    from gateway.duty import remind_duty_contacts

    sms_send("Hello")
    sms_send(DISCLOSURE)  # no one on duty yet: an error in the log
    assert runner.invoke(["duty", "add", "Duty manager", DUTY]).exit_code == 0

    def remind(after_minutes: int) -> int:
        later = now + timedelta(minutes=after_minutes)
        return remind_duty_contacts(sms_db, sms_app.config, later)

    assert remind(31) == 1  # the reminder reaches who is on duty now
    assert remind(62) == 1
    assert remind(24 * 60) == 0  # three rounds, then no more
    assert caplog.text.count("there is no duty contact to text") == 1
