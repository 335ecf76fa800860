"""Helpers for sync tests: a board and a site, each a real install of its own.

The board runs as `gateway serve` with GATEWAY_ROLE=board; the site is an
install whose CLI (`gateway sync ...`) runs as a real process too. Site data
is made in-process through the same conversation functions the channels use.
"""

from __future__ import annotations

import http.client
import http.server
import json
import os
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from contextlib import closing, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gateway import create_app, store
from gateway.conversations import answer, start_conversation
from gateway.db import connect, write_txn
from gateway.privacy import read_key
from gateway.sms.inbound import InboundSms, handle_inbound
from gateway.sync import signing
from gateway.sync.enrolment import sync_secret_file
from gateway.sync.records import canonical
from tests.conftest import GATEWAY


def install(folder: Path, role: str, **settings: str) -> dict:
    """`gateway init` for a new install; returns the environment to run it with."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env.update(
        GATEWAY_INSTANCE_PATH=str(folder),
        GATEWAY_ROLE=role,
        GATEWAY_SITE=folder.name,
        **settings,
    )
    run(env, "init")
    return env


def run(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [GATEWAY, *args], env=env, capture_output=True, text=True, check=check
    )


def database(env: dict) -> str:
    """The database a test reads: a board's own (every site's records and
    responses: a SQLite file, or its PostgreSQL URL), or the site's."""
    if env["GATEWAY_ROLE"] == "board" and env.get("GATEWAY_BOARD_DATABASE_URL"):
        return env["GATEWAY_BOARD_DATABASE_URL"]
    name = "board.sqlite3" if env["GATEWAY_ROLE"] == "board" else "gateway.sqlite3"
    return str(Path(env["GATEWAY_INSTANCE_PATH"]) / name)


def add_site(board_env: dict, name: str) -> str:
    """`gateway board add-site NAME`; returns the enrolment code it printed."""
    printed = run(board_env, "board", "add-site", name).stdout
    return printed.splitlines()[0].rsplit(" ", 1)[-1]


def enrol(site_env: dict, board_env: dict, board_url: str, name: str = "Rose Court"):
    code = add_site(board_env, name)
    result = run(site_env, "sync", "enroll", board_url, code, check=False)
    assert result.returncode == 0, result.stderr + result.stdout
    return result


def site_app(site_env: dict):
    return create_app(
        {"INSTANCE_PATH": site_env["GATEWAY_INSTANCE_PATH"], "ROLE": "site"}
    )


def make_responses(site_env: dict, count: int, start: datetime | None = None) -> list:
    """`count` finished kiosk responses (two answers each) at the site; their ids."""
    app = site_app(site_env)
    runtime = app.extensions["gateway"]
    db = connect(app.config["DATABASE"])
    moment = start or datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    ids = []
    try:
        with write_txn(db):
            for n in range(count):
                now = moment + timedelta(seconds=n)
                turn = start_conversation(
                    db, runtime, channel="kiosk", now=now, kiosk="Lounge"
                )
                answer(db, runtime, turn.response_id, "2", now)
                answer(db, runtime, turn.response_id, f"Answer number {n}", now)
                ids.append(turn.response_id)
    finally:
        db.close()
    return ids


def raise_alert(site_env: dict) -> str:
    """A kiosk response whose answer raises an alert; the response's id."""
    with site_db(site_env) as (app, db):
        runtime = app.extensions["gateway"]
        turn = start_conversation(
            db, runtime, channel="kiosk", now=MOMENT, kiosk="Lounge"
        )
        answer(db, runtime, turn.response_id, "4", MOMENT)
        answer(db, runtime, turn.response_id, "I want to kill myself", MOMENT)
    return turn.response_id


def rows(path: str, sql: str, params=()) -> list[dict]:
    """What `sql` (with ? for each of `params`) finds in the database at
    `path`: a SQLite file, or a board's PostgreSQL URL."""
    if "://" in path:
        return _on_postgresql(path, [(sql, params)])
    db = connect(path)
    try:
        return list(db.query(sql, params))
    finally:
        db.close()


def change_board(board_env: dict, *statements: tuple[str, list]) -> None:
    """Run each (sql, params) on the board's database, in one transaction."""
    path = database(board_env)
    if "://" in path:
        _on_postgresql(path, statements)
        return
    with closing(connect(path)) as db, write_txn(db):
        for sql, params in statements:
            db.execute(sql, params)


def _on_postgresql(url: str, statements) -> list[dict]:
    """Run SQLite-style statements (? for parameters) on PostgreSQL, in one
    transaction; the rows the last one returns."""
    from gateway.board.database import make_engine

    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            for sql, params in statements:
                found = conn.exec_driver_sql(
                    sql.replace("%", "%%").replace("?", "%s"), tuple(params)
                )
            return [dict(row) for row in found.mappings()] if found.returns_rows else []
    finally:
        engine.dispose()


MOMENT = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


@contextmanager
def site_db(env: dict):
    """The site's app config and a connection to its database."""
    app = site_app(env)
    db = connect(app.config["DATABASE"])
    try:
        yield app, db
    finally:
        db.close()


def queue(env: dict) -> list[dict]:
    return rows(
        database(env),
        "SELECT * FROM sync_queue ORDER BY priority DESC, queued_at, record_id",
    )


