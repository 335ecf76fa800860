"""Helpers for the board's page tests: an install with a board, its people
and sites, responses as sites send them, and a browser-like client that signs
in through the real form and sends each form's CSRF token."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from itertools import count

from gateway.board.accounts import hash_password
from gateway.board.database import writing
from gateway.board.intake import steps_of_more_than_one_word
from gateway.board.store import accounts, records, sites

PASSWORD = "a long test password 42"  # noqa: S105 - test data
NOW = "2026-12-01T09:00:00Z"
CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
_numbers = count(1)


class Browser:
    """A test client that behaves like a person's browser: it signs in with
    the sign-in form and posts forms with the page's CSRF token."""

    def __init__(self, app):
        self.app = app
        self.client = app.test_client()

    def get(self, path: str, **kwargs):
        return self.client.get(path, **kwargs)

    def token(self, path: str = "/board/sign-in") -> str:
        page = self.client.get(path).get_data(as_text=True)
        found = CSRF.search(page)
        assert found, f"no CSRF token on {path}"
        return found.group(1)

    def post(self, path: str, data: dict | None = None, *, form_page=None, **kwargs):
        """POST as the page's form would: with its CSRF token."""
        data = dict(data or {})
        data.setdefault("csrf_token", self.token(form_page or "/board/sign-in"))
        return self.client.post(path, data=data, **kwargs)

    def sign_in(self, email: str, password: str = PASSWORD):
        return self.post("/board/sign-in", {"email": email, "password": password})


@dataclass
class Board:
    """An install with a board, and ways to fill it."""

    app: object
    site_ids: dict = field(default_factory=dict)  # site name -> site id

    @property
    def engine(self):
        return self.app.extensions["board_engine"]

    def add_user(self, role: str, sites: tuple[str, ...] = (), name: str = "") -> str:
        """A person with a password set; their email."""
        number = next(_numbers)
        email = f"{role}{number}@example.org"
        with writing(self.engine) as conn:
            accounts.add_user(
                conn,
                email=email,
                name=name or f"{role.title()} {number}",
                role=role,
                now=NOW,
                sites=sites,
                password_hash=hash_password(PASSWORD),
            )
        return email

    def browser(self, role: str | None = None, sites: tuple[str, ...] = ()):
        """A browser; signed in as a new person with `role`, if given."""
        browser = Browser(self.app)
        if role is not None:
            signed = browser.sign_in(self.add_user(role, sites))
            assert signed.status_code == 302, signed.get_data(as_text=True)
        return browser

    def add_site(self, name: str) -> str:
        """An enrolled site; its id."""
        site_id = str(uuid.uuid4())
        with writing(self.engine) as conn:
            sites.add_site(conn, name, "", NOW, NOW)
            sites.enrol_site(conn, name, site_id, "0" * 64, NOW)
        self.site_ids[name] = site_id
        return site_id

    def add_response(self, site: str, answers: list[dict] | None = None, **fields):
        """A closed response from `site`, as intake stores one; its id.
        `answers`: dicts of step_id, value, raw (and optionally state, prompt)."""
        if site not in self.site_ids:
            self.add_site(site)
        response_id = fields.pop("id", None) or str(uuid.uuid4())
        at = fields.pop("closed_at", NOW)
        record = {
            "id": response_id,
            "site_id": self.site_ids[site],
            "flow_id": "ffq",
            "flow_version": "1",
            "channel": "kiosk",
            "language": "en",
            "started_at": at,
            "closed_at": at,
            "status": "complete",
            "answers": [
                {
                    "step_id": answer["step_id"],
                    "position": position,
                    "value": answer.get("value"),
                    "raw": answer.get("raw"),
                    "prompt": answer.get("prompt", f"Question {answer['step_id']}?"),
                    "state": answer.get("state", "answered"),
                    "answered_at": at,
                }
                for position, answer in enumerate(answers or [])
            ],
            **fields,
        }
        own_steps = steps_of_more_than_one_word(record)  # the flow "ffq" is unknown
        with writing(self.engine) as conn:
            records.apply_response(conn, record, at, own_steps)
        return response_id

    def add_alert(self, site: str, response_id: str, category: str = "self_harm"):
        with writing(self.engine) as conn:
            records.apply_alert(
                conn,
                {
                    "id": str(uuid.uuid4()),
                    "site_id": self.site_ids[site],
                    "response_id": response_id,
                    "step_id": "why",
                    "category": category,
                    "rule": "a bundled phrase",
                    "raised_at": NOW,
                },
                NOW,
            )


# For the inbox and review tests: the board's state, and its clock ------------

REVIEW_TABLES = (
    "responses",
    "answers",
    "tags",
    "response_tags",
    "notes",
    "redactions",
    "own_words",
    "alerts",
    "audit",
)


def rows_of(board: Board, table_name: str) -> list[dict]:
    """Every row of one of the board's tables, in a fixed order."""
    from sqlalchemy import select

    from gateway.board.database import reading
    from gateway.board.schema import metadata

    with reading(board.engine) as conn:
        found = conn.execute(select(metadata.tables[table_name])).mappings().all()
    return sorted((dict(row) for row in found), key=repr)


def review_state(board: Board) -> dict:
    """What reviewing can change, to compare before and after a request."""
    return {name: rows_of(board, name) for name in REVIEW_TABLES}


def audit_actions(board: Board, response_id: str | None = None) -> list[str]:
    """The audit log's actions, oldest first (for one response, if given)."""
    entries = sorted(rows_of(board, "audit"), key=lambda row: row["seq"])
    return [
        row["action"]
        for row in entries
        if response_id is None or row["response_id"] == response_id
    ]


def set_clock(board: Board, when: str) -> None:
    """The board's clock stands at `when` (ISO UTC) from now on."""
    from flows.formats import parse_iso

    board.app.extensions["gateway"].clock = lambda: parse_iso(when)


# The inbox's pages, as its tests read them -----------------------------------

OVERALL = [{"step_id": "overall", "value": "poor", "raw": "4"}]


def at(day: int, hour: int = 9) -> str:
    return f"2026-11-{day:02d}T{hour:02d}:00:00Z"


def ids_on(page) -> list[str]:
    """The responses a page lists, in its order."""
    return re.findall(r'name="ids" value="([^"]+)"', page.get_data(as_text=True))


def set_review(board, response_id, **values):
    from sqlalchemy import update

    from gateway.board.database import writing
    from gateway.board.schema import responses

    with writing(board.engine) as conn:
        conn.execute(
            update(responses).where(responses.c.id == response_id).values(**values)
        )


def folder_counts(page) -> dict[str, int]:
    text = page.get_data(as_text=True)
    found = re.findall(
        r'folder=(\w+)"[^>]*>\w+ <span class="board-folders__count">(\d+)', text
    )
    return {name: int(count) for name, count in found}
