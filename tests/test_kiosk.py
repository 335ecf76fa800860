"""The kiosk's pages as plain form posts (no JavaScript), through the Flask app.

Each tap names the screen it was made on; these tests send taps twice, late,
for the wrong step, from a forged kiosk, with fields missing or added, and
check what is stored. The browser tests drive the same pages in Chromium.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from flows.loader import FlowError, load_flow
from flows.symbols import INTERFACE_SYMBOLS, OPTION_SYMBOLS
from gateway.db import connect
from tests.conftest import REPO, FakeClock, flow_text, line_of

SYMBOLS = REPO / "kiosk" / "static" / "symbols"
NUMBER_FLOW = """\
id: counting
version: 1
title: Counting
language: en
steps:
  - id: visits
    kind: number
    min: 0
    max: 7
    text: How many days a week do you go outside?
  - id: happy
    kind: yesno
    text: Are you happy with that?
thank_you: Thank you.
"""
WORDS_LIKE_NUMBERS = """\
id: pets
version: 1
title: Pets
language: en
steps:
  - id: how_many
    kind: choice
    text: How many pets do you have?
    options:
      - words: None
        value: none
      - words: One
        value: one
      - words: Two or more
        value: more
thank_you: Thank you.
"""


@pytest.fixture
def kiosk_clock(now, runtime) -> FakeClock:
    clock = FakeClock(now)
    runtime.clock = clock.now
    return clock


def add_kiosk(runner, name: str, *extra: str) -> str:
    """`gateway kiosk add NAME`; returns the kiosk's key from the printed URL."""
    result = runner.invoke(["kiosk", "add", name, *extra])
    assert result.exit_code == 0, result.output
    url = result.output.strip().splitlines()[-1]
    match = re.fullmatch(r"http://127\.0\.0\.1:8080/kiosk/([\w-]+)/", url)
    assert match, url
    return match.group(1)


class Kiosk:
    """A tablet without JavaScript: it posts forms and follows nothing itself."""

    def __init__(self, client, key: str):
        self.client = client
        self.key = key
        self.response_url: str | None = None

    def welcome(self):
        return self.client.get(f"/kiosk/{self.key}/")

    def start(self, start_key: str | None = None) -> str:
        page = self.welcome().get_data(as_text=True)
        start_key = start_key or re.search(r'name="start" value="([^"]+)"', page)[1]
        reply = self.client.post(f"/kiosk/{self.key}/start", data={"start": start_key})
        assert reply.status_code == 303
        self.response_url = urlsplit(reply.location).path
        return self.response_url

    @property
    def response_id(self) -> str:
        return self.response_url.rstrip("/").rsplit("/", 1)[-1]

    def screen(self) -> dict:
        """The step screen showing now: its number, step id and question."""
        reply = self.client.get(self.response_url)
        assert reply.status_code == 200, reply.location
        page = reply.get_data(as_text=True)
        return {
            "screen": re.search(r'name="screen" value="(\d+)"', page)[1],
            "step": re.search(r'name="step" value="([^"]+)"', page)[1],
            "question": re.search(r'<h1 id="question"[^>]*>([^<]+)</h1>', page)[1],
            "page": page,
        }

    def tap(self, **fields):
        """A tap on the screen showing now, unless `screen` or `step` are given."""
        if "screen" not in fields or "step" not in fields:
            showing = self.screen()
            fields.setdefault("screen", showing["screen"])
            fields.setdefault("step", showing["step"])
        return self.client.post(self.response_url, data=fields)


@pytest.fixture
def lounge(runner, client, kiosk_clock) -> Kiosk:
    return Kiosk(client, add_kiosk(runner, "Lounge"))


def responses(app) -> list[dict]:
    db = connect(app.config["DATABASE"])
    try:
        return list(db.query("SELECT * FROM responses ORDER BY id"))
    finally:
        db.close()


def answers(app, response_id: str) -> dict:
    db = connect(app.config["DATABASE"])
    try:
        rows = db.query(
            "SELECT step_id, value, raw, state FROM answers WHERE response_id = ?",
            [response_id],
        )
        return {row.pop("step_id"): row for row in rows}
    finally:
        db.close()


