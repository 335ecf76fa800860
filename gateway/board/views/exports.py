"""Downloading the inbox's feedback: exactly the inbox's filters and folder,
as CSV or JSON lines, written as it is read so memory stays flat.

Staff get the exact export. Members get the suppressed one: no pseudonym, no
staff-only tags, "[hidden]" for hidden words, and nothing from a site with so
few responses in the download that someone could be picked out (the SQL and
the rules are in gateway/board/store/export.py). Each download is in the
activity log: who, the filters and how many, never what people said.
"""

from __future__ import annotations

import re
import unicodedata
from contextlib import ExitStack
from urllib.parse import urlencode

from flask import (
    Response,
    current_app,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext

from gateway.board.access import needs
from gateway.board.database import current_engine, reading, writing
from gateway.board.store import audit
from gateway.board.store import export as board_export
from gateway.board.store import inbox as listing
from gateway.board.views import pages_bp
from gateway.board.views.activity import now_iso, viewer
from gateway.board.views.inbox_filters import KEPT_NAMES, chosen_filters, filter_form
from gateway.export import (
    BOARD_FIELDS,
    MEMBER_FIELDS,
    csv_text,
    jsonl_text,
    step_columns,
)
from gateway.runtime import current_runtime

MOST_QUERY = 8_000  # characters after "?": many sites chosen fit, nonsense does not
FORMATS = {"csv": "text/csv", "jsonl": "application/x-ndjson"}
NAME_LENGTH = 120  # a file name's characters before its extension
WORDS_GIVEN = "(some words)"  # the activity log's note of a word search
EXCEL_MARK = "\ufeff"  # tells a spreadsheet the file is UTF-8, so "é" stays "é"


@pages_bp.get("/export")
@needs("read")
def export():
    if len(request.query_string) > MOST_QUERY:
        return _problem(
            414,
            gettext("This address is too long"),
            gettext("Choose fewer filters, then try again."),
        )
    fmt = request.args.get("format", "csv")
    if fmt not in FORMATS:
        return _problem(
            400,
            gettext("Choose how to download it"),
            gettext("You can download feedback as CSV or as JSON lines."),
        )
    who = viewer()
    folder = request.args.get("folder", "new")
    folder = folder if folder in listing.FOLDERS else "new"  # as the inbox does
    with reading(current_engine()) as conn:
        form = filter_form(conn, who)
    if any(field.errors for field in form):
        return _problem(
            400,
            gettext("Some of the filters are not right"),
            gettext("Nothing was downloaded."),
            back=_inbox_query(),
        )
    engine, filters = current_engine(), chosen_filters(form, who)
    small_below = current_app.config["SMALL_NUMBERS_BELOW"]
    # The plan and the activity log's entry come before the first byte, so a
    # failure is an error page, never a file cut short with a 200. The view
    # they read stays open for the rows, and closes when the download ends.
    view = ExitStack()
    try:
        conn = view.enter_context(board_export.one_view(engine))
        plan = board_export.plan_export(
            conn, who, filters, folder=folder, small_below=small_below
        )
        _record(engine, who, plan, fmt, folder, _chosen(form))
    except BaseException:
        view.close()
        raise
    if plan.count == 0 and plan.left_out:
        view.close()
        return _problem(
            200,
            gettext("There is nothing to download"),
            gettext(
                "Sites with fewer than %(num)d responses are left out, so no one "
                "can be picked out.",
                num=small_below,
            ),
            back=_inbox_query(),
        )
    name = file_name(form, folder, fmt)
    return Response(
        stream_with_context(_download(view, conn, plan, fmt)),
        mimetype=FORMATS[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _download(view: ExitStack, conn, plan, fmt: str):
    """The file's text, a piece at a time, read in the plan's view of the
    database; the view is closed at the end, or when the download stops."""
    hidden = gettext("[hidden]")
    with view:
        fields = BOARD_FIELDS if plan.exact else MEMBER_FIELDS
        if fmt == "jsonl":
            yield from jsonl_text(board_export.rows(conn, plan, hidden), fields)
            return
        yield EXCEL_MARK
        steps = step_columns(plan.steps, current_runtime().flows)
        rows = board_export.rows(conn, plan, hidden, csv_steps=steps)
        yield from csv_text(rows, steps, fields)


def _record(engine, who, plan, fmt: str, folder: str, chosen: dict) -> None:
    detail = {"format": fmt, "folder": folder, "filters": chosen, "count": plan.count}
    if not plan.exact:
        detail |= {
            "left_out": plan.left_out,
            "sites_left_out": list(plan.left_out_sites),
        }
    with writing(engine) as conn:
        audit.record(
            conn, at=now_iso(), user_id=who.user_id, action="exported", detail=detail
        )


def _chosen(form) -> dict:
    """The filters as the address gives them, for the activity log. Words
    searched for are not kept (they may be a person's name): only that there
    were some."""
    return {
        field.name: WORDS_GIVEN
        if field.name == "q"
        else field.data
        if isinstance(field.data, list)
        else str(field.data)
        for field in form
        if field.name in KEPT_NAMES and field.data
    }


def _inbox_query() -> str:
    pairs = [(k, v) for k, v in request.args.items(multi=True) if k in KEPT_NAMES]
    return urlencode(pairs)


def _problem(status: int, heading: str, line: str, back: str = ""):
    inbox = url_for("board_pages.inbox") + (f"?{back}" if back else "")
    page = render_template(
        "board/export_problem.html", heading=heading, line=line, inbox=inbox
    )
    return page, status


# The file's name --------------------------------------------------------------


def file_name(form, folder: str, fmt: str) -> str:
    """Its filters in safe characters: feedback-oak-house-friends-and-family-
    2026-11-01-to-2026-11-30.csv. The dates are kept when it is too long."""
    parts = ["feedback"] + ([folder] if folder != "all" else [])
    parts += form.site.data or []
    parts += [form.flow.data] if form.flow.data else []
    parts += form.channel.data or []
    parts += [form.language.data] if form.language.data else []
    parts += [form.tag.data] if form.tag.data else []
    days = _days(form.date_from.data, form.date_to.data)
    head = "-".join(slug for slug in map(_slug, parts) if slug)
    room = NAME_LENGTH - (len(days) + 1 if days else 0)
    if len(head) > room:  # cut at a hyphen, so no word is left half
        head = head[:room].rsplit("-", 1)[0]
    return "-".join(filter(None, (head, days))) + f".{fmt}"


def _days(first, last) -> str:
    if first and last:
        return f"{first:%Y-%m-%d}-to-{last:%Y-%m-%d}"
    if first:
        return f"from-{first:%Y-%m-%d}"
    return f"to-{last:%Y-%m-%d}" if last else ""


def _slug(text: str) -> str:
    """Text in lower-case letters, digits and hyphens only: "Tŷ Gwyn" is ty-gwyn."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")
