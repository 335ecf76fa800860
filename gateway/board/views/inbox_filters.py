"""The inbox's filters: the filter panel (a GET form with this person's
choices), the filters read from the address, and inbox addresses that keep them.

A filter with a value the board does not know gets an easy-read error and is
left out; the others still apply. Links built here keep every filter that
was right, so a view can be kept or shared.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from flask import request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    SearchField,
    SelectField,
    SelectMultipleField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, ValidationError
from wtforms.widgets import TextInput

from flows.model import OPTION_KINDS
from gateway.board.store import filter_choices, review, tagging
from gateway.board.store import inbox as listing
from gateway.board.views.activity import (
    CHANNEL_WORDS,
    IDENTIFIER,
    STATUS_WORDS,
    day_words,
    language_words,
    start_of_day,
)
from gateway.runtime import current_runtime

FILTER_NAMES = (  # the address's names for every filter, in the panel's order
    "site",
    "flow",
    "channel",
    "language",
    "date_from",
    "date_to",
    "step",
    "value",
    "free_text",
    "status",
    "tag",
    "assigned",
    "q",
)
KEPT_NAMES = ("folder", *FILTER_NAMES)


def as_choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, str(label)) for value, label in pairs]


def labels_of(field) -> dict[str, str]:
    """A choice field's words for each value it offers."""
    return {choice.value: choice.label for choice in field.choices or ()}


class OneFromList(SelectField):
    """One choice from a list; a value not on it gets `problem`."""

    def __init__(self, label, problem, **kwargs):
        super().__init__(label, validate_choice=False, **kwargs)
        self.problem = problem
        self.type = "SelectField"  # drawn as one by the `field` macro

    def pre_validate(self, form):
        if self.data and self.data not in labels_of(self):
            raise ValidationError(self.problem)


class MultiCheckboxField(SelectMultipleField):  # the `field` macro's name for it
    """Some choices from a list, drawn as checkboxes by the `field` macro."""

    def __init__(self, label, problem, **kwargs):
        super().__init__(label, validate_choice=False, **kwargs)
        self.problem = problem

    def pre_validate(self, form):
        known = labels_of(self)
        if any(value not in known for value in self.data or ()):
            raise ValidationError(self.problem)


FIRST_YEAR, LAST_YEAR = 2000, 2099  # the days a filter may name


class DayField(DateField):
    """A day typed as people write it (27/11/2026) or as a link carries it
    (2026-11-27), in a plain text box: the browser's own date box has a
    calendar button whose keyboard focus cannot be shown."""

    widget = TextInput()

    def __init__(self, label=None, **kwargs):
        kwargs.setdefault(
            "format", ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d %m %Y"]
        )
        kwargs.setdefault("description", _l("For example, 27/11/2026."))
        super().__init__(label, **kwargs)

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0].strip():
            try:
                super().process_formdata(valuelist)
            except ValueError:
                raise ValueError(
                    gettext("Enter a real date, like 1/12/2026.")
                ) from None
            if not FIRST_YEAR <= self.data.year <= LAST_YEAR:
                self.data = None
                raise ValueError(
                    gettext(
                        "Enter a date from %(first)d to %(last)d.",
                        first=FIRST_YEAR,
                        last=LAST_YEAR,
                    )
                )


class FilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form: it changes nothing

    site = MultiCheckboxField(_l("Site"), _l("Choose sites from the list."))
    flow = OneFromList(_l("Questions"), _l("Choose a set of questions from the list."))
    channel = MultiCheckboxField(
        _l("How they answered"), _l("Choose from the ways on the list.")
    )
    language = OneFromList(_l("Language"), _l("Choose a language from the list."))
    date_from = DayField(_l("From (the first day)"))
    date_to = DayField(_l("To (the last day)"))
    step = OneFromList(
        _l("Question"),
        _l("Choose a question from the list."),
        description=_l("Choose a question. Press Apply. Then choose the answers."),
    )
    value = MultiCheckboxField(_l("Answers"), _l("Choose answers from the list."))
    free_text = BooleanField(_l("Only feedback with their own words"))
    status = OneFromList(_l("Where it has got to"), _l("Choose from the list."))
    tag = OneFromList(_l("Tag"), _l("Choose a tag from the list."))
    assigned = OneFromList(_l("Who has it"), _l("Choose a person from the list."))
    q = SearchField(
        _l("Words they used"),
        validators=[Length(max=100, message=_l("Use 100 letters or fewer."))],
    )

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(gettext("The last day must be after the first."))


