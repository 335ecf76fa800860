"""Someone who texts DELETE: we ask once, and a YES has it done.

DELETE asks "Reply YES to delete". A YES to that question within an hour
confirms it, and the worker carries it out soon after (gateway.erasure). A NO
keeps everything. Someone who has opted out is not asked, as we may not text
them: their DELETE is taken as meant, and carried out.
"""

from __future__ import annotations

from gateway import store
from gateway.sms.keywords import answers_no, answers_yes
from gateway.sms.message import Handled, Texting

ASKED_TO_DELETE = "erasure_request"  # the handling of a DELETE we asked about


def ask_to_delete(t: Texting) -> Handled:
    _ = t._
    if t.person.get("on_duty"):  # erasing them would stop the alerts
        return Handled(
            _(
                "This number gets safeguarding alerts, so it cannot be deleted. "
                "Ask the staff to take it off the list first."
            ),
            "duty_reply",
        )
    if t.person["opted_out_at"] is not None:
        store.erasure.request(
            t.db, t.participant_id, t.at, t.message.channel, "confirmed"
        )
        return Handled(None, ASKED_TO_DELETE)
    store.erasure.request(t.db, t.participant_id, t.at, t.message.channel, "asked")
    return Handled(
        _(
            "Do you want us to delete your answers and your phone number? "
            "Reply YES to delete them. Reply NO to keep them."
        ),
        ASKED_TO_DELETE,
    )


def answer_to_delete(t: Texting) -> Handled | None:
    """Their YES or NO to our question, or None if this is neither."""
    _, body = t._, t.message.body
    if t.person.get("recent_handling") != ASKED_TO_DELETE:
        return None
    if answers_yes(body):
        if not store.erasure.decide(t.db, t.participant_id, t.at, confirmed=True):
            return None  # nothing was asked (an opted-out DELETE is not)
        return Handled(
            _(
                "Thank you. We are deleting your answers and your phone number. "
                "We will not text you again."
            ),
            "erasure_confirmed",
        )
    if answers_no(body):
        if not store.erasure.decide(t.db, t.participant_id, t.at, confirmed=False):
            return None
        return Handled(_("OK. We have deleted nothing."), "erasure_kept")
    return None
