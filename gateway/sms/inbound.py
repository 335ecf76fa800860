"""One inbound SMS, start to finish: keywords, opt-outs, floods, then the conversation.

The message is recorded under its MessageSid in the same transaction as what
it changes, so a retried webhook gets the same reply and changes nothing. The
reply comes from local state only: nothing here waits on the network.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from flows.formats import iso, parse_iso
from flows.model import OPENING, Alert
from flows.render import prompt_as_shown, signposting
from gateway import store
from gateway.conversations import (
    ConversationClosed,
    close_conversation,
    continue_conversation,
    current_flow,
    keep_message,
    start_conversation,
)
from gateway.db import savepoint, write_txn
from gateway.privacy import InvalidNumber, pseudonym, to_e164
from gateway.runtime import Runtime
from gateway.sms.keywords import (
    HELP,
    OPT_IN,
    OPT_OUT,
    OptOutReading,
    answers_no,
    answers_yes,
    keyword,
    read_opt_out,
)
from gateway.sms.replies import help_text, privacy_line_first, to_twiml

log = logging.getLogger("gateway.sms.webhooks")
ASKED_TO_STOP = "asked_opt_out"  # the handling of a message we answered by asking
ASKED_TO_STOP_FOR = timedelta(hours=1)  # how long a yes to that question counts


@dataclass(frozen=True)
class InboundSms:
    message_sid: str
    sender: str
    body: str
    media_count: int = 0
    # The terminal simulator sends its lines through here as well, so that it
    # runs exactly as SMS does; its conversations are channel "simulator" and
    # test data, and it is never throttled as a flood.
    channel: str = "sms"
    is_test: bool = False


@dataclass(frozen=True)
class Handled:
    reply: str | None  # None: send nothing back
    handling: str  # what we did, kept with the message
    response_id: str | None = None


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
    with write_txn(db):
        seen = store.inbound_reply(db, message.message_sid)
        if seen is not None:
            return seen["reply"]
        try:
            phone = to_e164(message.sender, runtime.config["DEFAULT_COUNTRY_CODE"])
        except InvalidNumber:
            # Short codes and named senders are machines: answering may start a loop.
            ignored = Handled(None, "ignored_sender")
            return _record(db, message, now, None, ignored, reply_by_outbox)
        participant_id, person = None, None
        try:  # a failed statement undoes only itself; nothing else to roll back
            participant_id, person = _identify(db, runtime, phone, message, now)
        except Exception:
            log.exception("could not look up the sender of an inbound message")
        try:
            with savepoint(db):
                handled = _handle(db, runtime, participant_id, person, message, now)
                return _record(
                    db, message, now, participant_id, handled, reply_by_outbox
                )
        except Exception:
            log.exception("could not act on an inbound message; it is kept")
        handled = _after_failure(db, runtime, participant_id, message, now)
        try:
            with savepoint(db):
                return _record(
                    db, message, now, participant_id, handled, reply_by_outbox
                )
        except Exception:
            log.exception("could not record how an inbound message was handled")
        # The last resort: the message itself, so the 200 Twilio gets is true;
        # with its sender if that can be stored, so a DELETE still finds it.
        bare, kept = replace(message, media_count=0), Handled(handled.reply, "error")
        try:
            with savepoint(db):
                return _record(db, bare, now, participant_id, kept)
        except Exception:
            log.exception("could not record an inbound message with its sender")
        return _record(db, bare, now, None, kept)


def _record(
    db,
    message: InboundSms,
    now: datetime,
    participant_id: str | None,
    handled: Handled,
    reply_by_outbox: bool = False,
) -> str:
    reply = handled.reply
    if reply_by_outbox and reply and participant_id is not None:
        store.enqueue(
            db,
            participant_id=participant_id,
            kind="reply",
            now=iso(now),
            body=reply,
            priority=1,
        )
        reply = None  # so a retry of this webhook cannot say it a second time
    twiml = to_twiml(reply)
    store.record_inbound(
        db,
        message_sid=message.message_sid,
        participant_id=participant_id,
        received_at=iso(now),
        body=message.body,
        media_count=message.media_count,
        handling=handled.handling,
        response_id=handled.response_id,
        reply=twiml,
    )
    return twiml


def _keep(db, runtime, participant_id, message: InboundSms, now, reason: str) -> str:
    """Keep a text that starts no conversation, as a response of its own."""
    return keep_message(
        db,
        runtime,
        channel=message.channel,
        participant_id=participant_id,
        text=message.body,
        now=now,
        reason=reason,
        is_test=message.is_test,
    )


def _identify(db, runtime, phone: str, message, now) -> tuple[str, dict]:
    """The sender's pseudonym and what we know of them, made known if new."""
    participant_id = pseudonym(runtime.pseudonym_key, phone)
    since = iso(now - timedelta(minutes=1))
    person = store.sms_participant(db, participant_id, since)
    if person is None:
        store.ensure_participant(
            db, participant_id, iso(now), phone=phone, is_test=message.is_test
        )
        person = {"opted_out_at": None, "privacy_notice_at": None, "recent": 0}
    return participant_id, person


