"""One inbound SMS, start to finish: keywords, opt-outs, floods, then the conversation.

The message is recorded under its MessageSid in the same transaction as what
it changes, so a retried webhook gets the same reply and changes nothing. The
reply comes from local state only: nothing here waits on the network.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

from flows.formats import iso
from flows.render import signposting
from gateway import store
from gateway.conversations import (
    ConversationClosed,
    continue_conversation,
    start_conversation,
)
from gateway.db import savepoint, write_txn
from gateway.privacy import InvalidNumber, to_e164
from gateway.pseudonyms import person_for_number
from gateway.runtime import Runtime
from gateway.sms.deleting import answer_to_delete, ask_to_delete
from gateway.sms.keywords import (
    HELP,
    OPT_IN,
    OPT_OUT,
    OptOutReading,
    keyword,
    read_opt_out,
)
from gateway.sms.message import Handled, InboundSms, Texting
from gateway.sms.replies import help_text, privacy_line_first, to_twiml
from gateway.sms.stopping import (
    ASKED_TO_STOP_FOR,
    opt_out,
    stop_in_other_words,
    stopped,
)

log = logging.getLogger("gateway.sms.webhooks")
__all__ = ["Handled", "InboundSms", "handle_inbound"]


def handle_inbound(
    db,
    runtime: Runtime,
    message: InboundSms,
    now: datetime,
    reply_by_outbox: bool = False,
) -> str:
    """Record and act on one message; return the TwiML to answer Twilio with.

    Acting on it is a savepoint with its record, so it happens whole or not at
    all. If it fails, the message is still kept, with who sent it, and what
    matters most still happens: a STOP still opts out, a disclosure of harm is
    still signposted and alerted. With `reply_by_outbox` (Twilio has stopped
    waiting for this one), the reply is queued as a priority text instead.
    """
    t = Texting(db, runtime, message, now)
    with write_txn(db):
        seen = store.sms.inbound_reply(db, message.message_sid)
        if seen is not None:
            return seen["reply"]
        try:
            phone = to_e164(message.sender, runtime.config["DEFAULT_COUNTRY_CODE"])
        except InvalidNumber:
            # Short codes and named senders are machines: answering may start a loop.
            return _record(t, Handled(None, "ignored_sender"), reply_by_outbox)
        try:  # a failed statement undoes only itself; nothing else to roll back
            t = _identify(t, phone)
        except Exception:
            log.exception("could not look up the sender of an inbound message")
        try:
            with savepoint(db):
                return _record(t, _handle(t), reply_by_outbox)
        except Exception:
            log.exception("could not act on an inbound message; it is kept")
        handled = _after_failure(t)
        try:
            with savepoint(db):
                return _record(t, handled, reply_by_outbox)
        except Exception:
            log.exception("could not record how an inbound message was handled")
        # The last resort: the message itself, so the 200 Twilio gets is true;
        # with its sender if that can be stored, so a DELETE still finds it.
        bare = replace(t, message=replace(message, media_count=0))
        kept = Handled(handled.reply, "error")
        try:
            with savepoint(db):
                return _record(bare, kept)
        except Exception:
            log.exception("could not record an inbound message with its sender")
        return _record(replace(bare, participant_id=None), kept)


def _record(t: Texting, handled: Handled, reply_by_outbox: bool = False) -> str:
    reply = handled.reply
    if reply_by_outbox and reply and t.participant_id is not None:
        store.outbox.enqueue(
            t.db,
            participant_id=t.participant_id,
            kind="reply",
            now=t.at,
            body=reply,
            priority=1,
        )
        reply = None  # so a retry of this webhook cannot say it a second time
    twiml = to_twiml(reply)
    store.sms.record_inbound(
        t.db,
        message_sid=t.message.message_sid,
        participant_id=t.participant_id,
        received_at=t.at,
        body=t.message.body,
        media_count=t.message.media_count,
        handling=handled.handling,
        response_id=handled.response_id,
        reply=twiml,
    )
    return twiml


def _identify(t: Texting, phone: str) -> Texting:
    """Who sent it and what we know of them, made known if new. A returning
    person is found by their number; a new one gets a first-come id at once,
    and their pseudonym is worked out later (gateway.pseudonyms)."""
    since = iso(t.now - timedelta(minutes=1))
    asked_since = iso(t.now - ASKED_TO_STOP_FOR)
    day_since = iso(t.now - timedelta(days=1))
    day_limit = t.runtime.config["SMS_DAILY_LIMIT"]
    person = store.sms.sms_participant(
        t.db, phone, since, asked_since, day_since, day_limit
    )
    if person is None:
        participant_id = person_for_number(t.db, phone, t.at, is_test=t.message.is_test)
        person = {
            "opted_out_at": None,
            "privacy_notice_at": None,
            "recent": 0,
            "today": 0,
        }
    else:
        participant_id = person["id"]
    return replace(t, participant_id=participant_id, person=person)


def _handle(t: Texting) -> Handled:
    handled = _decide(t)
    notice_at = t.person["privacy_notice_at"]
    # The privacy line is for people giving feedback, not for staff on duty.
    if handled.reply and notice_at is None and handled.handling != "duty_reply":
        store.sms.mark_privacy_notice(t.db, t.participant_id, t.at)
        handled = replace(
            handled,
            reply=privacy_line_first(t.runtime, handled.reply, notice_at, t.language),
        )
    return handled


def _after_failure(t: Texting) -> Handled:
    """Acting on a message failed: keep it, and still do what must not be missed."""
    _ = t._
    body = t.message.body
    bare_keyword = keyword(body) in OPT_OUT
    said_in_other_words = not bare_keyword and read_opt_out(body) is OptOutReading.CLEAR
    if t.participant_id is not None and (bare_keyword or said_in_other_words):
        try:
            with savepoint(t.db):
                store.sms.set_opted_out(t.db, t.participant_id, t.at)
                store.outbox.cancel_for_participant(
                    t.db, t.participant_id, "opted out", t.at
                )
                # Twilio confirms a bare keyword; nobody else would confirm this.
                reply = stopped(_) if said_in_other_words else None
                return Handled(reply, "opt_out")
        except Exception:
            log.exception("could not record an opt-out")
    sorry = _(
        "Sorry, something went wrong. We have kept your message. "
        "Please try again later."
    )
    if not t.runtime.rules.check(body):
        return Handled(sorry, "error")
    response_id = None
    try:
        with savepoint(t.db):
            response_id = t.keep("error")
    except Exception:
        log.exception("could not raise a safeguarding alert")
    return Handled(f"{signposting(_)}\n\n{sorry}", "error", response_id)


def _decide(t: Texting) -> Handled:
    _, message, person = t._, t.message, t.person
    word = keyword(message.body)
    opted_out = person["opted_out_at"] is not None
    if word in OPT_OUT:
        return opt_out(t)
    deciding = answer_to_delete(t)  # YES or NO to "Reply YES to delete"
    if deciding is not None:
        return deciding
    if word in OPT_IN or (word == "YES" and opted_out):
        store.sms.set_opted_out(t.db, t.participant_id, None)
        return Handled(
            _("Welcome back. You will get our messages again. Text HELP for help."),
            "opt_in",
        )
    if word == "DELETE":  # honoured whatever else is going on
        return ask_to_delete(t)
    if opted_out:  # kept, and a disclosure still alerts; but we may not reply
        return Handled(None, "while_opted_out", t.alert_without_reply())
    if person.get("on_duty") and t.open_session is None:
        # A duty contact answering an alert text: kept here, never feedback,
        # never synced, never read for harm (it may name the alert's words).
        return Handled(
            _(
                "This number sends safeguarding alerts. Replies are not read. "
                "Please look at the alerts on the board."
            ),
            "duty_reply",
        )
    stopping = stop_in_other_words(t)
    if stopping is not None:
        return stopping
    flood = person["recent"] >= t.runtime.config["SMS_FLOOD_PER_MINUTE"]
    if flood and not message.is_test:
        return _flood(t)
    over_the_day = person.get("today", 0) >= t.runtime.config["SMS_DAILY_LIMIT"]
    if over_the_day and not message.is_test:
        return _over_the_day(t)
    if word in HELP:
        return Handled(help_text(t.runtime, _), "help")
    if message.media_count and not message.body.strip():
        return Handled(
            _("Sorry, we cannot see pictures. Please reply with words or a number."),
            "media_only",
        )
    open_session = t.open_session
    if word == "RESTART":  # the same flow, in the same language, afresh
        flow_id = open_session.state.flow_id if open_session else None
        return _start(t, open_session, flow_id, None, "restart", t.language)
    trigger = _trigger_flow(t.runtime, word)
    if trigger:
        return _start(t, open_session, trigger, message.body, "started")
    if open_session is not None:
        try:
            turn = continue_conversation(
                t.db, t.runtime, open_session, message.body, t.now
            )
            return Handled(turn.as_text(t.runtime), "answer", turn.response_id)
        except ConversationClosed:  # it had expired, or its flow changed:
            open_session = None  # it is closed now, and this starts a new one
    opening = message.body if message.body.strip() else None
    return _start(t, open_session, None, opening, "started")


def _start(t: Texting, previous, flow_id, opening, handling, language=None) -> Handled:
    """Start a conversation, closing `previous` (the open one, or None) first."""
    turn = start_conversation(
        t.db,
        t.runtime,
        channel=t.message.channel,
        now=t.now,
        participant_id=t.participant_id,
        flow_id=flow_id,
        language=language,
        opening_text=opening,
        is_test=t.message.is_test,
        previous=previous,
    )
    return Handled(turn.as_text(t.runtime), handling, turn.response_id)


def _flood(t: Texting) -> Handled:
    """Kept but not answered; a disclosure of harm is still answered at once."""
    response_id = t.alert_without_reply()
    if response_id is not None:
        return Handled(signposting(t._), "flood", response_id)
    if t.person["recent"] == t.runtime.config["SMS_FLOOD_PER_MINUTE"]:  # say once
        return Handled(
            t._("You have sent a lot of messages. Please wait a minute, then reply."),
            "flood",
        )
    return Handled(None, "flood")


def _over_the_day(t: Texting) -> Handled:
    """A day's worth of messages from one phone: kept, not acted on; a
    disclosure of harm is still answered at once."""
    response_id = t.alert_without_reply()
    if response_id is not None:
        return Handled(signposting(t._), "over_daily_limit", response_id)
    if t.person["recent_handling"] != "over_daily_limit":  # say it once
        return Handled(
            t._(
                "You have sent a lot of messages today. We have kept them. "
                "Please reply again tomorrow."
            ),
            "over_daily_limit",
        )
    return Handled(None, "over_daily_limit")


def _trigger_flow(runtime: Runtime, word: str | None) -> str | None:
    if word is None:
        return None
    for flow in runtime.flows.values():
        if word in flow.triggers:
            return flow.id
    return None
