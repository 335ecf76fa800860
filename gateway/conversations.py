"""One conversation turn end to end: load, run the engine, save, in one transaction.

Every channel (SMS, kiosk, simulator) calls these, so a reply is only ever
sent for a turn that is already committed to disk.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flows.engine import (
    advance_session,
    choose_option,
    close_session,
    decline_step,
    go_back,
    is_expired,
    start_session,
)
from flows.formats import iso
from flows.model import TEXT_LIMIT, Alert, Flow, Outcome
from flows.render import sms_text
from gateway import channels, store
from gateway.db import write_txn
from gateway.runtime import Runtime

log = logging.getLogger("gateway.safeguarding")

LOOK_IT_UP = object()  # start_conversation reads the open conversation itself


class ConversationClosed(Exception):
    """The conversation has ended (finished, expired or reset); start a new one."""


@dataclass(frozen=True)
class Turn:
    response_id: str
    flow: Flow
    outcome: Outcome

    def as_text(self, runtime: Runtime) -> str:
        state = self.outcome.state
        return sms_text(
            self.flow,
            self.outcome.replies,
            state.family,
            runtime.translate(state.language),
        )


def idle_limit(runtime: Runtime, channel: str) -> timedelta:
    """How long a conversation on `channel` may go quiet before it closes."""
    return channels.channel(channel).idle_limit(runtime.config)


def start_conversation(
    db,
    runtime: Runtime,
    *,
    channel: str,
    now: datetime,
    participant_id: str | None = None,
    flow_id: str | None = None,
    language: str | None = None,
    kiosk: str | None = None,
    is_test: bool = False,
    opening_text: str | None = None,
    previous=LOOK_IT_UP,
) -> Turn:
    """Begin a flow; a person's unfinished conversation on this channel closes first.

    `opening_text` is the message that started it (unprompted feedback, a late
    reply): kept with the response, checked for harm, never taken as an answer.
    `previous` is that unfinished conversation (or None), for a caller that
    has already read it in this transaction.
    """
    flow = runtime.flow(flow_id)
    language = language or runtime.config["DEFAULT_LANGUAGE"]
    with write_txn(db):
        if participant_id is not None:
            if previous is LOOK_IT_UP:
                previous = store.conversations.find_open_session(
                    db, participant_id, channel
                )
            if previous is not None:
                _close(db, runtime, previous, now, "restarted")
        response_id, outcome = _begin(
            db,
            runtime,
            flow,
            language,
            now,
            channel=channel,
            participant_id=participant_id,
            kiosk=kiosk,
            is_test=is_test,
            opening_text=opening_text,
        )
    return Turn(response_id, flow, outcome)


def _begin(
    db,
    runtime: Runtime,
    flow: Flow,
    language: str,
    now: datetime,
    *,
    channel: str,
    participant_id: str | None,
    is_test: bool,
    opening_text: str | None,
    kiosk: str | None = None,
    close_reason: str | None = None,
) -> tuple[str, Outcome]:
    """Start `flow` and store its response, answers and any alert; with
    `close_reason`, close it again at once as partial."""
    if opening_text:
        opening_text = opening_text[:TEXT_LIMIT]
    outcome = start_session(
        flow,
        channel,
        language,
        now,
        runtime.context(language),
        opening_text,
        family=channels.channel(channel).family,
    )
    response_id = store.conversations.create_response(
        db,
        site_id=runtime.site_id,
        participant_id=participant_id,
        state=outcome.state,
        kiosk=kiosk,
        is_test=is_test,
        opening_text=opening_text,
    )
    state = outcome.state
    if close_reason is not None:
        state = close_session(flow, state, now, close_reason)
    store.conversations.save_session(
        db,
        store.conversations.OpenSession(response_id, participant_id, state, is_test),
        is_new=True,
    )
    record_alerts(db, response_id, outcome.alerts, iso(now), is_test)
    return response_id, outcome


def answer(db, runtime: Runtime, response_id: str, text: str, now: datetime) -> Turn:
    """Apply one answer to an open conversation; raise ConversationClosed if none.

    Loading and advancing share one transaction, so two answers arriving at
    once are taken in turn; a close is kept (the transaction commits) before the
    exception is raised.
    """
    with write_txn(db):
        session = store.conversations.load_session(db, response_id)
        if session is None:
            closed = ConversationClosed(response_id)
        else:
            try:
                return continue_conversation(db, runtime, session, text, now)
            except ConversationClosed as error:
                closed = error
    raise closed


@dataclass(frozen=True)
class TurnInput:
    """One thing a person did in a conversation, whatever the channel."""

    kind: str  # "text" (words typed), "choice" (an option tapped), "decline", "back"
    value: str | None = None  # the words, or the chosen option's value


TURN_KINDS = frozenset({"text", "choice", "decline", "back"})


def current_flow(runtime: Runtime, state) -> Flow | None:
    """The flow a conversation began on, if that version is still the one
    loaded; None if it has changed or gone (the conversation must then close)."""
    flow = runtime.flows.get(state.flow_id)
    if flow is None or flow.version != state.flow_version:
        return None
    return flow


def apply_turn(
    db,
    runtime: Runtime,
    session: store.conversations.OpenSession,
    given: TurnInput,
    now: datetime,
) -> Turn:
    """Apply one input to a conversation already loaded in this transaction: the
    one path for every channel.

    A conversation found expired, or begun on a flow that has since changed, is
    closed as partial, and kept with the caller's transaction, before
    ConversationClosed is raised. ValueError for a choice that is not an option.
    """
    if given.kind not in TURN_KINDS:
        raise ValueError(f"{given.kind!r} is not a kind of turn")
    state, response_id = session.state, session.response_id
    with write_txn(db):
        flow = current_flow(runtime, state)
        ended = None
        if flow is None:
            ended = "flow_changed"
        elif is_expired(state, now, idle_limit(runtime, state.channel)):
            ended = "expired"
        if ended:
            _close(db, runtime, session, now, ended)
        else:
            outcome = _run_engine(flow, state, given, now, runtime)
            store.conversations.save_session(
                db,
                store.conversations.OpenSession(
                    response_id, session.participant_id, outcome.state, session.is_test
                ),
                before=state,
            )
            record_alerts(db, response_id, outcome.alerts, iso(now), session.is_test)
    if ended:
        raise ConversationClosed(response_id)
    return Turn(response_id, flow, outcome)


def _run_engine(flow: Flow, state, given: TurnInput, now, runtime) -> Outcome:
    context = runtime.context(state.language)
    if given.kind == "back":
        return go_back(flow, state, now)
    if given.kind == "decline":
        return decline_step(flow, state, now, context)
    if given.kind == "choice":
        return choose_option(flow, state, given.value or "", now, context)
    return advance_session(flow, state, given.value or "", now, context)


def continue_conversation(
    db,
    runtime: Runtime,
    session: store.conversations.OpenSession,
    text: str,
    now: datetime,
) -> Turn:
    """Words typed into a conversation already loaded in this transaction."""
    return apply_turn(db, runtime, session, TurnInput("text", text), now)


def close_conversation(
    db, runtime: Runtime, response_id: str, now: datetime, reason: str
) -> bool:
    """Close an open conversation as partial; False if it was not open."""
    with write_txn(db):
        session = store.conversations.load_session(db, response_id)
        if session is None:
            return False
        _close(db, runtime, session, now, reason)
    return True


def first_message(runtime: Runtime, flow_id: str, channel: str, now: datetime) -> str:
    """What starting `flow_id` would say, without starting anything (an invitation
    is worded before it is sent; its conversation starts once it has gone)."""
    flow = runtime.flow(flow_id)
    language = runtime.config["DEFAULT_LANGUAGE"]
    family = channels.channel(channel).family
    context = runtime.context(language)
    outcome = start_session(flow, channel, language, now, context, family=family)
    return sms_text(flow, outcome.replies, family, runtime.translate(language))


def keep_message(
    db,
    runtime: Runtime,
    *,
    channel: str,
    participant_id: str | None,
    text: str,
    now: datetime,
    reason: str,
    is_test: bool = False,
) -> str:
    """Keep a message that starts no conversation as a closed response of its own,
    with any safeguarding alert it raises; return the response id."""
    with write_txn(db):
        response_id, _outcome = _begin(
            db,
            runtime,
            runtime.flow(),
            runtime.config["DEFAULT_LANGUAGE"],
            now,
            channel=channel,
            participant_id=participant_id,
            is_test=is_test,
            opening_text=text,
            close_reason=reason,
        )
    return response_id


def close_idle_conversations(db, runtime: Runtime, now: datetime) -> int:
    """Close every conversation that has gone quiet too long, on any channel."""
    closed = 0
    with write_txn(db):
        for limit, names in channels.by_idle_limit(runtime.config).items():
            idle = store.conversations.idle_sessions(db, names, iso(now - limit))
            for session in idle:
                _close(db, runtime, session, now, "expired")
            closed += len(idle)
    return closed


def _close(
    db,
    runtime: Runtime,
    session: store.conversations.OpenSession,
    now: datetime,
    reason: str,
) -> None:
    flow = current_flow(runtime, session.state) or _stand_in_flow(session)
    state = close_session(flow, session.state, now, reason)
    store.conversations.save_session(
        db,
        store.conversations.OpenSession(
            session.response_id, session.participant_id, state, session.is_test
        ),
        before=session.state,
    )


def _stand_in_flow(session: store.conversations.OpenSession) -> Flow:
    """The flow has changed or gone: close with the answers already given."""
    return Flow(session.state.flow_id, session.state.flow_version, "", "en", (), "")


def record_alerts(
    db, response_id: str, alerts: tuple[Alert, ...], now: str, is_test: bool
) -> None:
    """Store what may tell of harm, text the site's duty contacts (not for
    test data), and say so in the log: its category and where, never the words
    that raised it (the rule is one of them)."""
    alert_ids = store.conversations.add_alerts(db, response_id, alerts, now, is_test)
    if alert_ids and not is_test and not store.duty.notify(db, alert_ids, now):
        log.error(
            "safeguarding alert on response %s: there is no duty contact to text "
            "(add one with `gateway duty add`)",
            response_id,
        )
    for alert in alerts:
        log.warning(
            "safeguarding alert (%s) on response %s, at %s",
            alert.category,
            response_id,
            alert.step_id,
        )
