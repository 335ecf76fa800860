"""Slow pseudonyms: worked out once per person, away from the texts, and never
sent to the board until they are."""

from __future__ import annotations

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
    [again] = [record for record in batch if record["kind"] == "opt_out"]
    assert again == sent  # byte for byte: the board may already hold it
    assert person(sms_db) not in sent["body"]  # though the person has moved on


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
