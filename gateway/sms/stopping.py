"""Someone who wants to stop: the opt-out itself, a stop in other words, and
the one question we ask when it is unclear.

Twilio acts on a bare keyword itself (and confirms it); "Stop 🙏" or "Please
stop" it does not, so the gateway confirms those. Words that may tell of harm
are never taken for a stop: they go the usual way, signposted and alerted,
unless the stop is plain.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flows.render import prompt_as_shown, signposting
from gateway import store
from gateway.conversations import close_conversation, current_flow
from gateway.db import savepoint
from gateway.sms.keywords import OptOutReading, answers_no, answers_yes, read_opt_out
from gateway.sms.message import Handled, Texting

log = logging.getLogger("gateway.sms.webhooks")
ASKED_TO_STOP = "asked_opt_out"  # the handling of a message we answered by asking
ASKED_TO_STOP_FOR = timedelta(hours=1)  # how long a yes to that question counts


def opt_out(t: Texting) -> Handled:
    """Opt the person out and never write again; Twilio answers a bare STOP."""
    store.sms.set_opted_out(t.db, t.participant_id, t.at)
    store.outbox.cancel_for_participant(t.db, t.participant_id, "opted out", t.at)
    session = t.open_session
    if session is not None:
        try:  # the opt-out stands even if closing the conversation fails
            with savepoint(t.db):
                close_conversation(
                    t.db, t.runtime, session.response_id, t.now, "opted_out"
                )
        except Exception:
            log.exception("opted out, but could not close the conversation")
    return Handled(None, "opt_out")


def stop_in_other_words(t: Texting) -> Handled | None:
    """ "Stop 🙏": opt out and confirm. "Stop texting me" is unclear, so ask
    once; a yes (or asking again) soon after opts out. None: not a stop."""
    _ = t._
    reading = read_opt_out(t.message.body)
    harm = t.runtime.rules.check(t.message.body)
    if harm is not None and reading is not OptOutReading.CLEAR:
        return None
    # Their last text within ASKED_TO_STOP_FOR got our question.
    asked = t.person.get("recent_handling") == ASKED_TO_STOP
    if reading is OptOutReading.CLEAR or (
        asked and (reading or answers_yes(t.message.body))
    ):
        response_id = t.alert_without_reply() if harm else None  # before it closes
        opt_out(t)
        reply = stopped(_)
        if harm:
            reply = f"{signposting(_)}\n\n{reply}"
        return Handled(reply, "opt_out", response_id)
    if asked and answers_no(t.message.body):
        return Handled(_carry_on(t), "answer")
    if reading is OptOutReading.UNCLEAR:
        return Handled(
            _("Do you want us to stop texting you? Reply STOP if you do."),
            ASKED_TO_STOP,
        )
    return None


def stopped(_) -> str:
    return _("You will not get any more texts from us. Text START to get them again.")


def _carry_on(t: Texting) -> str:
    """They do not want to stop: say so, and ask the open question again."""
    reply = t._("Thank you. We will carry on.")
    session = t.open_session
    flow = current_flow(t.runtime, session.state) if session else None
    if flow is None:
        return reply
    state = session.state
    question = prompt_as_shown(
        flow.step(state.current_step), state.family, t.runtime.translate(state.language)
    )
    return f"{reply}\n\n{question}"
