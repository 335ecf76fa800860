"""The paper card pages' forms and the words of their errors.

The first form says where and when the card was filled in and which questions
it has; the second is built for the flow, one field per question a kiosk
would ask, worded as the kiosk words it.
"""

from __future__ import annotations

import uuid
from datetime import date

from flask_babel import gettext, lazy_gettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, Length, ValidationError

from flows.formats import plain_number
from flows.model import OPTION_KINDS, Family, Flow, Step, StepKind
from flows.render import prompt_as_shown
from gateway.board import paper

EARLIEST_YEAR = 2020
REAL_DATE = lazy_gettext("Enter a real date, such as 27 3 2026.")


def _date_part(label, most: int) -> StringField:
    return StringField(
        label,
        validators=[Length(max=most, message=REAL_DATE)],
        render_kw={"maxlength": most, "inputmode": "numeric"},
    )


class CardStartForm(FlaskForm):
    """Where and when. The view sets the choices and `today` before checking."""

    site = SelectField(
        lazy_gettext("Which site is the card from?"), validate_choice=False
    )
    day = _date_part(lazy_gettext("Day"), 2)
    month = _date_part(lazy_gettext("Month"), 2)
    year = _date_part(lazy_gettext("Year"), 4)
    flow = RadioField(
        lazy_gettext("Which questions are on the card?"), validate_choice=False
    )
    today: date

    def validate_site(self, field):
        if not field.data or field.data not in _values(field):
            raise ValidationError(gettext("Choose the site the card is from."))

    def validate_day(self, _field):
        problem = date_problem(self.written(), self.today)
        if problem:
            raise ValidationError(problem)

    def validate_flow(self, field):
        if field.data not in _values(field):
            raise ValidationError(gettext("Choose which questions are on the card."))

    def written(self) -> date | str | None:
        """The date on the card; None if a part is missing, "" if not a date."""
        parts = [(p.data or "").strip() for p in (self.year, self.month, self.day)]
        if not all(parts):
            return None
        try:
            return date(*(int(part) for part in parts))
        except ValueError:
            return ""


def _values(field) -> set[str]:
    return {choice.value for choice in field.choices}


def date_problem(written: date | str | None, today: date) -> str | None:
    """What is wrong with the date written on a card, in easy words; or None."""
    if written is None:
        return gettext("Enter the date on the card: the day, month and year.")
    if not isinstance(written, date):
        return str(REAL_DATE)
    if written.year < EARLIEST_YEAR:
        return gettext("The date must be in 2020 or later.")
    if written > today:
        return gettext("The date cannot be in the future. Check the card.")
    return None


# The card's answers ------------------------------------------------------------


def answer_field(step: Step) -> str:
    return f"answer-{step.id}"


def _one_line_ending(text):
    """A browser sends a new line as two characters; its maxlength counts one."""
    return text.replace("\r\n", "\n") if isinstance(text, str) else text


def card_form(flow: Flow, translate) -> FlaskForm:
    """The card page's form: one field per question the kiosk would ask."""

    class CardForm(FlaskForm):
        form_id = HiddenField()  # becomes the response's id: one card, once
        helped = BooleanField(lazy_gettext("Someone helped them fill it in"))

    choose = gettext("Choose one of the answers, or Did not answer.")
    for number, step in enumerate(paper.questions_shown(flow), 1):
        label = gettext(
            "%(number)s. %(question)s",
            number=number,
            question=prompt_as_shown(step, Family.TOUCH, translate),
        )
        if step.kind in OPTION_KINDS:
            options = [SelectChoice(o.value, translate(o.words)) for o in step.options]
            allowed = [option.value for option in options] + ["", None]
            field = RadioField(
                label,
                choices=[*options, SelectChoice("", gettext("Did not answer"))],
                validate_choice=False,
                validators=[AnyOf(allowed, message=choose)],
            )
        elif step.kind is StepKind.TEXT:
            too_long = gettext(
                "This answer is too long. It can have up to %(most)s letters.",
                most=step.max_length,
            )
            field = TextAreaField(
                label,
                filters=[_one_line_ending],
                validators=[Length(max=step.max_length, message=too_long)],
                render_kw={"maxlength": step.max_length, "rows": 5},
            )
        else:  # a number: the engine reads it as it reads a text
            field = StringField(
                label, validators=[Length(max=40)], render_kw={"maxlength": 40}
            )
        setattr(CardForm, answer_field(step), field)
    return CardForm()


def is_form_id(value) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except (TypeError, ValueError, AttributeError):
        return False


def given_answers(form, flow: Flow) -> dict[str, str]:
    """Each question's answer on the card; blank ones are left out."""
    found = {}
    for step in paper.questions_shown(flow):
        value = (form[answer_field(step)].data or "").strip()
        if value:
            found[step.id] = value
    return found


def question_number(flow: Flow, step_id: str) -> int:
    shown = [step.id for step in paper.questions_shown(flow)]
    return shown.index(step_id) + 1


def hint_for(flow: Flow, step: Step, translate) -> str | None:
    """ "Only if ...", beside a question that one earlier answer leads to."""
    asked_after = paper.only_when(flow).get(step.id)
    if not asked_after:
        return None
    earlier, words = asked_after
    return gettext(
        "Only if they answered %(words)s to question %(number)s.",
        words=translate(words),
        number=question_number(flow, earlier),
    )


def problem_words(flow: Flow, problem: paper.CardProblem, translate) -> str:
    """Why the engine would not take this answer, and what to do."""
    step = flow.step(problem.step_id)
    if problem.reason == "skipped":
        asked_after = paper.only_when(flow).get(step.id)
        if not asked_after:
            return gettext(
                "The card's other answers skip this question. Leave it empty."
            )
        earlier, words = asked_after
        return gettext(
            "This question is only for people who answered %(words)s to "
            "question %(number)s. Check question %(number)s, or leave this empty.",
            words=translate(words),
            number=question_number(flow, earlier),
        )
    if step.kind is StepKind.NUMBER:
        if step.minimum is not None and step.maximum is not None:
            return gettext(
                "Enter a number from %(low)s to %(high)s, or leave it empty.",
                low=plain_number(step.minimum),
                high=plain_number(step.maximum),
            )
        return gettext("Enter a number, or leave it empty.")
    return gettext("Choose one of the answers, or Did not answer.")


def form_errors(form) -> list[tuple[str, str]]:
    """(field id, message) for the error summary, each message once; a radio
    links to its first choice."""
    found: list[tuple[str, str]] = []
    for field in form:
        if field.errors and field.errors[0] not in {m for _, m in found}:
            anchor = f"{field.id}-0" if field.type == "RadioField" else field.id
            found.append((anchor, field.errors[0]))
    return found
