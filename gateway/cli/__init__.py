"""The `gateway` command: setup, serving, flows, kiosks, data and SMS, in one place.

One verb per command, grouped in modules by area and added here, so `gateway
--help` lists everything. Commands build the app through `create_app`, so they
use exactly the settings, flows and store the web service uses.
"""

from __future__ import annotations

import logging

import click

from gateway import __version__
from gateway.cli.board_commands import board
from gateway.cli.data_commands import backup, export
from gateway.cli.demo_command import demo
from gateway.cli.duty_commands import duty
from gateway.cli.fft_commands import board_fft_return  # noqa: F401 - adds to board
from gateway.cli.flow_commands import flows
from gateway.cli.kiosk_commands import kiosk
from gateway.cli.privacy_commands import erase, retention, subject_access
from gateway.cli.setup_commands import init, migrate, serve, worker
from gateway.cli.simulate_command import simulate
from gateway.cli.sms_commands import invite, outbox
from gateway.cli.sync_commands import sync


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gateway")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Offline-first SMS and kiosk feedback for co-production.

    Start with `gateway init`, then `gateway serve`. After installing a new
    version, run `gateway migrate`. Settings are GATEWAY_* environment
    variables: see the README.
    """
    ctx.ensure_object(dict)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )
    # Alembic says which plugins it loaded; `gateway migrate` says what ran.
    logging.getLogger("alembic").setLevel(logging.WARNING)


for command in (
    init,
    migrate,
    serve,
    worker,
    flows,
    kiosk,
    duty,
    simulate,
    export,
    backup,
    erase,
    subject_access,
    retention,
    invite,
    outbox,
    sync,
    board,
    demo,
):
    cli.add_command(command)
