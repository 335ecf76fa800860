"""`gateway board ...` on the board: enrol sites, revoke them, see them; add
the people who use the board and give them links to set a password.

These work on the board's own database (GATEWAY_BOARD_DATABASE). A site's
install never imports the board: each command imports it when it runs.
"""

from __future__ import annotations

import re
from datetime import timedelta

import click

from flows.formats import iso, parse_iso
from gateway.cli.base import app_from, utc_now

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
LOCAL_ADDRESS = "http://127.0.0.1:8080"  # links' start without GATEWAY_PUBLIC_URL


@click.group()
def board() -> None:
    """On the organisation's board: sites and the people who use it."""


@board.command("add-site")
@click.argument("name")
@click.pass_context
def board_add_site(ctx, name: str) -> None:
    """Add a site called NAME and print its one-time enrolment code."""
    from gateway.board.accounts import EnrolmentRefused, offer_enrolment
    from gateway.board.database import writing
    from gateway.board.store import audit, sites

    app = board_app(ctx)
    now = app.extensions["gateway"].clock()
    try:
        with writing(app.extensions["board_engine"]) as conn:
            existed = sites.site(conn, name=name) is not None
            code, expires = offer_enrolment(conn, name, now)
            action = "site_code_made" if existed else "site_added"
            audit.record(
                conn, at=iso(now), user_id=None, action=action, detail={"site": name}
            )
    except EnrolmentRefused:
        raise click.ClickException(
            f"'{name}' is already enrolled (or revoked). Choose another name."
        ) from None
    click.echo(f"Enrolment code for '{name}': {code}")
    click.echo(f"It works once, until {expires}. On the site, run:")
    click.echo(f"  gateway sync enroll BOARD_URL {code}")


@board.command("revoke-site")
@click.argument("name")
@click.pass_context
def board_revoke_site(ctx, name: str) -> None:
    """Refuse everything from the site NAME from now on. What it sent is kept."""
    from gateway.board.database import writing
    from gateway.board.store import sites

    app = board_app(ctx)
    with writing(app.extensions["board_engine"]) as conn:
        revoked = sites.revoke_site(conn, name, iso(utc_now()))
    if not revoked:
        raise click.ClickException(f"There is no site called '{name}' in use.")
    click.echo(f"Revoked '{name}'. The board refuses its requests from now on.")


@board.command("sites")
@click.pass_context
def board_sites(ctx) -> None:
    """Each site, its last contact and records; flags quiet sites and wrong clocks."""
    from gateway.board.database import reading
    from gateway.board.store import sites as board_sites_store

    app = board_app(ctx)
    with reading(app.extensions["board_engine"]) as conn:
        sites = board_sites_store.list_sites(conn)
    if not sites:
        click.echo("No sites yet. Add one with `gateway board add-site NAME`.")
        return
    now = utc_now()
    quiet = timedelta(hours=app.config["BOARD_QUIET_HOURS"])
    for site in sites:
        flags = []
        if site["revoked_at"]:
            flags.append("REVOKED")
        elif site["enrolled_at"] is None:
            flags.append("waiting to enrol")
        elif now - parse_iso(site["last_contact_at"]) > quiet:
            flags.append("QUIET: not heard from since " + site["last_contact_at"])
        offset = site["clock_offset_seconds"]
        if offset is not None and abs(offset) > app.config["SYNC_SKEW_SECONDS"]:
            flags.append(f"CLOCK {offset / 60:+.0f} min from the board's")
        click.echo(
            f"{site['name']}  {site['records']} records, last contact "
            f"{site['last_contact_at'] or '-'}"
            + ("  " + "; ".join(flags) if flags else "")
        )


