"""`gateway sync ...` on a site: enrol with a board, send, check."""

from __future__ import annotations

import sys

import click

from gateway import store
from gateway.cli.base import app_database, app_from, config_from, utc_now


@click.group()
def sync() -> None:
    """Send this site's answers to the organisation's board."""


@sync.command("enroll")
@click.argument("board_url")
@click.argument("code")
@click.pass_context
def sync_enroll(ctx, board_url: str, code: str) -> None:
    """Join the board at BOARD_URL with the CODE from `gateway board add-site`."""
    from gateway.sync.enrolment import EnrolError, enrol

    app = _site_app(ctx)  # a site, set up and migrated
    try:
        name = enrol(app.config, board_url, code)
    except EnrolError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Enrolled with {board_url} as '{name}'.")
    click.echo("Run `gateway sync run` now, or `gateway worker` to keep in step.")


@sync.command("run")
@click.pass_context
def sync_run(ctx) -> None:
    """Send everything waiting now, then fetch opt-outs made at other sites."""
    from gateway.pseudonyms import work_out_pseudonyms
    from gateway.sync.runner import TOO_LARGE_PASSES_BEFORE_SET_ASIDE, sync_once

    app = _site_app(ctx)
    with app_database(app) as db:
        client = _client_or_fail(db, app.config)
        if new_people := store.participants.unkeyed_count(db):
            click.echo(
                f"Working out the pseudonyms of {new_people} new people first "
                "(about 10 a second).",
                err=True,
            )
            work_out_pseudonyms(db, app.config["INSTANCE_PATH"], float("inf"))
        total = store.sync.queue_summary(db)["waiting"]
        with click.progressbar(length=total, label="Sending", file=sys.stderr) as bar:
            batch = app.config["SYNC_BATCH"]
            summary = sync_once(db, client, utc_now, batch, bar.update)
    click.echo(
        f"Sent {summary.sent}, acknowledged {summary.acknowledged}, "
        f"set aside {summary.set_aside}, left {summary.left}."
    )
    if summary.too_large and summary.sent:  # only a pass that sent others counts
        click.echo(
            f"Skipped {summary.too_large} record(s) too large for the board even "
            f"alone. Each is set aside after {TOO_LARGE_PASSES_BEFORE_SET_ASIDE} "
            "passes like this."
        )
    opt_changes = summary.pulled["opt_out"] + summary.pulled["opt_in"]
    if opt_changes:
        click.echo(f"Took {opt_changes} opt-out change(s) made at other sites.")
    if summary.pulled["post"]:
        click.echo(f"Took {summary.pulled['post']} post(s) for 'You said, we did'.")
    if summary.alerts_dealt_with:
        count = summary.alerts_dealt_with
        alerts = "1 alert" if count == 1 else f"{count} alerts"
        click.echo(f"{alerts} dealt with on the board: no more texts to duty contacts.")
    if summary.error:
        raise click.ClickException(f"Stopped: {summary.error}. Nothing was lost.")


@sync.command("status")
@click.pass_context
def sync_status(ctx) -> None:
    """Queue length, oldest waiting record, last success, last error, clock offset."""
    from gateway.store.sync import too_large_waiting
    from gateway.sync.runner import TOO_LARGE_PASSES_BEFORE_SET_ASIDE

    app = app_from(ctx)
    with app_database(app) as db:
        meta = {
            key: store.core.get_meta(db, f"sync_{key}")
            for key in ("board_url", "last_success", "last_error", "clock_offset")
        }
        queue = store.sync.queue_summary(db)
        aside = store.sync.set_aside_records(db, 5)
        too_large = too_large_waiting(db, 5)
        stream = store.stream.summary(db)
    click.echo(f"Role: {app.config['ROLE']}")
    click.echo(f"Board: {meta['board_url'] or 'not enrolled'}")
    click.echo(
        f"Waiting: {queue['waiting']} (oldest queued {queue['oldest_waiting'] or '-'})"
    )
    click.echo(f"Synced: {queue['synced']}. Set aside: {queue['set_aside']}.")
    for record in aside:
        click.echo(
            f"  set aside {record['kind']} {record['record_id']}: "
            f"{record['set_aside_reason']}"
        )
    if queue["too_large"]:
        click.echo(
            f"Too large for the board, even alone: {queue['too_large']}, still "
            f"waiting. Each is set aside after {TOO_LARGE_PASSES_BEFORE_SET_ASIDE} "
            "passes that send other records."
        )
    for record in too_large:
        click.echo(
            f"  too large {record['kind']} {record['record_id']}: refused in "
            f"{record['too_large_passes']} of {TOO_LARGE_PASSES_BEFORE_SET_ASIDE} "
            "passes"
        )
    click.echo(f"From the board: taken up to record {stream['cursor']}.")
    for kept in stream["not_applied"]:
        click.echo(f"  not applied: {kept['count']} {kept['kind']}, {kept['reason']}")
    click.echo(f"Last success: {meta['last_success'] or 'never'}")
    click.echo(f"Last error: {meta['last_error'] or 'none'}")
    offset = float(meta["clock_offset"] or 0)
    click.echo(f"Clock: the board's is {offset:+.0f} s from this machine's.")


@sync.command("verify")
@click.pass_context
def sync_verify(ctx) -> None:
    """Compare what this site has synced with what the board holds, day by day."""
    from gateway.sync.client import SyncError
    from gateway.sync.protocol import summarise_days

    app = _site_app(ctx)
    with app_database(app) as db:
        client = _client_or_fail(db, app.config)
        here = summarise_days(store.sync.synced_by_day(db))
        try:
            there = client.verify().get("days") or {}
        except SyncError as error:
            raise click.ClickException(f"Could not ask the board: {error}") from None
    differences = []
    for day in sorted(set(here) | set(there)):
        mine, theirs = here.get(day), there.get(day)
        if mine != theirs:
            differences.append(
                f"{day}: this site {mine['count'] if mine else 0}, "
                f"the board {theirs['count'] if theirs else 0}"
                + (
                    " (same count, different records)"
                    if mine and theirs and mine["count"] == theirs["count"]
                    else ""
                )
            )
    total = sum(day["count"] for day in here.values())
    if not differences:
        records = "1 record" if total == 1 else f"{total} records"
        click.echo(f"The board holds exactly what this site synced: {records}.")
        return
    for line in differences:
        click.echo(line)
    raise click.ClickException("The board and this site differ on the days above.")


def _site_app(ctx):
    """The app, refusing clearly (before touching anything) unless it is a site."""
    role = config_from(ctx)["ROLE"]
    if role != "site":
        raise click.ClickException(
            f"GATEWAY_ROLE is '{role}'. Set GATEWAY_ROLE=site on a site "
            "that sends its answers to a board."
        )
    return app_from(ctx)


def _client_or_fail(db, config):
    from gateway.sync.enrolment import board_client

    client = board_client(db, config)
    if client is None:
        raise click.ClickException(
            "This site is not enrolled. Run `gateway sync enroll BOARD_URL CODE`."
        )
    return client
