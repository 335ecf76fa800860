"""Phone numbers: E.164, keyed pseudonyms, and the one place a number lives."""

from __future__ import annotations

import pytest

from gateway import store
from gateway.conversations import answer, start_conversation
from gateway.db import write_txn
from gateway.privacy import InvalidNumber, is_pseudonym, new_key, pseudonym, to_e164

NUMBER = "+447700900123"


@pytest.mark.parametrize(
    "written",
    [
        "+447700900123",
        "+44 7700 900123",
        "07700 900123",
        "07700-900-123",
        "(07700) 900123",
        "00447700900123",
        " +44 (0)7700900123".replace("(0)", ""),
        "+44 (0)7700 900123",
        "(+44) 7700 900123",
        "447700900123",
    ],
)
def test_uk_numbers_in_any_common_form_become_e164(written):
    assert to_e164(written) == NUMBER


@pytest.mark.parametrize(
    "written",
    ["", "hello", "12345", "+0123456789", "+44 77 00", "+4477009001234567890", "80085"],
)
def test_things_that_are_not_numbers_are_refused(written):
    with pytest.raises(InvalidNumber):
        to_e164(written)


def test_a_pseudonym_is_64_lowercase_hex_digits_and_nothing_more():
    made = pseudonym(new_key(), NUMBER)
    assert is_pseudonym(made)
    for not_one in (made + "\n", made.upper(), made[:-1], " " + made, None, 7):
        assert not is_pseudonym(not_one)


def test_pseudonyms_are_stable_per_key_and_differ_between_keys():
    key, other_key = new_key(), new_key()
    assert pseudonym(key, NUMBER) == pseudonym(key, NUMBER)
    assert pseudonym(key, NUMBER) != pseudonym(key, "+447700900124")
    assert pseudonym(key, NUMBER) != pseudonym(other_key, NUMBER)
    assert len(pseudonym(key, NUMBER)) == 64 and "7700900123" not in pseudonym(
        key, NUMBER
    )


def test_the_raw_number_is_held_in_one_column_of_one_table(db, runtime, now):
    participant = pseudonym(runtime.pseudonym_key, NUMBER)
    with write_txn(db):
        store.core.ensure_participant(
            db, participant, "2026-11-23T10:00:00Z", phone=NUMBER
        )
    turn = start_conversation(
        db, runtime, channel="sms", now=now, participant_id=participant
    )
    for text in ("1", "kind staff", "yes"):
        turn = answer(db, runtime, turn.response_id, text, now)
    places = []
    for table in db.table_names():
        for row in db[table].rows:
            for column, value in row.items():
                if isinstance(value, str) and "7700900123" in value:
                    places.append((table, column))
    assert places == [("participant_numbers", "phone")]


def test_init_makes_a_private_organisation_key(runtime, app):
    from pathlib import Path

    from gateway.config import pseudonym_key_file

    key_file = pseudonym_key_file(app.instance_path)
    assert runtime.pseudonym_key is not None and len(runtime.pseudonym_key) == 32
    assert oct(Path(key_file).stat().st_mode & 0o777) == oct(0o600)


def test_the_database_and_instance_folder_are_private(app):
    from pathlib import Path

    database = Path(app.config["DATABASE"])
    assert database.stat().st_mode & 0o777 == 0o600
    assert Path(app.instance_path).stat().st_mode & 0o777 == 0o700
    wal = database.with_name(database.name + "-wal")
    if wal.exists():
        assert wal.stat().st_mode & 0o777 == 0o600
