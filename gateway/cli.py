"""The `gateway` command: set up, serve, check flows, simulate, export and back up.

One verb per command. Commands build the app through `create_app`, so they
use exactly the settings, flows and store the web service uses.
"""

from __future__ import annotations

import logging
import shutil
import signal
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import click

from gateway import __version__, create_app, store
from gateway.config import (
    ConfigError,
    flow_directories,
    load_config,
    pseudonym_key_file,
    secret_key_file,
)

log = logging.getLogger("gateway")


def utc_now() -> datetime:
    return datetime.now(UTC)


def _app(ctx: click.Context):
    try:
        return create_app((ctx.obj or {}).get("test_config"))
    except ConfigError as error:
        raise click.ClickException(str(error)) from None


def _config(ctx: click.Context) -> dict:
    try:
        return load_config(overrides=(ctx.obj or {}).get("test_config"))
    except ConfigError as error:
        raise click.ClickException(str(error)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gateway")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Offline-first SMS and kiosk feedback for co-production.

    Start with `gateway init`, then `gateway serve`. Settings are GATEWAY_*
    environment variables: see the README.
    """
    ctx.ensure_object(dict)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )


@cli.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """Set up this install: folder, keys, database and site id. Safe to run again."""
    from gateway.db import connect, write_txn
    from gateway.ids import uuid7
    from gateway.migrations import migrate
    from gateway.privacy import new_key, write_key

    config = _config(ctx)
    instance = Path(config["INSTANCE_PATH"])
    instance.mkdir(parents=True, exist_ok=True)
    instance.chmod(0o700)
    made = []
    key_file = secret_key_file(instance)
    if not config["SECRET_KEY"] and not key_file.exists():
        key_file.write_text(new_key().hex() + "\n", encoding="ascii")
        key_file.chmod(0o600)
        made.append("a secret key")
    pseudonym_file = pseudonym_key_file(instance)
    if not pseudonym_file.exists():
        write_key(pseudonym_file, new_key())
        made.append("the organisation's pseudonym key")
    db = connect(config["DATABASE"])
    try:
        ran = migrate(db)
        with write_txn(db):
            site_id = store.set_meta_once(db, "site_id", uuid7())
            store.set_meta(db, "site_name", config["SITE"])
    finally:
        db.close()
    if ran:
        made.append(f"the database ({len(ran)} migration(s))")
    click.echo(f"Site '{config['SITE']}' ({site_id})")
    click.echo(f"Database: {config['DATABASE']}")
    click.echo(
        "Made " + ", ".join(made) + "." if made else "Already set up: nothing to do."
    )


@cli.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Use 0.0.0.0 for tablets on the network.",
)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, threads: int) -> None:
    """Serve the gateway with waitress."""
    import waitress

    app = _app(ctx)
    click.echo(f"Serving on http://{host}:{port}/ (Ctrl+C to stop)")
    waitress.serve(app, host=host, port=port, threads=threads, ident="gateway")


@cli.command()
@click.option("--once", is_flag=True, help="Do one pass and stop.")
@click.pass_context
def worker(ctx: click.Context, once: bool) -> None:
    """Background work: close conversations that have gone quiet."""
    from gateway.conversations import close_idle_conversations
    from gateway.db import connect

    app = _app(ctx)
    runtime = app.extensions["gateway"]
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    while not stopping.is_set():
        db = connect(app.config["DATABASE"])
        try:
            closed = close_idle_conversations(db, runtime, utc_now())
        finally:
            db.close()
        if closed:
            log.info("closed %d quiet conversation(s) as partial", closed)
        if once:
            break
        stopping.wait(app.config["WORKER_INTERVAL"])


@cli.group()
def flows() -> None:
    """Work with flow files."""


@flows.command("check")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, dir_okay=True))
@click.pass_context
def flows_check(ctx: click.Context, paths: tuple[str, ...]) -> None:
    """Check flow files (default: the bundled flows and GATEWAY_FLOWS_PATH)."""
    from flows.easyread import check_flow_wording
    from flows.loader import FlowError, flow_files, load_flow

    targets = [Path(p) for p in paths] or flow_directories(_config(ctx))
    files = [f for t in targets for f in (flow_files([t]) if t.is_dir() else [t])]
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


@cli.command()
@click.argument("flow_id")
@click.option("--language", default=None, help="Language code, such as en.")
@click.pass_context
def simulate(ctx: click.Context, flow_id: str, language: str | None) -> None:
    """Chat through a flow in the terminal exactly as SMS would (saved as test data).

    Answers are read from standard input, one per line, so it can be scripted.
    """
    from gateway.conversations import answer, close_conversation, start_conversation
    from gateway.db import connect

    app = _app(ctx)
    runtime = app.extensions["gateway"]
    if flow_id not in runtime.flows:
        raise click.ClickException(
            f"No flow called '{flow_id}'. "
            f"Flows here: {', '.join(sorted(runtime.flows))}."
        )
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


@cli.command()
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

    app = _app(ctx)
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


@cli.command()
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
def backup(ctx: click.Context, path: Path) -> None:
    """Copy the database and keys into a new folder PATH, safely while serving."""
    from gateway.db import backup_database

    app = _app(ctx)
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
