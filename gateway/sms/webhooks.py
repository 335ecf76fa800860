"""The SMS channel's web endpoints: Twilio's webhooks and the local outbox page.

Thin views: check the signature, parse the form, hand over, answer. The
rules live in `gateway.sms.inbound` and the store.
"""

from __future__ import annotations

import hmac
import logging
import re

from flask import Blueprint, Response, abort, current_app, render_template, request
from twilio.request_validator import RequestValidator

from flows.formats import iso
from flows.model import TEXT_LIMIT
from gateway import store
from gateway.access import is_local_request
from gateway.db import get_db, write_txn
from gateway.runtime import current_runtime
from gateway.sms.inbound import InboundSms
from gateway.sms.outbox import apply_delivery_report
from gateway.sms.writer import InboundWriter, WriterBusy

bp = Blueprint("sms", __name__, url_prefix="/sms")
log = logging.getLogger("gateway.sms.webhooks")
# Twilio's largest webhook is a 1,600-character text of emoji (about 10 KB
# once form-encoded) with ten media links. Anything larger is refused with 413
# from its Content-Length, before it is read or its signature is checked.
WEBHOOK_LIMIT_BYTES = 32 * 1024
WEBHOOK_FORM_PARTS = 100  # Twilio sends about 30 fields
MAX_MEDIA = 10  # Twilio attaches at most ten pictures to one message
# Twilio's sids are 34 letters and digits (SM and 32 hex); allow some room.
SID = re.compile(r"^[A-Za-z0-9]{2,64}$")
ERROR_CODE = re.compile(r"^[0-9]{1,6}$")


def install(app) -> None:
    """The webhooks, and the writer thread that commits what they receive."""
    app.extensions["sms_writer"] = InboundWriter(
        app.config["DATABASE"], app.extensions["gateway"]
    )
    app.register_blueprint(bp)


@bp.before_request
def _limit_body() -> None:
    request.max_content_length = WEBHOOK_LIMIT_BYTES
    request.max_form_parts = WEBHOOK_FORM_PARTS


def signature_is_valid() -> bool:
    """Twilio signs the public URL it posted to; ProxyFix rebuilds it behind a proxy."""
    token = current_app.config["TWILIO_AUTH_TOKEN"]
    if not token:
        return bool(current_app.config["SMS_INSECURE_DEV"])
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:  # refused before the body is parsed
        return False
    params = _FormForValidator(
        (name, request.form.getlist(name)) for name in request.form
    )
    validator = RequestValidator(token)
    # The URL as received nearly always matches; validate() also tries it with
    # and without the port, at twice the cost, so keep that for a mismatch.
    expected = validator.compute_signature(request.url, params)
    if hmac.compare_digest(expected.encode(), signature.encode()):
        return True
    return validator.validate(request.url, params, signature)


class _FormForValidator(dict):
    """The form as RequestValidator reads it without trouble: it asks each
    parameter for getall(), and werkzeug's MultiDict only has getlist()."""

    def getall(self, name: str) -> list[str]:
        return self[name]


@bp.post("/inbound")
def inbound():
    form = _signed_form()
    message_sid, sender, body = _message_sid(form), form.get("From"), form.get("Body")
    if not message_sid or not sender or body is None:
        return _missing("MessageSid, From or Body")
    if len(sender) > 64:
        return _missing("a From of at most 64 characters")
    message = InboundSms(message_sid, sender, body[:TEXT_LIMIT], _media_count(form))
    writer = current_app.extensions["sms_writer"]
    try:
        twiml = writer.submit(message, current_runtime().clock())
    except WriterBusy:
        log.warning("an inbound message waited too long to be written; 503")
        return Response(
            "Busy. Please retry.\n",
            503,
            mimetype="text/plain",
            headers={"Retry-After": "5"},
        )
    return Response(twiml, mimetype="text/xml")


@bp.post("/status")
def status():
    """Delivery reports for what the outbox sent; a status never moves backwards."""
    form = _signed_form()
    message_sid = _message_sid(form)
    status_name = form.get("MessageStatus") or form.get("SmsStatus")
    if not message_sid or not status_name:
        return _missing("MessageSid or MessageStatus")
    error_code = form.get("ErrorCode") or None
    if error_code is not None and not ERROR_CODE.fullmatch(error_code):
        log.warning("a delivery report had an error code that is not a number")
        error_code = None
    now = iso(current_runtime().clock())
    db = get_db()
    with write_txn(db):
        apply_delivery_report(db, message_sid, status_name.lower(), error_code, now)
    return Response(status=204)


@bp.get("/outbox")
def outbox_page():
    """What waits to be sent, for a demo with no Twilio account. This machine only."""
    if not is_local_request():
        abort(404)
    db = get_db()
    return render_template(
        "outbox.html",
        messages=store.outbox.list_outbox(db),
        counts=store.outbox.outbox_counts(db),
        sending=bool(
            current_app.config["TWILIO_ACCOUNT_SID"]
            and current_app.config["TWILIO_AUTH_TOKEN"]
        ),
    )


def _signed_form():
    """The posted form, after refusing (403) anything Twilio did not sign."""
    if not signature_is_valid():
        abort(403)
    return request.form


def _message_sid(form) -> str | None:
    """The message's id, if it looks like one; anything else is refused, so a
    sid cannot grow the table's key without bound."""
    sid = form.get("MessageSid") or form.get("SmsSid")  # SmsSid: older accounts
    return sid if sid and SID.fullmatch(sid) else None


def _missing(what: str) -> Response:
    return Response(f"Missing {what}.\n", 400, mimetype="text/plain")


def _media_count(form) -> int:
    """How many pictures came: 0 to Twilio's 10. Anything else counts as none."""
    count = form.get("NumMedia") or "0"
    if not (count.isascii() and count.isdigit()) or int(count) > MAX_MEDIA:
        return 0
    return int(count)
