"""`gateway erase`: a person's own data, when they ask staff rather than text.

Staff give the number the person asked about and why; the reason is kept
with the request. The number itself is never printed or logged.
"""

from __future__ import annotations

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
    from gateway.erasure import erase_person

    reason = " ".join(reason.split())
    if not 10 <= len(reason) <= 500:
        raise click.ClickException("Say in 10 to 500 letters how the person asked.")
    app = app_from(ctx)
    now = iso(utc_now())
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
        erased = erase_person(db, app.config["INSTANCE_PATH"], participant_id, now)
    count = erased.responses
    responses = "1 response" if count == 1 else f"{count} responses"
    click.echo(f"Erased {responses} and the number at this site.")
    if erased.on_the_board:
        click.echo(
            f"The board erases its {erased.on_the_board} copies at the next sync."
        )
    click.echo("Only their pseudonym is kept, so they are never invited again.")
