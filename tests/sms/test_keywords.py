"""SMS keywords, a single word in any case: STOP and its synonyms, START, HELP, DELETE,
RESTART and flow triggers, none of them ever taken as an answer.
"""

from __future__ import annotations

import pytest

from tests.sms.helpers import (
    FIRST_QUESTION,
    MOVING_ON,
    REPROMPT,
    answered,
    count,
    opted_out,
    responses,
    rows,
    said,
)


@pytest.mark.parametrize(
    "word",
    [
        "stop",
        "Stop!",
        " STOPALL ",
        "unsubscribe",
        "Cancel.",
        "END",
        "quit",
        "Revoke",
        "OPTOUT",
    ],
)
def test_every_opt_out_word_ends_everything(word, sms_send, sms_db):
    sms_send("Hi")
    sms_send("1")
    response = sms_send(word)
    assert said(response) == [] and b"<Response />" in response.data
    assert opted_out(sms_db) == ["2026-11-23T10:00:00Z"]
    [closed] = responses(sms_db)
    assert (closed["status"], closed["close_reason"]) == ("partial", "opted_out")
    before = rows(sms_db, "SELECT * FROM answers")
    assert said(sms_send("2")) == []
    assert rows(sms_db, "SELECT * FROM answers") == before
    assert count(sms_db, "responses") == 1
    last = "SELECT body, handling FROM inbound_messages ORDER BY rowid DESC LIMIT 1"
    assert rows(sms_db, last) == [{"body": "2", "handling": "while_opted_out"}]


@pytest.mark.parametrize("word", ["START", "unstop", "Yes"])
def test_opting_back_in_is_welcomed(word, sms_send, sms_db):
    sms_send("Hi")
    sms_send("STOP")
    assert "Welcome back" in said(sms_send(word))[0]
    assert opted_out(sms_db) == [None]
    assert FIRST_QUESTION in said(sms_send("Hello again"))[0]


@pytest.mark.parametrize(
    "text, extra, reply, then",
    [
        ("HELP", {}, "Text STOP to end", REPROMPT),
        ("info?", {}, "Text STOP to end", REPROMPT),
        (
            "",
            {"NumMedia": "1", "MediaUrl0": "https://api.twilio.com/m.jpg"},
            "we cannot see pictures",
            REPROMPT,
        ),
        ("😀", {}, REPROMPT, MOVING_ON),  # a smiley is not a score: nudged once
    ],
    ids=["help", "info", "picture", "smiley"],
)
def test_help_pictures_and_smileys_are_not_answers(
    text, extra, reply, then, sms_send, sms_db
):
    sms_send("Hi")
    said_back = said(sms_send(text, **extra))
    assert len(said_back) == 1 and reply in said_back[0]
    [response] = responses(sms_db)
    assert answered(sms_db, response["id"]) == {}
    assert said(sms_send("banana"))[0].startswith(then)  # the nudge is not used up


def test_delete_asks_first_and_a_yes_confirms_it(sms_send, sms_db):
    sms_send("Hi")
    [asked] = said(sms_send("Delete"))
    assert asked == (
        "Do you want us to delete your answers and your phone number? "
        "Reply YES to delete them. Reply NO to keep them."
    )
    [person] = rows(sms_db, "SELECT id FROM participants")
    sql = "SELECT participant_id, channel, status FROM erasure_requests"
    assert rows(sms_db, sql) == [
        {"participant_id": person["id"], "channel": "sms", "status": "asked"}
    ]
    [done] = said(sms_send("Yes please"))
    assert "We are deleting your answers and your phone number" in done
    assert rows(sms_db, sql)[0]["status"] == "confirmed"


def test_a_no_to_delete_keeps_everything_and_the_conversation_goes_on(sms_send, sms_db):
    sms_send("Hi")
    sms_send("DELETE")
    assert said(sms_send("no")) == ["OK. We have deleted nothing."]
    sql = "SELECT status FROM erasure_requests"
    assert rows(sms_db, sql) == [{"status": "kept"}]
    assert rows(sms_db, "SELECT count(*) AS n FROM participant_numbers")[0]["n"] == 1


def test_a_yes_long_after_delete_is_not_taken_as_confirming_it(
    sms_send, sms_db, sms_clock
):
    from datetime import timedelta

    sms_send("Hi")
    sms_send("DELETE")
    sms_clock[0] += timedelta(hours=2)
    assert "deleting" not in " ".join(said(sms_send("yes")))
    assert rows(sms_db, "SELECT status FROM erasure_requests") == [{"status": "asked"}]


@pytest.mark.parametrize(
    "word, flow_id, question",
    [
        ("restart", "friends-and-family", FIRST_QUESTION),
        ("HOME", "care-home-life", "How are the meals?"),
        ("fft", "friends-and-family", FIRST_QUESTION),
    ],
)
def test_restart_and_trigger_words_start_afresh_and_are_not_answers(
    word, flow_id, question, sms_send, sms_db
):
    sms_send("Hi")
    sms_send("1")  # now at the free-text question, where any word would do
    assert question in said(sms_send(word))[0]
    old, new = responses(sms_db)
    assert (old["status"], old["close_reason"]) == ("partial", "restarted")
    assert list(answered(sms_db, old["id"])) == ["overall"]  # the word was no answer
    assert (new["flow_id"], new["status"]) == (flow_id, "open")
    assert answered(sms_db, new["id"]) == {}
