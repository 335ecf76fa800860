"""A tap on a kiosk, start to finish: each screen's tap counts once, whatever happens.

Every screen of a kiosk conversation has a number (`sessions.screen`). A tap
names the screen it was made on, and is applied only if that is still the
screen showing: a double tap, a form sent again, a tap the tablet resends
after a Wi-Fi blip, or one from a page left open in another tab changes
nothing. Taps are checked here before the engine sees them, so a kiosk never
gets SMS's "Sorry, I did not understand" turns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from flows.answers import interpret
from flows.engine import (
    asks_more_after,
)
from flows.formats import iso, parse_iso
from flows.model import OPTION_KINDS, Flow, SessionState, StepKind
from gateway import store
from gateway.conversations import (
    ConversationClosed,
    TurnInput,
    apply_turn,
    close_conversation,
    current_flow,
    start_conversation,
)
from gateway.db import write_txn
from gateway.runtime import Runtime
from kiosk.channel import CHANNEL

START_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
ACTIONS = frozenset({"answer", "decline", "back"})  # "answer" becomes text or choice


def N_(text: str) -> str:  # noqa: N802 - marks a message id; shown translated
    return text


class KioskNotFound(Exception):
    """No such kiosk, or no such conversation on this kiosk."""


class BadTap(Exception):
    """A tap the kiosk's own screens could not have sent (a forged or broken form)."""


@dataclass(frozen=True)
class Tapped:
    """What a tap did: where the kiosk goes next, and why."""

    outcome: str  # applied, not_current, closed, try_again
    response_id: str
    status: str = "open"  # the conversation's status afterwards
    signpost: bool = False  # the answer disclosed harm: show where to get help now
    problem: str | None = None  # try_again: what to put right, as a message id


@dataclass(frozen=True)
class Showing:
    """An open kiosk conversation as its screen is drawn."""

    response_id: str
    flow: Flow
    state: SessionState
    screen: int


class TooManyStarts(Exception):
    """This kiosk started its most conversations for a minute: wait a moment."""


def start(
    db,
    runtime: Runtime,
    kiosk: dict,
    start_key: str,
    now: datetime,
    language: str | None = None,
) -> str:
    """Begin the kiosk's flow; the same start key (a double tap) finds the same one.

    A kiosk serves one person at a time: anything left open on it is saved as
    partial first.
    """
    if not START_KEY.match(start_key or ""):
        raise BadTap("start key")
    with write_txn(db):
        already = store.kiosks.started_by(db, start_key)
        if already is not None:
            return already
        limit = runtime.config["KIOSK_STARTS_PER_MINUTE"]
        since = iso(now - timedelta(minutes=1))
        if store.kiosks.starts_since(db, kiosk["name"], since) >= limit:
            raise TooManyStarts(kiosk["name"])
        for left in store.kiosks.open_on_kiosk(db, kiosk["name"]):
            close_conversation(db, runtime, left.response_id, now, "reset")
        turn = start_conversation(
            db,
            runtime,
            channel=CHANNEL.name,
            now=now,
            flow_id=kiosk["flow_id"],
            language=language,
            kiosk=kiosk["name"],
        )
        store.kiosks.record_start(db, start_key, turn.response_id)
    return turn.response_id


def showing(
    db, runtime: Runtime, kiosk_name: str, response_id: str, now: datetime
) -> Showing | dict:
    """The open conversation to draw, or how it ended (a response row).

    Drawing a screen never closes anything: a tablet reloading after a long
    Wi-Fi drop may still hold a tap to resend. Time running out closes a
    conversation only through `time_up`.
    """
    found = store.kiosks.kiosk_session(db, response_id, kiosk_name)
    if found is None:
        return _ended(db, kiosk_name, response_id)
    session, screen = found
    flow = current_flow(runtime, session.state)
    if flow is None:
        with write_txn(db):
            close_conversation(db, runtime, response_id, now, "flow_changed")
        return _ended(db, kiosk_name, response_id)
    return Showing(response_id, flow, session.state, screen)


def time_up(
    db, runtime: Runtime, kiosk_name: str, response_id: str, now: datetime
) -> bool:
    """ "Are you still there?" went unanswered on a tablet without JavaScript:
    save the answers so far, if nobody has tapped since. True if it closed."""
    with write_txn(db):
        found = store.kiosks.kiosk_session(db, response_id, kiosk_name)
        if found is None or not _left_alone(runtime, found[0], now):
            return False
        close_conversation(db, runtime, response_id, now, "idle_reset")
    return True


