"""The conversation engine: every step kind, branching, channel-limited steps,
reprompts, completion, expiry, decline, back, purity and state round-trips.
"""

import json
from datetime import UTC, datetime, timedelta

import pytest

from flows.engine import (
    advance_session,
    choose_option,
    close_session,
    decline_step,
    go_back,
    is_expired,
    start_session,
)
from flows.loader import BUNDLED_FLOWS, load_library, parse_flow
from flows.model import AnswerState, Family, ResponseStatus, SessionState

# A fixed moment (datetime.UTC is timezone.utc): the tests never read the clock.
NOW = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
DAY = timedelta(hours=24)

EVERY_KIND = """
id: every-kind
version: 1
title: Every kind
steps:
  - id: welcome
    kind: message
    text: Hello. A few questions.
  - id: colour
    kind: choice
    text: Pick a colour
    options: [Red, Blue]
  - id: mood
    kind: scale
    scale: three-faces
    text: How do you feel?
  - id: happy
    kind: yesno
    text: Are you happy?
  - id: count
    kind: number
    min: 0
    max: 10
    text: How many visits?
  - id: note
    kind: text
    max_length: 50
    text: Anything else?
  - id: share
    kind: consent
    text: May we share this?
thank_you: Thanks.
"""


@pytest.fixture(scope="module")
def library():
    return load_library([BUNDLED_FLOWS])


@pytest.fixture
def fft(library):
    return library["friends-and-family"]


@pytest.fixture
def home(library):
    return library["care-home-life"]


FAMILY_OF = {"sms": Family.TEXT, "simulator": Family.TEXT, "kiosk": Family.TOUCH}


def run(flow, inputs, channel="sms"):
    """Start a session and send each input, a minute apart; the last Outcome."""
    outcome = start_session(flow, channel, "en", NOW, family=FAMILY_OF[channel])
    for minute, text in enumerate(inputs, 1):
        outcome = advance_session(
            flow, outcome.state, text, NOW + timedelta(minutes=minute)
        )
    return outcome


def kinds(outcome):
    return [reply.kind for reply in outcome.replies]


def test_every_step_kind_in_turn():
    flow = parse_flow(EVERY_KIND, "every.yaml")
    outcome = start_session(flow, "sms", "en", NOW)
    assert kinds(outcome) == ["message", "question"]
    assert outcome.replies[0].step_id == "welcome"
    assert outcome.replies[1].params == {"number": 1, "total": 6}
    steps = [
        ("colour", "blue", "blue"),
        ("mood", "okay", "ok"),
        ("happy", "yep", "yes"),
        ("count", "4", "4"),
        ("note", "More tea", "More tea"),
        ("share", "no", "no"),
    ]
    for step_id, said, _ in steps:
        assert outcome.state.current_step == step_id
        outcome = advance_session(flow, outcome.state, said, NOW)
    assert kinds(outcome) == ["thank_you"]
    answers = {a.step_id: (a.value, a.state) for a in outcome.state.answers}
    assert answers == {
        step_id: (value, AnswerState.ANSWERED) for step_id, _, value in steps
    }
    assert "welcome" not in answers


@pytest.mark.parametrize(
    ("meals", "next_step"),
    [
        ("bad", "meals-better"),
        ("3", "meals-better"),
        ("good", "activities"),
        ("ok", "activities"),
    ],
)
def test_meals_branch(home, meals, next_step):
    outcome = run(home, [meals])
    assert outcome.state.current_step == next_step
    assert outcome.replies[-1].step_id == next_step


@pytest.mark.parametrize(
    ("visits", "done", "help_state"),
    [("no", False, None), ("yes", True, AnswerState.NOT_REACHED)],
)
def test_visits_branch(home, visits, done, help_state):
    outcome = run(home, ["good", "music", visits])
    assert outcome.done is done
    if done:
        assert kinds(outcome) == ["thank_you"]
        assert outcome.state.answer_for("meals-better").state is help_state
        assert outcome.state.answer_for("visits-help").state is help_state
    else:
        assert outcome.state.current_step == "visits-help"


@pytest.mark.parametrize("channel", ["sms", "simulator"])
def test_sms_only_step_is_asked_by_text(fft, channel):
    outcome = run(fft, ["1", "Lovely staff"], channel)
    assert outcome.state.current_step == "contact"
    assert outcome.replies[-1].params == {"number": 3, "total": 3}


