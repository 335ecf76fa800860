"""The board's pages, for people: signing in, the inbox, a response and its
review, paper cards, people and the activity log.

Two blueprints under /board/: `board_auth` (the pages before signing in) and
`board_pages` (everything after). Each module here adds its own routes to
them; every route in `board_pages` checks role and site through
`gateway.board.access`.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError, CSRFProtect

TEMPLATES = "../templates"
# The board's pages load only their own stylesheet, script and images, and
# their script talks only to the board (the idle warning's keep-alive).
PAGE_POLICY = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
csrf = CSRFProtect()

auth_bp = Blueprint(
    "board_auth", __name__, url_prefix="/board", template_folder=TEMPLATES
)
pages_bp = Blueprint(
    "board_pages", __name__, url_prefix="/board", template_folder=TEMPLATES
)
static_bp = Blueprint(
    "board_static",
    __name__,
    static_folder="../static",
    static_url_path="/board/static",
)


def _protect_forms() -> None:
    """Every POST to a board page carries the session's CSRF token."""
    from flask import session

    session.permanent = True  # the idle limit above applies
    if request.method == "POST":
        csrf.protect()


def _signed_in_page() -> dict:
    """What every signed-in page shows: the idle warning's timing, and for
    staff the safeguarding alerts no one has acknowledged yet."""
    from flask import current_app, url_for
    from flask_login import current_user

    from gateway.board.access import visible_sites
    from gateway.board.database import reading
    from gateway.board.store import records

    if not current_user.is_authenticated:
        return {}
    found = {
        "idle_seconds": current_app.config["BOARD_IDLE_MINUTES"] * 60,
        "keep_alive_url": url_for("board_auth.keep_alive"),
    }
    if current_user.can("alerts"):
        from gateway.board.views.activity import alert_words, moment_words

        with reading(current_app.extensions["board_engine"]) as conn:
            alerts = records.open_alerts(conn, visible_sites())
        found["open_alerts"] = [  # in words: "Self-harm", "1 December 2026 at 9:05am"
            dict(
                alert,
                category=alert_words(alert["category"]),
                raised_at=moment_words(alert["raised_at"]),
            )
            for alert in alerts
        ]
    return found


def _page_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = PAGE_POLICY
    response.headers["Cache-Control"] = "no-store"  # private: never kept
    return response


def _form_too_old(_error: CSRFError):
    """A form without its token, or from a page open since before the session
    began: nothing changed, and the person can simply try again."""
    lines = (
        gettext("Nothing was changed."),
        gettext("Please go back, reload the page and try again."),
    )
    heading = gettext("Sorry, this page was open too long.")
    return render_template("error.html", heading=heading, lines=lines), 400


for _blueprint in (auth_bp, pages_bp):
    _blueprint.register_error_handler(CSRFError, _form_too_old)
    _blueprint.before_request(_protect_forms)
    _blueprint.after_request(_page_headers)
    _blueprint.context_processor(_signed_in_page)


def load_routes() -> None:
    """Import every view module, so each adds its routes to the blueprints."""
    from gateway.board.views import (  # noqa: F401
        account,
        activity,
        auth,
        exports,
        fft_return,
        figures,
        inbox,
        paper,
        people,
        posts,
        response,
    )
