"""The activity log and the tags' own page, and the words the inbox and a
response's page use for what people said and what was done about it.

Everything here is easy read: "Sam marked it Done.", "Text message",
"Did not answer". Hidden passages reach a page as pieces (text, hidden), and
a member's page never holds the hidden words at all.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import (
    format_date,
    format_datetime,
    get_locale,
    gettext,
    ngettext,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, TextAreaField
from wtforms.validators import InputRequired, Length

from flows.formats import iso, parse_iso
from flows.model import OPENING, StepKind
from gateway.board.access import needs
from gateway.board.database import current_engine, reading, writing
from gateway.board.store import activity_log, comments, hidden_words, inbox, tagging
from gateway.board.views import pages_bp
from gateway.runtime import current_runtime

ENTRIES_PER_PAGE = 50
DAY = "d MMMM y"  # 1 December 2026
IDENTIFIER = re.compile(r"[a-z0-9_]+")  # an option's value, not a person's words
CHANNEL_WORDS = {
    "sms": _l("Text message"),
    "kiosk": _l("Kiosk"),
    "paper": _l("Paper card"),
}
STATE_WORDS = {
    "no_answer": _l("Did not answer"),
    "not_reached": _l("Did not answer"),
    "rather_not_say": _l("Rather not say"),
    "dont_know": _l("Don't know"),
}
STATUS_WORDS = {
    "new": _l("New"),
    "in_review": _l("Being looked at"),
    "actioned": _l("Acted on"),
    "closed": _l("Done"),
}
# What board members may see in a response's history: never alerts, hidden
# words or staff notes (a status change's note is for staff too).
MEMBERS_SEE = {"status", "flagged", "assigned", "tag_added", "bulk_tag", "tag_removed"}
ALERT_WORDS = {  # one for each category in flows/rules/safeguarding.yaml
    "self_harm": _l("They may hurt themselves"),
    "abuse": _l("They may be being abused or neglected"),
    "harm_to_others": _l("They may hurt someone else"),
    "medical_emergency": _l("They may need a doctor or ambulance now"),
}


def viewer() -> inbox.Viewer:
    """The signed-in person, as the store's queries need them."""
    return inbox.Viewer(
        user_id=current_user.user_id,
        sites=current_user.sites or None,
        sees_staff_only=current_user.is_staff,
    )


def now_iso() -> str:
    return iso(current_runtime().clock())


# Dates ------------------------------------------------------------------------


def day_words(moment: str | date | None) -> str:
    """'1 December 2026', where the board is (for a moment, as ISO text)."""
    if not moment:
        return ""
    return format_date(parse_iso(moment) if isinstance(moment, str) else moment, DAY)


def moment_words(moment: str | None) -> str:
    """'1 December 2026 at 9:05am', where the board is."""
    if not moment:
        return ""
    when = parse_iso(moment)
    clock = format_datetime(when, "h:mma").lower()
    return gettext("%(day)s at %(time)s", day=day_words(moment), time=clock)


def start_of_day(day: date) -> str:
    """The moment a day began where the board is, as ISO UTC."""
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    return iso(datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC))


# What people said ---------------------------------------------------------------


def channel_words(channel: str) -> str:
    return str(CHANNEL_WORDS.get(channel, channel))


def language_words(code: str) -> str:
    try:
        return Locale.parse(code).get_display_name(get_locale()) or code
    except (ValueError, UnknownLocaleError):
        return code


def alert_words(category: str) -> str:
    found = ALERT_WORDS.get(category)
    return str(found) if found else category.replace("_", " ").capitalize()


def step_of(response: dict, step_id: str):
    """The step in the board's own copy of the response's flow, if it has one."""
    flow = current_runtime().flows.get(response["flow_id"])
    if flow is None:
        return None
    return next((step for step in flow.steps if step.id == step_id), None)


def own_words(answer: dict, step) -> bool:
    """Did the person answer in their own words (not by picking an option)?"""
    if answer["state"] != "answered" or not (answer["raw"] or answer["value"]):
        return False
    if step is not None:
        return step.kind is StepKind.TEXT
    return not IDENTIFIER.fullmatch(answer["value"] or "")


