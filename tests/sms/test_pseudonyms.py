"""Slow pseudonyms: worked out once per person, away from the texts, and never
sent to the board until they are."""

from __future__ import annotations

import json

import pytest

from gateway import store
from gateway.config import pseudonym_key_file
from gateway.db import write_txn
from gateway.privacy import is_pseudonym, key_fingerprint, new_key, pseudonym, write_key
from gateway.pseudonyms import work_out_pseudonyms
from gateway.sync.records import next_batch
from tests.sms.helpers import PHONE, rows, said

OTHER = "+447700900456"
DISCLOSURE = "I want to end my life"


@pytest.fixture
def key(sms_runtime) -> bytes:
    return sms_runtime.pseudonym_key


@pytest.fixture
def instance(sms_app) -> str:
    return sms_app.config["INSTANCE_PATH"]


def person(db, phone: str = PHONE) -> str:
    return store.participants.id_for_number(db, phone)


def test_a_new_number_is_answered_at_once_under_a_first_come_id(
    sms_send, sms_db, key, monkeypatch
):
    def too_slow(*_):
        raise AssertionError("a text must not wait for a pseudonym")

    monkeypatch.setattr("gateway.privacy.pseudonym", too_slow)
    monkeypatch.setattr("gateway.pseudonyms.pseudonym", too_slow)

    assert said(sms_send("hello"))  # answered
    first = person(sms_db)
    assert first.startswith("new-") and not is_pseudonym(first)
    assert "7700900123" not in first
    sms_send("4")
    assert person(sms_db) == first  # found again by the number: one person
    assert len(rows(sms_db, "SELECT id FROM participants")) == 1


def test_the_worker_moves_a_new_person_to_their_pseudonym_with_all_they_did(
    sms_send, sms_db, key, instance
):
    sms_send("hello")
    sms_send("4")
    first = person(sms_db)

    assert work_out_pseudonyms(sms_db, instance, 60) == 1

    settled = pseudonym(key, PHONE)
    assert person(sms_db) == settled
    for table in ("responses", "sessions", "inbound_messages"):
        owners = rows(sms_db, f"SELECT DISTINCT participant_id FROM {table}")  # noqa: S608
        assert owners == [{"participant_id": settled}], table
    assert rows(sms_db, "SELECT 1 FROM participants WHERE id = ?", [first]) == []
    [number] = rows(sms_db, "SELECT keyed_with FROM participant_numbers")
    assert number["keyed_with"] == key_fingerprint(key)
    assert work_out_pseudonyms(sms_db, instance, 60) == 0  # once per person
    sms_send("Lovely staff")  # and the conversation goes on under it
    assert person(sms_db) == settled


def test_nothing_of_a_new_person_goes_to_the_board_before_their_pseudonym(
    sms_send, sms_db, instance, now
):
    sms_send(DISCLOSURE)  # an alert, queued for the board at once
    sms_send("hello", phone=OTHER)
    sms_send("STOP", phone=OTHER)  # an opt-out and the response it closed

    assert next_batch(sms_db, 100, "2026-11-23T10:00:00Z") == []

    work_out_pseudonyms(sms_db, instance, 60)
    batch = next_batch(sms_db, 100, "2026-11-23T10:00:00Z")
    kinds = sorted(record["kind"] for record in batch)
    assert kinds == ["alert", "opt_out", "response"]
    for record in batch:
        assert "new-" not in record["body"]
    opt_out = next(r for r in batch if r["kind"] == "opt_out")
    assert person(sms_db, OTHER) in opt_out["body"]


def test_a_person_who_opted_out_at_another_site_is_opted_out_here_once_worked_out(
    sms_send, sms_db, key, instance
):
    elsewhere = pseudonym(key, PHONE)
    with write_txn(sms_db):  # as a sync pull takes it: no number, never met here
        store.sync.apply_opt_change(sms_db, elsewhere, True, "2026-11-20T09:00:00Z")
    sms_send("hello")

    work_out_pseudonyms(sms_db, instance, 60)

    assert person(sms_db) == elsewhere
    assert store.sms.participant(sms_db, elsewhere)["opted_out_at"]
    assert len(rows(sms_db, "SELECT id FROM participants")) == 1


def test_re_keying_never_rewrites_a_record_already_sent(
    sms_send, sms_db, key, instance
):
    sms_send("hello")
    sms_send("STOP")
    work_out_pseudonyms(sms_db, instance, 60)
    batch = next_batch(sms_db, 100, "2026-11-23T10:00:00Z")  # sent, not acknowledged
    [sent] = [record for record in batch if record["kind"] == "opt_out"]
    with write_txn(sms_db):  # as if only the opt-out had gone
        sms_db.execute(
            "UPDATE sync_queue SET sent_at = NULL WHERE record_id != ?",
            [sent["id"]],
        )
        from gateway.sync.enrolment import replace_pseudonym_key

        replace_pseudonym_key(sms_db, pseudonym_key_file(instance), new_key())
    work_out_pseudonyms(sms_db, instance, 60)

    batch = next_batch(sms_db, 100, "2026-11-23T10:00:00Z")
    again, fresh = sorted(
        (record for record in batch if record["kind"] == "opt_out"),
        key=lambda record: record["id"] != sent["id"],
    )
    assert again == sent  # byte for byte: the board may already hold it
    assert person(sms_db) not in sent["body"]  # though the person has moved on
    assert json.loads(fresh["body"])["participant"] == person(sms_db)  # so it goes
    assert json.loads(fresh["body"])["at"] == json.loads(sent["body"])["at"]