def count(env: dict, sql: str, params=()) -> int:
    return rows(database(env), sql, params)[0]["n"]


def board_response_ids(board_env: dict) -> list[str]:
    return [
        row["id"]
        for row in rows(database(board_env), "SELECT id FROM responses ORDER BY id")
    ]


def text(env: dict, phone: str, body: str, sid: str) -> None:
    """An SMS from `phone` to the site, handled as the webhook handles it."""
    with site_db(env) as (app, db):
        handle_inbound(
            db, app.extensions["gateway"], InboundSms(sid, phone, body), MOMENT
        )


def participant_id(env: dict, phone: str) -> str:
    found = rows(
        database(env),
        "SELECT participant_id FROM participant_numbers WHERE phone = ?",
        [phone],
    )
    assert len(found) == 1
    return found[0]["participant_id"]


def set_board_url(env: dict, url: str) -> None:
    with site_db(env) as (_app, db), write_txn(db):
        store.core.set_meta(db, "sync_board_url", url)


def built_record(env: dict, response_id: str) -> dict:
    """A response as the site would send it, without touching its queue."""
    with site_db(env) as (_app, db):
        body = canonical(store.sync.response_record(db, response_id))
    queued_at = rows(
        database(env),
        "SELECT queued_at FROM sync_queue WHERE record_id = ?",
        [response_id],
    )[0]["queued_at"]
    return {"id": response_id, "kind": "response", "queued_at": queued_at, "body": body}


def changed(body: str) -> str:
    """The same record with one answer altered."""
    data = json.loads(body)
    data["answers"][1]["value"] = data["answers"][1]["raw"] = "Altered afterwards"
    return canonical(data)


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:  # quiet in test output
        pass

    def body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def reply(self, status: int, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@contextmanager
def http_server(handler: type[http.server.BaseHTTPRequestHandler]):
    """Serve `handler` on 127.0.0.1 in a thread; yield (base URL, server)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# Requests built by hand, signed with a site's real secret ----------------------


def identity(site_env: dict) -> tuple[str, bytes]:
    """The site's id and its real signing secret."""
    db = connect(database(site_env))
    try:
        site_id = store.core.get_meta(db, "site_id")
    finally:
        db.close()
    secret = read_key(sync_secret_file(site_env["GATEWAY_INSTANCE_PATH"]))
    assert site_id and secret
    return site_id, secret


def records_for(site_env: dict, count: int) -> list[dict]:
    """`count` new closed responses at the site, as the site would send them."""
    return [
        built_record(site_env, record_id)
        for record_id in make_responses(site_env, count)
    ]


def batch(records: list[dict]) -> bytes:
    return json.dumps({"records": records}).encode()


def signed(
    site_id: str,
    secret: bytes,
    path: str,
    body: bytes = b"",
    method: str = "POST",
    timestamp: int | None = None,
) -> dict[str, str]:
    now = int(time.time())
    return signing.signed_headers(
        site_id,
        secret,
        now if timestamp is None else timestamp,
        method,
        path,
        body,
        now,
    )


def send(url: str, path: str, headers: dict, body: bytes = b"", method="POST"):
    """(status, JSON answer, X-Gateway-Board-Time header) for one raw request."""
    request = urllib.request.Request(  # noqa: S310 - the board on loopback
        url + path,
        data=body if method == "POST" or body else None,
        headers={**headers, "Content-Type": "application/json"},
        method=method,
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:  # noqa: S310
            return (
                reply.status,
                json.loads(reply.read()),
                reply.headers.get(signing.BOARD_TIME),
            )
    except urllib.error.HTTPError as error:
        with error:
            return (
                error.code,
                json.loads(error.read()),
                error.headers.get(signing.BOARD_TIME),
            )


# A proxy between a site and its board ------------------------------------------


def proxy_to_board(board_port: int, refuses: Callable[[str, bytes], int | None]):
    """A proxy to the board on 127.0.0.1 that answers a request itself with the
    status `refuses(path, body)` gives (an HTML page, as a proxy would), or
    forwards it when that is None. Yields (URL, server); server.refused and
    server.forwarded list the paths."""

    class Proxy(Handler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.handle_one(b"")

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            self.handle_one(self.body())

        def handle_one(self, data: bytes) -> None:
            status = refuses(self.path, data)
            if status is not None:
                self.server.refused.append(self.path)
                page = b"<html><h1>The proxy said no</h1></html>"
                self.reply(status, page, "text/html")
                return
            self.server.forwarded.append(self.path)
            headers = {
                key: value
                for key, value in self.headers.items()
                if key.lower() not in ("host", "connection")
            }
            with closing(
                http.client.HTTPConnection("127.0.0.1", board_port, timeout=30)
            ) as upstream:
                upstream.request(self.command, self.path, data or None, headers)
                with upstream.getresponse() as answer:
                    content = answer.read()
                    kind = answer.getheader("Content-Type", "application/json")
                    self.reply(answer.status, content, kind)

    return _serving(Proxy)


@contextmanager
def _serving(handler):
    with http_server(handler) as (url, server):
        server.refused, server.forwarded = [], []
        yield url, server