def _handle(db, runtime, participant_id, person, message, now) -> Handled:
    handled = _decide(db, runtime, participant_id, person, message, now)
    if handled.reply and person["privacy_notice_at"] is None:
        store.mark_privacy_notice(db, participant_id, iso(now))
        reply = privacy_line_first(runtime, handled.reply, person["privacy_notice_at"])
        handled = replace(handled, reply=reply)
    return handled


def _after_failure(db, runtime, participant_id, message, now) -> Handled:
    """Acting on a message failed: keep it, and still do what must not be missed."""
    _ = runtime.translate(runtime.config["DEFAULT_LANGUAGE"])
    bare_keyword = keyword(message.body) in OPT_OUT
    said_in_other_words = (
        not bare_keyword and read_opt_out(message.body) is OptOutReading.CLEAR
    )
    wants_to_stop = bare_keyword or said_in_other_words
    if participant_id is not None and wants_to_stop:
        try:
            with savepoint(db):
                store.set_opted_out(db, participant_id, iso(now))
                store.cancel_for_participant(db, participant_id, "opted out", iso(now))
                # Twilio confirms a bare keyword; nobody else would confirm this.
                reply = _stopped(_) if said_in_other_words else None
                return Handled(reply, "opt_out")
        except Exception:
            log.exception("could not record an opt-out")
    sorry = _(
        "Sorry, something went wrong. We have kept your message. "
        "Please try again later."
    )
    if not runtime.rules.check(message.body):
        return Handled(sorry, "error")
    response_id = None
    try:
        with savepoint(db):
            response_id = _keep(db, runtime, participant_id, message, now, "error")
    except Exception:
        log.exception("could not raise a safeguarding alert")
    return Handled(f"{signposting(_)}\n\n{sorry}", "error", response_id)


def _decide(
    db,
    runtime: Runtime,
    participant_id: str,
    person: dict,
    message: InboundSms,
    now: datetime,
) -> Handled:
    _ = runtime.translate(runtime.config["DEFAULT_LANGUAGE"])
    word = keyword(message.body)
    opted_out = person["opted_out_at"] is not None
    if word in OPT_OUT:
        return _opt_out(db, runtime, participant_id, message, now)
    if word in OPT_IN or (word == "YES" and opted_out):
        store.set_opted_out(db, participant_id, None)
        return Handled(
            _("Welcome back. You will get our messages again. Text HELP for help."),
            "opt_in",
        )
    if word == "DELETE":  # honoured whatever else is going on
        store.request_erasure(db, participant_id, iso(now), message.channel)
        reply = _(
            "Thank you. We will delete your number and your answers within one month."
        )
        return Handled(None if opted_out else reply, "erasure_request")
    if opted_out:  # kept, and a disclosure still alerts; but we may not reply
        response_id = _alert_without_reply(db, runtime, participant_id, message, now)
        return Handled(None, "while_opted_out", response_id)
    stopping = _stop_in_other_words(db, runtime, participant_id, person, message, now)
    if stopping is not None:
        return stopping
    flood = person["recent"] >= runtime.config["SMS_FLOOD_PER_MINUTE"]
    if flood and not message.is_test:
        return _flood(db, runtime, participant_id, message, person["recent"], now)
    if word in HELP:
        return Handled(help_text(runtime, _), "help")
    if message.media_count and not message.body.strip():
        return Handled(
            _("Sorry, we cannot see pictures. Please reply with words or a number."),
            "media_only",
        )
    open_session = store.find_open_session(db, participant_id, message.channel)
    if word == "RESTART":
        flow_id = open_session.state.flow_id if open_session else None
        return _start(
            db, runtime, participant_id, message, now, flow_id, None, "restart"
        )
    trigger = _trigger_flow(runtime, word)
    if trigger:
        return _start(
            db, runtime, participant_id, message, now, trigger, message.body, "started"
        )
    if open_session is not None:
        try:
            turn = continue_conversation(db, runtime, open_session, message.body, now)
            return Handled(turn.as_text(runtime), "answer", turn.response_id)
        except ConversationClosed:
            pass  # it had expired, or its flow changed: this starts a new one
    opening = message.body if message.body.strip() else None
    return _start(db, runtime, participant_id, message, now, None, opening, "started")


def _start(
    db, runtime, participant_id, message, now, flow_id, opening, handling
) -> Handled:
    turn = start_conversation(
        db,
        runtime,
        channel=message.channel,
        now=now,
        participant_id=participant_id,
        flow_id=flow_id,
        opening_text=opening,
        is_test=message.is_test,
    )
    return Handled(turn.as_text(runtime), handling, turn.response_id)


