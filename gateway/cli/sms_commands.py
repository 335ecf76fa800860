"""SMS commands: `gateway invite` queues invitations; `gateway outbox` shows them."""

from __future__ import annotations

import sys

import click

from gateway import store
from gateway.cli.base import app_database, app_from, require_flow, utc_now
from gateway.store.outbox import STATUS_RANK


@click.command()
@click.argument("flow_id")
@click.option(
    "--to-file",
    "to_file",
    required=True,
    type=click.File("r", encoding="utf-8-sig"),
    help="A CSV file of phone numbers: a column headed phone, number or "
    "mobile, or else the first column.",
)
@click.pass_context
def invite(ctx: click.Context, flow_id: str, to_file) -> None:
    """Queue a text inviting each number in a file to answer FLOW_ID.

    The worker sends them at the set rate, outside quiet hours. Duplicates,
    people who opted out and numbers that cannot get texts (a landline, say)
    are skipped and reported by line, with the reason.
    """
    from gateway.sms.invitations import numbers_in, queue_invitations

    app = app_from(ctx)
    runtime = app.extensions["gateway"]
    require_flow(runtime, flow_id)
    numbers = list(numbers_in(to_file))
    with (
        app_database(app) as db,
        click.progressbar(
            numbers, label="Queueing invitations", file=sys.stderr
        ) as rows,
    ):
        report = queue_invitations(db, runtime, flow_id, rows, utc_now())
    click.echo(f"Queued {report.queued} invitation(s) to '{flow_id}'.")
    for label, lines in (
        ("duplicate", report.duplicate_lines),
        *report.invalid_by_reason().items(),  # a line for each reason, say "landline"
        ("opted out", report.opted_out_lines),
        ("already invited and waiting", report.already_queued_lines),
    ):
        if lines:
            shown = ", ".join(str(line) for line in lines[:20])
            more = f" and {len(lines) - 20} more" if len(lines) > 20 else ""
            click.echo(f"Skipped {len(lines)} {label}: line {shown}{more}.")


@click.command()
@click.option(
    "--status",
    type=click.Choice(list(STATUS_RANK)),
    help="Only messages with this status, such as pending.",
)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1))
@click.pass_context
def outbox(ctx: click.Context, status: str | None, limit: int) -> None:
    """Show what is waiting to be sent, by participant pseudonym, never number."""

    app = app_from(ctx)
    with app_database(app) as db:
        counts = store.outbox.outbox_counts(db)
        messages = store.outbox.list_outbox(db, status, limit)
    if not counts:
        click.echo("The outbox is empty.")
        return
    click.echo(", ".join(f"{name}: {n}" for name, n in sorted(counts.items())))
    for message in messages:
        lane = "priority " if message["priority"] else ""
        click.echo(
            f"\n{message['participant']}  {lane}{message['kind']}  {message['status']}"
            f"  tries {message['attempts']}"
            + (f"  ({message['last_error']})" if message["last_error"] else "")
        )
        click.echo("  " + message["body"].replace("\n", "\n  "))
