"""'You said, we did': writing a post, checking how it reads, publishing it.

Staff and members write drafts; staff publish, the draft as they saw it. A
person limited to some sites sees the posts for those sites only (404 for
any other, by any URL) and chooses among those sites only. A post that is
also for a site they cannot see, they may read but not change or publish
(403). A published post cannot be changed: it is on its way to the sites.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from flows.easyread import LONG_SENTENCE_WORDS, long_sentences, sms_segments
from flows.formats import iso
from gateway.board.access import needs, visible_sites
from gateway.board.database import current_engine, reading, writing
from gateway.board.store import posts as post_store
from gateway.board.store import sites, tagging
from gateway.board.views import pages_bp
from gateway.board.views.auth import errors_of
from gateway.board.views.paper_forms import is_form_id
from gateway.board.views.post_forms import (
    CHANGE_WORDS,
    CHANNEL_WORDS,
    RUNG_WORDS,
    TOOK_PART_WORDS,
    PostForm,
)
from gateway.ids import uuid7
from gateway.runtime import current_runtime


@pages_bp.get("/posts")
@needs("read")
def posts():
    with reading(current_engine()) as conn:
        names = sites.site_names(conn)
        found = [p for p in post_store.all_posts(conn) if _may_see(p, names)]
    for post in found:
        post["site_names"] = _names(post, names)
    return render_template(
        "board/posts.html", posts=found, words=_choice_words(), here="board_pages.posts"
    )


@pages_bp.route("/posts/new", methods=["GET", "POST"])
@needs("draft_posts")
def post_new():
    form = PostForm()
    if request.method == "GET":
        form.post_id.data = uuid7()
        return _write(form, None)
    if not is_form_id(form.post_id.data):
        abort(400)
    # The same form sent again (a second click, a retry) changes the draft
    # it made, as the draft's own page would; a post this person may not
    # see is not there.
    with reading(current_engine()) as conn:
        made = post_store.post(conn, form.post_id.data)
    return _write(form, _changeable_post(made["id"]) if made else None)


@pages_bp.route("/posts/<post_id>/change", methods=["GET", "POST"])
@needs("draft_posts")
def post_change(post_id: str):
    draft = _changeable_post(post_id)
    if draft["state"] != post_store.DRAFT:
        return redirect(url_for(".post", post_id=post_id))
    form = PostForm(data=_form_data(draft) if request.method == "GET" else None)
    form.post_id.data = post_id
    return _write(form, draft)


@pages_bp.get("/posts/<post_id>")
@needs("read")
def post(post_id: str):
    shown = _visible_post(post_id)
    with reading(current_engine()) as conn:
        names = sites.site_names(conn)
    shown["site_names"] = _names(shown, names)
    shown["theirs"] = _may_change(shown, names)
    shown["version"] = post_store.version(shown)
    shown["took_part_words"] = [str(TOOK_PART_WORDS[p]) for p in shown["took_part"]]
    shown["channel_words"] = [str(CHANNEL_WORDS[c]) for c in shown["channels"]]
    return render_template(
        "board/post.html",
        post=shown,
        words=_choice_words(),
        sentences=long_sentences(shown["words"]),
        longest=LONG_SENTENCE_WORDS,
        segments=sms_segments(shown["sms_words"]) if shown["sms_words"] else None,
        here="board_pages.posts",
    )


@pages_bp.post("/posts/<post_id>/publish")
@needs("publish_posts")
def post_publish(post_id: str):
    _changeable_post(post_id)
    seen = request.form.get("seen", "")[:64]
    now = iso(current_runtime().clock())
    with writing(current_engine()) as conn:
        outcome = post_store.publish(
            conn, post_id, seen, by=current_user.user_id, at=now
        )
    said = PUBLISHED_WORDS[outcome]
    flash(str(said), "success" if outcome == post_store.DONE else "info")
    return redirect(url_for(".post", post_id=post_id))


PUBLISHED_WORDS = {
    post_store.DONE: _l(
        "The post is published. It goes to the sites when they next sync."
    ),
    post_store.NOT_A_DRAFT: _l("The post was published already."),
    post_store.CHANGED: _l(
        "Someone changed the draft after you opened it. Read it again, then publish it."
    ),
    post_store.NO_SITE: _l("No site can get it. Change the draft to choose a site."),
}


def _write(form: PostForm, draft: dict | None):
    """The form page, or the draft saved and its page."""
    with reading(current_engine()) as conn:
        enrolled = sites.list_sites(conn)
        tags = tagging.all_tags(conn, False)  # a post is public: no staff-only tag
    shown = visible_sites()
    form.sites.choices = [  # enrolled, not revoked, and theirs to see
        SelectChoice(site["site_id"], site["name"])
        for site in sorted(enrolled, key=lambda site: site["name"])
        if site["site_id"]
        and not site["revoked_at"]
        and (shown is None or site["name"] in shown)
    ]
    form.tag.choices = [SelectChoice("", gettext("No tag"))] + [
        SelectChoice(tag["name"]) for tag in tags
    ]
    post_id = form.post_id.data
    if form.validate_on_submit():
        now = iso(current_runtime().clock())
        with writing(current_engine()) as conn:
            saved = post_store.save_draft(
                conn,
                post_id,
                form.fields(),
                form.sites.data,
                by=current_user.user_id,
                at=now,
            )
        if saved:
            flash(gettext("The draft is saved."), "success")
        else:
            flash(
                gettext(
                    "It was published before you saved. Your changes were not kept."
                ),
                "info",
            )
        return redirect(url_for(".post", post_id=post_id))
    errors = errors_of(form) if request.method == "POST" else []
    page = render_template(
        "board/post_form.html",
        form=form,
        errors=errors,
        draft=draft,
        here="board_pages.posts",
    )
    return page, 400 if errors else 200


def _visible_post(post_id: str) -> dict:
    """The post, if this person may see it; else 404 as if there were none."""
    with reading(current_engine()) as conn:
        found = post_store.post(conn, post_id) if len(post_id) <= 64 else None
        names = sites.site_names(conn)
    if found is None or not _may_see(found, names):
        abort(404)
    return found


def _changeable_post(post_id: str) -> dict:
    """The post, if this person may change it: every one of its sites is one
    they can see (404 if none is; 403 if only some are)."""
    found = _visible_post(post_id)
    with reading(current_engine()) as conn:
        names = sites.site_names(conn)
    if not _may_change(found, names):
        abort(403)
    return found


def _may_change(post: dict, names: dict[str, str]) -> bool:
    shown = visible_sites()
    return shown is None or all(names.get(s) in shown for s in post["site_ids"])


def _may_see(post: dict, names: dict[str, str]) -> bool:
    shown = visible_sites()
    return shown is None or any(names.get(s) in shown for s in post["site_ids"])


def _names(post: dict, names: dict[str, str]) -> list[str]:
    """The names of the post's sites this person may see."""
    shown = visible_sites()
    found = [names.get(s, s) for s in post["site_ids"]]
    return sorted(n for n in found if shown is None or n in shown)


def _form_data(draft: dict) -> dict:
    return {
        "words": draft["words"],
        "sms_words": draft["sms_words"],
        "change": draft["change"],
        "rung": draft["rung"],
        "took_part": draft["took_part"],
        "reason": draft["reason"],
        "tag": draft["tag"] or "",
        "sites": draft["site_ids"],
        "channels": draft["channels"],
    }


def _choice_words() -> dict:
    return {
        "change": CHANGE_WORDS,
        "rung": RUNG_WORDS,
        "took_part": TOOK_PART_WORDS,
        "channel": CHANNEL_WORDS,
    }
