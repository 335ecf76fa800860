"""The inbox: folders, filters, a page of feedback, and changes to many at once.

Every filter lives in the address (a GET form), so a view can be kept or
shared; inbox_filters.py reads it. The SQL is in gateway.board.store.inbox;
this module draws the page and makes the changes.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from flask import abort, flash, redirect, render_template, request
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import Length

from gateway.board.access import needs
from gateway.board.database import current_engine, reading, writing
from gateway.board.store import inbox as listing
from gateway.board.store import review, tagging
from gateway.board.views import pages_bp
from gateway.board.views.activity import (
    answer_parts,
    channel_words,
    day_words,
    free_text_parts,
    now_iso,
    viewer,
)
from gateway.board.views.inbox_filters import (
    KEPT_NAMES,
    chosen_filters,
    chosen_tags,
    filter_form,
    inbox_url,
    labels_of,
    pairs_without,
)

MOST_AT_ONCE = 100  # responses one bulk change may name
LAST_PAGE = 10_000
FOLDER_WORDS = {
    "new": _l("New"),
    "flagged": _l("Flagged"),
    "done": _l("Done"),
    "all": _l("All"),
}


@pages_bp.get("/")
@needs("read")
def inbox():
    who = viewer()
    pairs = [(k, v) for k, v in request.args.items(multi=True) if k in KEPT_NAMES]
    folder = request.args.get("folder", "new")
    folder = folder if folder in listing.FOLDERS else "new"
    pairs = pairs_without(pairs, "folder") + [("folder", folder)]
    with reading(current_engine()) as conn:
        form = filter_form(conn, who)
        filters = chosen_filters(form, who)
        wrong = {field.name for field in form if field.errors}
        pairs = [(k, v) for k, v in pairs if k not in wrong]  # links leave them out
        counts = listing.folder_counts(conn, who, filters)
        pages = min(LAST_PAGE, max(1, -(-counts[folder] // listing.PER_PAGE)))
        asked = request.args.get("page", "1")
        page = min(int(asked) if asked.isdigit() and len(asked) < 6 else 1, pages)
        rows = listing.page_of_responses(
            conn, who, filters, folder, max(page, 1), matches=counts[folder]
        )
    staff = who.sees_staff_only
    for row in rows:
        first = row["answers"][0] if row["answers"] else None
        row["first_answer"] = (
            answer_parts(row, first, row["passages"], staff) if first else []
        )
        row["said"] = free_text_parts(row, staff)
        row["channel_words"] = channel_words(row["channel"])
    return render_template(
        "board/inbox.html",
        form=form,
        errors=errors_of(form),
        folder=folder,
        folders=[
            (name, FOLDER_WORDS[name], counts[name], inbox_url(pairs, folder=name))
            for name in listing.FOLDERS
        ],
        rows=rows,
        page=page,
        pages=pages,
        shown=counts[folder],
        first=(page - 1) * listing.PER_PAGE + 1,
        page_url=lambda number: inbox_url(pairs, page=number),
        chosen=chosen_tags(form, pairs),
        clear_url=inbox_url([("folder", folder)]),
        back=urlencode(pairs + ([("page", str(page))] if page > 1 else [])),
        tag_names=list(labels_of(form.tag))[1:],
        day_words=day_words,
    )


def errors_of(form) -> list[tuple[str, str]]:
    """The error summary's list: each field's first error, linked to it."""
    many = ("MultiCheckboxField", "RadioField")
    return [
        (f"{field.id}-0" if field.type in many else field.id, field.errors[0])
        for field in form
        if field.errors and field.name != "csrf_token"
    ]


# Changing many at once ------------------------------------------------------------


class BulkForm(FlaskForm):
    tag = StringField(
        _l("Tag"), validators=[Length(max=60, message=_l("Use 60 letters or fewer."))]
    )
    back = HiddenField(validators=[Length(max=4000)])


BULK_CHANGES = ("flag", "unflag", "done", "restore")
CHOOSE_FIRST = _l("Choose some feedback first. Tick the boxes beside it.")


def _chosen_ids(form: BulkForm) -> list[str]:
    """The responses ticked: 404 if any is not one this person may see."""
    ids = list(dict.fromkeys(request.form.getlist("ids")))
    if len(ids) > MOST_AT_ONCE or any(len(i) > 64 for i in ids):
        abort(400)
    if ids:
        with reading(current_engine()) as conn:
            if listing.visible_ids(conn, viewer(), ids) != set(ids):
                abort(404)
    return ids


def _back_to_inbox(form: BulkForm, changed: int | None, problem: str | None = None):
    if problem:
        flash(problem, "error")
    elif changed == 0:
        flash(gettext("Nothing changed. They were like that already."), "info")
    else:
        flash(
            ngettext(
                "%(num)d piece of feedback changed.",
                "%(num)d pieces of feedback changed.",
                changed,
            ),
            "success",
        )
    pairs = parse_qsl(form.back.data or "")
    page = dict(pairs).get("page", "")
    return redirect(inbox_url(pairs, page=int(page) if page.isdigit() else None))


@pages_bp.post("/bulk/tag")
@needs("tag")
def bulk_tag():
    form = BulkForm()
    ids = _chosen_ids(form)
    name = " ".join((form.tag.data or "").split())
    if not ids:
        return _back_to_inbox(form, None, str(CHOOSE_FIRST))
    if not form.validate() or not name:
        problem = form.tag.errors[0] if form.tag.errors else gettext("Enter a tag.")
        return _back_to_inbox(form, None, problem)
    who, at = viewer(), now_iso()
    with writing(current_engine()) as conn:
        known = tagging.tag_named(conn, name)
        if known and known["staff_only"] and not who.sees_staff_only:
            return _back_to_inbox(form, None, gettext("Only staff can use that tag."))
        outcomes = [
            tagging.add_tag(
                conn,
                i,
                name,
                by=who.user_id,
                at=at,
                staff=who.sees_staff_only,
                bulk=True,
            )
            for i in ids
        ]
    return _back_to_inbox(form, outcomes.count("added"))


@pages_bp.post("/bulk/review")
@needs("review")
def bulk_review():
    form = BulkForm()
    ids = _chosen_ids(form)
    change = request.form.get("change")
    if change not in BULK_CHANGES or not ids or not form.validate():
        return _back_to_inbox(form, None, str(CHOOSE_FIRST))
    who, at, changed = viewer(), now_iso(), 0
    with writing(current_engine()) as conn:
        for response_id in ids:
            kwargs = {"by": who.user_id, "at": at}
            if change in ("flag", "unflag"):
                done = review.set_flag(
                    conn, response_id, change == "flag", bulk=True, **kwargs
                )
            elif change == "done":
                done = review.set_status(
                    conn, response_id, "closed", bulk=True, **kwargs
                )
            else:
                done = review.restore_to_new(conn, response_id, **kwargs)
            changed += done
    return _back_to_inbox(form, changed)
