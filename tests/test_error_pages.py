"""The gateway's own error pages: easy read, for 400, 403, 404, 405, 413 and 500.

A person gets a short page in plain words, with no stack trace and no
server's default wording; a program that asks for JSON gets JSON.
"""

from __future__ import annotations

import re

import pytest
from flask import abort, request

from flows.easyread import LONG_SENTENCE_WORDS
from gateway import create_app


@pytest.fixture
def app_with_failures(initialised):
    """The app, plus routes that fail on purpose (added before any request)."""
    app = create_app(initialised)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # handle a crash as production does

    @app.get("/test-bad-request")
    def bad_request():
        abort(400)

    @app.post("/test-form")
    def read_form():
        return dict(request.form)

    @app.get("/test-crash")
    def crash():
        raise RuntimeError("broken on purpose")

    return app


def page_text(response) -> list[str]:
    html = response.get_data(as_text=True)
    return [
        re.sub(r"\s+", " ", t).strip() for t in re.findall(r"<(?:h1|p)>(.*?)</", html)
    ]


CASES = [
    ("get", "/test-bad-request", {}, 400, "Sorry, we could not read that."),
    ("post", "/sms/inbound", {}, 403, "Sorry, you cannot use this page."),
    ("get", "/no-such-page", {}, 404, "Sorry, we cannot find this page."),
    ("get", "/sms/inbound", {}, 405, "Sorry, you cannot do that on this page."),
    (
        "post",
        "/test-form",
        {"data": {"Body": "x" * 40_000}},
        413,
        "Sorry, that was too big to send.",
    ),
    ("get", "/test-crash", {}, 500, "Sorry, something went wrong."),
]


@pytest.mark.parametrize("method, path, kwargs, code, heading", CASES)
def test_each_error_is_a_short_plain_page(
    app_with_failures, method, path, kwargs, code, heading
):
    response = getattr(app_with_failures.test_client(), method)(path, **kwargs)
    assert response.status_code == code
    assert response.mimetype == "text/html"
    lines = page_text(response)
    assert lines[0] == heading
    assert 2 <= len(lines) <= 3
    for line in lines:  # one short sentence a line
        assert line.count(".") == 1 and line.endswith("."), line
        assert len(line.split()) <= LONG_SENTENCE_WORDS, line
    html = response.get_data(as_text=True)
    assert "Traceback" not in html and "werkzeug" not in html.lower()


def test_a_405_says_which_methods_work(client):
    response = client.get("/sms/inbound")
    assert "POST" in response.headers["Allow"].split(", ")


@pytest.mark.parametrize("method, path, kwargs, code, heading", CASES)
def test_a_program_asking_for_json_gets_json(
    app_with_failures, method, path, kwargs, code, heading
):
    response = getattr(app_with_failures.test_client(), method)(
        path, headers={"Accept": "application/json"}, **kwargs
    )
    assert response.status_code == code
    assert response.get_json() == {"error": heading}


def test_a_huge_kiosk_answer_is_refused_and_stores_nothing(lounge, app):
    from tests.kiosk.helpers import answers

    lounge.start()
    reply = lounge.tap(answer="x" * (17 * 1024 * 1024))
    assert reply.status_code == 413
    assert page_text(reply)[0] == "Sorry, that was too big to send."
    assert answers(app, lounge.response_id) == {}
