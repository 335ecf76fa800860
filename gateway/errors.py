"""The gateway's own error pages, in easy read, for every route.

A person sees a short page in plain words, in the request's language (see
gateway.i18n); a program (the board's sync API, or anything that asks for
JSON) gets a small JSON body instead.
"""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext
from werkzeug.exceptions import HTTPException, InternalServerError

ERROR_CODES = (400, 403, 404, 405, 413, 500)


def _pages(_) -> dict[int, tuple[str, ...]]:
    """Each error's heading, then one short line a sentence."""
    return {
        400: (
            _("Sorry, we could not read that."),
            _("Please go back and try again."),
        ),
        403: (
            _("Sorry, you cannot use this page."),
            _("If you think you should, please ask a member of staff."),
        ),
        404: (
            _("Sorry, we cannot find this page."),
            _("Please check the address."),
        ),
        405: (
            _("Sorry, you cannot do that on this page."),
            _("Please go back and try again."),
        ),
        413: (
            _("Sorry, that was too big to send."),
            _("Please send something shorter."),
        ),
        500: (
            _("Sorry, something went wrong."),
            _("Please try again in a few minutes."),
            _("If it keeps happening, please tell a member of staff."),
        ),
    }


def register_error_pages(app: Flask) -> None:
    for code in ERROR_CODES:
        app.register_error_handler(code, _error_page)


def _error_page(error: Exception):
    if not isinstance(error, HTTPException):  # an unhandled exception: a 500
        error = InternalServerError()
    code = error.code or 500
    heading, *lines = _pages(gettext)[code]
    headers = {}
    if code == 405 and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    if _wants_json():
        return jsonify(error=heading), code, headers
    page = render_template("error.html", heading=heading, lines=lines)
    return page, code, headers


def _wants_json() -> bool:
    if request.blueprint == "board":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and not request.accept_mimetypes["text/html"]
