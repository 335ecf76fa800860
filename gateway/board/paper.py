"""A filled-in card, run through the flow engine: paper cards typed in by staff,
and the demo's sample responses.

The engine checks a card exactly as it checks a kiosk or a text: it asks each
question in turn, follows the flow's branches, and raises an alert for words
that may disclose harm. A question the card's earlier answers skip is never
asked, so an answer typed there is a mistake to point out, not to keep.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from flows.answers import interpret
from flows.engine import (
    Context,
    advance_session,
    choose_option,
    close_session,
    decline_step,
    start_session,
)
from flows.model import (
    END,
    OPTION_KINDS,
    QUESTION_KINDS,
    Alert,
    Family,
    Flow,
    SessionState,
    Step,
)

PAPER = "paper"  # the channel name a typed-in card is stored under
# Every card is dated at midday UTC on the day written on it: a card says
# which day, never what time.
CARD_TIME = time(12, 0, tzinfo=UTC)


class CardProblem(ValueError):
    """One answer on the card the engine cannot take; `step_id` says which."""

    def __init__(self, step_id: str, reason: str):
        super().__init__(reason)
        self.step_id = step_id
        self.reason = reason  # "not_understood" or "skipped"


@dataclass(frozen=True)
class CardResult:
    state: SessionState  # closed: complete, or partial if the card stops early
    alerts: tuple[Alert, ...]
    asked: tuple[str, ...]  # the questions the engine asked, in order


def card_moment(day: date) -> datetime:
    return datetime.combine(day, CARD_TIME)


def questions_shown(flow: Flow, family: Family = Family.TOUCH) -> list[Step]:
    """Every question of `flow` a channel of `family` may ask, in flow order."""
    return [s for s in flow.steps if s.kind in QUESTION_KINDS and s.shown_on(family)]


def run_card(
    flow: Flow,
    answers: dict[str, str],
    *,
    at: datetime,
    ctx: Context,
    language: str,
    channel: str = PAPER,
    family: Family = Family.TOUCH,
    stop_reason: str = "finished_early",
) -> CardResult:
    """Give the engine the card's answers, question by question, as it asks.

    `answers`: step id to an option's value or the words typed; a question
    with no entry was left blank. A blank question is declined while the card
    has answers further on; from the first blank after which nothing more is
    answered, the card stopped, and the response closes as partial with
    `stop_reason`. CardProblem for an answer the engine does not take, or one
    to a question that the card's own answers skip.
    """
    outcome = start_session(flow, channel, language, at, ctx, family=family)
    alerts = list(outcome.alerts)
    asked: list[str] = []
    state = outcome.state
    while not outcome.done:
        step = flow.step(state.current_step)
        if step.id in asked:  # flows only move forward; never loop if one did not
            raise CardProblem(step.id, "not_understood")
        asked.append(step.id)
        given = answers.get(step.id)
        if given is None:
            if not set(answers) - set(asked):
                state = close_session(flow, state, at, stop_reason)
                break
            outcome = decline_step(flow, state, at, ctx)
        elif step.kind in OPTION_KINDS:
            try:
                outcome = choose_option(flow, state, given, at, ctx)
            except ValueError:
                raise CardProblem(step.id, "not_understood") from None
        else:
            if interpret(step, given) is None:  # the engine would ask again
                raise CardProblem(step.id, "not_understood")
            outcome = advance_session(flow, state, given, at, ctx)
        alerts.extend(outcome.alerts)
        state = outcome.state
    skipped = [step_id for step_id in answers if step_id not in asked]
    if skipped:
        raise CardProblem(skipped[0], "skipped")
    return CardResult(state, tuple(alerts), tuple(asked))


def response_record(
    result: CardResult,
    *,
    response_id: str,
    site_id: str,
    helped: bool = False,
    entered_by: int | None = None,
    kiosk: str | None = None,
    participant: str | None = None,
) -> dict:
    """The closed response as a site's record carries it, for apply_response."""
    state = result.state
    return {
        "id": response_id,
        "site_id": site_id,
        "participant": participant,
        "flow_id": state.flow_id,
        "flow_version": state.flow_version,
        "channel": state.channel,
        "language": state.language,
        "kiosk": kiosk,
        "helped": helped,
        "started_at": state.started_at,
        "closed_at": state.last_activity_at,
        "status": str(state.status),
        "close_reason": state.close_reason,
        "opening_text": None,
        "entered_by": entered_by,
        "answers": [
            {
                "step_id": answer.step_id,
                "position": position,
                "value": answer.value,
                "raw": answer.raw,
                "prompt": answer.prompt,
                "state": str(answer.state),
                "answered_at": answer.at,
            }
            for position, answer in enumerate(state.answers)
        ],
    }


def alert_records(
    result: CardResult, *, response_id: str, site_id: str, raised_at: str, new_id
) -> list[dict]:
    """Each alert the engine raised, as a site's alert record; `new_id()` names
    each one."""
    return [
        {
            "id": new_id(),
            "site_id": site_id,
            "response_id": response_id,
            "step_id": alert.step_id,
            "category": alert.category,
            "rule": alert.rule,
            "raised_at": raised_at,
        }
        for alert in result.alerts
    ]


def only_when(flow: Flow, family: Family = Family.TOUCH) -> dict[str, tuple[str, str]]:
    """Questions asked only after one answer to an earlier question: step id to
    (that question's id, the answer's words), for a hint beside the question."""
    found: dict[str, tuple[str, str]] = {}
    for step in flow.steps:
        words = {option.value: option.words for option in step.options}
        following = step.next or _step_after(flow, step)
        for value, target in step.branches.items():
            if (
                target not in (following, END)
                and value in words
                and target not in found
                and flow.step(target).shown_on(family)
            ):
                found[target] = (step.id, words[value])
    return found


def _step_after(flow: Flow, step: Step) -> str | None:
    position = flow.index(step.id) + 1
    return flow.steps[position].id if position < len(flow.steps) else None
