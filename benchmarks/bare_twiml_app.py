"""The baseline for benchmarks/sms_throughput.py: Flask answering a fixed TwiML body.

No signature check, no database, no flow: what is left is the cost of waitress,
Flask and the client, which the real gateway pays too.
Serve it with `waitress-serve --call benchmarks.bare_twiml_app:create_app`.
"""

from __future__ import annotations

from flask import Flask, Response

REPLY = (
    '<?xml version="1.0" encoding="UTF-8"?><Response><Message>'
    "Overall, how was your experience of our service?</Message></Response>"
)


def create_app() -> Flask:
    app = Flask(__name__)

    @app.post("/sms/inbound")
    def inbound():
        return Response(REPLY, mimetype="text/xml")

    return app
