"""Working with the answers: `gateway export` and `backup`."""

from __future__ import annotations

import re
import shutil
from datetime import datetime
from pathlib import Path

import click

from flows.formats import iso
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


class LanguageCode(click.ParamType):
    """A language code such as en, cy or pt-BR; anything else in plain words."""

    name = "CODE"
    shape = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*")

    def convert(self, value, param, ctx) -> str:
        if self.shape.fullmatch(str(value).strip()):
            return str(value).strip()
        self.fail(
            f"'{value}' is not a language code. Use a code like en, cy or pt-BR.",
            param,
            ctx,
        )


class Words(click.ParamType):
    """What the inbox's word search takes: some words, up to 100 letters."""

    name = "WORDS"
    most = 100

    def convert(self, value, param, ctx) -> str:
        words = str(value).strip()
        if not words:
            self.fail("Give some words to look for.", param, ctx)
        if len(words) > self.most:
            self.fail(f"Use {self.most} letters or fewer.", param, ctx)
        return words


EXPORT_CHANNELS = ("sms", "kiosk", "paper")
# Options that need a board's sites, tags or word search.
BOARD_ONLY = {"site_names": "--site", "tag": "--tag", "words": "--words"}


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
@click.option(
    "--before",
    type=DateOrTime(),
    help="Only responses closed before this date (UTC), such as 2026-12-01.",
)
@click.option("--flow", "flow_id", help="Only this flow's responses.")
@click.option(
    "--site",
    "site_names",
    metavar="NAME",
    multiple=True,
    help="On a board: only this site's responses. Repeat for more than one.",
)
@click.option(
    "--channel",
    "channels",
    type=click.Choice(EXPORT_CHANNELS),
    multiple=True,
    help="Only responses by text message, kiosk or paper card. Repeatable.",
)
@click.option(
    "--language", type=LanguageCode(), help="Only responses in this language (en)."
)
@click.option("--tag", help="On a board: only responses with this tag.")
@click.option(
    "--words",
    type=Words(),
    help="On a board: only responses whose own words hold these, in any case.",
)
@click.option("--include-test", is_flag=True, help="Include simulator and demo data.")
@click.option(
    "--output",
    "-o",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="File to write (default: standard output).",
)
@click.pass_context
def export(ctx, fmt, output, **chosen) -> None:
    """Export closed responses, one per row or line. Never includes phone numbers.

    On a board, every site's responses (or those the filters choose), exact:
    with each person's pseudonym and every tag."""
    app = app_from(ctx)
    since, before = chosen["since"], chosen["before"]
    if since and before and before <= since:
        raise click.ClickException("--before must be a later date than --since.")
    chosen["since"] = since.strftime("%Y-%m-%dT%H:%M:%S") if since else None
    chosen["before"] = before.strftime("%Y-%m-%dT%H:%M:%S") if before else None
    if app.config["ROLE"] == "board":
        count, left_out = _export_board(app, fmt, output, chosen)
    else:
        count, left_out = _export_site(app, fmt, output, chosen)
    click.echo(f"Exported {count} response(s).", err=True)
    if left_out:
        click.echo(
            f"Left out {left_out} test response(s), from the simulator or a demo. "
            "Add --include-test to export them too.",
            err=True,
        )


def _export_site(app, fmt, output, chosen) -> tuple[int, int]:
    """A site's own export (and in `both`, the site's: one site, test data
    included when asked for). Returns (exported, test responses left out)."""
    from gateway.export import step_columns, write_csv, write_jsonl

    given = [option for key, option in BOARD_ONLY.items() if chosen[key]]
    if given:
        raise click.ClickException(
            f"{' and '.join(given)} {'works' if len(given) == 1 else 'work'} "
            "only on a board (GATEWAY_ROLE=board). "
            "This install exports its own site's responses."
        )
    runtime = app.extensions["gateway"]
    filters = {
        name: chosen[name]
        for name in ("since", "before", "flow_id", "channels", "language")
    }
    responses = store.responses
    with app_database(app) as db:
        flow_id = filters["flow_id"]
        if flow_id and not responses.count_closed(
            db, flow_id=flow_id, include_test=True
        ):
            require_flow(runtime, flow_id)  # refused, naming the flows there are
        include_test = chosen["include_test"]
        rows = responses.closed_responses(db, include_test=include_test, **filters)
        if fmt == "jsonl":
            count = write_jsonl(rows, output)
        else:
            found = responses.closed_step_ids(db, include_test=include_test, **filters)
            count = write_csv(rows, output, step_columns(found, runtime.flows))
        left_out = 0
        if count == 0 and not include_test:
            # Nothing real, so every closed response that matches is test data.
            left_out = responses.count_closed(db, include_test=True, **filters)
    return count, left_out