@board.command("add-user")
@click.argument("email")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["admin", "staff", "member"]),
    help="admin: also people and sites; staff: review and alerts; member: read.",
)
@click.option("--name", default="", help="Their name, as the board shows it.")
@click.option(
    "--sites",
    "site_list",
    default="",
    help='Only these sites, separated by commas, such as "Rose Court,Oak House". '
    "Default: every site.",
)
@click.pass_context
def board_add_user(ctx, email: str, role: str, name: str, site_list: str) -> None:
    """Add a person who uses the board; print their one-time password link."""
    from gateway.board.accounts import issue_password_link
    from gateway.board.database import writing
    from gateway.board.store import accounts, audit, sites

    app = board_app(ctx)
    email = email.strip().lower()
    if not EMAIL.fullmatch(email) or len(email) > 254:
        raise click.ClickException(f"'{email}' is not an email address.")
    name = (name.strip() or email.split("@")[0])[:100]
    wanted = tuple(sorted({s.strip() for s in site_list.split(",") if s.strip()}))
    now = app.extensions["gateway"].clock()
    with writing(app.extensions["board_engine"]) as conn:
        known = [site["name"] for site in sites.list_sites(conn)]
        unknown = [s for s in wanted if s not in known]
        if unknown:
            there = ", ".join(f"'{s}'" for s in known) or "none yet"
            raise click.ClickException(
                f"No site called {', '.join(repr(s) for s in unknown)}. "
                f"Sites on this board: {there}."
            )
        if accounts.user_by_email(conn, email) is not None:
            raise click.ClickException(
                f"{email} has an account already. For a new password link, run "
                f"`gateway board new-link {email}`."
            )
        user_id = accounts.add_user(
            conn, email=email, name=name, role=role, sites=wanted, now=iso(now)
        )
        token = issue_password_link(conn, user_id, now)
        audit.record(
            conn,
            at=iso(now),
            user_id=None,
            action="user_added",
            detail={
                "user": user_id,
                "email": email,
                "role": role,
                "sites": list(wanted),
            },
        )
    click.echo(f"Added {name} <{email}> ({role}, {', '.join(wanted) or 'every site'}).")
    _echo_link(app, token, now)


@board.command("new-link")
@click.argument("email")
@click.pass_context
def board_new_link(ctx, email: str) -> None:
    """A new one-time link for EMAIL to set a password (a forgotten one, say)."""
    from gateway.board.accounts import issue_password_link
    from gateway.board.database import writing
    from gateway.board.store import accounts, audit

    app = board_app(ctx)
    now = app.extensions["gateway"].clock()
    with writing(app.extensions["board_engine"]) as conn:
        person = accounts.user_by_email(conn, email)
        if person is None:
            raise click.ClickException(f"No one has the email {email.strip()}.")
        if person["disabled_at"]:
            raise click.ClickException(
                f"{person['email']}'s account is turned off. An admin can turn "
                "it on again on the board's People page."
            )
        token = issue_password_link(conn, person["id"], now)
        audit.record(
            conn,
            at=iso(now),
            user_id=None,
            action="password_link_made",
            detail={"user": person["id"]},
        )
    click.echo(f"A new link for {person['name']} <{person['email']}>.")
    click.echo("Any older link for them does not work now.")
    _echo_link(app, token, now)


@board.command("users")
@click.pass_context
def board_users(ctx) -> None:
    """Everyone who uses the board: role, sites, and whether they can sign in."""
    from gateway.board.database import reading
    from gateway.board.store import accounts

    app = board_app(ctx)
    with reading(app.extensions["board_engine"]) as conn:
        people = accounts.list_users(conn)
    if not people:
        click.echo("No one yet. Add someone with `gateway board add-user EMAIL`.")
    for person in people:
        state = (
            "turned off"
            if person["disabled_at"]
            else ("signs in" if person["has_password"] else "waiting to set a password")
        )
        click.echo(
            f"{person['email']}  {person['name']}  {person['role']}  "
            f"{', '.join(person['sites']) or 'every site'}  {state}"
            + ("  second step" if person["uses_second_step"] else "")
        )


def _echo_link(app, token: str, now) -> None:
    from gateway.board.accounts import LINK_HOURS, link_address

    until = iso(now + timedelta(hours=LINK_HOURS))
    click.echo(
        f"Give them this link to set their password. It works once, until {until}:"
    )
    click.echo("  " + link_address(app.config["PUBLIC_URL"], token, LOCAL_ADDRESS))


def board_app(ctx):
    """The app, refusing clearly unless this install has a board."""
    app = app_from(ctx)
    if app.config["ROLE"] == "site":
        raise click.ClickException(
            "This install is a site (GATEWAY_ROLE=site). Run board commands "
            "on the board."
        )
    return app