def test_sms_only_step_is_skipped_on_the_kiosk(fft):
    outcome = run(fft, ["1", "Lovely staff"], "kiosk")
    assert outcome.state.status is ResponseStatus.COMPLETE
    assert outcome.state.answer_for("contact").state is AnswerState.NOT_REACHED


def test_first_invalid_answer_reprompts_once(fft):
    start = start_session(fft, "sms", "en", NOW)
    outcome = advance_session(fft, start.state, "banana", NOW)
    assert kinds(outcome) == ["reprompt"]
    assert outcome.replies[0].params == {"count": 6}
    assert outcome.state.current_step == "overall"
    assert outcome.state.attempts == 1
    assert outcome.state.answers == ()


def test_second_invalid_answer_moves_on(fft):
    outcome = run(fft, ["banana", "apple"])
    assert kinds(outcome) == ["moving_on", "question"]
    assert outcome.state.current_step == "why"
    answer = outcome.state.answer_for("overall")
    assert (answer.value, answer.raw, answer.state) == (
        None,
        "apple",
        AnswerState.NO_ANSWER,
    )


def test_answer_keeps_value_raw_prompt_and_state(fft):
    outcome = run(fft, [" 1. "])
    answer = outcome.state.answer_for("overall")
    assert answer.value == "very_good"
    assert answer.raw == " 1. "
    assert answer.state is AnswerState.ANSWERED
    assert answer.at == "2024-05-01T09:01:00Z"
    lines = answer.prompt.splitlines()
    assert lines[0] == "Overall, how was your experience of our service?"
    assert lines[1:] == [
        "1 Very good",
        "2 Good",
        "3 Neither good nor poor",
        "4 Poor",
        "5 Very poor",
        "6 Don't know",
    ]


def test_kiosk_prompt_is_the_question_alone(fft):
    answer = run(fft, ["2"], "kiosk").state.answer_for("overall")
    assert answer.prompt == "Overall, how was your experience of our service?"


def test_yes_no_prompt_by_sms_says_how_to_reply(fft):
    outcome = run(fft, ["1", "Fine", "yes"])
    assert outcome.state.answer_for("contact").prompt.endswith("Reply YES or NO.")


def test_completion(fft):
    outcome = run(fft, ["2", "Kind nurses", "no"])
    assert kinds(outcome) == ["thank_you"]
    state = outcome.state
    assert state.status is ResponseStatus.COMPLETE
    assert state.close_reason == "completed"
    assert state.current_step is None
    assert [a.value for a in state.answers] == ["good", "Kind nurses", "no"]


@pytest.mark.parametrize(
    ("idle", "expired"),
    [
        (DAY - timedelta(seconds=1), False),
        (DAY, True),
        (DAY * 3, True),
        (timedelta(0), False),
    ],
)
def test_expiry_after_a_day_idle(fft, idle, expired):
    state = run(fft, ["1"]).state
    last = datetime.fromisoformat(state.last_activity_at)
    assert is_expired(state, last + idle, DAY) is expired


def test_finished_session_never_expires(fft):
    state = run(fft, ["1", "ok", "no"]).state
    assert not is_expired(state, NOW + DAY * 10, DAY)


def test_close_session_is_partial(fft):
    state = run(fft, ["1"]).state
    closed = close_session(fft, state, NOW + DAY, "expired")
    assert closed.status is ResponseStatus.PARTIAL
    assert closed.close_reason == "expired"
    assert closed.current_step is None
    states = {a.step_id: a.state for a in closed.answers}
    assert states == {
        "overall": AnswerState.ANSWERED,
        "why": AnswerState.NOT_REACHED,
        "contact": AnswerState.NOT_REACHED,
    }


def test_closed_session_cannot_go_on(fft):
    closed = close_session(fft, run(fft, ["1"]).state, NOW, "reset")
    with pytest.raises(ValueError, match="already ended"):
        advance_session(fft, closed, "good", NOW)
    with pytest.raises(ValueError):
        decline_step(fft, closed, NOW)
    with pytest.raises(ValueError):
        go_back(fft, closed, NOW)
    with pytest.raises(ValueError):
        close_session(fft, closed, NOW, "again")


