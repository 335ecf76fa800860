"""Board page: "Your account". A person sees their own details, changes their
password, and turns a second step (a code from an app on their phone) on or off.

When an admin asks for a second step for staff and admins, a staff member or
admin without one is sent here straight after signing in, and no other board
page opens until it is set up.
"""

from __future__ import annotations

import secrets

from flask import current_app, flash, redirect, render_template, request, session
from flask import url_for as url
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import InputRequired, Length

from flows.formats import iso, parse_iso
from gateway.board import accounts as rules
from gateway.board.access import needs
from gateway.board.accounts import BoardUser
from gateway.board.database import current_engine, reading, writing
from gateway.board.store import accounts, audit
from gateway.board.views import pages_bp
from gateway.board.views.auth import (
    CODE_NOT_RIGHT,
    TOO_MANY,
    CodeForm,
    NewPasswordForm,
    checked_password,
    errors_of,
    now,
)

ROLE_NAMES = {
    "admin": _l("Admin"),
    "staff": _l("Staff"),
    "member": _l("Board member"),
}
SETUP_NONCE = "board_second_step_setup"  # the session keeps this, not the secret
CURRENT_NOT_RIGHT = _l("Your password is not right. Check it and try again.")


def long_date(text: str | None) -> str:
    """'1 December 2026', or '' for no date."""
    if not text:
        return ""
    moment = parse_iso(text)
    return f"{moment.day} {moment:%B %Y}"


def second_step_required() -> bool:
    with reading(current_engine()) as conn:
        return accounts.setting(conn, rules.REQUIRE_SECOND_STEP, "0") == "1"


@pages_bp.before_request
def _second_step_first():
    """Staff and admins set up their second step first, when it is required."""
    if (
        not current_user.is_authenticated
        or not current_user.is_staff
        or current_user.uses_second_step
        or request.endpoint == "board_pages.second_step"
    ):
        return None
    if second_step_required():
        return redirect(url("board_pages.second_step"))
    return None


def _current_password(label):
    return PasswordField(
        label,
        validators=[
            InputRequired(_l("Enter your password.")),
            Length(max=rules.MAX_PASSWORD_LENGTH),
        ],
        render_kw={"autocomplete": "current-password"},
    )


class PasswordCheckForm(FlaskForm):
    current = _current_password(_l("Your password"))


class ChangePasswordForm(NewPasswordForm):
    current = _current_password(_l("Your password now"))


@pages_bp.get("/account")
@needs("read")
def account():
    with reading(current_engine()) as conn:
        me = accounts.user(conn, current_user.user_id)
    return render_template(
        "board/account.html",
        me=me,
        role_name=ROLE_NAMES.get(me["role"], me["role"]),
        last_signed_in=long_date(me["last_signed_in_at"]),
        may_turn_off=not (current_user.is_staff and second_step_required()),
    )


@pages_bp.route("/account/password", methods=["GET", "POST"])
@needs("read")
def change_password():
    form = ChangePasswordForm()
    errors = []
    if form.fine_for(current_user.email):
        outcome, _row = checked_password(
            current_user.email, form.current.data, signing_in=False
        )
        if outcome == "right":
            new_hash = rules.hash_password(form.password.data)
            with writing(current_engine()) as conn:
                accounts.set_password_hash(conn, current_user.user_id, new_hash)
                audit.record(
                    conn,
                    at=iso(now()),
                    user_id=current_user.user_id,
                    action="password_changed",
                )
                me = accounts.user(conn, current_user.user_id)
            login_user(BoardUser.from_row(me))  # this session goes on; others end
            flash(gettext("Your password is changed."), "success")
            return redirect(url("board_pages.account"))
        form.current.errors = [TOO_MANY if outcome == "wait" else CURRENT_NOT_RIGHT]
    errors = errors_of(form, first="current")
    page = render_template("board/account_password.html", form=form, errors=errors)
    return page, 400 if errors else 200


@pages_bp.route("/account/second-step", methods=["GET", "POST"])
@needs("read")
def second_step():
    """Turn the second step on: add the key to an app, then type its code."""
    if current_user.uses_second_step:
        return redirect(url("board_pages.account"))
    if SETUP_NONCE not in session:
        session[SETUP_NONCE] = secrets.token_urlsafe(16)
    secret = rules.setup_secret(
        current_app.secret_key, current_user.user_id, session[SETUP_NONCE]
    )
    form = CodeForm()
    if form.validate_on_submit():
        step = rules.code_step(secret, form.code.data, now())
        if step is not None:
            with writing(current_engine()) as conn:
                accounts.set_second_step(conn, current_user.user_id, secret, step)
                audit.record(
                    conn,
                    at=iso(now()),
                    user_id=current_user.user_id,
                    action="second_step_on",
                )
            session.pop(SETUP_NONCE, None)
            flash(
                gettext("Your second step is on. You need your app to sign in."),
                "success",
            )
            return redirect(url("board_pages.account"))
        form.code.errors = [CODE_NOT_RIGHT]
    errors = errors_of(form)
    page = render_template(
        "board/second_step.html",
        form=form,
        errors=errors,
        key_in_groups=rules.secret_in_groups(secret),
        otpauth=rules.otpauth_link(secret, current_user.email),
        required=current_user.is_staff and second_step_required(),
    )
    return page, 400 if errors else 200


@pages_bp.route("/account/second-step/off", methods=["GET", "POST"])
@needs("read")
def second_step_off():
    """Turn the second step off: only with the account's password."""
    if not current_user.uses_second_step:
        return redirect(url("board_pages.account"))
    form = PasswordCheckForm()
    refused = current_user.is_staff and second_step_required()
    if not refused and form.validate_on_submit():
        outcome, _row = checked_password(
            current_user.email, form.current.data, signing_in=False
        )
        if outcome == "right":
            with writing(current_engine()) as conn:
                accounts.set_second_step(conn, current_user.user_id, None, None)
                audit.record(
                    conn,
                    at=iso(now()),
                    user_id=current_user.user_id,
                    action="second_step_off",
                )
            flash(gettext("Your second step is off."), "success")
            return redirect(url("board_pages.account"))
        form.current.errors = [TOO_MANY if outcome == "wait" else CURRENT_NOT_RIGHT]
    errors = errors_of(form)
    page = render_template(
        "board/second_step_off.html", form=form, errors=errors, refused=refused
    )
    return page, 400 if errors or (refused and request.method == "POST") else 200
