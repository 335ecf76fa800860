"""`gateway simulate`: a conversation in the terminal, run exactly as SMS runs it.

Each line of input is one text message, typed or scripted. The run is test
data, from a number in Ofcom's range for drama, so it can never reach a phone.
"""

from __future__ import annotations

import secrets
import sys
from xml.etree import ElementTree

import click

from flows.engine import iso
from gateway import store
from gateway.cli.base import app_database, app_from, require_flow, utc_now

CHANNEL = "simulator"
HOW_TO_STOP = (
    "Each line you type is one text message. "
    "To stop, press Ctrl+D: the answers so far are kept."
)
ENDED_EARLY = "(Ended early: saved as a partial response.)"
# A plain STOP gets no reply from the gateway: Twilio answers it on a real phone.
OPTED_OUT = (
    "(This number is opted out now. The gateway sends it nothing more. "
    "On a real phone, Twilio sends its own reply to STOP.)"
)


@click.command()
@click.argument("flow_id")
@click.option(
    "--language",
    default=None,
    help="Language code, such as en. Default: GATEWAY_DEFAULT_LANGUAGE.",
)
@click.pass_context
def simulate(ctx: click.Context, flow_id: str, language: str | None) -> None:
    """Chat through a flow in the terminal exactly as SMS runs it (saved as test data).

    Each line of standard input is one text message, so it can be scripted.
    Keywords work as they do by text: HELP, RESTART, STOP, DELETE. Press
    Ctrl+D (the end of the input) to stop: the answers so far are kept.
    """
    app = app_from(ctx)
    runtime = app.extensions["gateway"]
    require_flow(runtime, flow_id)
    languages = sorted({*runtime.catalogs, app.config["DEFAULT_LANGUAGE"]})
    if language is not None and language not in languages:
        raise click.BadParameter(
            f"There is no translation into '{language}'. "
            f"Languages here: {', '.join(languages)}.",
            param_hint="'--language'",
        )
    with app_database(app) as db:
        number, participant_id, response_id, opening = _begin(
            db, runtime, flow_id, language
        )
        click.echo(HOW_TO_STOP, err=True)
        try:
            click.echo(opening + "\n")
            last_reply = _chat(db, runtime, number, participant_id)
        except BrokenPipeError:
            # The reader went away (`| head -1`): keep what was said as partial,
            # then let click end quietly, as it does for any closed pipe.
            _end_early(db, runtime, participant_id)
            raise
        except KeyboardInterrupt:  # Ctrl+C: the same as Ctrl+D
            click.echo()
            _end_early(db, runtime, participant_id)
        else:
            if _opted_out(db, participant_id) and not last_reply:
                click.echo(OPTED_OUT, err=True)
    click.echo(f"Saved as test data, starting with response {response_id}.", err=True)


def _begin(db, runtime, flow_id: str, language: str | None):
    """A fresh test person and their first message: (number, id, response, text)."""
    from gateway.conversations import start_conversation
    from gateway.db import write_txn
    from gateway.sms.replies import with_privacy_line

    now = utc_now()
    with write_txn(db):
        number, participant_id = _fresh_test_person(db, runtime)
        store.ensure_participant(
            db, participant_id, iso(now), phone=number, is_test=True
        )
        turn = start_conversation(
            db,
            runtime,
            channel=CHANNEL,
            now=now,
            participant_id=participant_id,
            flow_id=flow_id,
            language=language,
            is_test=True,
        )
        opening = with_privacy_line(
            db, runtime, participant_id, turn.as_text(runtime), now
        )
    return number, participant_id, turn.response_id, opening


def _chat(db, runtime, number: str, participant_id: str) -> str | None:
    """Send each line as a text while the conversation is open; the last reply.

    A terminal shows what was typed; for a script, each line is echoed, so the
    transcript reads as the conversation did.
    """
    from gateway.ids import uuid7
    from gateway.sms.inbound import InboundSms, handle_inbound

    interactive = sys.stdin.isatty()
    reply = None
    while store.find_open_session(db, participant_id, CHANNEL):
        if interactive:
            click.echo("you> ", nl=False)
        line = sys.stdin.readline()
        if not line:
            if interactive:
                click.echo()  # Ctrl+D leaves the cursor after the prompt
            _end_early(db, runtime, participant_id)
            return reply
        text = line.rstrip("\r\n")
        if not interactive:
            click.echo(f"you> {text}")
        message = InboundSms(
            f"SIM{uuid7()}", number, text, channel=CHANNEL, is_test=True
        )
        reply = reply_text(handle_inbound(db, runtime, message, utc_now()))
        if reply:
            click.echo(reply + "\n")
    return reply


def _end_early(db, runtime, participant_id: str) -> None:
    """Close the conversation, if it is still open, as a partial response."""
    from gateway.conversations import close_conversation

    session = store.find_open_session(db, participant_id, CHANNEL)
    if session and close_conversation(
        db, runtime, session.response_id, utc_now(), "reset"
    ):
        click.echo(ENDED_EARLY, err=True)


def _opted_out(db, participant_id: str) -> bool:
    person = store.participant(db, participant_id)
    return bool(person and person["opted_out_at"])


def _fresh_test_person(db, runtime) -> tuple[str, str]:
    """A number from Ofcom's range for drama (07700 900000 to 900999, never a
    real phone) that no earlier simulation used, so each run starts afresh."""
    from gateway.privacy import pseudonym

    for _ in range(50):
        number = f"+447700900{secrets.randbelow(1000):03d}"
        participant_id = pseudonym(runtime.pseudonym_key, number)
        if store.participant(db, participant_id) is None:
            return number, participant_id
    store.set_opted_out(db, participant_id, None)  # all used: start this one over
    store.mark_privacy_notice(db, participant_id, None)
    return number, participant_id


def reply_text(twiml: str) -> str:
    """The words of a TwiML reply, as the person's phone would show them."""
    root = ElementTree.fromstring(twiml)  # noqa: S314 - our own TwiML
    return "\n\n".join(message.text or "" for message in root.iter("Message"))
