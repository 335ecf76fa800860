"""Helpers for the kiosk's tests through the Flask app: a tablet without
JavaScript that posts forms, the CLI that names kiosks, and what was stored."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from gateway.db import connect

NUMBER_FLOW = """\
id: counting
version: 1
title: Counting
language: en
steps:
  - id: visits
    kind: number
    min: 0
    max: 7
    text: How many days a week do you go outside?
  - id: happy
    kind: yesno
    text: Are you happy with that?
thank_you: Thank you.
"""
WORDS_LIKE_NUMBERS = """\
id: pets
version: 1
title: Pets
language: en
steps:
  - id: how_many
    kind: choice
    text: How many pets do you have?
    options:
      - words: None
        value: none
      - words: One
        value: one
      - words: Two or more
        value: more
thank_you: Thank you.
"""


def add_kiosk(runner, name: str, *extra: str) -> str:
    """`gateway kiosk add NAME`; returns the kiosk's key from the printed URL."""
    result = runner.invoke(["kiosk", "add", name, *extra])
    assert result.exit_code == 0, result.output
    url = result.output.strip().splitlines()[-1]
    match = re.fullmatch(r"http://127\.0\.0\.1:8080/kiosk/([\w-]+)/", url)
    assert match, url
    return match.group(1)


class Kiosk:
    """A tablet without JavaScript: it posts forms and follows nothing itself."""

    def __init__(self, client, key: str):
        self.client = client
        self.key = key
        self.response_url: str | None = None

    def welcome(self):
        return self.client.get(f"/kiosk/{self.key}/")

    def start(self, start_key: str | None = None) -> str:
        page = self.welcome().get_data(as_text=True)
        start_key = start_key or re.search(r'name="start" value="([^"]+)"', page)[1]
        reply = self.client.post(f"/kiosk/{self.key}/start", data={"start": start_key})
        assert reply.status_code == 303
        self.response_url = urlsplit(reply.location).path
        return self.response_url

    @property
    def response_id(self) -> str:
        return self.response_url.rstrip("/").rsplit("/", 1)[-1]

    def screen(self) -> dict:
        """The step screen showing now: its number, step id and question."""
        reply = self.client.get(self.response_url)
        assert reply.status_code == 200, reply.location
        page = reply.get_data(as_text=True)
        return {
            "screen": re.search(r'name="screen" value="(\d+)"', page)[1],
            "step": re.search(r'name="step" value="([^"]+)"', page)[1],
            "question": re.search(r'<h1 id="question"[^>]*>([^<]+)</h1>', page)[1],
            "page": page,
        }

    def tap(self, **fields):
        """A tap on the screen showing now, unless `screen` or `step` are given."""
        if "screen" not in fields or "step" not in fields:
            showing = self.screen()
            fields.setdefault("screen", showing["screen"])
            fields.setdefault("step", showing["step"])
        return self.client.post(self.response_url, data=fields)


def responses(app) -> list[dict]:
    db = connect(app.config["DATABASE"])
    try:
        return list(db.query("SELECT * FROM responses ORDER BY id"))
    finally:
        db.close()


def answers(app, response_id: str) -> dict:
    db = connect(app.config["DATABASE"])
    try:
        rows = db.query(
            "SELECT step_id, value, raw, state FROM answers WHERE response_id = ?",
            [response_id],
        )
        return {row.pop("step_id"): row for row in rows}
    finally:
        db.close()


def path_of(reply) -> str:
    return urlsplit(reply.location).path