def filter_form(conn, who: listing.Viewer) -> FilterForm:
    """The filter panel, from the address, with this person's choices."""
    form = FilterForm(request.args)
    anything = [("", gettext("Any"))]
    sites = filter_choices.site_choices(conn, who)
    form.site.choices = as_choices((name, name) for name in sites)
    flows = current_runtime().flows
    found = sorted(set(flows) | set(filter_choices.flows_found(conn)))
    form.flow.choices = as_choices(
        anything + [(f, flows[f].title if f in flows else f) for f in found]
    )
    form.channel.choices = as_choices(CHANNEL_WORDS.items())
    languages = filter_choices.languages_found(conn)
    form.language.choices = as_choices(
        anything + [(code, language_words(code)) for code in languages]
    )
    steps = _option_steps(form.flow.data if form.flow.data in flows else None)
    form.step.choices = as_choices(anything + [(s.id, s.text) for s in steps.values()])
    step = steps.get(form.step.data)
    form.value.choices = as_choices(_values_of(conn, step) if step else [])
    if step is None:
        form.value.data = []  # answers mean nothing without their question
    form.status.choices = as_choices(anything + list(STATUS_WORDS.items()))
    tags = tagging.all_tags(conn, who.sees_staff_only)
    form.tag.choices = as_choices(anything + [(t["name"], t["name"]) for t in tags])
    people = [(str(p["id"]), p["name"]) for p in review.reviewers(conn)]
    form.assigned.choices = as_choices(
        anything + [("me", gettext("Me")), ("none", gettext("No one"))] + people
    )
    form.validate()
    return form


def _option_steps(flow_id: str | None) -> dict:
    """Questions answered by picking, from the board's own flows: only their
    answers are offered (a free-text step's answers are people's words)."""
    flows = current_runtime().flows
    chosen = [flows[flow_id]] if flow_id else list(flows.values())
    steps = {}
    for flow in chosen:
        for step in flow.steps:
            if step.kind in OPTION_KINDS:
                steps.setdefault(step.id, step)
    return steps


def _values_of(conn, step) -> list[tuple[str, str]]:
    words = {option.value: gettext(option.words) for option in step.options}
    for value in filter_choices.values_found(conn, step.id):
        if IDENTIFIER.fullmatch(value):
            words.setdefault(value, value.replace("_", " ").capitalize())
    return list(words.items())


def chosen_filters(form: FilterForm, who: listing.Viewer) -> listing.Filters:
    """The filters given that are right; any with an error is left out."""
    ok = {field.name: field.data for field in form if not field.errors}
    first, last = ok.get("date_from"), ok.get("date_to")
    first = first if "date_to" in ok else None  # days the wrong way round: neither
    assigned = ok.get("assigned") or ""
    person = int(assigned) if assigned.isdigit() else None
    return listing.Filters(
        sites=tuple(ok.get("site") or ()),
        flow=ok.get("flow") or None,
        channels=tuple(ok.get("channel") or ()),
        language=ok.get("language") or None,
        closed_from=start_of_day(first) if first else None,
        closed_before=start_of_day(last + timedelta(days=1)) if last else None,
        step=ok.get("step") or None,
        values=tuple(ok.get("value") or ()) if ok.get("step") else (),
        free_text=bool(ok.get("free_text")),
        status=ok.get("status") or None,
        tag=ok.get("tag") or None,
        assigned_to=who.user_id if assigned == "me" else person,
        no_one_assigned=assigned == "none",
        words=(ok.get("q") or "").strip() or None,
    )


def inbox_url(pairs, page: int | None = None, **changes) -> str:
    """The inbox's address with these (name, value) pairs of the address, each
    name in `changes` given that value instead (None: taken away)."""
    kept = [(k, v) for k, v in pairs if k in KEPT_NAMES and k not in changes]
    kept += [(k, v) for k, v in changes.items() if v is not None]
    kept += [("page", str(page))] if page and page > 1 else []
    query = urlencode(kept)
    return url_for("board_pages.inbox") + (f"?{query}" if query else "")


def pairs_without(pairs, name: str, value: str | None = None):
    """The address's pairs without `name` (only its `value`, if given)."""
    return [(k, v) for k, v in pairs if k != name or (value is not None and v != value)]


def chosen_tags(form: FilterForm, pairs) -> list[tuple[str, str]]:
    """Each filter in use, as (its words, the address without it)."""
    found = []
    for name in FILTER_NAMES:
        field = form[name]
        label = field.label.text
        if field.errors or not field.data:
            continue
        if isinstance(field, SelectMultipleField):
            words = labels_of(field)
            for value in field.data:
                shown = f"{label}: {words[value]}"
                found.append((shown, inbox_url(pairs_without(pairs, name, value))))
            continue
        if isinstance(field, DateField):
            shown = f"{label}: {day_words(field.data)}"
        elif isinstance(field, SelectField):
            shown = f"{label}: {labels_of(field)[field.data]}"
        elif isinstance(field, BooleanField):
            shown = label
        else:
            shown = f"{label}: “{field.data.strip()}”"
        dropped = pairs_without(pairs, name)
        if name == "step":  # answers mean nothing without their question
            dropped = pairs_without(dropped, "value")
        found.append((shown, inbox_url(dropped)))
    return found
