"""Two board processes on one PostgreSQL database, as behind a load balancer:
two real `gateway serve` (waitress, 127.0.0.1), each with its own instance
folder, sharing GATEWAY_SECRET_KEY and the organisation's pseudonym key.

What one process knows, the other must too: a batch both take at once is
stored once, a request sent to both counts once, and wrong passwords are
counted across both. (The fault-proxy sync through two processes taking
turns is in tests/sync/test_faults.py.)
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import shutil
import threading
import urllib.error
import urllib.parse
import urllib.request
from contextlib import ExitStack
from datetime import UTC, datetime
from functools import partial
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, update

from flows.formats import iso
from gateway.board.accounts import FREE_TRIES, account_key, hash_password
from gateway.board.database import make_engine, reading, writing
from gateway.board.schema import answers, own_words, records, responses
from gateway.board.schema import sign_in_failures as failures
from gateway.board.store import accounts
from gateway.config import pseudonym_key_file
from tests.board.pages import NOW, PASSWORD
from tests.conftest import serve_gateway
from tests.sync.helpers import (
    add_site,
    batch,
    enrol,
    identity,
    install,
    records_for,
    send,
    signed,
)

PUSH = "/board/sync/push"
ROUNDS = 3
CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


@pytest.fixture
def two_boards(tmp_path, postgres_url):
    """Two board processes on one database: .urls, .envs, .database (a URL)."""
    shared = {
        "GATEWAY_BOARD_DATABASE_URL": postgres_url,
        "GATEWAY_SECRET_KEY": "the one key every board process signs sessions with",
        "GATEWAY_SECURE_COOKIES": "0",  # plain HTTP on 127.0.0.1
    }
    envs = [install(tmp_path / f"board-{n}", "board", **shared) for n in (1, 2)]
    key = pseudonym_key_file(envs[0]["GATEWAY_INSTANCE_PATH"])
    shutil.copy2(key, pseudonym_key_file(envs[1]["GATEWAY_INSTANCE_PATH"]))
    with ExitStack() as serving:
        urls = [
            serving.enter_context(serve_gateway(env, tmp_path / f"{n}.log"))[0]
            for n, env in enumerate(envs)
        ]
        yield SimpleNamespace(urls=urls, envs=envs, database=postgres_url)


def at_once(*calls):
    """Run each call in a thread of its own, all let go at the same moment;
    what each returned, in order."""
    start = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index: int, call) -> None:
        start.wait(10)
        results[index] = call()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def counted(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with reading(engine) as conn:
            return {
                table.name: conn.execute(
                    select(func.count()).select_from(table)
                ).scalar_one()
                for table in (records, responses, answers, own_words)
            }
    finally:
        engine.dispose()


@pytest.fixture
def site(two_boards, tmp_path):
    """A site enrolled at the first process: its env, id and secret."""
    env = install(tmp_path / "site", "site")
    enrol(env, two_boards.envs[0], two_boards.urls[0])
    return (env, *identity(env))


def test_a_batch_sent_to_both_at_once_is_stored_once(two_boards, site):
    env, site_id, secret = site
    sent = []
    for _ in range(ROUNDS):
        made = records_for(env, 20)
        sent += made
        body = batch(made)
        # Two sends of the batch (a retry after a cut answer), each signed
        # anew, one to each process, at the same moment.
        answers_got = at_once(
            *(
                partial(send, url, PUSH, signed(site_id, secret, PUSH, body), body)
                for url in two_boards.urls
            )
        )
        assert [status for status, _, _ in answers_got] == [200, 200]
        first, second = ([r["status"] for r in a["results"]] for _, a, _ in answers_got)
        # Each record was stored by one process; the other already had it.
        assert [sorted(pair) for pair in zip(first, second, strict=True)] == [
            ["already_had", "stored"]
        ] * len(made)
    held = counted(two_boards.database)
    answers_sent = sum(len(json.loads(r["body"])["answers"]) for r in sent)
    assert held["records"] == held["responses"] == len(sent)
    assert held["answers"] == answers_sent
    assert held["own_words"] == len(sent)  # each response's one answer in words


def test_one_request_sent_to_both_at_once_counts_once(two_boards, site):
    env, site_id, secret = site
    body = batch(records_for(env, 5))
    headers = signed(site_id, secret, PUSH, body)  # one nonce for both
    statuses = []
    for _ in range(ROUNDS):
        got = at_once(
            *(partial(send, url, PUSH, headers, body) for url in two_boards.urls)
        )
        statuses.append(sorted(status for status, _, _ in got))
    # One process took it; the other, and every later send, was told that it
    # was a replay.
    assert statuses == [[200, 409]] + [[409, 409]] * (ROUNDS - 1)
    assert counted(two_boards.database)["records"] == 5


def test_one_enrolment_code_sent_to_both_at_once_enrols_once(two_boards):
    """A site that asks again (its first answer lost) may reach the other
    process while the first is still at work: it gets the same secret."""
    code = add_site(two_boards.envs[0], "Rose Court")
    body = json.dumps({"code": code, "site_id": "01a2336e-0000-7000-8000-000000000001"})
    got = at_once(
        *(
            partial(send, url, "/board/enrol", {}, body.encode())
            for url in two_boards.urls
        )
    )
    assert [status for status, _, _ in got] == [200, 200]
    secrets = {answer["secret"] for _, answer, _ in got}
    assert len(secrets) == 1


# Signing in: wrong tries counted across both ------------------------------------


class Person:
    """Someone signing in with a browser: one cookie jar for both processes
    (cookies do not keep to a port), so either may answer each request."""

    def __init__(self, email: str):
        self.email = email
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def token(self, url: str) -> str:
        with self.opener.open(url + "/board/sign-in", timeout=10) as page:
            return CSRF.search(page.read().decode()).group(1)

    def sign_in(self, url: str, password: str, token: str) -> int:
        form = {"email": self.email, "password": password, "csrf_token": token}
        request = urllib.request.Request(  # noqa: S310 - a board on loopback
            url + "/board/sign-in", data=urllib.parse.urlencode(form).encode()
        )
        try:
            with self.opener.open(request, timeout=30) as answer:
                return answer.status
        except urllib.error.HTTPError as refused:
            with refused:
                return refused.code

    def page(self, url: str, path: str) -> str:
        with self.opener.open(url + path, timeout=30) as page:
            return page.read().decode()


def add_person(database: str, name: str = "Sam") -> str:
    """A member of staff with a password set; their email."""
    email = f"{name.lower()}@example.org"
    engine = make_engine(database)
    try:
        with writing(engine) as conn:
            accounts.add_user(
                conn,
                email=email,
                name=name,
                role="staff",
                now=NOW,
                password_hash=hash_password(PASSWORD),
            )
    finally:
        engine.dispose()
    return email


def failures_counted(database: str, email: str) -> int:
    engine = make_engine(database)
    try:
        with reading(engine) as conn:
            return conn.execute(
                select(failures.c.failures).where(failures.c.key == account_key(email))
            ).scalar_one()
    finally:
        engine.dispose()


def tried_again_just_now(database: str, email: str, times: int) -> None:
    engine = make_engine(database)
    try:
        with writing(engine) as conn:
            conn.execute(
                update(failures)
                .where(failures.c.key == account_key(email))
                .values(failures=times, last_failed_at=iso(datetime.now(UTC)))
            )
    finally:
        engine.dispose()


def test_wrong_passwords_are_counted_across_both_processes(two_boards):
    one, other = two_boards.urls
    person = Person(add_person(two_boards.database))
    token = person.token(one)  # good at both: one secret key signs both sessions
    for n in range(FREE_TRIES):  # wrong, at each process in turn
        assert person.sign_in(two_boards.urls[n % 2], "wrong!", token) == 400
    assert failures_counted(two_boards.database, person.email) == FREE_TRIES
    # The next must wait a second: too short to rely on between processes
    # here, so as if ten more wrong tries had come just now (a wait of 15
    # minutes). Each process must make them wait, even with the right password.
    tried_again_just_now(two_boards.database, person.email, FREE_TRIES + 10)
    assert person.sign_in(one, PASSWORD, token) == 429
    assert person.sign_in(other, PASSWORD, token) == 429
    assert failures_counted(two_boards.database, person.email) == FREE_TRIES + 10


def test_wrong_passwords_sent_to_both_at_once_are_each_counted(two_boards):
    person = Person(add_person(two_boards.database))
    token = person.token(two_boards.urls[0])
    tries = [
        partial(person.sign_in, url, "wrong!", token)
        for url in two_boards.urls * FREE_TRIES
    ]
    answered = at_once(*tries)
    wrong, waited = answered.count(400), answered.count(429)
    assert wrong + waited == len(tries)
    # Every try let in was counted (none lost between the processes), and
    # no more were let in than the free tries: the rest had to wait (all ten
    # reach the board well within the second the fifth makes them wait).
    assert failures_counted(two_boards.database, person.email) == wrong
    assert wrong == FREE_TRIES, answered


def test_someone_looking_through_the_other_process_is_shown(two_boards, site):
    env, site_id, secret = site
    made = records_for(env, 1)
    body = batch(made)
    one, other = two_boards.urls
    assert send(one, PUSH, signed(site_id, secret, PUSH, body), body)[0] == 200
    sam, alex = (
        Person(add_person(two_boards.database, name)) for name in ("Sam", "Alex")
    )
    assert sam.sign_in(one, PASSWORD, sam.token(one)) == 200  # to the inbox
    assert alex.sign_in(other, PASSWORD, alex.token(other)) == 200
    response = f"/board/responses/{made[0]['id']}"

    assert "is also looking" not in sam.page(one, response)
    assert "Sam is also looking at this now." in alex.page(other, response)