def path_of(reply) -> str:
    return urlsplit(reply.location).path


# Setting kiosks up ------------------------------------------------------------------


def test_kiosk_add_prints_an_address_that_opens_the_welcome_screen(lounge):
    page = lounge.welcome()
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Tell us what you think" in text
    assert "You do not need to give your name." in text
    assert re.search(r'<button type="submit" class="button primary start">', text)


def test_kiosk_add_uses_the_public_url_or_the_one_given(runner, initialised):
    result = runner.invoke(
        ["kiosk", "add", "Hall", "--base-url", "http://192.168.1.20:8080/"]
    )
    assert result.exit_code == 0, result.output
    assert re.search(r"http://192\.168\.1\.20:8080/kiosk/[\w-]{22}/$", result.output)


def test_kiosk_names_must_be_new_and_plain(runner, initialised):
    assert runner.invoke(["kiosk", "add", "Lounge"]).exit_code == 0
    again = runner.invoke(["kiosk", "add", "Lounge"])
    assert again.exit_code == 1
    assert "already a kiosk called 'Lounge'" in again.output
    odd = runner.invoke(["kiosk", "add", "<script>"])
    assert odd.exit_code == 1
    assert "A kiosk name is" in odd.output
    unknown = runner.invoke(["kiosk", "add", "Hall", "--flow", "nope"])
    assert unknown.exit_code == 1
    assert "No flow called 'nope'" in unknown.output


def test_kiosk_list_and_retire(runner, lounge, app):
    listed = runner.invoke(["kiosk", "list"])
    assert listed.exit_code == 0
    assert (
        f"Lounge  (the site's flow, 0 responses)  http://127.0.0.1:8080/kiosk/{lounge.key}/"
        in listed.output
    )
    retired = runner.invoke(["kiosk", "retire", "Lounge"])
    assert retired.exit_code == 0, retired.output
    assert lounge.welcome().status_code == 404
    assert "retired" in runner.invoke(["kiosk", "list"]).output
    assert runner.invoke(["kiosk", "retire", "Lounge"]).exit_code == 1


def test_an_empty_kiosk_list_says_how_to_add_one(runner, initialised):
    result = runner.invoke(["kiosk", "list"])
    assert "gateway kiosk add NAME" in result.output


def test_kiosk_index_explains_that_each_kiosk_has_its_own_address(client):
    page = client.get("/kiosk/")
    assert page.status_code == 200
    assert "Each kiosk has an address of its own." in page.get_data(as_text=True)


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


# Number steps without JavaScript ---------------------------------------------------


@pytest.fixture
def counting_clock(now) -> FakeClock:
    return FakeClock(now)


@pytest.fixture
def counting(tmp_path, runner, test_config, counting_clock):
    folder = tmp_path / "flows"
    folder.mkdir()
    (folder / "counting.yaml").write_text(NUMBER_FLOW, encoding="utf-8")
    (folder / "pets.yaml").write_text(WORDS_LIKE_NUMBERS, encoding="utf-8")
    test_config["FLOWS_PATH"] = str(folder)
    assert runner.invoke(["init"]).exit_code == 0
    from gateway import create_app

    app = create_app(test_config)
    app.extensions["gateway"].clock = counting_clock.now
    key = add_kiosk(runner, "Garden", "--flow", "counting")
    kiosk = Kiosk(app.test_client(), key)
    kiosk.start()
    return app, kiosk


def test_plus_and_minus_work_without_javascript(counting):
    app, kiosk = counting
    page = kiosk.screen()["page"]
    assert 'min="0.0"' in page or 'min="0"' in page
    plus = kiosk.client.post(kiosk.response_url, data={"answer": "", "adjust": "1"})
    assert plus.status_code == 303
    assert "value=0" in plus.location  # the first tap on an empty box: the lowest
    shown = kiosk.client.get(plus.location).get_data(as_text=True)
    assert 'value="0"' in shown
    top = kiosk.client.post(kiosk.response_url, data={"answer": "7", "adjust": "1"})
    assert "value=7" in top.location  # never past the highest
    assert answers(app, kiosk.response_id) == {}  # adjusting is not answering