def _opt_out(
    db, runtime, participant_id: str, message: InboundSms, now: datetime
) -> Handled:
    """Twilio answers STOP itself, so we say nothing, and never write again."""
    store.set_opted_out(db, participant_id, iso(now))
    store.cancel_for_participant(db, participant_id, "opted out", iso(now))
    session = store.find_open_session(db, participant_id, message.channel)
    if session is not None:
        try:  # the opt-out stands even if closing the conversation fails
            with savepoint(db):
                close_conversation(db, runtime, session.response_id, now, "opted_out")
        except Exception:
            log.exception("opted out, but could not close the conversation")
    return Handled(None, "opt_out")


def _stop_in_other_words(
    db, runtime: Runtime, participant_id: str, person: dict, message, now
) -> Handled | None:
    """ "Stop 🙏", "Please stop": opt out and confirm, as Twilio did not. "Stop
    texting me" is unclear, so ask once; a yes (or asking again) soon after
    opts out. Words that may tell of harm are never taken for a stop: they go
    the usual way, signposted and alerted, unless the stop is plain."""
    _ = runtime.translate(runtime.config["DEFAULT_LANGUAGE"])
    reading = read_opt_out(message.body)
    harm = runtime.rules.check(message.body)
    if harm is not None and reading is not OptOutReading.CLEAR:
        return None
    asked = person.get("last_handling") == ASKED_TO_STOP and _recent(
        person.get("last_at"), now
    )
    if reading is OptOutReading.CLEAR or (
        asked and (reading or answers_yes(message.body))
    ):
        response_id = None
        if harm is not None:  # alert first, on the conversation it closes
            response_id = _alert_without_reply(
                db, runtime, participant_id, message, now
            )
        _opt_out(db, runtime, participant_id, message, now)
        reply = _stopped(_)
        return Handled(
            f"{signposting(_)}\n\n{reply}" if harm else reply, "opt_out", response_id
        )
    if asked and answers_no(message.body):
        return Handled(_carry_on(db, runtime, participant_id, message, _), "answer")
    if reading is OptOutReading.UNCLEAR:
        return Handled(
            _("Do you want us to stop texting you? Reply STOP if you do."),
            ASKED_TO_STOP,
        )
    return None


def _stopped(_) -> str:
    return _("You will not get any more texts from us. Text START to get them again.")


def _recent(when: str | None, now: datetime) -> bool:
    """Whether we asked "Do you want us to stop?" recently enough to take a
    yes as the answer to it, not to whatever comes next."""
    return when is not None and now - parse_iso(when) <= ASKED_TO_STOP_FOR


def _carry_on(db, runtime: Runtime, participant_id: str, message, _) -> str:
    """They do not want to stop: say so, and ask the open question again."""
    reply = _("Thank you. We will carry on.")
    session = store.find_open_session(db, participant_id, message.channel)
    flow = current_flow(runtime, session.state) if session else None
    if flow is None:
        return reply
    state = session.state
    question = prompt_as_shown(
        flow.step(state.current_step), state.family, runtime.translate(state.language)
    )
    return f"{reply}\n\n{question}"


def _flood(
    db,
    runtime: Runtime,
    participant_id: str,
    message: InboundSms,
    recent: int,
    now: datetime,
) -> Handled:
    """Kept but not answered; a disclosure of harm is still answered at once."""
    _ = runtime.translate(runtime.config["DEFAULT_LANGUAGE"])
    response_id = _alert_without_reply(db, runtime, participant_id, message, now)
    if response_id is not None:
        return Handled(signposting(_), "flood", response_id)
    if recent == runtime.config["SMS_FLOOD_PER_MINUTE"]:  # say so once per flood
        return Handled(
            _("You have sent a lot of messages. Please wait a minute, then reply."),
            "flood",
        )
    return Handled(None, "flood")


def _alert_without_reply(db, runtime, participant_id, message, now) -> str | None:
    """A message that is not answered in the usual way may still disclose harm:
    raise the alert on the open conversation, or on a response that keeps it."""
    match = runtime.rules.check(message.body)
    if match is None:
        return None
    session = store.find_open_session(db, participant_id, message.channel)
    if session is None:
        return _keep(db, runtime, participant_id, message, now, "message_only")
    alert = Alert(match.category, session.state.current_step or OPENING, match.phrase)
    store.add_alerts(db, session.response_id, (alert,), iso(now), session.is_test)
    return session.response_id


def _trigger_flow(runtime: Runtime, word: str | None) -> str | None:
    if word is None:
        return None
    for flow in runtime.flows.values():
        if word in flow.triggers:
            return flow.id
    return None
