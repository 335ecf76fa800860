"""The Friends and Family Test return page: a month's figures for NHS England.

Staff see the return exact, as `gateway board fft-return` writes it, and can
download its CSV. Members see it with small numbers hidden (`*`), and their
download is hidden the same way. A person limited to some sites sees only
theirs, and the top row is then "your sites", not the organisation.
The figures come from gateway/board/store/fft_return.py and
gateway/board/fft.py.
"""

from __future__ import annotations

import io
from datetime import date
from zoneinfo import ZoneInfo

from flask import Response, current_app, render_template, request
from flask_babel import format_date, gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from gateway.board import fft
from gateway.board.access import needs, visible_sites
from gateway.board.database import current_engine, reading
from gateway.board.store.fft_return import month_return
from gateway.board.views import pages_bp
from gateway.board.views.activity import viewer
from gateway.board.views.inbox_filters import OneFromList, as_choices
from gateway.runtime import current_runtime

MONTHS_TO_CHOOSE = 36
ANSWER_WORDS = {
    "very_good": _l("Very good"),
    "good": _l("Good"),
    "neither": _l("Neither good nor poor"),
    "poor": _l("Poor"),
    "very_poor": _l("Very poor"),
    "dont_know": _l("Don't know"),
}
MODE_WORDS = {
    "Mode SMS": _l("Text message"),
    "Mode Electronic Discharge": _l("Screen or kiosk, on site"),
    "Mode Electronic Home": _l("Screen, at home"),
    "Mode Paper Discharge": _l("Paper, on site"),
    "Mode Paper Home": _l("Paper, at home"),
    "Mode Telephone": _l("Phone call"),
    "Mode Online": _l("Online"),
    "Mode Other": _l("Other"),
}


class MonthForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form: it changes nothing

    month = OneFromList(_l("Month"), _l("Choose a month from the list."))


def months_until(today: date) -> list[date]:
    """The months to choose from, last month first."""
    months, month = [], date(today.year, today.month, 1)
    for _ in range(MONTHS_TO_CHOOSE):
        month = date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)
        months.append(month)
    return months


def chosen_month() -> tuple[MonthForm, date]:
    """The form, and the month it names (last month if none, or a wrong one)."""
    zone = current_app.config["TIMEZONE"]
    today = current_runtime().clock().astimezone(ZoneInfo(zone)).date()
    months = months_until(today)
    form = MonthForm(request.args)
    form.month.choices = as_choices(
        (f"{m:%Y-%m}", format_date(m, "MMMM yyyy")) for m in months
    )
    if not form.month.data:
        form.month.data = f"{months[0]:%Y-%m}"
    if not form.validate():
        return form, months[0]
    return form, fft.parse_month(form.month.data)


def the_rows(month: date) -> tuple[list[fft.ReturnRow], bool]:
    """The month's rows as this person may see them, and whether exact."""
    runtime = current_runtime()
    bounds = fft.month_bounds(month, current_app.config["TIMEZONE"])
    steps, modes = fft.fft_steps(runtime.flows), current_app.config["FFT_MODES"]
    threshold = current_app.config["SMALL_NUMBERS_BELOW"]
    sites, samples = visible_sites(), current_app.config["SAMPLES_IN_FIGURES"]
    with reading(current_engine()) as conn:
        rows = month_return(conn, steps, bounds, modes, sites, samples)
        whole = (
            month_return(conn, steps, bounds, modes, None, samples) if sites else None
        )
    if viewer().sees_staff_only:
        return rows, True
    if whole is None:
        return fft.suppressed(rows, threshold), False
    return fft.suppressed_within(whole, rows, threshold), False


@pages_bp.get("/fft-return")
@needs("read")
def fft_return():
    form, month = chosen_month()
    rows, exact = the_rows(month)
    errors = [(form.month.id, form.month.errors[0])] if form.month.errors else []
    return render_template(
        "board/fft_return.html",
        form=form,
        errors=errors,
        month=month,
        month_words=format_date(month, "MMMM yyyy"),
        rows=rows,
        exact=exact,
        every_site=visible_sites() is None,
        answers=[(a, ANSWER_WORDS[a]) for a in fft.ANSWERS],
        modes=[(m, MODE_WORDS[m]) for m in fft.FFT_MODE_NAMES],
        samples=current_app.config["SAMPLES_IN_FIGURES"],
        star=fft.STAR,
        percent=percent,
        where=lambda row: where_words(row, visible_sites() is None),
    )


@pages_bp.get("/fft-return.csv")
@needs("read")
def fft_return_csv():
    form, month = chosen_month()
    if form.month.errors:
        return render_template(
            "error.html",
            heading=gettext("Choose a month from the list."),
            lines=(gettext("Nothing was downloaded."),),
        ), 400
    rows, exact = the_rows(month)
    out = io.StringIO()
    out.write("\ufeff")  # so a spreadsheet reads the names' letters right
    organisation = fft.organisation_from(current_app.config)
    fft.write_csv(rows, month, organisation, out, visible_sites() is None)
    name = f"fft-return-{month:%Y-%m}{'' if exact else '-small-numbers-hidden'}"
    if current_app.config["SAMPLES_IN_FIGURES"]:
        name += "-with-samples"
    name += ".csv"
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def percent(share: float | None, exact: bool = True) -> str:
    """86.7% (one decimal place, as NHS England publishes), or 87% shown
    beyond staff (fft.suppressed says why); "" for none."""
    if share is None:
        return ""
    return f"{share * 100:.{1 if exact else 0}f}%"


def where_words(row: fft.ReturnRow, every_site: bool) -> str:
    if row.level == "organisation":
        return gettext("All sites") if every_site else gettext("Your sites")
    if row.level == "site":
        return row.site
    return gettext(
        "%(site)s: %(ward)s",
        site=row.site,
        ward=row.ward or gettext("No ward or kiosk"),
    )
