"""Working with the answers: `gateway simulate`, `export` and `backup`."""

from __future__ import annotations

import secrets
import shutil
import sys
from pathlib import Path
from xml.etree import ElementTree

import click

from flows.engine import iso
from gateway import store
from gateway.cli.base import app_database, app_from, require_flow, utc_now
from gateway.config import pseudonym_key_file, secret_key_file


@click.command()
@click.argument("flow_id")
@click.option("--language", default=None, help="Language code, such as en.")
@click.pass_context
def simulate(ctx: click.Context, flow_id: str, language: str | None) -> None:
    """Chat through a flow in the terminal exactly as SMS runs it (saved as test data).

    Each line of standard input is one text message, so it can be scripted.
    Keywords work as they do by text: HELP, RESTART, STOP, DELETE.
    """
    from gateway.conversations import close_conversation, start_conversation
    from gateway.db import write_txn
    from gateway.ids import uuid7
    from gateway.sms_inbound import InboundSms, handle_inbound
    from gateway.sms_replies import with_privacy_line

    app = app_from(ctx)
    runtime = app.extensions["gateway"]
    require_flow(runtime, flow_id)
    interactive = sys.stdin.isatty()
    with app_database(app) as db:
        now = utc_now()
        with write_txn(db):
            number, participant_id = _fresh_test_person(db, runtime)
            store.ensure_participant(
                db, participant_id, iso(now), phone=number, is_test=True
            )
            turn = start_conversation(
                db,
                runtime,
                channel="simulator",
                now=now,
                participant_id=participant_id,
                flow_id=flow_id,
                language=language,
                is_test=True,
            )
            opening = with_privacy_line(
                db, runtime, participant_id, turn.as_text(runtime), now
            )
        click.echo(opening + "\n")
        while session := store.find_open_session(db, participant_id, "simulator"):
            if interactive:
                click.echo("you> ", nl=False)
            line = sys.stdin.readline()
            if not line:
                close_conversation(db, runtime, session.response_id, utc_now(), "reset")
                click.echo("(Ended early: saved as a partial response.)", err=True)
                break
            message = InboundSms(
                f"SIM{uuid7()}",
                number,
                line.rstrip("\r\n"),
                channel="simulator",
                is_test=True,
            )
            reply = reply_text(handle_inbound(db, runtime, message, utc_now()))
            if reply:
                click.echo(reply + "\n")
    click.echo(
        f"Saved as test data, starting with response {turn.response_id}.", err=True
    )


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


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl"]),
    default="csv",
    show_default=True,
)
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    help="Only responses closed on or after this date (UTC).",
)
@click.option("--flow", "flow_id", help="Only this flow's responses.")
@click.option("--include-test", is_flag=True, help="Include simulator and demo data.")
@click.option(
    "--output",
    "-o",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="File to write (default: standard output).",
)
@click.pass_context
def export(ctx, fmt, since, flow_id, include_test, output) -> None:
    """Export closed responses, one per row or line. Never includes phone numbers."""
    from gateway.export import write_csv, write_jsonl

    app = app_from(ctx)
    since_text = since.strftime("%Y-%m-%dT%H:%M:%S") if since else None
    with app_database(app) as db:
        rows = store.closed_responses(
            db, since=since_text, include_test=include_test, flow_id=flow_id
        )
        if fmt == "jsonl":
            count = write_jsonl(rows, output)
        else:
            count = write_csv(rows, output, app.extensions["gateway"].flows)
    click.echo(f"Exported {count} response(s).", err=True)


@click.command()
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
def backup(ctx: click.Context, path: Path) -> None:
    """Copy the database and keys into a new folder PATH, safely while serving."""
    from gateway.db import backup_database

    app = app_from(ctx)
    if path.exists() and any(path.iterdir()):
        raise click.ClickException(f"{path} is not empty. Choose a new folder.")
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    database = path / Path(app.config["DATABASE"]).name
    backup_database(app.config["DATABASE"], database)
    database.chmod(0o600)
    instance = Path(app.instance_path)
    for secret in (secret_key_file(instance), pseudonym_key_file(instance)):
        if secret.exists():
            target = path / secret.relative_to(instance)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(secret, target)
    click.echo(f"Backed up to {path}. It holds keys and phone numbers: keep it safe.")
