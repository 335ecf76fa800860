"""The kiosk's pages as plain form posts (no JavaScript), through the Flask app.

Each tap names the screen it was made on; these tests send taps twice, late,
for the wrong step, from a forged kiosk, with fields missing or added, and
check what is stored. The browser tests drive the same pages in Chromium.
"""

from __future__ import annotations

import pytest

from gateway.db import connect
from tests.kiosk.helpers import Kiosk, add_kiosk, answers, path_of, responses

# A whole conversation ------------------------------------------------------------


def test_a_kiosk_conversation_completes_and_exports_with_the_kiosk_name(
    lounge, app, runner
):
    lounge.start()
    first = lounge.screen()
    assert first["step"] == "overall"
    assert "Question 1 of 2" in first["page"]  # the SMS-only consent is not counted
    assert "Someone helped me" not in first["page"]
    assert path_of(lounge.tap(answer="good")) == lounge.response_url
    second = lounge.screen()
    assert second["step"] == "why"
    assert "Question 2 of 2" in second["page"]
    assert "Someone helped me answer" in second["page"]
    done = lounge.tap(answer="Kind staff 😊", helped="1")
    assert path_of(done) == lounge.response_url + "thanks"
    thanks = lounge.client.get(path_of(done)).get_data(as_text=True)
    assert "We read every answer" in thanks
    assert "What happens next" in thanks
    (row,) = responses(app)
    assert (row["channel"], row["kiosk"], row["status"]) == (
        "kiosk",
        "Lounge",
        "complete",
    )
    assert row["helped"] == 1
    assert row["participant_id"] is None  # a kiosk never knows who answered
    stored = answers(app, row["id"])
    assert stored["overall"]["value"] == "good"
    assert stored["why"]["value"] == "Kind staff 😊"
    assert stored["contact"]["state"] == "not_reached"
    exported = runner.invoke(["export", "--format", "jsonl"]).output
    assert '"kiosk": "Lounge"' in exported
    assert '"helped": true' in exported


def test_a_double_tap_or_a_resent_form_counts_once(lounge, app):
    lounge.start()
    showing = lounge.screen()
    first = lounge.tap(answer="good", screen=showing["screen"], step="overall")
    again = lounge.tap(answer="very_poor", screen=showing["screen"], step="overall")
    assert path_of(first) == path_of(again) == lounge.response_url
    assert lounge.screen()["step"] == "why"
    assert answers(app, lounge.response_id)["overall"]["value"] == "good"


def test_a_tap_for_a_step_that_is_not_showing_changes_nothing(lounge, app):
    lounge.start()
    showing = lounge.screen()
    wrong_step = lounge.tap(answer="yes", screen=showing["screen"], step="contact")
    assert path_of(wrong_step) == lounge.response_url
    future = lounge.tap(answer="good", screen="7", step="overall")
    assert path_of(future) == lounge.response_url
    assert answers(app, lounge.response_id) == {}
    assert lounge.screen()["screen"] == showing["screen"]


@pytest.mark.parametrize(
    "fields",
    [
        {"step": "overall", "answer": "good"},  # no screen
        {"screen": "first", "step": "overall", "answer": "good"},
        {"screen": "0", "answer": "good"},  # no step
        {"screen": "0", "step": "overall", "action": "skip_everything"},
    ],
)
def test_a_broken_or_forged_form_is_refused_kindly(lounge, app, fields):
    lounge.start()
    reply = lounge.client.post(lounge.response_url, data=fields)
    assert reply.status_code == 400
    assert "Sorry, that did not work" in reply.get_data(as_text=True)
    assert "Nothing has changed." in reply.get_data(as_text=True)
    assert answers(app, lounge.response_id) == {}


def test_extra_fields_are_ignored_not_stored(lounge, app):
    lounge.start()
    lounge.tap(answer="good", kiosk="Office", participant_id="x", status="complete")
    (row,) = responses(app)
    assert (row["kiosk"], row["participant_id"], row["status"]) == (
        "Lounge",
        None,
        "open",
    )
    assert answers(app, row["id"])["overall"]["value"] == "good"


def test_an_answer_that_is_not_an_option_asks_again_and_stores_nothing(lounge, app):
    lounge.start()
    before = lounge.screen()
    reply = lounge.tap(answer="brilliant")
    assert reply.status_code == 422
    assert "Please tap one of the answers." in reply.get_data(as_text=True)
    assert answers(app, lounge.response_id) == {}
    assert lounge.screen()["screen"] == before["screen"]


def test_an_empty_text_answer_asks_for_words_or_rather_not_say(lounge, app):
    lounge.start()
    lounge.tap(answer="good")
    reply = lounge.tap(answer="   ")
    assert reply.status_code == 422
    page = reply.get_data(as_text=True)
    assert "Please write a few words" in page
    assert 'aria-invalid="true"' in page
    assert "why" not in answers(app, lounge.response_id)


