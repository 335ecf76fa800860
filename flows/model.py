"""The shape of a flow and of a conversation's state: plain data, no behaviour.

Flows are read by `flows.loader`; states are advanced by `flows.engine`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class StepKind(StrEnum):
    MESSAGE = "message"
    CHOICE = "choice"
    SCALE = "scale"
    YESNO = "yesno"
    NUMBER = "number"
    TEXT = "text"
    CONSENT = "consent"


class Family(StrEnum):
    """How a channel talks, which is all the engine needs to know of it: which
    steps it asks, and how a question is worded."""

    TEXT = "text"  # words in, words out: SMS, the terminal simulator
    TOUCH = "touch"  # big buttons on a screen: the kiosk


# What a flow file may write in a step's `channels`: a family, or the name
# of the channel people know it by.
FAMILY_WORDS = {
    "text": Family.TEXT,
    "sms": Family.TEXT,
    "touch": Family.TOUCH,
    "kiosk": Family.TOUCH,
}

QUESTION_KINDS = frozenset(StepKind) - {StepKind.MESSAGE}
# Steps whose answers are picked from a numbered list of options.
OPTION_KINDS = frozenset(
    {StepKind.CHOICE, StepKind.SCALE, StepKind.YESNO, StepKind.CONSENT}
)

END = "end"  # branch target meaning "finish the flow"
# Why a response closed. docs/operations.md explains each; closing for any other
# reason is a mistake, so the engine refuses it.
CLOSE_REASONS = (
    "completed",
    "expired",
    "restarted",
    "reset",
    "idle_reset",
    "finished_early",
    "flow_changed",
    "opted_out",
    "message_only",
    "error",
    "merged",  # two open conversations of one person met at enrolment
)
# The most of any one text a conversation keeps: Twilio's longest inbound SMS.
# Anything longer (only a forged or broken client sends it) is cut at input.
TEXT_LIMIT = 1600
# Where an alert on the message that started a conversation is filed. Step ids
# begin with a letter or digit, so this can never clash with one.
OPENING = "_opening"


class AnswerState(StrEnum):
    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    DONT_KNOW = "dont_know"
    RATHER_NOT_SAY = "rather_not_say"
    NOT_REACHED = "not_reached"


class ResponseStatus(StrEnum):
    OPEN = "open"
    COMPLETE = "complete"
    PARTIAL = "partial"


@dataclass(frozen=True)
class Option:
    """One answer a person can pick: `value` is what is stored."""

    value: str
    words: str
    synonyms: tuple[str, ...] = ()
    symbol: str | None = None
    # What the answer means for the board's figures (a "don't know" option).
    state: AnswerState = AnswerState.ANSWERED


@dataclass(frozen=True)
class Step:
    id: str
    kind: StepKind
    text: str
    options: tuple[Option, ...] = ()
    scale: str | None = None
    channels: frozenset[str] | None = None  # None: every channel
    branches: dict[str, str] = field(default_factory=dict)
    next: str | None = None  # None: the step after this one
    minimum: float | None = None
    maximum: float | None = None
    max_length: int = 500
    line: int | None = None

    def shown_on(self, family: Family) -> bool:
        return self.channels is None or family in self.channels


@dataclass(frozen=True)
class Flow:
    id: str
    version: int
    title: str
    language: str
    steps: tuple[Step, ...]
    thank_you: str
    triggers: tuple[str, ...] = ()
    source: str | None = None
    line: int | None = None  # where the flow's id is written

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def index(self, step_id: str) -> int:
        return [step.id for step in self.steps].index(step_id)

    def question_ids(self) -> list[str]:
        return [step.id for step in self.steps if step.kind in QUESTION_KINDS]


@dataclass(frozen=True)
class Answer:
    step_id: str
    value: str | None
    raw: str | None
    prompt: str
    state: AnswerState
    at: str  # ISO 8601 UTC

    def to_dict(self) -> dict:
        return {
            "step_id": self.step_id,
            "value": self.value,
            "raw": self.raw,
            "prompt": self.prompt,
            "state": str(self.state),
            "at": self.at,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Answer:
        return cls(
            step_id=data["step_id"],
            value=data["value"],
            raw=data["raw"],
            prompt=data["prompt"],
            state=AnswerState(data["state"]),
            at=data["at"],
        )


@dataclass(frozen=True)
class SessionState:
    """Everything the engine needs to carry a conversation from one input on."""

    flow_id: str
    flow_version: int
    channel: str
    language: str
    started_at: str
    last_activity_at: str
    current_step: str | None
    attempts: int = 0  # invalid answers given to the current step
    answers: tuple[Answer, ...] = ()
    path: tuple[str, ...] = ()  # question steps asked, in order, for "back"
    status: ResponseStatus = ResponseStatus.OPEN
    close_reason: str | None = None
    family: Family = Family.TEXT

    def answer_for(self, step_id: str) -> Answer | None:
        for answer in self.answers:
            if answer.step_id == step_id:
                return answer
        return None

    def to_dict(self) -> dict:
        return {
            "flow_id": self.flow_id,
            "flow_version": self.flow_version,
            "channel": self.channel,
            "language": self.language,
            "started_at": self.started_at,
            "last_activity_at": self.last_activity_at,
            "current_step": self.current_step,
            "attempts": self.attempts,
            "answers": [answer.to_dict() for answer in self.answers],
            "path": list(self.path),
            "status": str(self.status),
            "close_reason": self.close_reason,
            "family": str(self.family),
        }

    @classmethod
    def from_dict(cls, data: dict) -> SessionState:
        return cls(
            flow_id=data["flow_id"],
            flow_version=data["flow_version"],
            channel=data["channel"],
            language=data["language"],
            started_at=data["started_at"],
            last_activity_at=data["last_activity_at"],
            current_step=data["current_step"],
            attempts=data["attempts"],
            answers=tuple(Answer.from_dict(a) for a in data["answers"]),
            path=tuple(data["path"]),
            status=ResponseStatus(data["status"]),
            close_reason=data["close_reason"],
            family=Family(data.get("family") or _family_before_families(data)),
        )


def _family_before_families(data: dict) -> str:
    """States saved before they held a family: only the kiosk touched."""
    return "touch" if data["channel"] == "kiosk" else "text"


@dataclass(frozen=True)
class Reply:
    """Something to say, as a message id plus parameters; channels render it."""

    # "message", "question", "reprompt", "shortened", "signpost", "thank_you"
    kind: str
    step_id: str | None = None
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Alert:
    """A free-text answer matched a safeguarding rule."""

    category: str
    step_id: str
    rule: str


@dataclass(frozen=True)
class Outcome:
    state: SessionState
    replies: tuple[Reply, ...]
    alerts: tuple[Alert, ...] = ()

    @property
    def done(self) -> bool:
        return self.state.status is not ResponseStatus.OPEN