def test_a_number_out_of_range_asks_again(counting):
    app, kiosk = counting
    reply = kiosk.tap(answer="9")
    assert reply.status_code == 422
    assert "Please choose a number from the ones shown." in reply.get_data(as_text=True)
    kiosk.tap(answer="3")
    assert answers(app, kiosk.response_id)["visits"]["value"] == "3"
    assert kiosk.screen()["step"] == "happy"


# The pages themselves ----------------------------------------------------------------


def test_kiosk_pages_are_never_cached_or_framed(lounge):
    lounge.start()
    for page in (lounge.welcome(), lounge.client.get(lounge.response_url)):
        assert page.headers["Cache-Control"] == "no-store"
        assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
        assert page.headers["Referrer-Policy"] == "no-referrer"
        assert "<script>" not in page.get_data(as_text=True)  # no inline script


def test_the_service_worker_keeps_only_assets_that_exist(client, app):
    reply = client.get("/kiosk/sw.js")
    assert reply.status_code == 200
    assert reply.mimetype == "text/javascript"
    script = reply.get_data(as_text=True)
    assets = re.search(r"const ASSETS = (\[.*?\]);", script)[1]
    for path in re.findall(r'"(/kiosk/static/[^"]+)"', assets):
        with client.get(path) as asset:  # a file response: closed after reading
            assert asset.status_code == 200, path
    assert '"/kiosk/offline"' in script


def test_every_symbol_has_a_picture_and_every_picture_a_name():
    files = {path.stem for path in SYMBOLS.glob("*.svg")}
    assert files == OPTION_SYMBOLS | INTERFACE_SYMBOLS
    for path in SYMBOLS.glob("*.svg"):
        text = path.read_text(encoding="utf-8")
        assert 'aria-hidden="true"' in text  # the words on the button say it
        assert "<script" not in text
        assert "http" not in text.replace("http://www.w3.org/2000/svg", "")


def test_a_flow_naming_a_picture_the_kiosk_lacks_is_refused(write_flow):
    text = flow_text(
        """
        - id: pick
          kind: choice
          text: Pick one
          options:
            - words: Tea
              symbol: teapot
            - words: Coffee
        """
    )
    with pytest.raises(FlowError) as error:
        load_flow(write_flow(text))
    assert "there is no picture called 'teapot'" in str(error.value)
    assert f"demo.yaml:{line_of(text, 'symbol: teapot')}:" in str(error.value)


def test_kiosk_idle_settings_refuse_a_warning_shorter_than_20_seconds(tmp_path):
    from gateway.config import ConfigError, load_config

    with pytest.raises(ConfigError) as error:
        load_config(
            {"GATEWAY_KIOSK_STILL_THERE_SECONDS": "10"},
            {"INSTANCE_PATH": str(tmp_path)},
        )
    assert "20 or more" in str(error.value)


def test_idle_kiosk_conversations_close_after_the_abandoned_limit(
    lounge, app, kiosk_clock, runtime
):
    from gateway.conversations import close_idle_conversations

    lounge.start()
    db = connect(app.config["DATABASE"])
    try:
        later = kiosk_clock.now() + timedelta(minutes=29)
        assert close_idle_conversations(db, runtime, later) == 0
        assert close_idle_conversations(db, runtime, later + timedelta(minutes=2)) == 1
    finally:
        db.close()
    assert responses(app)[0]["close_reason"] == "expired"


def test_odd_numbers_are_asked_again_not_taken_as_no_answer(counting):
    app, kiosk = counting
    for odd in ("nan", "2e0", "1_0", "-1"):
        assert kiosk.tap(answer=odd).status_code == 422
    assert answers(app, kiosk.response_id) == {}


def test_plus_or_minus_counts_as_someone_still_there(counting, counting_clock):
    app, kiosk = counting
    for _ in range(6):  # a minute and a half of taps on plus
        counting_clock.advance(seconds=15)
        kiosk.client.post(kiosk.response_url, data={"answer": "1", "adjust": "1"})
    kiosk.client.get(kiosk.response_url + "time-up")
    assert kiosk.screen()["step"] == "visits"


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