def test_a_very_long_text_answer_is_kept_to_the_step_length(lounge, app):
    lounge.start()
    lounge.tap(answer="good")
    lounge.tap(answer="a" * 1600)
    assert len(answers(app, lounge.response_id)["why"]["value"]) == 500


def test_back_and_rather_not_say(lounge, app):
    lounge.start()
    first = lounge.screen()
    assert 'value="back"' not in first["page"]  # nothing to go back to yet
    lounge.tap(answer="poor")
    assert 'value="back"' in lounge.screen()["page"]
    lounge.tap(action="back")
    assert lounge.screen()["step"] == "overall"
    assert "overall" not in answers(app, lounge.response_id)
    lounge.tap(action="decline")
    lounge.tap(action="decline")
    stored = answers(app, lounge.response_id)
    assert stored["overall"] == {"value": None, "raw": None, "state": "rather_not_say"}
    assert stored["why"]["state"] == "rather_not_say"
    assert responses(app)[0]["status"] == "complete"


def test_a_disclosure_of_harm_is_signposted_at_once_and_alerted(lounge, app):
    lounge.start()
    lounge.tap(answer="very_poor")
    done = lounge.tap(answer="I want to kill myself")
    assert "help=1" in done.location
    page = lounge.client.get(done.location).get_data(as_text=True)
    assert "Samaritans: call 116 123" in page
    db = connect(app.config["DATABASE"])
    try:
        alerts = list(db.query("SELECT * FROM alerts"))
    finally:
        db.close()
    assert len(alerts) == 1
    assert alerts[0]["response_id"] == lounge.response_id


# Sessions that ended ----------------------------------------------------------------


def test_a_resent_last_tap_after_the_end_finds_the_thank_you(lounge, app):
    lounge.start()
    lounge.tap(answer="good")
    last = lounge.screen()
    fields = {"screen": last["screen"], "step": "why", "answer": "Fine"}
    first = lounge.client.post(lounge.response_url, data=fields)
    again = lounge.client.post(lounge.response_url, data=fields)
    assert path_of(first) == path_of(again) == lounge.response_url + "thanks"
    assert answers(app, lounge.response_id)["why"]["value"] == "Fine"


def test_a_tap_on_a_reset_conversation_goes_to_welcome_and_stores_nothing(lounge, app):
    lounge.start()
    showing = lounge.screen()
    reset = lounge.client.post(lounge.response_url + "reset", data={"why": "idle"})
    assert path_of(reset) == f"/kiosk/{lounge.key}/"
    late = lounge.tap(answer="good", screen=showing["screen"], step="overall")
    assert path_of(late) == f"/kiosk/{lounge.key}/"
    (row,) = responses(app)
    assert (row["status"], row["close_reason"]) == ("partial", "idle_reset")
    assert answers(app, row["id"])["overall"]["state"] == "not_reached"
    # The thank-you page is only for a finished conversation.
    thanks = lounge.client.get(lounge.response_url + "thanks")
    assert path_of(thanks) == f"/kiosk/{lounge.key}/"


def test_left_past_still_there_the_answers_so_far_are_saved(lounge, app, kiosk_clock):
    lounge.start()
    lounge.tap(answer="good")
    kiosk_clock.advance(seconds=60 + 30)
    # Drawing the screen again closes nothing (a tablet may hold a tap to resend);
    # the still-there page's own refresh, when nobody answered, does.
    assert lounge.screen()["step"] == "why"
    gone = lounge.client.get(lounge.response_url + "time-up")
    assert path_of(gone) == lounge.response_url
    assert path_of(lounge.client.get(lounge.response_url)) == f"/kiosk/{lounge.key}/"
    (row,) = responses(app)
    assert (row["status"], row["close_reason"]) == ("partial", "idle_reset")
    assert answers(app, row["id"])["overall"]["value"] == "good"


def test_yes_carry_on_keeps_the_conversation(lounge, app, kiosk_clock):
    lounge.start()
    kiosk_clock.advance(seconds=70)
    still_there = lounge.client.get(lounge.response_url + "still-there")
    assert "Are you still there?" in still_there.get_data(as_text=True)
    carry_on = lounge.client.post(lounge.response_url + "still-here")
    assert path_of(carry_on) == lounge.response_url
    kiosk_clock.advance(seconds=70)  # 140 s since the start, 70 since "carry on"
    assert lounge.screen()["step"] == "overall"
    assert responses(app)[0]["status"] == "open"


def test_a_clock_set_back_does_not_lose_or_close_anything(lounge, app, kiosk_clock):
    lounge.start()
    kiosk_clock.advance(minutes=-10)  # the machine's clock was corrected
    lounge.tap(answer="good")
    assert lounge.screen()["step"] == "why"
    assert answers(app, lounge.response_id)["overall"]["value"] == "good"


