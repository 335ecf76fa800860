"""A text being handled, as one value: the message, where and when it is
handled, and (once known) who sent it; and what was done with it.

Handling a text passes one `Texting` down through the steps, instead of the
same six values travelling side by side.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from flows.formats import iso
from flows.model import OPENING, Alert
from gateway import store
from gateway.conversations import keep_message, record_alerts
from gateway.runtime import Runtime


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


@dataclass(frozen=True)
class Texting:
    """One text being handled, and all that handling it needs."""

    db: object
    runtime: Runtime
    message: InboundSms
    now: datetime
    participant_id: str | None = None
    person: dict | None = None  # store.sms.sms_participant: opt-out, notice, recent

    @property
    def at(self) -> str:
        return iso(self.now)

    @cached_property
    def language(self) -> str:
        """The person's open conversation's language, else the default."""
        session = self.open_session if self.participant_id else None
        if session is not None:
            return session.state.language
        return self.runtime.config["DEFAULT_LANGUAGE"]

    @property
    def _(self):
        """The channel's own words (HELP, a stop, a flood), in `language`."""
        return self.runtime.translate(self.language)

    @cached_property
    def open_session(self) -> store.conversations.OpenSession | None:
        """The person's open conversation on this channel, as the text found
        it: read once, however many steps of handling ask."""
        return store.conversations.find_open_session(
            self.db, self.participant_id, self.message.channel
        )

    def keep(self, reason: str) -> str:
        """Keep a text that starts no conversation, as a response of its own."""
        return keep_message(
            self.db,
            self.runtime,
            channel=self.message.channel,
            participant_id=self.participant_id,
            text=self.message.body,
            now=self.now,
            reason=reason,
            is_test=self.message.is_test,
        )

    def alert_without_reply(self) -> str | None:
        """A text not answered in the usual way may still disclose harm: raise
        the alert on the open conversation, or on a response that keeps it."""
        match = self.runtime.rules.check(self.message.body)
        if match is None:
            return None
        session = self.open_session
        if session is None:
            return self.keep("message_only")
        step = session.state.current_step or OPENING
        alert = Alert(match.category, step, match.phrase)
        record_alerts(self.db, session.response_id, (alert,), self.at, session.is_test)
        return session.response_id
