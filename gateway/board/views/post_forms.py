"""The form for writing a "You said, we did" post, and the easy-read words
of its choices and mistakes.

The view sets the site and tag choices (only the sites this person may
see) before the form is checked.
"""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, ValidationError

from flows.easyread import sms_segments
from gateway.board.views.inbox_filters import (
    MultiCheckboxField,
    OneFromList,
    as_choices,
)
from gateway.sync.protocol import (
    POST_CHANGES,
    POST_CHANNELS,
    POST_REASON_LIMIT,
    POST_RUNGS,
    POST_SMS_LIMIT,
    POST_TOOK_PART,
    POST_WORDS_LIMIT,
)

CHANGE_WORDS = {
    "planned": _l("We plan to do this"),
    "made": _l("We have done this"),
}
RUNG_WORDS = {  # the ladder of co-production, lowest first
    "informing": _l("Informing: we told people what we decided"),
    "consulting": _l("Consulting: we asked people, then we decided"),
    "engaging": _l("Engaging: we worked with people, and we decided"),
    "co-design": _l("Co-design: we designed it with people"),
    "co-production": _l("Co-production: we decided and did it together, as equals"),
}
TOOK_PART_WORDS = {
    "staff": _l("Staff"),
    "members": _l("Board members with lived experience"),
}
CHANNEL_WORDS = {
    "kiosk": _l("On the kiosk screens"),
    "sms": _l("By text, to people who said we may text them"),
}


MOST_TEXTS = 3


def one_line_ending(text: str | None) -> str:
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def _limit(limit: int) -> Length:
    return Length(max=limit, message=_l("Use %(limit)d letters or fewer.", limit=limit))


class PostForm(FlaskForm):
    post_id = HiddenField()  # the draft's id, made when the page is first shown
    words = TextAreaField(
        _l("What did you change, or plan to change?"),
        description=_l(
            "Say what people told you, and what you did about it. "
            "Use short sentences and everyday words."
        ),
        validators=[
            DataRequired(_l("Write what you changed.")),
            _limit(POST_WORDS_LIMIT),
        ],
    )
    sms_words = TextAreaField(
        _l("The same, as a text message"),
        description=_l(
            "Try to keep it to one text: 160 letters and spaces. Some letters, "
            "like ŵ, and curly quotes make one text hold only 70."
        ),
        validators=[_limit(POST_SMS_LIMIT)],
    )
    change = RadioField(
        _l("Is the change planned or made?"),
        choices=as_choices(CHANGE_WORDS.items()),
        validate_choice=False,
        validators=[AnyOf(list(POST_CHANGES), _l("Choose planned or made."))],
    )
    rung = RadioField(
        _l("How was it decided?"),
        choices=as_choices(RUNG_WORDS.items()),
        validate_choice=False,
        validators=[AnyOf(list(POST_RUNGS), _l("Choose how it was decided."))],
    )
    took_part = MultiCheckboxField(
        _l("Who took part in the decision?"),
        _l("Choose who took part from the list."),
        choices=as_choices(TOOK_PART_WORDS.items()),
    )
    reason = TextAreaField(
        _l("Why was it not decided together?"),
        description=_l(
            "Only if it was not co-production. One short sentence. Residents "
            "will read it."
        ),
        validators=[_limit(POST_REASON_LIMIT)],
    )
    tag = OneFromList(
        _l("Which feedback is it about? (you do not have to choose)"),
        _l("Choose a tag from the list."),
    )
    sites = MultiCheckboxField(
        _l("Which sites should hear about it?"), _l("Choose sites from the list.")
    )
    channels = MultiCheckboxField(
        _l("How should people hear about it?"),
        _l("Choose from the list."),
        choices=as_choices(CHANNEL_WORDS.items()),
    )

    def validate_took_part(self, field):
        if not field.data:
            raise ValidationError(gettext("Choose who took part."))

    def validate_reason(self, field):
        below = self.rung.data in POST_RUNGS and self.rung.data != "co-production"
        if below and not (field.data or "").strip():
            raise ValidationError(
                gettext("Say in one sentence why it was not decided together.")
            )

    def validate_sites(self, field):
        if not field.data:
            raise ValidationError(gettext("Choose at least one site."))

    def validate_channels(self, field):
        if not field.data:
            raise ValidationError(gettext("Choose at least one way to tell people."))

    def validate_sms_words(self, field):
        words = (field.data or "").strip()
        if "sms" in (self.channels.data or ()) and not words:
            raise ValidationError(
                gettext("Write the text message, or do not send one.")
            )
        if sms_segments(words).count > MOST_TEXTS:
            raise ValidationError(
                gettext("That is more than %(most)d texts. Make it shorter.")
                % {"most": MOST_TEXTS}
            )

    def fields(self) -> dict:
        """What the store keeps of a checked form: each text trimmed, its
        lines ended as "\n" (a browser sends "\r\n")."""
        co_produced = self.rung.data == "co-production"
        return {
            "words": one_line_ending(self.words.data),
            "sms_words": one_line_ending(self.sms_words.data),
            "change": self.change.data,
            "rung": self.rung.data,
            "took_part": [p for p in POST_TOOK_PART if p in self.took_part.data],
            "reason": "" if co_produced else one_line_ending(self.reason.data),
            "tag": self.tag.data or None,
            "channels": [c for c in POST_CHANNELS if c in self.channels.data],
        }
