"""`gateway flows ...`: checking flow files before anyone is asked a question."""

from __future__ import annotations

from pathlib import Path

import click

from gateway.cli.base import config_from
from gateway.config import flow_directories


@click.group()
def flows() -> None:
    """Work with flow files."""


@flows.command("check")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, dir_okay=True))
@click.pass_context
def flows_check(ctx: click.Context, paths: tuple[str, ...]) -> None:
    """Check flow files (default: the bundled flows and GATEWAY_FLOWS_PATH)."""
    from flows.easyread import check_flow_wording
    from flows.loader import FlowError, flow_files, load_flow

    targets = [Path(p) for p in paths] or flow_directories(config_from(ctx))
    found = [f for t in targets for f in (flow_files([t]) if t.is_dir() else [t])]
    # By file, each once, however it was named (relative, absolute, via a link).
    files = sorted({path.resolve(): path for path in found}.values())
    if not files:
        raise click.ClickException("No flow files (*.yaml) found there.")
    failed = 0
    for path in files:
        try:
            flow = load_flow(path)
        except FlowError as error:
            failed += 1
            for problem in error.problems:
                click.echo(f"error: {problem}", err=True)
            continue
        click.echo(f"ok: {path} ({flow.id}, version {flow.version})")
        for advice in check_flow_wording(flow):
            click.echo(f"  advice: step '{advice.step}': {advice.message}")
    if failed:
        raise click.ClickException(
            f"{failed} of {len(files)} flow file(s) have errors."
        )
