"""One piece of feedback: the conversation as the person saw it, what has been
done about it, and the routes its forms (response_forms.py) post to.

Every form posts to its own address, which checks the role (`@needs`) and
that this person may see the response (404 if not) before anything else,
then changes it in one transaction with its audit entry, and comes back
here with a banner. A form with a mistake shows this page again, with the
mistake by the field.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_wtf import FlaskForm

from flows.model import OPENING
from gateway.board.access import needs, require_visible
from gateway.board.database import current_engine, reading, writing
from gateway.board.store import audit, comments, hidden_words, review, tagging
from gateway.board.store import inbox as listing
from gateway.board.views import pages_bp
from gateway.board.views.activity import (
    STATUS_WORDS,
    alert_words,
    answer_parts,
    channel_words,
    language_words,
    moment_words,
    now_iso,
    parts_for,
    timeline,
    viewer,
)
from gateway.board.views.inbox import errors_of
from gateway.board.views.inbox_filters import as_choices
from gateway.board.views.response_forms import (
    NOT_THERE,
    TOO_LATE,
    AlertForm,
    AssignForm,
    CommentForm,
    EditNoteForm,
    FlagForm,
    HideForm,
    InternalNoteForm,
    StatusForm,
    TagForm,
    hideable_texts,
    page_forms,
)


def _found(response_id: str) -> dict:
    """The response if this person may see it, else 404. For staff, an alert
    whose response has not arrived yet is a page too (its alerts only)."""
    if len(response_id) > 64:
        abort(404)
    with reading(current_engine()) as conn:
        found = review.response(conn, response_id)
        if found is None and viewer().sees_staff_only:
            site_ids = listing.visible_site_ids(conn, viewer())
            if review.alerts_of(conn, response_id, site_ids):
                return {"id": response_id, "waiting": True}
    return require_visible(found)


def _back(response_id: str, message: str, kind: str = "success"):
    flash(message, kind)
    return redirect(url_for("board_pages.response", response_id=response_id))


@pages_bp.get("/responses/<response_id>")
@needs("read")
def response(response_id):
    return _page(_found(response_id))


def _page(found: dict, status: int = 200, editing: int | None = None, **forms):
    """The page, with `forms` (a form sent with a mistake) in place of the
    empty ones; `editing`: the note whose change had a mistake."""
    who, at = viewer(), now_iso()
    staff, response_id = who.sees_staff_only, found["id"]
    waiting = found.get("waiting", False)
    if not waiting:
        with writing(current_engine()) as conn:
            review.saw(conn, response_id, who.user_id, at)
    with reading(current_engine()) as conn:
        site_ids = listing.visible_site_ids(conn, who)
        alerts = review.alerts_of(conn, response_id, site_ids) if staff else []
        if waiting:
            page = render_template(
                "board/response.html",
                found=found,
                waiting=True,
                alerts=alerts,
                alert_form=forms.get("alert_form") or AlertForm(formdata=None),
                errors=[],
                alert_words=alert_words,
                moment_words=moment_words,
            )
            return page, status
        answers = listing.answers_of(conn, [response_id]).get(response_id, [])
        passages = listing.passages_of(conn, [response_id]).get(response_id, {})
        tags = listing.tags_of(conn, [response_id], staff).get(response_id, [])
        tag_choices = tagging.all_tags(conn, staff)
        notes = comments.notes_of(conn, response_id, staff)
        entries = audit.entries(conn, response_id=response_id, limit=500)
        also = review.also_looking(conn, response_id, who.user_id, at)
        people = review.reviewers(conn, found["site_name"]) if staff else []
    conversation = [
        (answer["prompt"], answer_parts(found, answer, passages, staff))
        for answer in answers
        if answer["prompt"]  # a question never shown (not on this channel) has none
    ]
    opening = found["opening_text"]
    hideable = hideable_texts(found, answers)
    hidden = [
        {**row, "where": dict(hideable).get(row["step_id"], row["step_id"])}
        for rows in passages.values()
        for row in rows
    ]
    shown_forms = page_forms(found, people, hideable, forms)
    errors = [error for form in forms.values() for error in errors_of(form)]
    page = render_template(
        "board/response.html",
        found=found,
        waiting=False,
        opening=parts_for(opening, passages.get(OPENING, []), staff)
        if opening
        else None,
        conversation=conversation,
        tags=tags,
        tag_choices=tag_choices,
        alerts=alerts,
        also_looking=also,
        timeline=timeline(entries, notes, staff, who.user_id, at, tag_choices),
        hidden=hidden,
        errors=errors,
        editing=editing,
        channel_words=channel_words,
        language_words=language_words,
        moment_words=moment_words,
        alert_words=alert_words,
        **shown_forms,
    )
    return page, status


# Review: each form's own address ---------------------------------------------------


def _response_to_change(response_id: str) -> dict:
    found = _found(response_id)
    if found.get("waiting"):
        abort(404)
    return found


def _do(change, *args, **kwargs):
    """`change(conn, *args, by=..., at=..., **kwargs)` in one transaction."""
    with writing(current_engine()) as conn:
        return change(conn, *args, by=viewer().user_id, at=now_iso(), **kwargs)


@pages_bp.post("/responses/<response_id>/status")
@needs("review")
def response_status(response_id):
    found = _response_to_change(response_id)
    form = StatusForm()
    if not form.validate_on_submit():
        return _page(found, 400, status_form=form)
    status, note = form.status.data, (form.status_note.data or "").strip() or None
    if not _do(review.set_status, response_id, status, note=note):
        return _back(response_id, gettext("Nothing changed."), "info")
    words = STATUS_WORDS[status]
    return _back(response_id, gettext("Saved. It is now: %(status)s.", status=words))


@pages_bp.post("/responses/<response_id>/flag")
@needs("review")
def response_flag(response_id):
    _response_to_change(response_id)
    form = FlagForm()
    if not form.validate_on_submit():
        abort(400)
    flagged = form.flagged.data == "yes"
    _do(review.set_flag, response_id, flagged)
    return _back(
        response_id, gettext("Flagged.") if flagged else gettext("Not flagged now.")
    )


@pages_bp.post("/responses/<response_id>/assign")
@needs("review")
def response_assign(response_id):
    found = _response_to_change(response_id)
    form = AssignForm()
    with reading(current_engine()) as conn:
        people = review.reviewers(conn, found["site_name"])
    names = {str(person["id"]): person["name"] for person in people}
    if not form.validate_on_submit() or form.person.data not in {"", *names}:
        form.person.errors = [gettext("Choose a person from the list.")]
        return _page(found, 400, assign_form=form)
    person = form.person.data
    _do(review.assign, response_id, int(person) if person else None)
    if not person:
        return _back(response_id, gettext("Saved. No one has it now."))
    return _back(
        response_id, gettext("Saved. %(name)s has it now.", name=names[person])
    )


@pages_bp.post("/responses/<response_id>/tags")
@needs("tag")
def add_tag(response_id):
    found = _response_to_change(response_id)
    form = TagForm()
    if not form.validate_on_submit():
        return _page(found, 400, tag_form=form)
    name = " ".join(form.tag_name.data.split())
    outcome = _do(tagging.add_tag, response_id, name, staff=viewer().sees_staff_only)
    if outcome == "staff_only":
        form.tag_name.errors = [gettext("Only staff can use that tag. Choose another.")]
        return _page(found, 400, tag_form=form)
    if outcome == "had":
        return _back(response_id, gettext("It has that tag already."), "info")
    return _back(response_id, gettext("Tag added: %(tag)s.", tag=name))


@pages_bp.post("/responses/<response_id>/tags/remove")
@needs("tag")
def remove_tag(response_id):
    _response_to_change(response_id)
    form = TagForm()
    if not form.validate_on_submit():
        abort(400)
    name = form.tag_name.data
    if not _do(tagging.remove_tag, response_id, name, staff=viewer().sees_staff_only):
        return _back(response_id, gettext("It does not have that tag."), "info")
    return _back(response_id, gettext("Tag taken off: %(tag)s.", tag=name))


@pages_bp.post("/responses/<response_id>/comments")
@needs("comment")
def add_comment(response_id):
    found = _response_to_change(response_id)
    form = CommentForm()
    if not form.validate_on_submit():
        return _page(found, 400, comment_form=form)
    _do(comments.add_note, response_id, form.comment.data.strip(), staff_only=False)
    return _back(response_id, gettext("Your comment is saved."))


@pages_bp.post("/responses/<response_id>/notes")
@needs("note")
def add_internal_note(response_id):
    found = _response_to_change(response_id)
    form = InternalNoteForm()
    if not form.validate_on_submit():
        return _page(found, 400, note_form=form)
    _do(
        comments.add_note, response_id, form.internal_note.data.strip(), staff_only=True
    )
    return _back(response_id, gettext("Your note is saved."))


@pages_bp.post("/responses/<response_id>/notes/<int:note_id>/edit")
@needs("comment")
def edit_note(response_id, note_id):
    found = _response_to_change(response_id)
    form = EditNoteForm()
    if not form.validate_on_submit():
        return _page(found, 400, edit_form=form, editing=note_id)
    if not _do(comments.edit_note, response_id, note_id, form.note_body.data.strip()):
        return _back(response_id, str(TOO_LATE), "error")
    return _back(response_id, gettext("Your changes are saved."))


@pages_bp.post("/responses/<response_id>/hide")
@needs("redact")
def hide_words(response_id):
    found = _response_to_change(response_id)
    form = HideForm()
    with reading(current_engine()) as conn:
        answers = listing.answers_of(conn, [response_id]).get(response_id, [])
    form.hide_in.choices = as_choices(hideable_texts(found, answers))
    if not form.validate_on_submit():
        return _page(found, 400, hide_form=form)
    step_id, passage = form.hide_in.data, form.passage.data.strip()
    if not _do(hidden_words.hide_passage, response_id, step_id, passage):
        form.passage.errors = [NOT_THERE]
        return _page(found, 400, hide_form=form)
    return _back(response_id, gettext("Those words are hidden from board members now."))


@pages_bp.post("/responses/<response_id>/hidden/<int:redaction_id>/show")
@needs("redact")
def show_words(response_id, redaction_id):
    _response_to_change(response_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    if not _do(hidden_words.show_passage, response_id, redaction_id):
        abort(404)
    return _back(response_id, gettext("Board members can see those words again."))


@pages_bp.post("/responses/<response_id>/alerts/<alert_id>/done")
@needs("alerts")
def acknowledge_alert(response_id, alert_id):
    found = _found(response_id)
    form = AlertForm()
    if not form.validate_on_submit():
        return _page(found, 400, alert_form=form)
    done = form.what_was_done.data.strip()
    if not _do(review.acknowledge_alert, response_id, alert_id, done):
        return _back(response_id, gettext("Someone dealt with it already."), "info")
    return _back(response_id, gettext("Thank you. The alert is marked as dealt with."))
