"""What every command shares: building the app or reading settings, and the clock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import click

from gateway import create_app
from gateway.config import ConfigError, load_config


def utc_now() -> datetime:
    return datetime.now(UTC)


def app_from(ctx: click.Context, *, then: str = "try again", any_schema: bool = False):
    """The app as `gateway serve` builds it; a setup problem is a clear error.

    A command refuses while `gateway migrate` has something to do, and says
    so: it runs this version's SQL, which an older database cannot answer, and
    with a replaced pseudonym key one person could become two. `any_schema`
    is for a command that works on any database, such as a backup (the copy
    to keep before upgrading).
    """
    try:
        app = create_app((ctx.obj or {}).get("test_config"))
    except ConfigError as error:
        raise click.ClickException(str(error)) from None
    if not any_schema:
        refuse_unless_up_to_date(app, then)
    return app


def refuse_unless_up_to_date(app, then: str = "try again") -> None:
    from gateway.migrations import what_needs_doing

    with app_database(app) as db:
        waiting = what_needs_doing(db, app.config)
    if waiting:
        raise click.ClickException(waiting.why_not_start(then))


def config_from(ctx: click.Context) -> dict:
    try:
        return load_config(overrides=(ctx.obj or {}).get("test_config"))
    except ConfigError as error:
        raise click.ClickException(str(error)) from None


def require_flow(runtime, flow_id: str) -> None:
    """Refuse an unknown flow id, naming the flows there are."""
    if flow_id not in runtime.flows:
        raise click.ClickException(
            f"No flow called '{flow_id}'. "
            f"Flows here: {', '.join(sorted(runtime.flows))}."
        )


@contextmanager
def app_database(app) -> Iterator:
    """The app's database for one command, closed when the command is done."""
    from gateway.db import connect

    db = connect(app.config["DATABASE"])
    try:
        yield db
    finally:
        db.close()
