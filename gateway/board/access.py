"""Every board route's checks, in one place: signed in, allowed by role, and
limited to the user's sites.

A view says what it needs with `@needs("review")`; a user limited to some
sites gets a 404 (never a 403, which would tell them the response exists) for
anything at another site, by any URL.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def needs(action: str) -> Callable:
    """Signed in, and the user's role may do `action` (see accounts.CAN)."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def checked(*args, **kwargs):
            if not current_user.can(action):
                abort(403)
            return view(*args, **kwargs)

        return checked

    return decorate


def visible_sites() -> tuple[str, ...] | None:
    """The site names the signed-in user may see; None for every site."""
    return current_user.sites or None


def require_visible(response: dict | None) -> dict:
    """The response, if this user may see it; else 404 as if it did not exist."""
    sites = visible_sites()
    if response is None or (sites is not None and response["site_name"] not in sites):
        abort(404)
    return response
