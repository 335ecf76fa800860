"""The kiosk's pages at /kiosk/: welcome, one step a screen, still there, thank you.

Thin views: find the kiosk by its URL key, hand the tap to
`kiosk.taps`, and draw what `kiosk.screens` describes. Every page
works as a plain form post; kiosk.js only adds read-aloud, the idle timer
and the queue that resends a tap through a Wi-Fi blip.

A screen of a conversation is drawn in the conversation's language; the
welcome screen in the kiosk's own (GATEWAY_DEFAULT_LANGUAGE), or the one its
address asks for with `?lang=`, which its Start button passes on.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext

from flows.formats import parse_iso
from gateway import store
from gateway.db import get_db
from gateway.i18n import page_language, use_language
from gateway.runtime import current_runtime
from kiosk import posts, taps
from kiosk.offline_files import assets_version, offline_files
from kiosk.screens import adjusted, step_screen

bp = Blueprint(
    "kiosk",
    __name__,
    url_prefix="/kiosk",
    template_folder="templates",
    static_folder="static",
)
THANKS_FOR = timedelta(minutes=2)  # how long a finished person's thank-you shows
SECURITY_HEADERS = {
    # Nothing a resident saw may be kept, shown again from history, or framed.
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; worker-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
}


@bp.after_request
def _private(response: Response) -> Response:
    if request.endpoint != "kiosk.static":
        response.headers.update(SECURITY_HEADERS)
    return response


@bp.errorhandler(taps.KioskNotFound)
def _not_found(_error):
    return render_template("kiosk/not_found.html"), 404


class KioskFlowMissing(Exception):
    """The kiosk asks a flow that is not loaded (renamed or removed)."""


@bp.errorhandler(KioskFlowMissing)
def _flow_missing(error):
    current_app.logger.error("kiosk flow '%s' is not loaded", error)
    return render_template("kiosk/not_found.html"), 503


@bp.errorhandler(taps.BadTap)
def _bad_tap(_error):
    found = request.view_args or {}
    if "response_id" in found and g.get("kiosk"):
        _use_conversation_language(g.kiosk, found["response_id"])
    return render_template("kiosk/bad_tap.html", key=found.get("key")), 400


@bp.get("/")
def index():
    """Someone opened /kiosk/ itself: each kiosk has an address of its own."""
    return render_template("kiosk/index.html")


@bp.get("/<key>/")
def welcome(key: str):
    _kiosk(key)
    return _welcome_page(key, bool(request.args.get("help")))


@bp.post("/<key>/start")
def start(key: str):
    kiosk = _kiosk(key)
    runtime = current_runtime()
    # The language the welcome screen was in: its Start button says which.
    language = use_language(request.form.get("lang"))
    start_key = request.form.get("start", "")
    try:
        response_id = taps.start(
            get_db(), runtime, kiosk, start_key, runtime.clock(), language=language
        )
    except taps.TooManyStarts:
        if request.headers.get("X-Kiosk-Tap"):  # kiosk.js keeps it, tries again
            return Response(status=429, headers={"Retry-After": "10"})
        return redirect(_address(key, "welcome") + "?wait=1", 303)
    return _go(key, "screen", response_id)


@bp.get("/<key>/r/<response_id>/")
def screen(key: str, response_id: str):
    kiosk = _kiosk(key)
    signpost = bool(request.args.get("help"))
    return _screen_page(key, kiosk, response_id, signpost, request.args.get("value"))


@bp.post("/<key>/r/<response_id>/")
def tap(key: str, response_id: str):
    kiosk = _kiosk(key)
    runtime = current_runtime()
    if "adjust" in request.form:  # plus or minus, without JavaScript
        return _adjust(key, kiosk, response_id)
    tapped = taps.tap(
        get_db(), runtime, kiosk["name"], response_id, request.form, runtime.clock()
    )
    if tapped.outcome == "try_again":  # the same screen, saying what to put right
        page = _screen_page(key, kiosk, response_id, problem=tapped.problem)
        if page.status_code == 200:
            page.status_code = 422
            page.headers["X-Kiosk-Location"] = _address(key, "screen", response_id)
        return page
    if tapped.status == "complete":
        return _go(key, "thanks", response_id, tapped.signpost)
    if tapped.status != "open":  # still the same person: still their language
        language = _use_conversation_language(kiosk, response_id)
        return _go(key, "welcome", signpost=tapped.signpost, language=language)
    return _go(key, "screen", response_id, tapped.signpost)


@bp.get("/<key>/r/<response_id>/still-there")
def still_there(key: str, response_id: str):
    """For tablets without JavaScript; kiosk.js shows the same on the step's page."""
    _use_conversation_language(_kiosk(key), response_id)
    return render_template("kiosk/still_there.html", key=key, response_id=response_id)


