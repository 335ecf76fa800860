"""The forms on a response's page, and the page's set of them: each empty, or
the one a person sent back with a mistake.

Every text has a limit and an easy-read message for each mistake. Who may
send which form is checked by the routes in response.py.
"""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length

from flows.model import OPENING
from gateway.board.views.activity import STATUS_WORDS, own_words, step_of
from gateway.board.views.inbox_filters import OneFromList, as_choices

NOTE_LIMIT = 2000
TOO_LATE = _l(
    "You cannot change that now. You can change your own words for 15 minutes "
    "after you write them."
)
NOT_THERE = _l("Those words are not in that answer. Copy them exactly. Then try again.")


def _text(label, required: str | None = None, limit=NOTE_LIMIT, **kwargs):
    checks = [DataRequired(required)] if required else []
    too_long = _l("Use %(limit)d letters or fewer.", limit=limit)
    return TextAreaField(
        label, validators=[*checks, Length(max=limit, message=too_long)], **kwargs
    )


class StatusForm(FlaskForm):
    status = RadioField(
        _l("Where has it got to?"),
        choices=as_choices(STATUS_WORDS.items()),
        validate_choice=False,
        validators=[AnyOf(list(STATUS_WORDS), _l("Choose where it has got to."))],
    )
    status_note = _text(_l("Note for staff (you do not have to write one)"))


class FlagForm(FlaskForm):
    flagged = HiddenField(validators=[AnyOf(["yes", "no"])])


class AssignForm(FlaskForm):
    person = SelectField(_l("Who has it"), validate_choice=False)  # checked by site


class TagForm(FlaskForm):
    tag_name = StringField(
        _l("Add a tag"),
        description=_l("Choose a tag, or type a new one."),
        validators=[
            DataRequired(_l("Enter a tag.")),
            Length(max=60, message=_l("Use 60 letters or fewer.")),
        ],
        render_kw={"list": "board-tag-names", "autocomplete": "off"},
    )


class CommentForm(FlaskForm):
    comment = _text(
        _l("Write a comment"),
        _l("Write your comment first."),
        description=_l("Everyone who can see this feedback can read it."),
    )


class InternalNoteForm(FlaskForm):
    internal_note = _text(
        _l("Write a note for staff"),
        _l("Write your note first."),
        description=_l("Only staff can read it. Board members cannot."),
    )


class EditNoteForm(FlaskForm):
    note_body = _text(
        _l("Change what it says"), _l("Write something. It cannot be empty.")
    )


class HideForm(FlaskForm):
    hide_in = OneFromList(_l("Which words"), _l("Choose which words from the list."))
    passage = StringField(
        _l("The words to hide"),
        description=_l("Copy them exactly from what they wrote. Then paste them here."),
        validators=[
            DataRequired(_l("Enter the words to hide.")),
            Length(max=500, message=_l("Use 500 letters or fewer.")),
        ],
    )


class AlertForm(FlaskForm):
    what_was_done = _text(
        _l("What did you do?"),
        _l("Write what you did. Who did you tell? What happened?"),
        description=_l("Who did you tell? What happened?"),
    )


def hideable_texts(found: dict, answers: list[dict]) -> list[tuple[str, str]]:
    """The texts a passage can be hidden in: (step id or OPENING, its words)."""
    texts = [(OPENING, gettext("Their first message"))] if found["opening_text"] else []
    return texts + [
        (a["step_id"], a["prompt"])
        for a in answers
        if own_words(a, step_of(found, a["step_id"]))
    ]


def page_forms(found: dict, people, hideable, sent: dict) -> dict:
    """Every form the page shows, by name: the one in `sent` (a form sent with
    a mistake) in place of its empty one. `people`: who it can be given to;
    `hideable`: the texts words can be hidden in."""
    status = found["review_status"]
    status_form = sent.get("status_form") or StatusForm(formdata=None, status=status)
    person = str(found["assigned_to"] or "")
    assign_form = sent.get("assign_form") or AssignForm(formdata=None, person=person)
    assign_form.person.choices = as_choices(
        [("", gettext("No one"))] + [(str(p["id"]), p["name"]) for p in people]
    )
    hide_form = sent.get("hide_form") or HideForm(formdata=None)
    hide_form.hide_in.choices = as_choices(hideable)
    return {
        "status_form": status_form,
        "assign_form": assign_form,
        "hide_form": hide_form,
        "tag_form": sent.get("tag_form") or TagForm(formdata=None),
        "comment_form": sent.get("comment_form") or CommentForm(formdata=None),
        "note_form": sent.get("note_form") or InternalNoteForm(formdata=None),
        "alert_form": sent.get("alert_form") or AlertForm(formdata=None),
        "edit_form": sent.get("edit_form"),
    }
