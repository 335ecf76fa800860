"""`gateway board fft-return`: the NHS Friends and Family Test monthly return.

The return NHS England asks for, for one month, as CSV with NHS England's
column names: the organisation, each site, each ward or kiosk. It is exact
(the statutory return is never suppressed); docs/figures.md says how each
figure is worked out.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import click

from gateway.cli.board_commands import board, board_app


class Month(click.ParamType):
    name = "YYYY-MM"

    def convert(self, value, param, ctx):
        from gateway.board.fft import parse_month

        try:
            return parse_month(str(value))
        except ValueError as problem:
            self.fail(str(problem), param, ctx)


@board.command("fft-return")
@click.option(
    "--month",
    type=Month(),
    help="The month, such as 2026-11. Default: last month.",
)
@click.option(
    "--output",
    "-o",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="File to write (default: standard output).",
)
@click.pass_context
def board_fft_return(ctx, month, output) -> None:
    """Print the month's Friends and Family Test return as CSV."""
    from gateway.board.database import reading
    from gateway.board.fft import (
        fft_steps,
        month_bounds,
        organisation_from,
        write_csv,
    )
    from gateway.board.store.fft_return import month_return

    app = board_app(ctx)
    runtime = app.extensions["gateway"]
    if month is None:
        month = last_month(runtime.clock(), app.config["TIMEZONE"])
    bounds = month_bounds(month, app.config["TIMEZONE"])
    with reading(app.extensions["board_engine"]) as conn:
        rows = month_return(
            conn, fft_steps(runtime.flows), bounds, app.config["FFT_MODES"]
        )
    write_csv(rows, month, organisation_from(app.config), output)
    total = rows[0].total
    click.echo(
        f"The return for {month:%B %Y}: {total} answer(s) from "
        f"{sum(row.level == 'site' for row in rows)} site(s).",
        err=True,
    )


def last_month(now: datetime, zone: str) -> date:
    """The month before the one it is now, where the organisation is."""
    local = now.astimezone(ZoneInfo(zone))
    if local.month == 1:
        return date(local.year - 1, 12, 1)
    return date(local.year, local.month - 1, 1)
