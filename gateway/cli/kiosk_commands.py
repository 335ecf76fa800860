"""`gateway kiosk ...`: naming each kiosk tablet and giving it its address."""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

import click

from flows.formats import iso
from gateway import store
from gateway.cli.base import app_database, app_from, require_flow, utc_now

NAME = re.compile(r"^[\w][\w .'-]{0,47}$")
LOCAL_ADDRESS = "http://127.0.0.1:8080"


class WebAddress(click.ParamType):
    """An http(s) address with a host, as a tablet's browser would open it."""

    name = "URL"

    def convert(self, value, param, ctx) -> str:
        text = str(value).strip()
        parts = urlsplit(text)
        try:
            has_host = bool(parts.hostname) and parts.port != 0
        except ValueError:  # a port that is not a number
            has_host = False
        if (
            parts.scheme not in ("http", "https")
            or not has_host
            or parts.query
            or parts.fragment
            or any(character.isspace() for character in text)
        ):
            self.fail(
                f"'{value}' is not a web address. Start with http:// or https:// "
                "and the address of this machine, such as http://192.168.1.20:8080.",
                param,
                ctx,
            )
        return text.rstrip("/")


@click.group()
def kiosk() -> None:
    """Set up kiosk tablets: each has a name and an address of its own."""


@kiosk.command("add")
@click.argument("name")
@click.option("--flow", "flow_id", help="The flow it asks. Default: the site's flow.")
@click.option(
    "--base-url",
    type=WebAddress(),
    help="The address tablets reach this gateway on, such as "
    "http://192.168.1.20:8080. Kept for `kiosk list`. "
    "Default: GATEWAY_PUBLIC_URL, else this machine.",
)
@click.pass_context
def kiosk_add(ctx, name: str, flow_id: str | None, base_url: str | None) -> None:
    """Add a kiosk called NAME (such as "Lounge") and print its address."""
    from gateway.db import write_txn

    name = name.strip()
    if not NAME.match(name):
        raise click.ClickException(
            "A kiosk name is 1 to 48 letters, numbers, spaces, dots, dashes "
            'or apostrophes, such as "Lounge" or "Ward 3".'
        )
    app = app_from(ctx)
    if flow_id:
        require_flow(app.extensions["gateway"], flow_id)
    key = secrets.token_urlsafe(16)
    with app_database(app) as db, write_txn(db):
        if store.kiosks.kiosk_by_name(db, name) is not None:
            raise click.ClickException(
                f"There is already a kiosk called '{name}'. Choose another name."
            )
        store.kiosks.add_kiosk(
            db,
            name=name,
            key=key,
            flow_id=flow_id,
            now=iso(utc_now()),
            base_url=base_url,
        )
    click.echo(f"Added kiosk '{name}'. Open this address on its tablet:")
    click.echo(kiosk_url(app.config, key, base_url))


@kiosk.command("list")
@click.option(
    "--base-url",
    type=WebAddress(),
    help="Show every address on this base instead of each kiosk's own.",
)
@click.pass_context
def kiosk_list(ctx, base_url: str | None) -> None:
    """List the kiosks, their addresses and how many responses each has saved."""

    app = app_from(ctx)
    with app_database(app) as db:
        kiosks = store.kiosks.list_kiosks(db)
    if not kiosks:
        click.echo("There are no kiosks yet. Add one with `gateway kiosk add NAME`.")
        return
    for row in kiosks:
        flow = row["flow_id"] or "the site's flow"
        if row["retired_at"]:
            state = f"retired {row['retired_at']}"
        else:
            state = kiosk_url(app.config, row["key"], base_url or row["base_url"])
        click.echo(f"{row['name']}  ({flow}, {row['responses']} responses)  {state}")


@kiosk.command("retire")
@click.argument("name")
@click.pass_context
def kiosk_retire(ctx, name: str) -> None:
    """Stop the kiosk NAME working (a lost tablet). Its responses are kept."""
    from gateway.db import write_txn

    app = app_from(ctx)
    with app_database(app) as db, write_txn(db):
        retired = store.kiosks.retire_kiosk(db, name, iso(utc_now()))
    if not retired:
        raise click.ClickException(f"There is no kiosk called '{name}' in use.")
    click.echo(f"Retired kiosk '{name}'. Its address no longer works.")


def kiosk_url(config: dict, key: str, base_url: str | None = None) -> str:
    base = (base_url or config.get("PUBLIC_URL") or LOCAL_ADDRESS).rstrip("/")
    return f"{base}/kiosk/{key}/"
