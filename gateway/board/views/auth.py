"""Signing in to the board (with the second step, if someone has one), setting
a password from a one-time link, signing out, and staying signed in while busy.

A wrong email, a wrong password and a turned-off account get the same
answer, so the page never tells anyone which emails have accounts. Wrong
tries are counted in the database, per account and per address: after a
few, each further try waits a little longer (see accounts.wait_until).
"""

from __future__ import annotations

from datetime import timedelta

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length, Regexp

from flows.formats import iso, parse_iso
from gateway.board import accounts as rules
from gateway.board.accounts import BoardUser, password_matches
from gateway.board.database import current_engine, reading, writing
from gateway.board.store import accounts, audit
from gateway.board.views import auth_bp
from gateway.runtime import current_runtime

NOT_RIGHT = _l("That email or password is not right. Check them and try again.")
TOO_MANY = _l("Too many tries. Wait a few minutes, then try again.")
CODE_NOT_RIGHT = _l("That code is not right. Check your app and try again.")
CODE_USED = _l("That code was used already. Wait for a new code in your app.")
PENDING = "board_second_step"  # the session's note of who typed a right password
PENDING_MINUTES = 10


class SignInForm(FlaskForm):
    email = EmailField(
        _l("Email address"),
        validators=[InputRequired(_l("Enter your email address.")), Length(max=254)],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            InputRequired(_l("Enter your password.")),
            Length(max=rules.MAX_PASSWORD_LENGTH),
        ],
        render_kw={"autocomplete": "current-password"},
    )


