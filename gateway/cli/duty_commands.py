"""`gateway duty ...`: the people a site texts when someone may be at risk.

Their numbers are kept as every number is, at this site only; `duty list`
shows the last three digits, never the whole number. `duty reveal` shows a
duty contact the number behind one alert, on this machine only, and keeps
who, when and why.
"""

from __future__ import annotations

import logging

import click

from flows.formats import iso
from gateway import store
from gateway.cli.base import app_database, app_from, utc_now
from gateway.cli.kiosk_commands import NAME
from gateway.privacy import InvalidNumber, to_textable_e164
from gateway.pseudonyms import person_for_number

log = logging.getLogger("gateway.safeguarding")


@click.group()
def duty() -> None:
    """The duty contacts: who gets a text when someone may be at risk."""


@duty.command("add")
@click.argument("name")
@click.argument("number")
@click.option(
    "--escalation",
    is_flag=True,
    help="Text them only when an alert is still not dealt with after two texts "
    "to the others (see GATEWAY_ALERT_REMINDER_MINUTES), or at once when there "
    "is no one else.",
)
@click.pass_context
def duty_add(ctx, name: str, number: str, escalation: bool) -> None:
    """Add NAME (such as "Duty manager") to be texted on NUMBER."""
    from gateway.db import write_txn

    name = name.strip()
    if not NAME.match(name):
        raise click.ClickException(
            "A duty contact's name is 1 to 48 letters, numbers, spaces, dots, "
            'dashes or apostrophes, such as "Duty manager" or "Sam Jones".'
        )
    app = app_from(ctx)
    try:
        phone = to_textable_e164(number, app.config["DEFAULT_COUNTRY_CODE"])
    except InvalidNumber as error:
        raise click.ClickException(
            f"That number cannot be used ({error}). Nothing was added."
        ) from None
    now = iso(utc_now())
    with app_database(app) as db, write_txn(db):
        if store.duty.contact_named(db, name) is not None:
            raise click.ClickException(
                f"There is already a duty contact called '{name}'. "
                "Remove them first, or choose another name."
            )
        participant_id = person_for_number(db, phone, now)
        store.duty.add_contact(db, name, participant_id, now, escalation)
    when = (
        "when an alert is still not dealt with after two texts to the others"
        if escalation
        else "each time someone may be at risk"
    )
    click.echo(
        f"Added '{name}'. They get a text, ahead of everything else and in quiet "
        f"hours too, {when}."
    )


@duty.command("list")
@click.pass_context
def duty_list(ctx) -> None:
    """List the duty contacts, with the last digits of each number."""
    app = app_from(ctx)
    with app_database(app) as db:
        found = store.duty.contacts(db)
    if not found:
        click.echo(
            "There are no duty contacts. No one is texted when someone may be at "
            "risk. Add one with `gateway duty add NAME NUMBER`."
        )
        return
    for contact in found:
        line = f"{contact['name']}  (number ending {contact['ends_with']})"
        if contact["escalation"]:
            line += "  escalation: texted if an alert stays open"
        if contact["opted_out_at"]:
            line += "  NOT TEXTED: this number texted STOP. Add another."
        click.echo(line)


@duty.command("remove")
@click.argument("name")
@click.pass_context
def duty_remove(ctx, name: str) -> None:
    """Stop texting the duty contact NAME."""
    from gateway.db import write_txn

    app = app_from(ctx)
    with app_database(app) as db, write_txn(db):
        removed = store.duty.remove_contact(db, name.strip(), iso(utc_now()))
        left = len(store.duty.contacts(db))
    if not removed:
        raise click.ClickException(f"There is no duty contact called '{name}'.")
    click.echo(f"Removed '{name}'. {left} duty contact(s) left.")


@duty.command("reveal")
@click.argument("alert_id")
@click.option("--by", "by_name", required=True, help="Your name, as a duty contact.")
@click.option(
    "--reason", required=True, help="Why the person must be reached (kept on record)."
)
@click.pass_context
def duty_reveal(ctx, alert_id: str, by_name: str, reason: str) -> None:
    """Show the number behind one alert, to reach someone who may be at risk.

    ALERT_ID is the alert's id, or its response's (the end of the response's
    address on the board). Who, when and why are kept: `gateway duty reveals`.
    """
    from gateway.db import write_txn

    reason = " ".join(reason.split())
    if not 10 <= len(reason) <= 500:
        raise click.ClickException(
            "Say in 10 to 500 letters why the person must be reached."
        )
    app = app_from(ctx)
    with app_database(app) as db, write_txn(db):
        contact = store.duty.contact_named(db, by_name.strip())
        if contact is None:
            raise click.ClickException(
                f"There is no duty contact called '{by_name}'. Only a duty contact "
                "may see a number: see `gateway duty list`."
            )
        alert = store.duty.alert_for_reveal(db, alert_id.strip())
        if alert is None:
            raise click.ClickException("There is no alert with that id at this site.")
        phone = (
            store.sms.phone_for(db, alert["participant_id"])
            if alert["participant_id"]
            else None
        )
        if phone is None:
            raise click.ClickException(
                "This alert has no number: it came from a kiosk or a paper card, "
                "or the number is no longer kept. Ask the staff where it was given."
            )
        store.duty.record_reveal(db, alert["id"], contact["id"], reason, iso(utc_now()))
    log.warning(
        "the number for safeguarding alert %s was shown to duty contact %s",
        alert["id"],
        contact["id"],
    )
    click.echo(f"The number for this alert: {phone}")
    click.echo("This is on record: who saw it, when and why (`gateway duty reveals`).")


@duty.command("reveals")
@click.pass_context
def duty_reveals(ctx) -> None:
    """Every number shown with `duty reveal`: when, for which alert, by whom, why."""
    app = app_from(ctx)
    with app_database(app) as db:
        found = store.duty.reveals(db)
    if not found:
        click.echo("No number has been shown.")
    for row in found:
        click.echo(
            f"{row['revealed_at']}  alert {row['alert_id']}  by {row['name']}: "
            f"{row['reason']}"
        )