@bp.get("/<key>/r/<response_id>/time-up")
def time_up(key: str, response_id: str):
    """Where "Are you still there?" goes without JavaScript when nobody answered."""
    kiosk = _kiosk(key)
    runtime = current_runtime()
    taps.time_up(get_db(), runtime, kiosk["name"], response_id, runtime.clock())
    return redirect(_address(key, "screen", response_id), 303)


@bp.post("/<key>/r/<response_id>/still-here")
def still_here(key: str, response_id: str):
    kiosk = _kiosk(key)
    runtime = current_runtime()
    taps.still_here(get_db(), runtime, kiosk["name"], response_id, runtime.clock())
    return _go(key, "screen", response_id)


@bp.post("/<key>/r/<response_id>/reset")
def reset(key: str, response_id: str):
    """Time is up, or the person tapped Finish: save what was answered, start again."""
    kiosk = _kiosk(key)
    runtime = current_runtime()
    reason = {"idle": "idle_reset", "finished": "finished_early"}.get(
        request.form.get("why", ""), "reset"
    )
    taps.reset(get_db(), runtime, kiosk["name"], response_id, runtime.clock(), reason)
    return redirect(url_for("kiosk.welcome", key=key), 303)


@bp.get("/<key>/r/<response_id>/thanks")
def thanks(key: str, response_id: str):
    kiosk = _kiosk(key)
    return _thanks_page(key, kiosk, response_id, bool(request.args.get("help")))


@bp.get("/offline")
def offline():
    """What the service worker shows for a page it cannot fetch during a blip."""
    return render_template("kiosk/offline.html")


@bp.get("/sw.js")
def service_worker():
    """Served from /kiosk/ so that it may look after every kiosk page."""
    body = render_template(
        "kiosk/sw.js",
        version=assets_version(),
        assets=[url_for("kiosk.static", filename=name) for name in offline_files()],
        offline=url_for("kiosk.offline"),
    )
    return Response(body, mimetype="text/javascript")


def _kiosk(key: str) -> dict:
    """The kiosk this address belongs to (looked up once a request), or 404;
    503 if the flow it was set up with is no longer here."""
    if g.get("kiosk_key") != key:
        g.kiosk, g.kiosk_key = store.kiosks.kiosk_by_key(get_db(), key), key
    if g.kiosk is None:
        raise taps.KioskNotFound(key)
    if g.kiosk["flow_id"] and g.kiosk["flow_id"] not in current_runtime().flows:
        raise KioskFlowMissing(g.kiosk["flow_id"])
    return g.kiosk


# Pages. A tap from kiosk.js (header X-Kiosk-Tap) gets the next screen in its
# reply, with its address in X-Kiosk-Location: one round trip a tap. A plain
# form post gets a 303 to that address instead (post, redirect, get).


def _go(
    key: str,
    page: str,
    response_id: str | None = None,
    signpost: bool = False,
    language: str | None = None,
):
    where = _address(key, page, response_id, signpost, language=language)
    if not request.headers.get("X-Kiosk-Tap"):
        return redirect(where, 303)
    if page == "screen":
        shown = _screen_page(key, _kiosk(key), response_id, signpost)
    elif page == "thanks":
        shown = _thanks_page(key, _kiosk(key), response_id, signpost)
    else:
        shown = _welcome_page(key, signpost)
    if shown.status_code == 200:
        shown.headers["X-Kiosk-Location"] = where
    return shown


def _address(
    key, page, response_id=None, signpost=False, value=None, language=None
) -> str:
    """A kiosk page's path, built by hand: url_for is slow for the hot path.
    `language` is for the welcome screen (a conversation knows its own)."""
    path = f"{request.script_root}/kiosk/{key}/"
    if page == "changes":
        path += "changes"
    elif page != "welcome":
        path += f"r/{response_id}/" + ("thanks" if page == "thanks" else "")
    query = [("help", "1")] if signpost else []
    if value is not None:
        query.append(("value", value))
    if language is not None and language != current_app.config["DEFAULT_LANGUAGE"]:
        query.append(("lang", language))
    return path + ("?" + urlencode(query) if query else "")


def _welcome_page(key: str, signpost: bool = False) -> Response:
    """The welcome screen, with the newest "You said, we did" post; ?wait=1
    when the kiosk started too often just now."""
    newest = store.posts.newest(get_db(), "kiosk", posts.ON_WELCOME)
    return _page(
        "kiosk/welcome.html",
        key=key,
        start_key=secrets.token_urlsafe(16),
        here=_address(key, "welcome", language=page_language()),
        start_at=_address(key, "welcome") + "start",
        signpost=signpost,
        wait=bool(request.args.get("wait")),
        posts=[posts.for_residents(p) for p in newest],
        changes_at=_address(key, "changes", language=page_language()),
    )