def test_a_key_replaced_while_working_out_moves_no_one_under_the_old_key(
    sms_send, sms_db, key, instance, monkeypatch
):
    sms_send("hello")
    replacement, real, used = new_key(), pseudonym, []

    def enrolled_meanwhile(used_key, phone):
        used.append(used_key)
        made = real(used_key, phone)
        write_key(pseudonym_key_file(instance), replacement)
        return made

    monkeypatch.setattr("gateway.pseudonyms.pseudonym", enrolled_meanwhile)
    assert work_out_pseudonyms(sms_db, instance, 60) == 1

    assert used == [key, replacement]  # the first was thrown away
    assert person(sms_db) == pseudonym(replacement, PHONE)


def test_invitations_work_out_pseudonyms_before_taking_the_lock(
    runner, sms_db, key, tmp_path
):
    numbers = tmp_path / "numbers.csv"
    numbers.write_text(f"phone\n{PHONE}\n{OTHER}\n")

    result = runner.invoke(["invite", "friends-and-family", "--to-file", str(numbers)])

    assert result.exit_code == 0, result.output
    for phone in (PHONE, OTHER):
        assert person(sms_db, phone) == pseudonym(key, phone)
    keyed = rows(sms_db, "SELECT keyed_with FROM participant_numbers")
    assert keyed == [{"keyed_with": key_fingerprint(key)}] * 2


def test_a_stop_made_under_an_old_id_goes_up_again_under_the_pseudonym(
    sms_db, key, instance
):
    with write_txn(sms_db):  # as before slow pseudonyms: sent and acknowledged
        store.core.ensure_participant(
            sms_db, "a" * 64, "2026-11-01T09:00:00Z", phone=PHONE
        )
        store.sms.set_opted_out(sms_db, "a" * 64, "2026-11-02T09:00:00Z")
        sms_db.execute(
            "UPDATE sync_queue SET sent_at = queued_at, synced_at = queued_at"
        )

    work_out_pseudonyms(sms_db, instance, 60)

    waiting = next_batch(sms_db, 100, "2026-11-23T10:00:00Z")
    assert [(r["kind"], json.loads(r["body"])) for r in waiting] == [
        (
            "opt_out",
            {"participant": pseudonym(key, PHONE), "at": "2026-11-02T09:00:00Z"},
        )
    ]


def test_someone_with_an_alert_waiting_is_worked_out_before_anyone_else(
    sms_send, sms_db
):
    sms_send(DISCLOSURE)  # the first to text, with an alert for the board
    for i in range(5):
        sms_send("hello", phone=f"+44770090020{i}")
    [first] = store.participants.unkeyed(sms_db, 1)
    assert first["phone"] == PHONE


def upgraded_with_one_number_under(tmp_path, first: str, second: str, then):
    """A database as it was before slow pseudonyms, with PHONE under both ids
    `first` and `second` (made in that order) and whatever `then(db)` adds,
    then upgraded."""
    import sqlite_utils

    from gateway.store import migrations

    db = sqlite_utils.Database(tmp_path / "old.sqlite3")
    upto = migrations.MIGRATIONS.index(migrations.find_people_by_number)
    for migration in migrations.MIGRATIONS[:upto]:
        migration(db)
    db.execute(
        "INSERT INTO participants (id, created_at) VALUES (?, 't1'), (?, 't2')",
        [first, second],
    )
    db.execute(
        "INSERT INTO participant_numbers (participant_id, phone) VALUES (?, ?), (?, ?)",
        [first, PHONE, second, PHONE],
    )
    then(db)
    for migration in migrations.MIGRATIONS[upto:]:
        migration(db)
    return db


def test_the_upgrade_keeps_one_person_per_number_and_confirms_old_deletes(tmp_path):
    db = upgraded_with_one_number_under(
        tmp_path,
        "under-the-old-key",
        "under-the-new-key",
        lambda db: db.execute(
            """INSERT INTO erasure_requests (id, participant_id, requested_at, channel)
               VALUES ('e1', 'under-the-old-key', 't3', 'sms')"""
        ),
    )

    numbers = list(db.query("SELECT participant_id FROM participant_numbers"))
    assert numbers == [{"participant_id": "under-the-new-key"}]
    assert len(list(db.query("SELECT id FROM participants"))) == 2  # nothing lost
    [request] = db.query("SELECT status FROM erasure_requests")
    assert request["status"] == "confirmed"  # they were told it would be done


def test_the_upgrade_keeps_a_duty_contacts_number_over_a_newer_id(tmp_path):
    db = upgraded_with_one_number_under(
        tmp_path,
        "on-duty",
        "later",
        lambda db: db.execute(
            """INSERT INTO duty_contacts (id, name, participant_id, added_at)
               VALUES ('d1', 'Duty manager', 'on-duty', 't1')"""
        ),
    )

    numbers = list(db.query("SELECT participant_id FROM participant_numbers"))
    assert numbers == [{"participant_id": "on-duty"}]
