"""Erasure at a site: what goes, what is kept, and `gateway erase` for staff."""

from __future__ import annotations

import logging

import pytest

from flows.formats import iso
from gateway import store
from gateway.db import write_txn
from gateway.erasure import carry_out_erasures
from gateway.privacy import pseudonym
from tests.sms.helpers import PHONE, rows

OTHER = "+447700900456"
HARM = "I want to end my life"


@pytest.fixture
def instance(sms_app) -> str:
    return sms_app.config["INSTANCE_PATH"]


def answer_in_full(send, phone: str = PHONE, why: str = HARM) -> None:
    for body in ("Hello", "2", why, "no"):
        send(body, phone=phone)


def table_counts(db) -> dict[str, int]:
    tables = ("responses", "answers", "alerts", "sessions", "participant_numbers")
    return {
        table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
        for table in tables
    }


def test_a_confirmed_delete_is_carried_out_by_the_worker(
    sms_send, sms_db, sms_runtime, instance, now, caplog
):
    answer_in_full(sms_send)
    answer_in_full(sms_send, OTHER, "Lovely")
    sms_send("Hello")  # a new conversation, still open
    with write_txn(sms_db):  # and a reminder waiting to go
        waiting = store.outbox.enqueue(
            sms_db,
            participant_id=store.participants.id_for_number(sms_db, PHONE),
            kind="message",
            now=iso(now),
            body="A reminder",
        )
    sms_send("DELETE")
    assert table_counts(sms_db)["responses"] == 3  # nothing goes before the YES
    sms_send("YES")
    with write_txn(sms_db):  # a duty contact has dealt with the alert
        sms_db.execute("UPDATE alerts SET dealt_with_at = ?", [iso(now)])

    with caplog.at_level(logging.DEBUG):
        assert carry_out_erasures(sms_db, instance, now) == 1

    assert table_counts(sms_db) == {  # the other person's, and nothing else
        "responses": 1,
        "answers": 3,
        "alerts": 0,
        "sessions": 0,
        "participant_numbers": 1,
    }
    kept = pseudonym(sms_runtime.pseudonym_key, PHONE)
    [person] = rows(sms_db, "SELECT * FROM participants WHERE id = ?", [kept])
    assert person["opted_out_at"] and person["erased_at"]
    [reminder] = rows(sms_db, "SELECT status, body FROM outbox WHERE id = ?", [waiting])
    assert reminder == {"status": "cancelled", "body": None}
    words = rows(sms_db, "SELECT body FROM inbound_messages WHERE body != ''")
    assert HARM not in str(words) and len(words) == 4  # the other person's
    never_sent = rows(sms_db, "SELECT * FROM sync_queue WHERE kind = 'alert'")
    assert never_sent[0]["set_aside_reason"] == "erased at the person's request"
    assert rows(sms_db, "SELECT 1 FROM sync_queue WHERE kind = 'erasure'") == []
    [request] = rows(sms_db, "SELECT status, done_at FROM erasure_requests")
    assert request == {"status": "done", "done_at": iso(now)}
    assert PHONE not in caplog.text and "7700900123" not in caplog.text
    assert carry_out_erasures(sms_db, instance, now) == 0  # done once


def test_staff_erase_a_number_with_a_reason(runner, sms_send, sms_db, sms_runtime):
    answer_in_full(sms_send)

    result = runner.invoke(
        ["erase", "--phone", "07700 900123", "--reason", "Asked by letter, 1 December"]
    )

    assert result.exit_code == 0, result.output
    assert "Erased 1 response and the number at this site." in result.output
    assert "7700" not in result.output
    assert table_counts(sms_db)["responses"] == 0
    [request] = rows(sms_db, "SELECT channel, status, reason FROM erasure_requests")
    assert request == {
        "channel": "staff",
        "status": "done",
        "reason": "Asked by letter, 1 December",
    }
    again = runner.invoke(["erase", "--phone", PHONE, "--reason", "Asked again today"])
    assert "Erased 0 responses" in again.output  # the pseudonym is all there is


def test_erase_refuses_a_short_reason_and_a_duty_contact(runner, sms_db):
    short = runner.invoke(["erase", "--phone", PHONE, "--reason", "asked"])
    assert short.exit_code != 0 and "10 to 500 letters" in short.output
    unknown = runner.invoke(["erase", "--phone", OTHER, "--reason", "Asked by phone"])
    assert "holds nothing for that number" in unknown.output
    runner.invoke(["duty", "add", "Duty manager", PHONE])
    duty = runner.invoke(["erase", "--phone", PHONE, "--reason", "Asked by phone"])
    assert duty.exit_code != 0 and "duty contact" in duty.output
    assert len(rows(sms_db, "SELECT 1 FROM participant_numbers")) == 1


def test_a_duty_contact_who_texts_delete_is_told_how_instead(runner, sms_send, sms_db):
    from tests.sms.helpers import said

    runner.invoke(["duty", "add", "Duty manager", PHONE])
    [reply] = said(sms_send("DELETE"))
    assert "cannot be deleted" in reply
    assert rows(sms_db, "SELECT 1 FROM erasure_requests") == []


def test_an_erasure_waits_while_the_person_has_an_alert_no_one_dealt_with(
    sms_send, sms_db, instance, now
):
    answer_in_full(sms_send)  # an alert: a duty contact may need the number
    sms_send("DELETE")
    sms_send("YES")

    assert carry_out_erasures(sms_db, instance, now) == 0
    assert table_counts(sms_db)["participant_numbers"] == 1
    with write_txn(sms_db):
        sms_db.execute("UPDATE alerts SET dealt_with_at = ?", [iso(now)])
    assert carry_out_erasures(sms_db, instance, now) == 1
    assert table_counts(sms_db)["participant_numbers"] == 0


def test_a_yes_with_nothing_asked_is_not_taken_for_an_erasure(sms_send, sms_db):
    from tests.sms.helpers import said

    sms_send("Hello")
    sms_send("STOP")
    sms_send("DELETE")  # opted out: not asked, carried out as meant
    reply = " ".join(said(sms_send("YES")))
    assert "deleting" not in reply
