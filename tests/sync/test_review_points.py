"""Sync's harder edges: a board behind a proxy that takes a path prefix off,
one answer for every site id that cannot sign, and two pulls at once."""

from __future__ import annotations

import http.client
import http.server
import socketserver
import threading
import uuid
from contextlib import closing, contextmanager

from gateway import store
from gateway.db import connect, write_txn
from gateway.privacy import pseudonym
from gateway.sync.stream import pull_stream
from tests.conftest import free_port, serve_gateway
from tests.sync.helpers import (
    MOMENT,
    add_site,
    batch,
    board_response_ids,
    enrol,
    identity,
    install,
    make_responses,
    records_for,
    run,
    send,
    signed,
)

PREFIX = "/feedback"
PUSH = "/board/sync/push"


@contextmanager
def prefix_stripping_proxy(board_port: int):
    """A proxy at /feedback/... that passes /... to the board, saying what it
    took off in X-Forwarded-Prefix, as nginx's `location /feedback/` does."""

    class Proxy(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            self._forward()

        def do_POST(self) -> None:  # noqa: N802
            self._forward()

        def _forward(self) -> None:
            path = self.path.removeprefix(PREFIX) or "/"
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
            headers.update(
                {
                    "X-Forwarded-Prefix": PREFIX,
                    "X-Forwarded-For": "127.0.0.1",
                    "X-Forwarded-Proto": "http",
                    "X-Forwarded-Host": self.headers.get("Host", ""),
                }
            )
            upstream = http.client.HTTPConnection("127.0.0.1", board_port, timeout=30)
            upstream.request(self.command, path, body=body, headers=headers)
            answer = upstream.getresponse()
            data = answer.read()
            self.send_response(answer.status)
            for name, value in answer.getheaders():
                if name.lower() not in ("transfer-encoding", "connection"):
                    self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            upstream.close()

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Proxy)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{PREFIX}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_board_behind_a_proxy_with_a_path_prefix_checks_signatures(
    site_env, tmp_path
):
    board_env = install(tmp_path / "board", "board", GATEWAY_TRUST_PROXY="1")
    port = free_port()
    with (
        serve_gateway(board_env, tmp_path / "board.log", port),
        prefix_stripping_proxy(port) as url,
    ):
        code = add_site(board_env, "Rose Court")
        run(site_env, "sync", "enroll", url, code)
        made = make_responses(site_env, 3)

        result = run(site_env, "sync", "run", check=False)

    assert result.returncode == 0, result.stderr
    assert "acknowledged 3" in result.stdout
    assert board_response_ids(board_env) == sorted(made)


def test_unknown_revoked_and_enrolled_ids_get_one_answer_unless_well_signed(
    enrolled_site, board, tmp_path
):
    oak = install(tmp_path / "oak", "site")
    enrol(oak, board.env, board.url, name="Oak House")
    run(board.env, "board", "revoke-site", "Oak House")
    body = batch(records_for(enrolled_site, 1))
    wrong = bytes(32)
    ids = {
        "unknown": str(uuid.uuid4()),
        "revoked": identity(oak)[0],
        "enrolled": identity(enrolled_site)[0],
    }

    answers = {
        why: send(board.url, PUSH, signed(site_id, wrong, PUSH, body), body)[:2]
        for why, site_id in ids.items()
    }

    assert {status for status, _ in answers.values()} == {401}
    assert len({answer["error"] for _, answer in answers.values()}) == 1
    oak_id, oak_secret = identity(oak)  # only the real secret learns it is revoked
    status, answer, _ = send(
        board.url, PUSH, signed(oak_id, oak_secret, PUSH, body), body
    )
    assert status == 403 and "revoked" in answer["error"]


class MovedMeanwhile:
    """A board whose first answer comes after another pass (a `sync run` beside
    the worker) has already taken the changes and moved the cursor on."""

    def __init__(self, db_path: str, changes: list[dict]):
        self.db_path, self.changes, self.asked = db_path, changes, []

    def stream(self, cursor: int) -> dict:
        self.asked.append(cursor)
        if len(self.asked) == 1:
            with closing(connect(self.db_path)) as other, write_txn(other):
                store.stream.move_cursor(other, 7)
            return {"records": self.changes, "cursor": 5}
        return {"records": [], "cursor": cursor}


def test_two_pulls_at_once_never_take_a_change_twice_or_move_the_cursor_back(
    db, runtime, app
):
    person = pseudonym(runtime.pseudonym_key, "+447700900123")
    change = {"participant": person, "at": "2026-11-20T09:00:00Z"}
    stale = [{"seq": 5, "id": "change-5", "kind": "opt_out", "body": change}]
    board = MovedMeanwhile(app.config["DATABASE"], stale)

    taken = pull_stream(db, board, lambda: MOMENT)

    assert taken == {}  # the other pass had it: this one starts again from there
    assert board.asked == [0, 7]
    assert store.stream.cursor(db) == 7