def _export_board(app, fmt, output, chosen) -> tuple[int, int]:
    """Every site's responses in the board's database, or those the filters
    choose: the exact (staff) export, recorded in the activity log."""
    from gateway.board.store import export as board_export
    from gateway.board.store.inbox import Filters, Viewer
    from gateway.export import BOARD_FIELDS, step_columns, write_csv, write_jsonl

    runtime = app.extensions["gateway"]
    everything = Viewer(user_id=0, sites=None, sees_staff_only=True)
    include_test = chosen["include_test"]
    with board_export.one_view(app.extensions["board_engine"]) as conn:
        filters = Filters(
            sites=_known_sites(conn, chosen["site_names"]),
            flow=chosen["flow_id"],
            channels=tuple(dict.fromkeys(chosen["channels"])),
            language=chosen["language"],
            closed_from=chosen["since"],
            closed_before=chosen["before"],
            tag=_known_tag(conn, chosen["tag"]),
            words=chosen["words"],
        )
        flow_id = filters.flow
        if flow_id and not board_export.how_many(
            conn, everything, Filters(flow=flow_id)
        ):
            require_flow(runtime, flow_id)  # refused, naming the flows there are
        plan = board_export.plan_export(
            conn, everything, filters, include_test=include_test
        )
        _record_export(app, plan, fmt, chosen)
        if fmt == "jsonl":
            count = write_jsonl(board_export.rows(conn, plan), output, BOARD_FIELDS)
        else:
            steps = step_columns(plan.steps, runtime.flows)
            rows = board_export.rows(conn, plan, csv_steps=steps)
            count = write_csv(rows, output, steps, BOARD_FIELDS)
        left_out = 0
        if count == 0 and not include_test:
            left_out = board_export.how_many(conn, everything, filters)
    return count, left_out


def _known_sites(conn, names: tuple[str, ...]) -> tuple[str, ...]:
    """The board's names for these sites (in any case); refused, naming the
    sites there are, if one is not on the board."""
    from gateway.board.store.filter_choices import site_choices
    from gateway.board.store.inbox import Viewer

    if not names:
        return ()
    there = site_choices(conn, Viewer(user_id=0))
    by_folded = {name.casefold(): name for name in there}
    found = []
    for name in names:
        known = by_folded.get(name.strip().casefold())
        if known is None:
            listed = ", ".join(there) if there else "none yet"
            raise click.ClickException(f"No site called '{name}'. Sites: {listed}.")
        found.append(known)
    return tuple(dict.fromkeys(found))


def _known_tag(conn, name: str | None) -> str | None:
    """The board's tag of this name (in any case); refused, naming the tags."""
    from gateway.board.store.tagging import all_tags

    if name is None:
        return None
    there = [tag["name"] for tag in all_tags(conn, True)]
    by_folded = {tag.casefold(): tag for tag in there}
    known = by_folded.get(" ".join(name.split()).casefold())
    if known is None:
        listed = ", ".join(there) if there else "none yet"
        raise click.ClickException(f"No tag called '{name}'. Tags: {listed}.")
    return known


def _record_export(app, plan, fmt: str, chosen: dict) -> None:
    """The activity log's entry for this export: what was chosen and how
    many, never what they said. Its own short write, before the first row."""
    from gateway.board.database import writing
    from gateway.board.store import audit

    given = {
        name: list(value) if isinstance(value, tuple) else value
        for name, value in chosen.items()
        if value
    }
    at = iso(app.extensions["gateway"].clock())
    with writing(app.extensions["board_engine"]) as conn:
        audit.record(
            conn,
            at=at,
            user_id=None,
            action="exported",
            detail={"by": "gateway export", "format": fmt, "filters": given}
            | {"count": plan.count},
        )


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
    if _board_elsewhere(app.config):
        click.echo(_board_not_copied(app.config["BOARD_DATABASE"]))


def _board_file(config) -> Path | None:
    """The board's SQLite file, where the role has a board on SQLite. (A board
    on PostgreSQL is backed up with PostgreSQL's own tools.)"""
    if config["ROLE"] == "site" or _board_elsewhere(config):
        return None
    return Path(config["BOARD_DATABASE"])


def _board_elsewhere(config) -> bool:
    """The role has a board, and it is in a database server (a URL), not a file."""
    return config["ROLE"] != "site" and "://" in config["BOARD_DATABASE"]


def _board_not_copied(setting: str) -> str:
    """What a backup says of a board it cannot copy: how to back it up."""
    from gateway.board.database import database_url

    url = database_url(setting)
    if url.get_backend_name() != "postgresql":
        return (
            f"The board's database ({url.get_backend_name()}) is not in this "
            "copy: back it up with its own tools."
        )
    # pg_dump reads libpq's URLs: no driver in the name, and never a password
    # on the command line (it asks, or reads ~/.pgpass).
    plain = url.set(drivername="postgresql", password=None).render_as_string()
    return (
        "The board's database is on PostgreSQL, so it is not in this copy: "
        "back it up with PostgreSQL's own tools, such as\n"
        f"  pg_dump --format=custom --file=board.dump '{plain}'\n"
        "or your database service's backups. This copy still holds the keys "
        "the board needs: keep it with them."
    )
