"""Working with the answers: `gateway simulate`, `export` and `backup`."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click

from gateway import store
from gateway.cli.base import app_from, require_flow, utc_now
from gateway.config import pseudonym_key_file, secret_key_file


@click.command()
@click.argument("flow_id")
@click.option("--language", default=None, help="Language code, such as en.")
@click.pass_context
def simulate(ctx: click.Context, flow_id: str, language: str | None) -> None:
    """Chat through a flow in the terminal exactly as SMS would (saved as test data).

    Answers are read from standard input, one per line, so it can be scripted.
    """
    from gateway.conversations import answer, close_conversation, start_conversation
    from gateway.db import connect

    app = app_from(ctx)
    runtime = app.extensions["gateway"]
    require_flow(runtime, flow_id)
    interactive = sys.stdin.isatty()
    db = connect(app.config["DATABASE"])
    try:
        turn = start_conversation(
            db,
            runtime,
            channel="simulator",
            now=utc_now(),
            flow_id=flow_id,
            language=language,
            is_test=True,
        )
        click.echo(turn.as_text(runtime) + "\n")
        while not turn.outcome.done:
            if interactive:
                click.echo("you> ", nl=False)
            line = sys.stdin.readline()
            if not line:
                close_conversation(db, runtime, turn.response_id, utc_now(), "reset")
                click.echo("(Ended early: saved as a partial response.)", err=True)
                break
            turn = answer(db, runtime, turn.response_id, line.rstrip("\r\n"), utc_now())
            click.echo(turn.as_text(runtime) + "\n")
    finally:
        db.close()
    click.echo(f"Saved as test response {turn.response_id}.", err=True)


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl"]),
    default="csv",
    show_default=True,
)
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    help="Only responses closed on or after this date (UTC).",
)
@click.option("--flow", "flow_id", help="Only this flow's responses.")
@click.option("--include-test", is_flag=True, help="Include simulator and demo data.")
@click.option(
    "--output",
    "-o",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="File to write (default: standard output).",
)
@click.pass_context
def export(ctx, fmt, since, flow_id, include_test, output) -> None:
    """Export closed responses, one per row or line. Never includes phone numbers."""
    from gateway.db import connect
    from gateway.export import write_csv, write_jsonl

    app = app_from(ctx)
    since_text = since.strftime("%Y-%m-%dT%H:%M:%S") if since else None
    db = connect(app.config["DATABASE"])
    try:
        rows = store.closed_responses(
            db, since=since_text, include_test=include_test, flow_id=flow_id
        )
        if fmt == "jsonl":
            count = write_jsonl(rows, output)
        else:
            count = write_csv(rows, output, app.extensions["gateway"].flows)
    finally:
        db.close()
    click.echo(f"Exported {count} response(s).", err=True)


@click.command()
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
def backup(ctx: click.Context, path: Path) -> None:
    """Copy the database and keys into a new folder PATH, safely while serving."""
    from gateway.db import backup_database

    app = app_from(ctx)
    if path.exists() and any(path.iterdir()):
        raise click.ClickException(f"{path} is not empty. Choose a new folder.")
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    database = path / Path(app.config["DATABASE"]).name
    backup_database(app.config["DATABASE"], database)
    database.chmod(0o600)
    instance = Path(app.instance_path)
    for secret in (secret_key_file(instance), pseudonym_key_file(instance)):
        if secret.exists():
            target = path / secret.relative_to(instance)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(secret, target)
    click.echo(f"Backed up to {path}. It holds keys and phone numbers: keep it safe.")
