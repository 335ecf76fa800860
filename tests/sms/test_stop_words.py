"""People who want to stop, however they write it: "Stop 🙏", "Please stop",
"STOP STOP". Twilio only acts on a bare keyword, so the gateway opts them out
and confirms in one line; a stop word inside an answer is an answer; a short
message about our texts is asked about once.
"""

from __future__ import annotations

import pytest

from flows.easyread import sms_segments
from gateway.sms.keywords import OptOutReading, read_opt_out
from tests.sms.helpers import answered, opted_out, responses, rows, said

CONFIRMED = "You will not get any more texts from us. Text START to get them again."
ASKED = "Do you want us to stop texting you? Reply STOP if you do."


def last_handling(db) -> str:
    sql = "SELECT handling FROM inbound_messages ORDER BY rowid DESC LIMIT 1"
    return rows(db, sql)[0]["handling"]


@pytest.mark.parametrize(
    "text",
    ["Stop 🙏", "STOP 🛑", "stop😡", "Please stop", "STOP STOP", "stop now please!!"],
)
def test_a_dressed_up_stop_opts_out_and_is_confirmed(text, sms_send, sms_db):
    sms_send("Hi")
    sms_send("1")
    assert said(sms_send(text)) == [CONFIRMED]
    assert opted_out(sms_db) == ["2026-11-23T10:00:00Z"]
    [closed] = responses(sms_db)
    assert (closed["status"], closed["close_reason"]) == ("partial", "opted_out")
    assert last_handling(sms_db) == "opt_out"
    assert said(sms_send("2")) == []  # nothing more is sent


def test_the_confirmation_fits_one_segment():
    assert sms_segments(CONFIRMED).count == 1
    assert sms_segments(ASKED).count == 1


def test_a_bare_keyword_is_left_to_twilio_to_confirm(sms_send, sms_db):
    sms_send("Hi")
    assert said(sms_send("STOP")) == []
    assert opted_out(sms_db) == ["2026-11-23T10:00:00Z"]


@pytest.mark.parametrize(
    "text",
    [
        "the staff never stop smiling",
        "Staff were kind. The wait did not end quickly",
        "I had to cancel my first visit",
    ],
)
def test_a_stop_word_inside_an_answer_is_an_answer(text, sms_send, sms_db):
    sms_send("Hi")
    sms_send("1")  # now at "Please tell us why."
    reply = said(sms_send(text))
    assert CONFIRMED not in reply and ASKED not in reply
    assert opted_out(sms_db) == [None]
    [response] = responses(sms_db)
    assert answered(sms_db, response["id"])["why"]["raw"] == text


def test_an_unclear_stop_is_asked_once_and_yes_opts_out(sms_send, sms_db):
    sms_send("Hi")
    sms_send("1")
    assert said(sms_send("stop texting me")) == [ASKED]
    assert opted_out(sms_db) == [None]
    [response] = responses(sms_db)
    assert answered(sms_db, response["id"]).keys() == {"overall"}  # not an answer
    assert said(sms_send("Yes")) == [CONFIRMED]
    assert opted_out(sms_db) == ["2026-11-23T10:00:00Z"]


def test_asking_again_after_the_question_opts_out(sms_send, sms_db):
    sms_send("Hi")
    assert said(sms_send("stop sending these")) == [ASKED]
    assert said(sms_send("stop sending these")) == [CONFIRMED]
    assert opted_out(sms_db) == ["2026-11-23T10:00:00Z"]


def test_no_to_the_question_carries_on_with_the_same_question(sms_send, sms_db):
    sms_send("Hi")
    sms_send("1")
    assert said(sms_send("stop texting me")) == [ASKED]
    [reply] = said(sms_send("No thanks"))
    assert reply.startswith("Thank you. We will carry on.")
    assert "Please tell us why." in reply
    assert opted_out(sms_db) == [None]
    said(sms_send("Kind staff"))
    [response] = responses(sms_db)
    assert answered(sms_db, response["id"])["why"]["value"] == "Kind staff"


def test_anything_else_after_the_question_is_taken_as_usual(sms_send, sms_db):
    sms_send("Hi")
    sms_send("1")
    said(sms_send("stop texting me"))
    said(sms_send("Kind staff"))
    [response] = responses(sms_db)
    assert answered(sms_db, response["id"])["why"]["value"] == "Kind staff"
    assert opted_out(sms_db) == [None]


def test_a_yes_without_our_question_is_an_ordinary_answer(sms_send, sms_db):
    sms_send("Hi")
    sms_send("1")
    sms_send("Kind staff")
    said(sms_send("Yes"))  # to "Can we text you...?"
    assert opted_out(sms_db) == [None]


