"""What the SMS channel says in its own words: TwiML, the privacy line, help.

Flow wording comes from the flow files; these are the channel's own texts.
"""

from __future__ import annotations

from datetime import datetime
from xml.sax.saxutils import escape

from flows.formats import iso
from flows.render import signposting
from gateway import store
from gateway.runtime import Runtime

TWIML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>'


def to_twiml(text: str | None) -> str:
    """A TwiML reply, built as twilio's MessagingResponse builds it, but by hand:
    ElementTree was a tenth of a millisecond of every reply."""
    if not text:
        return TWIML_HEAD + "<Response />"
    return f"{TWIML_HEAD}<Response><Message>{escape(text)}</Message></Response>"


def privacy_line_first(
    runtime: Runtime, text: str, notice_at: str | None, language: str | None = None
) -> str:
    """The rule, for every text we send: the first message a person ever gets
    (they have no `privacy_notice_at` yet) says what we keep and how to stop.
    The caller marks the notice as given once the text is on its way."""
    if notice_at is not None:
        return text
    return add_privacy_line(runtime, text, language)


def with_privacy_line(
    db, runtime: Runtime, participant_id: str, text: str, now: datetime
) -> str:
    """`privacy_line_first` for a reply sent now, marking the notice as given."""
    notice_at = store.sms.participant(db, participant_id)["privacy_notice_at"]
    if notice_at is None:
        store.sms.mark_privacy_notice(db, participant_id, iso(now))
    return privacy_line_first(runtime, text, notice_at)


def add_privacy_line(runtime: Runtime, text: str, language: str | None = None) -> str:
    """Privacy line first, except that signposting for someone at risk always
    leads: a phone's preview shows only the start of a message."""
    language = language or runtime.config["DEFAULT_LANGUAGE"]
    line = privacy_line(runtime, language)
    help_now = signposting(runtime.translate(language))
    if text.startswith(help_now):
        return f"{help_now}\n\n{line}{text[len(help_now) :]}"
    return f"{line}\n\n{text}"


def privacy_line(runtime: Runtime, language: str | None = None) -> str:
    _ = runtime.translate(language or runtime.config["DEFAULT_LANGUAGE"])
    return _(
        "We keep your answers, not your name. Text STOP to end. "
        "Text DELETE to remove your answers."
    )


def help_text(runtime: Runtime, _) -> str:
    return _(
        "This is %(site)s. We want to hear what you think. Reply with a number "
        "or a few words. Text RESTART to start again. Text STOP to end."
    ) % {"site": runtime.config["SITE"]}


def duty_alert_text(runtime: Runtime) -> str:
    """What a duty contact is texted when someone may be at risk: where to
    look, and nothing of what was said or who said it."""
    _ = runtime.translate(runtime.config["DEFAULT_LANGUAGE"])
    return _(
        "Safeguarding alert at %(site)s. Someone may need help now. "
        "Please look at the alerts on the board. Replies are not read."
    ) % {"site": runtime.config["SITE"]}
