"""Working with the answers: `gateway export` and `backup`."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import click

from gateway import store
from gateway.cli.base import app_database, app_from, require_flow
from gateway.config import pseudonym_key_file, secret_key_file


class DateOrTime(click.ParamType):
    """A date, or a date and time, in UTC; anything else is refused in plain words."""

    name = "DATE"
    formats = ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%S")

    def convert(self, value, param, ctx) -> datetime:
        if isinstance(value, datetime):
            return value
        for form in self.formats:
            try:
                return datetime.strptime(str(value).strip(), form)
            except ValueError:
                continue
        self.fail(
            f"'{value}' is not a date. Use a date like 2026-11-30, "
            "or a date and time like 2026-11-30T09:00:00.",
            param,
            ctx,
        )


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
    type=DateOrTime(),
    help="Only responses closed on or after this date (UTC), such as 2026-11-30.",
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
    from gateway.export import write_csv, write_jsonl

    app = app_from(ctx)
    runtime = app.extensions["gateway"]
    since_text = since.strftime("%Y-%m-%dT%H:%M:%S") if since else None
    with _responses_source(app) as (db, closed_responses):
        if (
            flow_id
            and flow_id not in runtime.flows
            and not _any_response(db, closed_responses, flow_id)
        ):
            require_flow(runtime, flow_id)  # refused, naming the flows there are
        rows = closed_responses(
            db, since=since_text, include_test=include_test, flow_id=flow_id
        )
        if fmt == "jsonl":
            count = write_jsonl(rows, output)
        else:
            count = write_csv(rows, output, runtime.flows)
        left_out = 0
        if count == 0 and not include_test:
            # Nothing real, so every closed response that matches is test data.
            left_out = sum(
                1
                for _ in closed_responses(
                    db, since=since_text, include_test=True, flow_id=flow_id
                )
            )
    click.echo(f"Exported {count} response(s).", err=True)
    if left_out:
        click.echo(
            f"Left out {left_out} test response(s), from the simulator or a demo. "
            "Add --include-test to export them too.",
            err=True,
        )


def _any_response(db, closed_responses, flow_id: str) -> bool:
    """Whether a flow no longer loaded still has responses, so it can be exported."""
    found = closed_responses(db, include_test=True, flow_id=flow_id)
    return next(found, None) is not None


def _board_closed_responses():
    from gateway.board.store.export import closed_responses

    return closed_responses


@contextmanager
def _responses_source(app) -> Iterator:
    """Where `export` reads: on a board, every site's responses in the board's
    database; on a site, and in `both` (one site), the site's own, test data
    included when asked for."""
    if app.config["ROLE"] != "board":
        with app_database(app) as db:
            yield db, store.responses.closed_responses
        return
    from gateway.board.database import reading

    with reading(app.extensions["board_engine"]) as conn:
        yield conn, _board_closed_responses()


@click.command()
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
def backup(ctx: click.Context, path: Path) -> None:
    """Copy the databases and keys into a new folder PATH, safely while serving."""
    from gateway.db import backup_database

    # Any database: a copy from before an upgrade is the one to keep.
    app = app_from(ctx, any_schema=True)
    if path.exists() and any(path.iterdir()):
        raise click.ClickException(f"{path} is not empty. Choose a new folder.")
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    databases = [app.config["DATABASE"]]
    board_file = _board_file(app.config)
    if board_file is not None and board_file.exists():
        databases.append(str(board_file))
    for source in databases:
        copy = path / Path(source).name
        backup_database(source, copy)
        copy.chmod(0o600)
    instance = Path(app.instance_path)
    for secret in (secret_key_file(instance), pseudonym_key_file(instance)):
        if secret.exists():
            target = path / secret.relative_to(instance)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(secret, target)
    click.echo(f"Backed up to {path}. It holds keys and phone numbers: keep it safe.")


def _board_file(config) -> Path | None:
    """The board's SQLite file, where the role has a board on SQLite. (A board
    on PostgreSQL is backed up with PostgreSQL's own tools.)"""
    if config["ROLE"] == "site" or "://" in config["BOARD_DATABASE"]:
        return None
    return Path(config["BOARD_DATABASE"])
