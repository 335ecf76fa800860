"""The terminal simulator as a channel: a conversation run exactly as SMS runs
it, through the same handler, from a number that can never reach a phone.

Everything it records is test data, kept out of figures and sync.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

from flows.formats import iso
from flows.model import Family
from gateway import store
from gateway.channels import Channel

CHANNEL = Channel(
    name="simulator",
    family=Family.TEXT,
    idle_limit=lambda config: timedelta(hours=config["SMS_SESSION_HOURS"]),
    test_data_only=True,
)


def utc_now() -> datetime:
    return datetime.now(UTC)


class Simulation:
    """One simulated person texting one flow, line by line."""

    def __init__(self, db, runtime, clock: Callable[[], datetime] = utc_now):
        self.db, self.runtime, self.clock = db, runtime, clock
        self.number = self.participant_id = self.response_id = None

    def begin(self, flow_id: str, language: str | None = None) -> str:
        """A fresh test person starts `flow_id`; the first message they get."""
        from gateway.conversations import start_conversation
        from gateway.db import write_txn
        from gateway.sms.replies import with_privacy_line

        now = self.clock()
        with write_txn(self.db):
            self.number, self.participant_id = _fresh_test_person(self.db, iso(now))
            turn = start_conversation(
                self.db,
                self.runtime,
                channel=CHANNEL.name,
                now=now,
                participant_id=self.participant_id,
                flow_id=flow_id,
                language=language,
                is_test=True,
            )
            self.response_id = turn.response_id
            return with_privacy_line(
                self.db,
                self.runtime,
                self.participant_id,
                turn.as_text(self.runtime),
                now,
            )

    @property
    def is_open(self) -> bool:
        return (
            store.conversations.find_open_session(
                self.db, self.participant_id, CHANNEL.name
            )
            is not None
        )

    def send(self, text: str, message_id: str | None = None) -> str:
        """One line as one text message; the words of the reply ("" for none).
        The same `message_id` twice is one message, as a retried webhook is."""
        from gateway.ids import uuid7
        from gateway.sms.inbound import InboundSms, handle_inbound

        message = InboundSms(
            message_id or f"SIM{uuid7()}",
            self.number,
            text,
            channel=CHANNEL.name,
            is_test=True,
        )
        return reply_text(handle_inbound(self.db, self.runtime, message, self.clock()))

    def end_early(self) -> bool:
        """Close the conversation, if it is still open, as a partial response."""
        from gateway.conversations import close_conversation

        session = store.conversations.find_open_session(
            self.db, self.participant_id, CHANNEL.name
        )
        return bool(
            session
            and close_conversation(
                self.db, self.runtime, session.response_id, self.clock(), "reset"
            )
        )

    @property
    def opted_out(self) -> bool:
        person = store.sms.participant(self.db, self.participant_id)
        return bool(person and person["opted_out_at"])


def _fresh_test_person(db, now: str) -> tuple[str, str]:
    """A number from Ofcom's range for drama (07700 900000 to 900999, never a
    real phone) that no earlier simulation used, so each run starts afresh."""
    from gateway.pseudonyms import person_for_number

    for _ in range(50):
        number = f"+447700900{secrets.randbelow(1000):03d}"
        if store.participants.id_for_number(db, number) is None:
            return number, person_for_number(db, number, now, is_test=True)
    participant_id = person_for_number(db, number, now, is_test=True)
    store.sms.set_opted_out(db, participant_id, None)  # all used: start this one over
    store.sms.mark_privacy_notice(db, participant_id, None)
    return number, participant_id


def reply_text(twiml: str) -> str:
    """The words of a TwiML reply, as the person's phone would show them."""
    root = ElementTree.fromstring(twiml)  # noqa: S314 - our own TwiML
    return "\n\n".join(message.text or "" for message in root.iter("Message"))
