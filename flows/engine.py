"""The engine: a pure function of (flow, state, input, now) to an Outcome.

No clock, I/O or globals: the same engine drives SMS, the kiosk and the
terminal simulator, and every rule about moving through a flow lives here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from flows.answers import interpret
from flows.formats import iso, parse_iso
from flows.model import (
    CLOSE_REASONS,
    END,
    OPENING,
    QUESTION_KINDS,
    TEXT_LIMIT,
    Alert,
    Answer,
    AnswerState,
    Family,
    Flow,
    Outcome,
    Reply,
    ResponseStatus,
    SessionState,
    Step,
    StepKind,
)
from flows.render import prompt_as_shown
from flows.safeguarding import SafeguardingRules

Translate = Callable[[str], str]


@dataclass(frozen=True)
class Context:
    """What the engine may consult besides the flow: wording and safety rules."""

    translate: Translate = str
    rules: SafeguardingRules | None = None


def start_session(
    flow: Flow,
    channel: str,
    language: str,
    now: datetime,
    ctx: Context = Context(),
    opening_text: str | None = None,
    family: Family = Family.TEXT,
) -> Outcome:
    """Begin a flow on `channel`, which talks as `family` does (text unless it
    says otherwise). `opening_text` is what the person sent that started it:
    kept by the caller, never taken as an answer, but checked for harm."""
    replies, alerts = [], []
    opening_text = opening_text[:TEXT_LIMIT] if opening_text else opening_text
    match = (
        ctx.rules.check(opening_text, language) if ctx.rules and opening_text else None
    )
    if match:
        alerts.append(Alert(match.category, OPENING, match.phrase))
        replies.append(Reply("signpost"))
    state = SessionState(
        flow_id=flow.id,
        flow_version=flow.version,
        channel=channel,
        language=language,
        started_at=iso(now),
        last_activity_at=iso(now),
        current_step=None,
        family=family,
    )
    return _move_to(flow, state, flow.steps[0].id, now, replies, alerts, ctx)


def advance_session(
    flow: Flow, state: SessionState, text: str, now: datetime, ctx: Context = Context()
) -> Outcome:
    """Take one answer to the current question and move on as far as the flow goes."""
    _require_open(state)
    step = flow.step(state.current_step)
    text = text[:TEXT_LIMIT]
    replies: list[Reply] = []
    alerts: list[Alert] = []
    match = ctx.rules.check(text, state.language) if ctx.rules else None
    if match:
        alerts.append(Alert(match.category, step.id, match.phrase))
        replies.append(Reply("signpost", step.id))
    understood = interpret(step, text)
    if understood is None and state.attempts == 0:
        replies.append(Reply("reprompt", step.id, _valid_answers(step)))
        state = replace(state, attempts=1, last_activity_at=iso(now))
        return Outcome(state, tuple(replies), tuple(alerts))
    prompt = prompt_as_shown(step, state.family, ctx.translate)
    if understood is None:
        answer = Answer(step.id, None, text, prompt, AnswerState.NO_ANSWER, iso(now))
        replies.append(Reply("moving_on", step.id))
    else:
        answer = Answer(
            step.id, understood.value, text, prompt, understood.state, iso(now)
        )
        if step.kind is StepKind.TEXT and len(text.strip()) > step.max_length:
            replies.append(Reply("shortened", step.id, {"kept": step.max_length}))
    return _answered(flow, state, step, answer, now, replies, alerts, ctx)


def choose_option(
    flow: Flow, state: SessionState, value: str, now: datetime, ctx: Context = Context()
) -> Outcome:
    """A tap on one of the current question's options (the kiosk): the option
    itself, with no words to read. ValueError if it is not one of them."""
    _require_open(state)
    step = flow.step(state.current_step)
    option = next((o for o in step.options if o.value == value), None)
    if option is None:
        raise ValueError(f"{value!r} is not an option of step {step.id!r}")
    prompt = prompt_as_shown(step, state.family, ctx.translate)
    answer = Answer(step.id, option.value, option.words, prompt, option.state, iso(now))
    return _answered(flow, state, step, answer, now, [], [], ctx)


def _answered(flow, state, step, answer, now, replies, alerts, ctx) -> Outcome:
    """Keep the answer and move on: by its branch, or to the next step."""
    target = step.branches.get(answer.value or "") or _default_next(flow, step)
    state = _with_answer(state, answer, now)
    return _move_to(flow, state, target, now, replies, alerts, ctx)


def decline_step(
    flow: Flow, state: SessionState, now: datetime, ctx: Context = Context()
) -> Outcome:
    """The person chose "I'd rather not say": recorded as such, then move on."""
    _require_open(state)
    step = flow.step(state.current_step)
    prompt = prompt_as_shown(step, state.family, ctx.translate)
    answer = Answer(step.id, None, None, prompt, AnswerState.RATHER_NOT_SAY, iso(now))
    state = _with_answer(state, answer, now)
    return _move_to(flow, state, _default_next(flow, step), now, [], [], ctx)


def go_back(flow: Flow, state: SessionState, now: datetime) -> Outcome:
    """Return to the question before this one, forgetting its answer."""
    _require_open(state)
    if len(state.path) < 2:
        return Outcome(
            state, (Reply("question", state.current_step, position(flow, state)),)
        )
    previous = state.path[-2]
    state = replace(
        state,
        current_step=previous,
        attempts=0,
        path=state.path[:-1],
        answers=tuple(a for a in state.answers if a.step_id != previous),
        last_activity_at=iso(now),
    )
    return Outcome(state, (Reply("question", previous, position(flow, state)),))


def is_expired(state: SessionState, now: datetime, idle_limit: timedelta) -> bool:
    return (
        state.status is ResponseStatus.OPEN
        and now - parse_iso(state.last_activity_at) >= idle_limit
    )


def close_session(
    flow: Flow, state: SessionState, now: datetime, reason: str
) -> SessionState:
    """End an unfinished conversation (expired, reset, restarted) as partial."""
    _require_open(state)
    if reason not in CLOSE_REASONS:
        raise ValueError(f"{reason!r} is not one of the close reasons")
    return _finish(flow, state, now, ResponseStatus.PARTIAL, reason)


def _move_to(flow, state, target, now, replies, alerts, ctx) -> Outcome:
    """Walk forward from `target`, saying messages, until a question or the end."""
    family = state.family
    while target != END:
        step = flow.step(target)
        if not step.shown_on(family):
            target = _default_next(flow, step)
            continue
        if step.kind is StepKind.MESSAGE:
            replies.append(Reply("message", step.id))
            target = _default_next(flow, step)
            continue
        state = replace(
            state,
            current_step=step.id,
            attempts=0,
            path=(*state.path, step.id),
            last_activity_at=iso(now),
        )
        replies.append(Reply("question", step.id, position(flow, state)))
        return Outcome(state, tuple(replies), tuple(alerts))
    state = _finish(flow, state, now, ResponseStatus.COMPLETE, "completed")
    replies.append(Reply("thank_you"))
    return Outcome(state, tuple(replies), tuple(alerts))


def _finish(flow, state, now, status, reason) -> SessionState:
    answered = {answer.step_id for answer in state.answers}
    not_reached = tuple(
        Answer(step.id, None, None, "", AnswerState.NOT_REACHED, iso(now))
        for step in flow.steps
        if step.kind in QUESTION_KINDS and step.id not in answered
    )
    return replace(
        state,
        answers=state.answers + not_reached,
        current_step=None,
        attempts=0,
        status=status,
        close_reason=reason,
        last_activity_at=iso(now),
    )


def _with_answer(state: SessionState, answer: Answer, now: datetime) -> SessionState:
    kept = tuple(a for a in state.answers if a.step_id != answer.step_id)
    return replace(
        state, answers=(*kept, answer), attempts=0, last_activity_at=iso(now)
    )


def _default_next(flow: Flow, step: Step) -> str:
    if step.next is not None:
        return step.next
    position = flow.index(step.id) + 1
    return flow.steps[position].id if position < len(flow.steps) else END


def position(flow: Flow, state: SessionState) -> dict:
    """ "Question 2 of 4": how far along, counting the questions this channel asks."""
    family = state.family
    shown = [
        s.id for s in flow.steps if s.kind in QUESTION_KINDS and s.shown_on(family)
    ]
    current = state.current_step
    number = shown.index(current) + 1 if current in shown else len(state.path)
    return {"number": number, "total": len(shown)}


def _valid_answers(step: Step) -> dict:
    if step.kind is StepKind.NUMBER:
        return {"minimum": step.minimum, "maximum": step.maximum}
    return {"count": len(step.options)}


def _require_open(state: SessionState) -> None:
    if state.status is not ResponseStatus.OPEN or state.current_step is None:
        raise ValueError("this conversation has already ended")


def asks_more_after(flow: Flow, step_id: str, family: Family) -> bool:
    """Whether any way on from this step reaches another question this channel
    asks (the kiosk offers "Someone helped me" on a conversation's last one)."""
    step = flow.step(step_id)
    ahead = {*step.branches.values(), _default_next(flow, step)}
    seen: set[str] = set()
    while ahead:
        target = ahead.pop()
        if target == END or target in seen:
            continue
        seen.add(target)
        step = flow.step(target)
        if step.kind in QUESTION_KINDS and step.shown_on(family):
            return True
        ahead.add(_default_next(flow, step))
    return False
