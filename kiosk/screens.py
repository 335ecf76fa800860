"""What each kiosk screen shows, worked out from the flow and the conversation.

Pure: no request, database or clock. The templates draw these and nothing
else, so every screen a resident sees is built in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from flows.engine import asks_more_after, position
from flows.formats import plain_number
from flows.model import OPTION_KINDS, Family, Flow, SessionState, StepKind
from flows.render import Translate
from flows.symbols import FALLBACK_SYMBOL


@dataclass(frozen=True)
class Choice:
    value: str
    words: str
    symbol: str


@dataclass(frozen=True)
class StepScreen:
    step_id: str
    kind: str  # "choice" (buttons), "number" or "text"
    question: str
    choices: tuple[Choice, ...]
    number: int  # "Question 2 of 4"
    total: int
    screen: int  # the screen's number: a tap names it, so it counts once
    can_go_back: bool
    is_last: bool  # the last question: offer "Someone helped me"
    minimum: float | None = None
    maximum: float | None = None
    max_length: int = 500
    value: str = ""  # a number being chosen with the plus and minus buttons

    @property
    def range(self) -> tuple[str, str] | None:
        """The lowest and highest numbers allowed, as people write them."""
        if self.minimum is None or self.maximum is None:
            return None
        return plain_number(self.minimum), plain_number(self.maximum)

    @property
    def spoken(self) -> list[str]:
        """What "Read aloud" says: the question, then each answer."""
        return [self.question, *(choice.words for choice in self.choices)]


def step_screen(
    flow: Flow, state: SessionState, screen: int, translate: Translate, value: str = ""
) -> StepScreen:
    _ = translate
    step = flow.step(state.current_step)
    where = position(flow, state)
    choices: tuple[Choice, ...] = ()
    kind = "text"
    if step.kind in OPTION_KINDS:
        kind = "choice"
        choices = tuple(
            Choice(option.value, _(option.words), option.symbol or FALLBACK_SYMBOL)
            for option in step.options
        )
    elif step.kind is StepKind.NUMBER:
        kind = "number"
    return StepScreen(
        step_id=step.id,
        kind=kind,
        question=_(step.text),
        choices=choices,
        number=where["number"],
        total=where["total"],
        screen=screen,
        can_go_back=len(state.path) > 1,
        is_last=not asks_more_after(flow, step.id, Family.TOUCH),
        minimum=step.minimum,
        maximum=step.maximum,
        max_length=step.max_length,
        value=value,
    )


def adjusted(
    value: str, change: str, minimum: float | None, maximum: float | None
) -> str:
    """The number after a tap on plus or minus, kept within the step's range.
    The first tap on an empty box gives the lowest number (or 0)."""
    start = minimum if minimum is not None else 0
    try:
        number = float(value) + float(change) if value.strip() else start
    except ValueError:
        number = start
    if minimum is not None:
        number = max(number, minimum)
    if maximum is not None:
        number = min(number, maximum)
    return plain_number(number)