def tap(
    db,
    runtime: Runtime,
    kiosk_name: str,
    response_id: str,
    form: dict,
    now: datetime,
) -> Tapped:
    """Apply one tap (answer, rather not say, back) made on screen `form['screen']`."""
    screen, step_id, action = _parse(form)
    with write_txn(db):
        found = store.kiosks.kiosk_session(db, response_id, kiosk_name)
        if found is None:
            ended = _ended(db, kiosk_name, response_id)
            return Tapped("closed", response_id, ended["status"])
        session, current = found
        state = session.state
        if screen != current or step_id != state.current_step:
            return Tapped("not_current", response_id)
        flow = current_flow(runtime, state)  # None: apply_turn closes it
        given = (
            TurnInput("text", form.get("answer"))
            if action == "answer"
            else (TurnInput(action))
        )
        if action == "answer" and flow is not None:
            text, problem = _answer_text(flow, step_id, form.get("answer"))
            if problem:
                return Tapped("try_again", response_id, problem=problem)
            # An option is taken as tapped, never read as words.
            kind = "choice" if flow.step(step_id).kind in OPTION_KINDS else "text"
            given = TurnInput(kind, text)
        try:
            turn = apply_turn(db, runtime, session, given, now)
        except ConversationClosed:
            ended = _ended(db, kiosk_name, response_id)
            return Tapped("closed", response_id, ended["status"])
        outcome = turn.outcome
        store.kiosks.next_screen(db, response_id)
        if action != "back" and not asks_more_after(flow, step_id, CHANNEL.family):
            store.kiosks.mark_helped(db, response_id, bool(form.get("helped")))
    return Tapped(
        "applied",
        response_id,
        str(outcome.state.status),
        signpost=any(reply.kind == "signpost" for reply in outcome.replies),
    )


def still_here(
    db, runtime: Runtime, kiosk_name: str, response_id: str, now: datetime
) -> bool:
    """The person tapped "Yes, carry on": their conversation is in use again."""
    with write_txn(db):
        found = store.kiosks.kiosk_session(db, response_id, kiosk_name)
        if found is None:
            return False
        session, _screen = found
        state = replace(session.state, last_activity_at=iso(now))
        store.conversations.save_session(
            db, replace(session, state=state), before=session.state
        )
    return True


def reset(
    db, runtime: Runtime, kiosk_name: str, response_id: str, now: datetime, reason: str
) -> None:
    """Save the answers so far as a partial response; the next person starts afresh."""
    with write_txn(db):
        if store.kiosks.kiosk_session(db, response_id, kiosk_name) is not None:
            close_conversation(db, runtime, response_id, now, reason)


def _left_alone(
    runtime: Runtime, session: store.conversations.OpenSession, now: datetime
) -> bool:
    last = parse_iso(session.state.last_activity_at)
    return now - last >= still_there_limit(runtime)


def still_there_limit(runtime: Runtime) -> timedelta:
    """No tap for this long: "Are you still there?" has had its time."""
    return timedelta(
        seconds=runtime.config["KIOSK_IDLE_SECONDS"]
        + runtime.config["KIOSK_STILL_THERE_SECONDS"]
    )


def _parse(form: dict) -> tuple[int, str, str]:
    try:
        screen = int(form.get("screen", ""))
    except ValueError:
        raise BadTap("screen") from None
    step_id = form.get("step") or ""
    action = form.get("action") or "answer"
    if not step_id or action not in ACTIONS:
        raise BadTap("step or action")
    return screen, step_id, action


def _answer_text(
    flow: Flow, step_id: str, answer: str | None
) -> tuple[str, str | None]:
    """The answer as the engine reads it, or what to ask the person to put right."""
    step = flow.step(step_id)
    answer = (answer or "").strip()
    if step.kind in OPTION_KINDS:
        if any(answer == option.value for option in step.options):
            return answer, None
        return "", N_("Please tap one of the answers.")
    if step.kind is StepKind.NUMBER:
        if interpret(step, answer) is None:
            return "", N_("Please choose a number from the ones shown.")
        return answer, None
    if not answer:
        return "", N_(
            "Please write a few words, or tap \u201cI'd rather not say\u201d."
        )
    return answer, None


def _ended(db, kiosk_name: str, response_id: str) -> dict:
    row = store.kiosks.kiosk_response(db, response_id, kiosk_name)
    if row is None:
        raise KioskNotFound(response_id)
    return row