@pytest.mark.parametrize(
    "text, reading",
    [
        ("Stop 🙏", OptOutReading.CLEAR),
        ("please, STOP.", OptOutReading.CLEAR),
        ("stop stop stop", OptOutReading.CLEAR),
        ("Unsubscribe me please", OptOutReading.UNCLEAR),
        ("I want you to stop texting", OptOutReading.UNCLEAR),
        ("I want to stop", None),  # stop what? not our texts by name
        ("I want to end it all", None),  # a disclosure, never a stop
        ("end it", None),
        ("the staff never stop smiling", None),
        ("stop, he hurts me", None),  # a disclosure is never swallowed by a stop
        ("Good", None),
        ("", None),
    ],
)
def test_reading_a_message_for_a_stop(text, reading):
    assert read_opt_out(text) is reading


def every_safeguarding_phrase() -> list[str]:
    from flows.safeguarding import load_rules

    return sorted({phrase for _, _, phrase in load_rules().every_phrase()})


@pytest.mark.parametrize("dressed", ["{}", "I want to {}", "stop {} now"])
def test_words_that_may_tell_of_harm_are_always_signposted_and_alerted(
    dressed, sms_post, sms_clock, sms_db
):
    """Every bundled phrase, whatever stop words stand beside it, is answered
    with help at once and raises an alert; never read as a question about texts.
    Each phrase comes from a phone of its own, in the middle of a conversation."""
    from tests.sms.helpers import INBOUND, form

    phrases = every_safeguarding_phrase()
    for n, phrase in enumerate(phrases):
        phone = f"+4477009{n:05d}"
        for text in ("Hi", "1", dressed.format(phrase)):
            reply = said(sms_post(INBOUND, form(text, phone)))
        assert reply[0].startswith("You can talk to someone now."), (phrase, reply)
        assert ASKED not in reply[0] and CONFIRMED not in reply[0]
    alerts = rows(sms_db, "SELECT count(*) AS n FROM alerts")[0]["n"]
    assert alerts == len(phrases)
    assert opted_out(sms_db) == [None] * len(phrases)


@pytest.mark.parametrize("text", ["end it all", "I want to end it all", "end it"])
def test_a_disclosure_with_end_in_it_is_no_stop(text, sms_send, sms_db):
    sms_send("Hi")
    sms_send("1")
    reply = said(sms_send(text))
    assert CONFIRMED not in reply[0] and ASKED not in reply[0]
    assert opted_out(sms_db) == [None]


def test_a_plain_stop_that_a_site_lists_as_harm_opts_out_and_still_alerts(
    sms_send, sms_db, sms_runtime
):
    """A site's own list may hold words a plain stop is made of: the person is
    opted out as asked, and still signposted and alerted."""
    from flows.safeguarding import parse_rules

    sms_runtime.rules = parse_rules({"distress": ["stop now"]})
    sms_send("Hi")
    sms_send("1")
    [reply] = said(sms_send("Stop now 🙏"))
    assert reply.startswith("You can talk to someone now.")
    assert reply.endswith(CONFIRMED)
    assert opted_out(sms_db) == ["2026-11-23T10:00:00Z"]
    [alert] = rows(sms_db, "SELECT * FROM alerts")
    [response] = responses(sms_db)
    assert alert["response_id"] == response["id"]
    assert response["close_reason"] == "opted_out"


def test_a_yes_long_after_the_question_is_an_ordinary_answer(
    sms_send, sms_db, sms_clock
):
    from datetime import timedelta

    sms_send("Hi")
    sms_send("1")
    sms_send("Kind staff")  # now at "Can we text you...?" (yes or no)
    assert said(sms_send("stop texting me")) == [ASKED]
    sms_clock[0] += timedelta(hours=2)
    said(sms_send("Yes"))
    assert opted_out(sms_db) == [None]
    [response] = responses(sms_db)
    assert answered(sms_db, response["id"])["contact"]["value"] == "yes"


def test_a_clear_stop_is_confirmed_even_when_handling_it_fails(
    sms_send, sms_db, monkeypatch
):
    import gateway.sms.inbound

    def boom(*_args, **_kwargs):
        raise RuntimeError("broken on purpose")

    sms_send("Hi")
    monkeypatch.setattr(gateway.sms.inbound, "_decide", boom)
    assert said(sms_send("Please stop 🙏")) == [CONFIRMED]
    assert opted_out(sms_db) == ["2026-11-23T10:00:00Z"]