@bp.get("/<key>/changes")
def changes(key: str):
    """ "What we changed": the newest posts for this site's kiosks."""
    _kiosk(key)
    newest = store.posts.newest(get_db(), "kiosk", posts.ON_THEIR_SCREEN)
    return _page(
        "kiosk/changes.html",
        key=key,
        posts=[posts.for_residents(p) for p in newest],
        welcome=_address(key, "welcome", language=page_language()),
        return_after=posts.BACK_TO_WELCOME_SECONDS,
    )


def _screen_page(
    key: str,
    kiosk: dict,
    response_id: str,
    signpost: bool = False,
    value: str | None = None,
    problem: str | None = None,
) -> Response:
    """A step's screen; `problem` (a message id) says what to put right."""
    runtime = current_runtime()
    showing = taps.showing(
        get_db(), runtime, kiosk["name"], response_id, runtime.clock()
    )
    if not isinstance(showing, taps.Showing):
        if showing["status"] == "complete":
            return redirect(_address(key, "thanks", response_id), 303)
        return redirect(_address(key, "welcome"), 303)
    if showing.state.current_step is None:  # a flow with no kiosk questions
        return redirect(_address(key, "thanks", response_id), 303)
    use_language(showing.state.language)
    described = step_screen(
        showing.flow, showing.state, showing.screen, gettext, value or ""
    )
    config = current_app.config
    here = _address(key, "screen", response_id)
    return _page(
        "kiosk/step.html",
        key=key,
        response_id=response_id,
        step=described,
        error=gettext(problem) if problem else None,
        signpost=signpost,
        here=here,
        welcome=_address(key, "welcome"),
        idle_seconds=config["KIOSK_IDLE_SECONDS"],
        still_there_seconds=config["KIOSK_STILL_THERE_SECONDS"],
        # Without JavaScript a page cannot see typing: give words more time.
        refresh_after=config["KIOSK_IDLE_SECONDS"]
        * (5 if described.kind == "text" else 1),
    )


def _thanks_page(key: str, kiosk: dict, response_id: str, signpost: bool) -> Response:
    ended = store.kiosks.kiosk_response(get_db(), response_id, kiosk["name"])
    runtime = current_runtime()
    if (
        ended is None
        or ended["status"] != "complete"
        or runtime.clock() - parse_iso(ended["closed_at"]) > THANKS_FOR
    ):  # the next person, going back in history, sees only the welcome
        return redirect(_address(key, "welcome"), 303)
    flow = runtime.flows.get(ended["flow_id"])
    use_language(ended["language"])
    words = gettext(flow.thank_you) if flow and flow.thank_you else None
    # A disclosure at any question, not only the last, gets the reassuring end.
    disclosed = signpost or bool(store.responses.alerts_for(get_db(), response_id))
    return _page(
        "kiosk/thanks.html",
        key=key,
        thank_you=words,
        signpost=disclosed,
        welcome=_address(key, "welcome"),
    )


def _page(template: str, **context) -> Response:
    return Response(render_template(template, **context), mimetype="text/html")


def _use_conversation_language(kiosk: dict, response_id: str) -> str | None:
    """Draw this request in the conversation's language, if there is one;
    return that language."""
    found = store.kiosks.kiosk_response(get_db(), response_id, kiosk["name"])
    return use_language(found["language"]) if found else None


def _adjust(key: str, kiosk: dict, response_id: str):
    runtime = current_runtime()
    # A tap on plus or minus is someone still there.
    taps.still_here(get_db(), runtime, kiosk["name"], response_id, runtime.clock())
    showing = taps.showing(
        get_db(), runtime, kiosk["name"], response_id, runtime.clock()
    )
    if not isinstance(showing, taps.Showing):
        return redirect(_address(key, "welcome"), 303)
    step = showing.flow.step(showing.state.current_step)
    value = adjusted(
        request.form.get("answer", ""),
        request.form.get("adjust", "0"),
        step.minimum,
        step.maximum,
    )
    return redirect(_address(key, "screen", response_id, value=value), 303)


def asset(name: str) -> str:
    """A kiosk asset's address (templates call this for every picture)."""
    return f"{request.script_root}/kiosk/static/{name}"


bp.add_app_template_global(asset)


def install(app) -> None:
    """The kiosk's screens, taps and files, as the channel registry asks."""
    app.register_blueprint(bp)
