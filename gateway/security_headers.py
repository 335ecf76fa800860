"""Headers every response carries: no sniffing, no framing, a policy to fit.

The kiosk sets a fuller policy on its own pages (it runs a script and a
service worker); every other response gets the narrow default here, and
nothing but JSON or text answers needs more than the gateway's own stylesheet.
"""

from __future__ import annotations

from flask import Flask, Response, request

ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
# A page of the gateway's own (the outbox, an error): its stylesheet, no script.
PAGE_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
# Anything else (TwiML, JSON, text, static files): nothing may load or run.
NOTHING_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
# Pages whose contents are private to this site and must never be kept.
NO_STORE_ENDPOINTS = frozenset({"sms.outbox_page", "health.healthz"})


def install_security_headers(app: Flask) -> None:
    app.after_request(_add_headers)


def _add_headers(response: Response) -> Response:
    for name, value in ALWAYS.items():
        response.headers.setdefault(name, value)
    policy = PAGE_POLICY if response.mimetype == "text/html" else NOTHING_POLICY
    response.headers.setdefault("Content-Security-Policy", policy)
    if request.endpoint in NO_STORE_ENDPOINTS:
        response.headers["Cache-Control"] = "no-store"
    return response
