"""Conversations through engine and store: persistence, expiry, alerts, concurrency."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from gateway import conversations, store
from gateway.conversations import ConversationClosed, answer, start_conversation
from gateway.db import connect, write_txn


def answers_by_step(db, response_id) -> dict:
    return {
        row["step_id"]: row
        for row in db.query(
            "SELECT * FROM answers WHERE response_id = ?", [response_id]
        )
    }


def response_row(db, response_id) -> dict:
    return next(db.query("SELECT * FROM responses WHERE id = ?", [response_id]))


def test_each_answer_is_on_disk_when_the_reply_is_ready(db, runtime, now):
    turn = start_conversation(db, runtime, channel="sms", now=now)
    assert "1 Very good" in turn.as_text(runtime)
    turn = answer(db, runtime, turn.response_id, "one", now)
    assert "Please tell us why" in turn.as_text(runtime)
    # A second connection sees it: committed, not just held in memory.
    other = connect(runtime.config["DATABASE"])
    try:
        stored = answers_by_step(other, turn.response_id)
    finally:
        other.close()
    assert stored["overall"]["value"] == "very_good"
    assert stored["overall"]["raw"] == "one"
    assert stored["overall"]["state"] == "answered"
    assert stored["overall"]["prompt"].startswith("Overall, how was your experience")


def test_a_finished_conversation_closes_its_response(db, runtime, now):
    turn = start_conversation(db, runtime, channel="sms", now=now)
    for text in ("2", "Quick and kind", "no"):
        turn = answer(db, runtime, turn.response_id, text, now)
    assert turn.outcome.done
    row = response_row(db, turn.response_id)
    assert (row["status"], row["close_reason"]) == ("complete", "completed")
    assert row["closed_at"] == "2026-11-23T10:00:00Z"
    assert row["site_id"] == runtime.site_id
    assert store.conversations.load_session(db, turn.response_id) is None
    with pytest.raises(ConversationClosed):
        answer(db, runtime, turn.response_id, "more", now)


def test_kiosk_skips_sms_only_consent(db, runtime, now):
    turn = start_conversation(db, runtime, channel="kiosk", now=now, kiosk="lounge")
    turn = answer(db, runtime, turn.response_id, "1", now)
    turn = answer(db, runtime, turn.response_id, "Lovely garden", now)
    assert turn.outcome.done
    assert answers_by_step(db, turn.response_id)["contact"]["state"] == "not_reached"
    assert response_row(db, turn.response_id)["kiosk"] == "lounge"


def test_a_disclosure_signposts_and_raises_an_alert(db, runtime, now):
    turn = start_conversation(db, runtime, channel="sms", now=now)
    turn = answer(db, runtime, turn.response_id, "3", now)
    turn = answer(db, runtime, turn.response_id, "A carer hits me at night", now)
    text = turn.as_text(runtime)
    assert text.startswith("You can talk to someone now.")
    assert "116 123" in text and "999" in text
    assert not turn.outcome.done  # the person can still finish
    alerts = store.responses.alerts_for(db, turn.response_id)
    assert [(a["category"], a["step_id"], a["status"]) for a in alerts] == [
        ("abuse", "why", "open")
    ]


def test_a_late_answer_after_expiry_closes_the_old_conversation(db, runtime, now):
    turn = start_conversation(db, runtime, channel="sms", now=now)
    later = now + timedelta(hours=runtime.config["SMS_SESSION_HOURS"], seconds=1)
    with pytest.raises(ConversationClosed):
        answer(db, runtime, turn.response_id, "1", later)
    row = response_row(db, turn.response_id)
    assert (row["status"], row["close_reason"]) == ("partial", "expired")
    assert answers_by_step(db, turn.response_id)["overall"]["state"] == "not_reached"


def test_starting_again_closes_the_unfinished_conversation(db, runtime, now):
    with write_txn(db):
        store.core.ensure_participant(db, "p1", "2026-11-23T10:00:00Z")
    first = start_conversation(db, runtime, channel="sms", now=now, participant_id="p1")
    answer(db, runtime, first.response_id, "1", now)
    second = start_conversation(
        db,
        runtime,
        channel="sms",
        now=now,
        participant_id="p1",
        flow_id="care-home-life",
    )
    row = response_row(db, first.response_id)
    assert (row["status"], row["close_reason"]) == ("partial", "restarted")
    assert answers_by_step(db, first.response_id)["overall"]["value"] == "very_good"
    assert (
        store.conversations.find_open_session(db, "p1", "sms").response_id
        == second.response_id
    )


def test_a_changed_flow_closes_conversations_begun_on_the_old_version(
    db, runtime, now, monkeypatch
):
    turn = start_conversation(db, runtime, channel="sms", now=now)
    flow = runtime.flows["friends-and-family"]
    from dataclasses import replace

    monkeypatch.setitem(runtime.flows, flow.id, replace(flow, version=2))
    with pytest.raises(ConversationClosed):
        answer(db, runtime, turn.response_id, "1", now)
    assert response_row(db, turn.response_id)["close_reason"] == "flow_changed"


def test_idle_conversations_close_as_partial(db, runtime, now):
    old = start_conversation(db, runtime, channel="sms", now=now - timedelta(days=2))
    fresh = start_conversation(db, runtime, channel="sms", now=now)
    # A kiosk left mid-flow (its tablet switched off) closes after its own,
    # shorter limit; one in use a few minutes ago is left alone.
    abandoned_minutes = runtime.config["KIOSK_ABANDONED_MINUTES"]
    kiosk_left = start_conversation(
        db, runtime, channel="kiosk", now=now - timedelta(minutes=abandoned_minutes + 1)
    )
    kiosk_in_use = start_conversation(
        db, runtime, channel="kiosk", now=now - timedelta(minutes=5)
    )
    assert conversations.close_idle_conversations(db, runtime, now) == 2
    assert response_row(db, old.response_id)["status"] == "partial"
    assert response_row(db, fresh.response_id)["status"] == "open"
    assert response_row(db, kiosk_left.response_id)["status"] == "partial"
    assert response_row(db, kiosk_left.response_id)["close_reason"] == "expired"
    assert response_row(db, kiosk_in_use.response_id)["status"] == "open"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "x" * 1600,
        "😀😀😀",
        "مرحبا، الطعام جيد",
        "'); DROP TABLE answers;--",
    ],
)
def test_awkward_text_is_stored_safely_as_text(db, runtime, now, text):
    turn = start_conversation(db, runtime, channel="sms", now=now)
    turn = answer(db, runtime, turn.response_id, "2", now)
    turn = answer(db, runtime, turn.response_id, text, now)
    why = answers_by_step(db, turn.response_id).get("why")
    if text.strip():
        assert why["raw"] == text
        assert why["value"] == text.strip()[:500]
    else:
        assert why is None  # re-prompted, nothing recorded yet
        assert "Please send a few words" in turn.as_text(runtime)
    assert db["answers"].count >= 1


def test_two_answers_at_once_are_taken_in_turn(db, runtime, now, monkeypatch):
    """Two threads, two connections, one file: both answers land, in order."""
    real_advance = conversations.advance_session

    def slow_advance(*args, **kwargs):
        time.sleep(0.05)  # widen the window in which a lost update could happen
        return real_advance(*args, **kwargs)

    monkeypatch.setattr(conversations, "advance_session", slow_advance)
    ids = [
        start_conversation(db, runtime, channel="sms", now=now).response_id
        for _ in range(4)
    ]
    errors: list[BaseException] = []
    barrier = threading.Barrier(2 * len(ids))

    def reply(response_id: str) -> None:
        connection = connect(runtime.config["DATABASE"])
        try:
            barrier.wait()
            answer(connection, runtime, response_id, "good", now)
        except BaseException as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=reply, args=(rid,)) for rid in ids * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for response_id in ids:
        stored = answers_by_step(db, response_id)
        assert stored["overall"]["value"] == "good"
        assert stored["why"]["value"] == "good"
        session = store.conversations.load_session(db, response_id)
        assert session.state.current_step == "contact"


# One turn path ------------------------------------------------------------------


@pytest.mark.parametrize("channel", ["sms", "kiosk", "simulator"])
def test_a_changed_flow_closes_the_conversation_on_any_channel(
    db, runtime, now, channel
):
    """The flow-version check lives once, in apply_turn, for every channel."""
    from dataclasses import replace

    from gateway.conversations import TurnInput, apply_turn

    turn = start_conversation(db, runtime, channel=channel, now=now)
    flow = runtime.flows["friends-and-family"]
    runtime.flows["friends-and-family"] = replace(flow, version=flow.version + 1)
    session = store.conversations.load_session(db, turn.response_id)
    with pytest.raises(ConversationClosed):
        apply_turn(db, runtime, session, TurnInput("choice", "good"), now)
    row = response_row(db, turn.response_id)
    assert (row["status"], row["close_reason"]) == ("partial", "flow_changed")


@pytest.mark.parametrize(
    "given, step, value",
    [
        (("choice", "good"), "overall", "good"),
        (("text", "2"), "overall", "good"),
        (("decline", None), "overall", None),
    ],
)
def test_every_kind_of_turn_goes_through_one_path(db, runtime, now, given, step, value):
    from gateway.conversations import TurnInput, apply_turn

    turn = start_conversation(db, runtime, channel="kiosk", now=now)
    session = store.conversations.load_session(db, turn.response_id)
    after = apply_turn(db, runtime, session, TurnInput(*given), now)
    assert after.outcome.state.current_step == "why"
    assert answers_by_step(db, turn.response_id)[step]["value"] == value


def test_back_and_an_unknown_kind_of_turn(db, runtime, now):
    from gateway.conversations import TurnInput, apply_turn

    turn = start_conversation(db, runtime, channel="kiosk", now=now)
    session = store.conversations.load_session(db, turn.response_id)
    moved = apply_turn(db, runtime, session, TurnInput("choice", "good"), now)
    session = store.conversations.load_session(db, turn.response_id)
    back = apply_turn(db, runtime, session, TurnInput("back"), now)
    assert (moved.outcome.state.current_step, back.outcome.state.current_step) == (
        "why",
        "overall",
    )
    with pytest.raises(ValueError, match="kind of turn"):
        apply_turn(db, runtime, session, TurnInput("shout", "hi"), now)