def test_the_next_start_on_a_kiosk_saves_what_was_left_open(lounge, app):
    lounge.start()
    lounge.tap(answer="good")
    first = lounge.response_id
    lounge.start()
    assert lounge.response_id != first
    rows = {row["id"]: row for row in responses(app)}
    assert (rows[first]["status"], rows[first]["close_reason"]) == ("partial", "reset")
    assert rows[lounge.response_id]["status"] == "open"


def test_start_counts_once_per_welcome_screen(lounge, app):
    first = lounge.start(start_key="k" * 22)
    again = lounge.start(start_key="k" * 22)
    assert first == again
    assert len(responses(app)) == 1


def test_a_start_without_its_key_is_refused(lounge, app):
    reply = lounge.client.post(f"/kiosk/{lounge.key}/start", data={})
    assert reply.status_code == 400
    assert responses(app) == []


# Forged and foreign kiosks ------------------------------------------------------------


def test_a_forged_kiosk_key_is_refused_everywhere(lounge, app):
    lounge.start()
    forged = lounge.response_url.replace(lounge.key, "forged-key-000000000")
    client = lounge.client
    for reply in (
        client.get("/kiosk/forged-key-000000000/"),
        client.post("/kiosk/forged-key-000000000/start", data={"start": "k" * 22}),
        client.get(forged),
        client.post(forged, data={"screen": "0", "step": "overall", "answer": "good"}),
        client.post(forged + "reset"),
    ):
        assert reply.status_code == 404
        assert "This screen is not set up" in reply.get_data(as_text=True)
    assert len(responses(app)) == 1
    assert answers(app, lounge.response_id) == {}


def test_one_kiosk_cannot_see_or_answer_another_kiosks_conversation(
    lounge, runner, app
):
    lounge.start()
    hall_key = add_kiosk(runner, "Hall")
    foreign = lounge.response_url.replace(lounge.key, hall_key)
    assert lounge.client.get(foreign).status_code == 404
    tap = {"screen": "0", "step": "overall", "answer": "good"}
    assert lounge.client.post(foreign, data=tap).status_code == 404
    assert answers(app, lounge.response_id) == {}


# Found in review ------------------------------------------------------------------


def test_a_reload_long_after_a_drop_keeps_the_tap_the_tablet_holds(
    lounge, app, kiosk_clock
):
    lounge.start()
    held = lounge.screen()  # the tap is made, but the Wi-Fi is down
    kiosk_clock.advance(seconds=100)
    assert lounge.screen()["step"] == "overall"  # the tablet reloads: still open
    resent = lounge.tap(answer="good", screen=held["screen"], step="overall")
    assert path_of(resent) == lounge.response_url
    assert answers(app, lounge.response_id)["overall"]["value"] == "good"


def test_an_option_whose_words_look_like_a_number_is_stored_as_tapped(counting, runner):
    app, _kiosk = counting
    hall = Kiosk(app.test_client(), add_kiosk(runner, "Hall", "--flow", "pets"))
    hall.start()
    hall.tap(answer="one")
    assert answers(app, hall.response_id)["how_many"]["value"] == "one"


def test_the_thank_you_is_gone_for_the_next_person(lounge, kiosk_clock):
    lounge.start()
    lounge.tap(answer="good")
    done = lounge.tap(answer="I want to kill myself")
    assert "Samaritans" in lounge.client.get(done.location).get_data(as_text=True)
    kiosk_clock.advance(minutes=3)  # the next person goes back in history
    later = lounge.client.get(done.location)
    assert path_of(later) == f"/kiosk/{lounge.key}/"


def test_stop_and_save_my_answers_ends_it_for_the_next_person(lounge, app):
    lounge.start()
    lounge.tap(answer="good")
    page = lounge.screen()["page"]
    assert "Stop and save my answers" in page
    ended = lounge.client.post(lounge.response_url + "reset", data={"why": "finished"})
    assert path_of(ended) == f"/kiosk/{lounge.key}/"
    (row,) = responses(app)
    assert (row["status"], row["close_reason"]) == ("partial", "finished_early")
    assert answers(app, row["id"])["overall"]["value"] == "good"


def test_someone_helped_me_can_be_unticked(lounge, app):
    lounge.start()
    lounge.tap(answer="good")
    lounge.tap(action="decline", helped="1")  # ticked, on the last question
    assert responses(app)[0]["helped"] == 1
    lounge.start()
    lounge.tap(answer="good")
    before = lounge.screen()
    lounge.tap(action="back", helped="1")  # ticked, then Back: not an answer
    lounge.tap(answer="poor")
    lounge.tap(answer="Fine")  # finished with it unticked
    assert before["step"] == "why"
    assert responses(app)[1]["helped"] == 0


def test_a_kiosk_whose_flow_is_gone_says_so_kindly(counting):
    app, kiosk = counting
    del app.extensions["gateway"].flows["counting"]
    page = kiosk.welcome()
    assert page.status_code == 503
    assert "Please ask a member of staff" in page.get_data(as_text=True)