class CodeForm(FlaskForm):
    code = StringField(
        _l("Code from your app"),
        description=_l("Open the app on your phone. Type the 6 numbers it shows."),
        filters=[lambda text: "".join((text or "").split())],
        validators=[
            InputRequired(_l("Enter the 6 numbers from your app.")),
            Regexp(r"^\d{6}$", message=_l("Enter the 6 numbers from your app.")),
        ],
        render_kw={
            "autocomplete": "one-time-code",
            "inputmode": "numeric",
            "maxlength": "20",
        },
    )


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        description=_l(
            "Use at least 12 characters. A few words you will remember "
            "make a good password."
        ),
        validators=[
            InputRequired(_l("Enter a new password.")),
            Length(
                min=rules.MIN_PASSWORD_LENGTH,
                message=_l("Your password needs at least 12 characters."),
            ),
            Length(
                max=rules.MAX_PASSWORD_LENGTH,
                message=_l("Your password must be 200 characters or fewer."),
            ),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    again = PasswordField(
        _l("Type the new password again"),
        validators=[
            InputRequired(_l("Type the new password again.")),
            EqualTo("password", _l("The two passwords are not the same. Try again.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )

    def fine_for(self, email: str) -> bool:
        """Valid, and not the person's own email address."""
        if not self.validate_on_submit():
            return False
        if self.password.data.strip().lower() == email.lower():
            self.password.errors = [_l("Your password cannot be your email address.")]
            return False
        return True


def errors_of(form: FlaskForm, first: str | None = None) -> list[tuple[str, str]]:
    """The error summary's list: each field's first error, linked to it, in
    the order of the form (with the field `first` moved to the top)."""
    found = []
    for field in form:
        if field.errors and field.name != "csrf_token":
            many = field.type in ("RadioField", "MultiCheckboxField")
            found.append((f"{field.id}-0" if many else field.id, field.errors[0]))
    return sorted(found, key=lambda error: error[0] != first)


def now():
    return current_runtime().clock()


def checked_password(email: str, password: str, *, signing_in: bool):
    """("right", account), ("wrong", None) or ("wait", None): a try too soon
    after many wrong ones is refused before the password is looked at. A
    right password clears the account's count only when it signs someone in
    (a second step still to come keeps it)."""
    keys = rules.throttle_keys(email, request.remote_addr)
    with writing(current_engine()) as conn:
        attempt = rules.start_attempt(conn, keys, now())
        row = accounts.user_by_email(conn, email) if attempt else None
    if attempt is None:
        return "wait", None
    usable = row is not None and not row["disabled_at"]
    if not password_matches(row["password_hash"] if usable else None, password):
        return "wrong", None
    clear = keys[0] if signing_in and not row["totp_secret"] else None
    with writing(current_engine()) as conn:
        rules.attempt_was_right(conn, attempt, clear)
    return "right", row


@auth_bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    if current_user.is_authenticated:
        return redirect(_next_page())
    form = SignInForm()
    errors, status = [], 200
    if form.validate_on_submit():
        outcome, row = checked_password(
            form.email.data, form.password.data, signing_in=True
        )
        if outcome == "right" and row["totp_secret"]:
            session[PENDING] = {
                "user": f"{row['id']}:{row['session_version']}",
                "until": iso(now() + timedelta(minutes=PENDING_MINUTES)),
            }
            return redirect(url_for(".sign_in_code", next=request.args.get("next")))
        if outcome == "right":
            return _signed_in(row)
        errors = [("email", TOO_MANY if outcome == "wait" else NOT_RIGHT)]
        status = 429 if outcome == "wait" else 400
    elif request.method == "POST":
        errors, status = errors_of(form), 400
    return render_template("board/sign_in.html", form=form, errors=errors), status


@auth_bp.route("/sign-in/code", methods=["GET", "POST"])
def sign_in_code():
    """The second step: the code from the person's authenticator app."""
    if current_user.is_authenticated:
        return redirect(_next_page())
    row = _pending_account()
    if row is None:
        flash(gettext("Please sign in again."), "info")
        return redirect(url_for(".sign_in"))
    form = CodeForm()
    errors, status = [], 200
    if form.validate_on_submit():
        keys = rules.throttle_keys(row["email"], request.remote_addr)
        moment = now()
        with writing(current_engine()) as conn:
            attempt = rules.start_attempt(conn, keys, moment)
        if attempt is None:
            errors, status = [("code", TOO_MANY)], 429
        else:
            step = rules.code_step(row["totp_secret"], form.code.data, moment)
            with writing(current_engine()) as conn:
                fresh = step is not None and accounts.use_code_step(
                    conn, row["id"], step
                )
                if fresh:
                    rules.attempt_was_right(conn, attempt, keys[0])
            if fresh:
                return _signed_in(row)
            errors = [("code", CODE_USED if step is not None else CODE_NOT_RIGHT)]
            status = 400
    elif request.method == "POST":
        errors, status = errors_of(form), 400
    if errors:
        form.code.errors = [errors[0][1]]
    return render_template("board/sign_in_code.html", form=form, errors=errors), status


def _pending_account() -> dict | None:
    """Who typed a right password in this browser, a few minutes ago at most,
    if nothing about their account has changed since."""
    pending = session.get(PENDING) or {}
    user_id, _, version = str(pending.get("user", "")).partition(":")
    until = pending.get("until")
    if not (user_id.isdigit() and version.isdigit() and until):
        return None
    if now() > parse_iso(until):
        session.pop(PENDING, None)
        return None
    with reading(current_engine()) as conn:
        row = accounts.user(conn, int(user_id))
    if row is None or row["disabled_at"] or not row["totp_secret"]:
        return None
    return row if row["session_version"] == int(version) else None


def _signed_in(row: dict):
    session.pop(PENDING, None)
    with writing(current_engine()) as conn:
        accounts.record_sign_in(conn, row["id"], iso(now()))
    login_user(BoardUser.from_row(row))
    return redirect(_next_page())


@auth_bp.route("/set-password/<token>", methods=["GET", "POST"])
def set_password(token: str):
    """A one-time link's page: choose a password, then sign in with it."""
    digest = rules.token_hash(token[:200])
    with reading(current_engine()) as conn:
        holder = accounts.link_holder(conn, digest, iso(now()))
    if holder is None:
        return render_template("board/link_not_working.html"), 404
    form = NewPasswordForm()
    if form.fine_for(holder["email"]):
        new_hash = rules.hash_password(form.password.data)
        moment = iso(now())
        with writing(current_engine()) as conn:
            used = accounts.use_password_link(conn, digest, moment)
            if used is not None:
                accounts.set_password_hash(conn, used["id"], new_hash)
                accounts.clear_failures(conn, rules.account_key(used["email"]))
                audit.record(conn, at=moment, user_id=used["id"], action="password_set")
        if used is None:
            return render_template("board/link_not_working.html"), 404
        logout_user()
        session.pop(PENDING, None)
        flash(gettext("Your password is set. Sign in with it now."), "success")
        return redirect(url_for(".sign_in"))
    errors = errors_of(form)
    page = render_template(
        "board/set_password.html", form=form, errors=errors, email=holder["email"]
    )
    return page, 400 if errors else 200


@auth_bp.post("/sign-out")
def sign_out():
    logout_user()
    session.pop(PENDING, None)
    flash(gettext("You have signed out."), "success")
    return redirect(url_for("board_auth.sign_in"))


@auth_bp.post("/keep-alive")
@login_required
def keep_alive():
    """The idle warning's "Stay signed in": this request renews the session."""
    return "", 204


def _next_page() -> str:
    """Where to go after signing in: the board page asked for, never elsewhere."""
    wanted = request.args.get("next", "")
    if wanted.startswith("/board/") and not wanted.startswith("//"):
        return wanted
    return url_for("board_pages.inbox")
