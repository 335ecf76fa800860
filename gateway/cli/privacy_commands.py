"""`gateway erase` and `gateway subject-access`: a person's own data, when they
ask staff for it to be deleted, or for a copy.

Staff give the number the person asked about and why; the reason is kept
with the request. The number itself is never printed or logged.
"""

from __future__ import annotations

from pathlib import Path

import click

from flows.formats import iso
from gateway import store
from gateway.cli.base import app_database, app_from, utc_now
from gateway.privacy import InvalidNumber, pseudonym, to_e164


def _person_for(db, app, number: str) -> str | None:
    """Whose number this is here, or whose pseudonym it has (an opt-out from
    another site); None if this site holds nothing of them."""
    try:
        phone = to_e164(number, app.config["DEFAULT_COUNTRY_CODE"])
    except InvalidNumber as error:
        raise click.ClickException(f"That number cannot be used ({error}).") from None
    known = store.participants.id_for_number(db, phone)
    if known is not None:
        return known
    key = app.extensions["gateway"].pseudonym_key
    worked_out = pseudonym(key, phone)
    return worked_out if store.participants.exists(db, worked_out) else None


@click.command()
@click.option("--phone", "number", required=True, help="The person's phone number.")
@click.option(
    "--reason",
    required=True,
    help="How the person asked, such as 'Asked by letter, 2 December' (kept).",
)
@click.pass_context
def erase(ctx, number: str, reason: str) -> None:
    """Erase a person's answers and number here, and on the board after sync.

    For someone who asked by letter, phone or in person. (Someone who texts
    DELETE and then YES is erased without this.) Only their pseudonym is
    kept, so they are never invited again.
    """
    from gateway.db import write_txn
    from gateway.erasure import NotYet, erase_person

    reason = " ".join(reason.split())
    if not 10 <= len(reason) <= 500:
        raise click.ClickException("Say in 10 to 500 letters how the person asked.")
    app = app_from(ctx)
    moment = utc_now()
    now = iso(moment)
    with app_database(app) as db:
        participant_id = _person_for(db, app, number)
        if participant_id is None:
            click.echo("This site holds nothing for that number. Nothing was erased.")
            return
        if store.duty.is_on_duty(db, participant_id):
            raise click.ClickException(
                "That number is a duty contact's. Remove them first with "
                "`gateway duty remove`. Nothing was erased."
            )
        with write_txn(db):
            store.erasure.request(
                db, participant_id, now, "staff", "confirmed", reason=reason
            )
        try:
            erased = erase_person(
                db, app.config["INSTANCE_PATH"], participant_id, moment
            )
        except NotYet as wait:
            click.echo(f"Not erased yet. {wait} The worker erases them then.")
            return
    count = erased.responses
    responses = "1 response" if count == 1 else f"{count} responses"
    click.echo(f"Erased {responses} and the number at this site.")
    if erased.on_the_board:
        click.echo(
            f"The board erases its {erased.on_the_board} copies at the next sync."
        )
    click.echo("Only their pseudonym is kept, so they are never invited again.")


@click.command("subject-access")
@click.option("--phone", "number", required=True, help="The person's phone number.")
@click.option(
    "--to",
    "to_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The file to write; it must not exist yet.",
)
@click.pass_context
def subject_access(ctx, number: str, to_path: Path) -> None:
    """Write everything held about a person, here and on the board, to one file.

    For a person who asks for a copy of their data. The file is in plain
    words and holds their number: it is readable by you only. Send it to
    them securely, then delete it.
    """
    from gateway.subject_access import copy_for, write_copy

    if to_path.exists():
        raise click.ClickException(f"{to_path} exists already. Choose a new file.")
    app = app_from(ctx)
    with app_database(app) as db:
        participant_id = _person_for(db, app, number)
        if participant_id is None:
            click.echo("This site holds nothing for that number. No file was written.")
            return
        response_ids = store.subject_access.response_ids(db, participant_id)
        board_part, why_not = _ask_board(db, app, participant_id, response_ids)
        text = copy_for(db, participant_id, board_part)
    try:
        write_copy(to_path, text)
    except OSError as error:
        raise click.ClickException(f"Could not write {to_path}: {error}.") from None
    click.echo(f"Wrote {to_path}. It holds their number: send it securely.")
    if why_not:
        raise click.ClickException(
            f"The board's part is missing ({why_not}). Run this again later."
        )


def _ask_board(
    db, app, participant_id: str, response_ids: list[str]
) -> tuple[list[dict] | None, str]:
    """The board's part of the copy, or None and why it could not be had."""
    from gateway.sync.client import SyncError
    from gateway.sync.enrolment import board_client

    if app.config["ROLE"] == "both":
        from gateway.board.local_site import LocalBoard

        return LocalBoard(app).subject_access(participant_id, response_ids), ""
    client = board_client(db, app.config)
    if client is None:
        return [], ""  # not enrolled: the board holds nothing of theirs
    try:
        return client.subject_access(participant_id, response_ids), ""
    except SyncError as error:
        return None, str(error)


@click.group()
def retention() -> None:
    """Deleting what is kept only so long (GATEWAY_RETENTION_MONTHS and
    GATEWAY_NUMBER_RETENTION_DAYS). The worker does it once a day."""


@retention.command("run")
@click.option("--dry-run", is_flag=True, help="Say what would go; delete nothing.")
@click.pass_context
def retention_run(ctx, dry_run: bool) -> None:
    """Delete old responses, texts and unused numbers now, here and on the board.

    Nothing that has not reached the board is deleted.
    """
    from gateway.retention import run_retention

    app = app_from(ctx)
    with app_database(app) as db:
        done = run_retention(db, app, utc_now(), dry_run=dry_run)
    for line in done.lines(dry_run):
        click.echo(line)