def parts_for(text: str, passages: list[dict], staff: bool):
    """`text` as pieces (words, hidden). Staff get the hidden words, marked;
    members get None in their place, so no page of theirs can show them."""
    parts = hidden_words.hidden_parts(text, [p["passage"] for p in passages])
    if staff:
        return parts
    return [(None, True) if hidden else (words, False) for words, hidden in parts]


def answer_parts(response: dict, answer: dict, passages: dict, staff: bool):
    """An answer in words, as pieces: the option's words, a state's words
    ("Did not answer"), or what the person wrote (with hidden passages)."""
    step = step_of(response, answer["step_id"])
    if answer["state"] != "answered":
        words = STATE_WORDS.get(answer["state"], STATE_WORDS["no_answer"])
        return [(str(words), False)]
    hidden = passages.get(answer["step_id"], [])
    if hidden or own_words(answer, step):  # words hidden once are always hidden
        text = answer["raw"] or answer["value"] or ""
        return parts_for(text, hidden, staff)
    value = answer["value"] or ""
    for option in step.options if step is not None else ():
        if option.value == value:
            return [(gettext(option.words), False)]
    return [(value.replace("_", " ").capitalize(), False)]


def free_text_parts(response: dict, staff: bool, limit: int = 120):
    """The start of the first thing the person wrote in their own words (the
    opening message, else an answer), hidden passages taken out for members."""
    passages = response["passages"]
    text, step_id = response["opening_text"], OPENING
    for answer in response["answers"] if not text else ():
        if own_words(answer, step_of(response, answer["step_id"])):
            text, step_id = answer["raw"] or answer["value"], answer["step_id"]
            break
    if not text:
        return []
    shortened, used = [], 0
    for words, hidden in parts_for(text, passages.get(step_id, []), staff):
        if used >= limit:
            shortened.append(("…", False))
            break
        if words is not None and used + len(words) > limit:
            words = words[: limit - used].rstrip() + "…"
        shortened.append((words, hidden))
        used += len(words) if words is not None else 8
    return shortened


# What was done ---------------------------------------------------------------------


def entry_words(entry: dict) -> str:
    """One audit entry as a sentence: "Sam marked it Done."."""
    who = entry.get("user_name") or gettext("The board")
    detail, action = entry["detail"], entry["action"]
    if action == "status":
        status = str(STATUS_WORDS.get(detail.get("to"), detail.get("to")))
        return gettext("%(who)s marked it %(status)s.", who=who, status=status)
    if action == "flagged" and detail.get("flagged"):
        return gettext("%(who)s flagged it.", who=who)
    if action == "assigned" and detail.get("to_name"):
        name = detail["to_name"]
        return gettext("%(who)s gave it to %(name)s.", who=who, name=name)
    if action == "exported":
        count = detail.get("count")
        if count is None:  # `gateway export` on the server
            return gettext("%(who)s downloaded feedback.", who=who)
        return ngettext(
            "%(who)s downloaded %(num)d piece of feedback.",
            "%(who)s downloaded %(num)d pieces of feedback.",
            count,
            who=who,
        )
    said = ENTRY_WORDS.get(action)
    if said is None:
        return gettext("%(who)s made a change (%(action)s).", who=who, action=action)
    return str(said) % {"who": who, "tag": detail.get("tag", "")}


ENTRY_WORDS = {  # each filled in with who did it, and the tag if there is one
    "flagged": _l("%(who)s took the flag off."),
    "assigned": _l("%(who)s gave it to no one."),
    "tag_added": _l("%(who)s added the tag “%(tag)s”."),
    "bulk_tag": _l("%(who)s added the tag “%(tag)s”."),
    "tag_removed": _l("%(who)s took off the tag “%(tag)s”."),
    "tag_created": _l("%(who)s made the tag “%(tag)s”."),
    "tag_changed": _l("%(who)s changed the tag “%(tag)s”."),
    "note_added": _l("%(who)s wrote a note for staff."),
    "comment_added": _l("%(who)s wrote a comment."),
    "note_edited": _l("%(who)s changed their note."),
    "comment_edited": _l("%(who)s changed their comment."),
    "redacted": _l("%(who)s hid some words from board members."),
    "redaction_undone": _l("%(who)s let board members see some words again."),
    "alert_acknowledged": _l("%(who)s dealt with a safeguarding alert."),
    "post_written": _l("%(who)s wrote a draft post."),
    "post_changed": _l("%(who)s changed a draft post."),
    "post_published": _l("%(who)s published a post."),
}


