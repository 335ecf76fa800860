"""The board inside the app: its database engine, its sync endpoints and its
pages, added by create_app wherever the role has a board.

Pages for people get Flask-Login (who is signed in, checked on every
request), Flask-WTF's CSRF check on every form, a cookie that is HTTPS-only,
not readable by scripts and ends after GATEWAY_BOARD_IDLE_MINUTES unused,
and a Content-Security-Policy that lets only the board's own files run.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask_login import LoginManager

from gateway.board.database import make_engine


def install_board(app: Flask) -> None:
    """The engine opens nothing until first used, and never creates the file."""
    from gateway.board import sync_api

    app.extensions["board_engine"] = make_engine(app.config["BOARD_DATABASE"])
    if app.config["ROLE"] == "board":  # in `both` nothing is synced over HTTP
        app.register_blueprint(sync_api.bp)
    _install_pages(app)


def _install_pages(app: Flask) -> None:
    from gateway.board.views import auth_bp, csrf, load_routes, pages_bp, static_bp

    app.config.update(
        SESSION_COOKIE_SECURE=app.config["SECURE_COOKIES"],
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=app.config["SECURE_COOKIES"],
        # The session's signature is dated: a cookie unused for this long is
        # refused by the server, not only forgotten by the browser.
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=app.config["BOARD_IDLE_MINUTES"]),
        SESSION_REFRESH_EACH_REQUEST=True,
        WTF_CSRF_CHECK_DEFAULT=False,  # only the board's own forms: see below
        WTF_CSRF_TIME_LIMIT=None,  # a form lives as long as the session
    )
    csrf.init_app(app)
    logins = LoginManager(app)
    logins.login_view = "board_auth.sign_in"
    logins.login_message = "Please sign in to see this page."
    logins.login_message_category = "info"
    logins.session_protection = "basic"
    logins.user_loader(_load_user)
    load_routes()
    app.register_blueprint(static_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(pages_bp)


def _load_user(token: str):
    """The signed-in account, if it still exists, is enabled and the session
    was made since its last password change."""
    from flask import current_app

    from gateway.board.accounts import BoardUser
    from gateway.board.database import reading
    from gateway.board.store import accounts

    user_id, _, version = token.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    with reading(current_app.extensions["board_engine"]) as conn:
        row = accounts.user(conn, int(user_id))
    if row is None or row["disabled_at"] or row["session_version"] != int(version):
        return None
    return BoardUser.from_row(row)