def test_completed_session_cannot_go_on(fft):
    done = run(fft, ["1", "ok", "no"]).state
    with pytest.raises(ValueError):
        advance_session(fft, done, "yes", NOW)


def test_decline_records_rather_not_say(fft):
    start = start_session(fft, "sms", "en", NOW)
    outcome = decline_step(fft, start.state, NOW)
    answer = outcome.state.answer_for("overall")
    assert (answer.value, answer.raw, answer.state) == (
        None,
        None,
        AnswerState.RATHER_NOT_SAY,
    )
    assert "1 Very good" in answer.prompt
    assert outcome.state.current_step == "why"


def test_go_back_returns_and_forgets(fft):
    at_why = run(fft, ["1"]).state
    outcome = go_back(fft, at_why, NOW)
    assert outcome.state.current_step == "overall"
    assert outcome.state.answer_for("overall") is None
    assert [(r.kind, r.step_id) for r in outcome.replies] == [("question", "overall")]
    again = advance_session(fft, outcome.state, "5", NOW)
    assert again.state.answer_for("overall").value == "very_poor"
    assert again.state.current_step == "why"


def test_go_back_at_the_first_question_stays(fft):
    start = start_session(fft, "sms", "en", NOW).state
    outcome = go_back(fft, start, NOW)
    assert outcome.state == start
    assert kinds(outcome) == ["question"]


def test_go_back_over_a_branch_can_take_the_other_way(home):
    at_meals_better = run(home, ["bad"]).state
    back = go_back(home, at_meals_better, NOW).state
    assert back.current_step == "meals"
    outcome = None
    for said in ["good", "games", "yes"]:
        outcome = advance_session(home, back, said, NOW)
        back = outcome.state
    assert outcome.done
    assert outcome.state.answer_for("meals").value == "good"
    assert outcome.state.answer_for("meals-better").state is AnswerState.NOT_REACHED


@pytest.mark.parametrize(
    ("before", "said"), [([], "2"), ([], "banana"), (["banana"], "apple")]
)
def test_engine_is_pure(fft, before, said):
    state = run(fft, before).state
    snapshot = json.dumps(state.to_dict(), sort_keys=True)
    first = advance_session(fft, state, said, NOW)
    second = advance_session(fft, state, said, NOW)
    assert first == second
    assert json.dumps(state.to_dict(), sort_keys=True) == snapshot
    assert first.state is not state


def test_start_is_pure(home):
    assert start_session(home, "kiosk", "en", NOW) == start_session(
        home, "kiosk", "en", NOW
    )


def test_state_round_trips_through_json(home):
    state = run(home, ["bad", "More fruit", "banana"]).state
    assert state.attempts == 1
    restored = SessionState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert restored == state
    assert advance_session(home, restored, "2", NOW) == advance_session(
        home, state, "2", NOW
    )


def test_finished_state_round_trips_through_json(fft):
    state = close_session(fft, run(fft, ["1"]).state, NOW, "expired")
    restored = SessionState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert restored == state
    assert restored.status is ResponseStatus.PARTIAL


def test_a_tapped_option_is_stored_by_its_value_and_follows_its_branch(home):
    started = start_session(home, "kiosk", "en", NOW)
    outcome = choose_option(home, started.state, "bad", NOW)
    meals = outcome.state.answer_for("meals")
    assert (meals.value, meals.raw, meals.state) == ("bad", "Bad", AnswerState.ANSWERED)
    assert outcome.state.current_step == "meals-better"  # the branch for "bad"


def test_a_tap_on_something_not_an_option_is_refused(home):
    started = start_session(home, "kiosk", "en", NOW)
    with pytest.raises(ValueError):
        choose_option(home, started.state, "excellent", NOW)


def test_closing_for_an_unknown_reason_is_refused(now):
    from flows.engine import close_session, start_session
    from flows.loader import parse_flow
    from tests.conftest import flow_text

    flow = parse_flow(flow_text("- {id: why, kind: text, text: Why}"))
    state = start_session(flow, "sms", "en", now).state
    with pytest.raises(ValueError, match="close reasons"):
        close_session(flow, state, now, "tired")
    assert close_session(flow, state, now, "expired").close_reason == "expired"
