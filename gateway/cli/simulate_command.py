"""`gateway simulate`: a conversation in the terminal, run exactly as SMS runs it.

Each line of input is one text message, typed or scripted. The run is test
data, from a number in Ofcom's range for drama, so it can never reach a phone.
"""

from __future__ import annotations

import sys

import click

from gateway.cli.base import app_database, app_from, require_flow, utc_now
from gateway.simulator import Simulation

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
        simulation = Simulation(db, runtime, utc_now)
        opening = simulation.begin(flow_id, language)
        click.echo(HOW_TO_STOP, err=True)
        try:
            click.echo(opening + "\n")
            last_reply = _chat(simulation)
        except BrokenPipeError:
            # The reader went away (`| head -1`): keep what was said as partial,
            # then let click end quietly, as it does for any closed pipe.
            _end_early(simulation)
            raise
        except KeyboardInterrupt:  # Ctrl+C: the same as Ctrl+D
            click.echo()
            _end_early(simulation)
        else:
            if simulation.opted_out and not last_reply:
                click.echo(OPTED_OUT, err=True)
    click.echo(
        f"Saved as test data, starting with response {simulation.response_id}.",
        err=True,
    )


def _chat(simulation: Simulation) -> str | None:
    """Send each line as a text while the conversation is open; the last reply.

    A terminal shows what was typed; for a script, each line is echoed, so the
    transcript reads as the conversation did.
    """
    interactive = sys.stdin.isatty()
    reply = None
    while simulation.is_open:
        if interactive:
            click.echo("you> ", nl=False)
        line = sys.stdin.readline()
        if not line:
            if interactive:
                click.echo()  # Ctrl+D leaves the cursor after the prompt
            _end_early(simulation)
            return reply
        text = line.rstrip("\r\n")
        if not interactive:
            click.echo(f"you> {text}")
        reply = simulation.send(text)
        if reply:
            click.echo(reply + "\n")
    return reply


def _end_early(simulation: Simulation) -> None:
    if simulation.end_early():
        click.echo(ENDED_EARLY, err=True)