def timeline(entries, notes, staff, user_id, at, tag_choices) -> list[dict]:
    """The response's history and its notes, newest first, as each reader may
    see them (members: no alerts, hidden words, staff notes or staff tags)."""
    tags_members_see = {t["name"] for t in tag_choices if not t["staff_only"]}
    items = []
    for entry in entries:
        action = entry["action"]
        if action in ("note_added", "comment_added"):
            continue  # the note itself is on the timeline
        if not staff and (
            action not in MEMBERS_SEE
            or (
                "tag" in entry["detail"]
                and entry["detail"]["tag"] not in tags_members_see
            )
        ):
            continue
        before = entry["detail"].get("before") if action.endswith("_edited") else None
        items.append(
            {
                "at": entry["at"],
                "order": (entry["at"], 0, entry["seq"]),
                "words": entry_words(entry),
                "note": entry["note"] if staff and not before else None,
                "before": before,
            }
        )
    for note in notes:
        writer = note["user_name"]
        items.append(
            {
                "at": note["created_at"],
                "order": (note["created_at"], 1, note["id"]),
                "words": gettext("%(who)s wrote a note for staff.", who=writer)
                if note["staff_only"]
                else gettext("%(who)s wrote a comment.", who=writer),
                "note_row": note,
                "can_edit": comments.can_edit_note(note, user_id, at),
            }
        )
    return sorted(items, key=lambda item: item["order"], reverse=True)


@pages_bp.get("/activity")
@needs("audit")
def audit_log():
    before = request.args.get("before", "")
    before_seq = int(before) if before.isdigit() and len(before) < 19 else None
    with reading(current_engine()) as conn:
        entries = activity_log.activity(
            conn, viewer(), before_seq, ENTRIES_PER_PAGE + 1
        )
    more = len(entries) > ENTRIES_PER_PAGE
    older = entries[ENTRIES_PER_PAGE - 1]["seq"] if more else None
    return render_template(
        "board/activity.html",
        entries=entries[:ENTRIES_PER_PAGE],
        older=older,
        newest=before_seq is not None,
        entry_words=entry_words,
        moment_words=moment_words,
    )


# The tags' own page: what each means, and (staff) who may see it ----------------


class TagForm(FlaskForm):
    name = HiddenField(validators=[InputRequired(), Length(max=60)])
    description = TextAreaField(
        _l("What it means"),
        description=_l("Say when to use it, in a short sentence."),
        validators=[Length(max=300, message=_l("Use 300 letters or fewer."))],
    )
    staff_only = BooleanField(_l("Only staff can see this tag"))


@pages_bp.get("/tags")
@needs("read")
def tags():
    return _tags_page(None)


@pages_bp.post("/tags")
@needs("review")
def edit_tag():
    form = TagForm()
    if not form.validate_on_submit():
        return _tags_page(form)
    with writing(current_engine()) as conn:
        changed = tagging.change_tag(
            conn,
            form.name.data,
            description=(form.description.data or "").strip(),
            staff_only=form.staff_only.data,
            by=current_user.user_id,
            at=now_iso(),
        )
    if not changed:
        abort(404)
    flash(gettext("The tag is saved."), "success")
    return redirect(url_for("board_pages.tags"))


def _tags_page(form: TagForm | None):
    """Every tag this person may see; for staff, the form to change one
    (?change=<name>), or the form they sent with its mistakes."""
    staff = current_user.can("review")
    with reading(current_engine()) as conn:
        found = tagging.all_tags(conn, current_user.is_staff)
    editing = form.name.data if form else request.args.get("change")
    chosen = next((t for t in found if t["name"] == editing), None) if staff else None
    if form is None and chosen is not None:
        form = TagForm(data=chosen)
    errors = [(f.id, f.errors[0]) for f in form if f.errors] if form else []
    page = render_template(
        "board/tags.html", tags=found, chosen=chosen, form=form, errors=errors
    )
    return page, 400 if errors else 200
