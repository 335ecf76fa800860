"""`gateway serve` as a real waitress process under rough traffic: idle and
half-open connections, oversized requests, a proxy's headers, a port in use.
"""

from __future__ import annotations

import json
import socket
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from contextlib import ExitStack

import pytest
from twilio.request_validator import RequestValidator

from tests.conftest import GATEWAY, TWILIO_TOKEN, serve_gateway
from tests.sms.helpers import FIRST_QUESTION, FORWARDED, PUBLIC_URL, form
from tests.test_serve import get_health

IDLE_CONNECTIONS = 110  # more than waitress's default limit of 100
ANSWER_WITHIN = 10  # seconds: far longer than /healthz needs
MAX_HEADER_BYTES = 64 * 1024  # `gateway serve`'s limit on a request's headers


def address(base: str) -> tuple[str, int]:
    parts = urllib.parse.urlsplit(base)
    return parts.hostname, parts.port


def exchange(base: str, request: bytes) -> bytes:
    """Send raw bytes and read until the server closes; a stall is a timeout."""
    with socket.create_connection(address(base), timeout=ANSWER_WITHIN) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def status_of(response: bytes) -> int:
    return int(response.split(b"\r\n", 1)[0].split()[1])


def test_idle_and_half_open_connections_do_not_shut_out_healthz(served_gateway):
    with ExitStack() as sockets:
        for n in range(IDLE_CONNECTIONS):
            sock = sockets.enter_context(
                socket.create_connection(address(served_gateway), timeout=5)
            )
            if n % 2:
                sock.sendall(b"GET /heal")  # half a request line, then nothing
        try:
            body = get_health(served_gateway)
        except OSError as error:
            pytest.fail(f"/healthz did not answer with idle connections open: {error}")
    assert body["status"] == "ok"


@pytest.fixture(params=["both", "board"])
def served_role(request, tmp_path):
    """A real `gateway serve` of each role, with the largest body it takes."""
    from gateway import REQUEST_LIMIT_BYTES
    from gateway.sync.protocol import MAX_BATCH_BYTES
    from tests.sync.helpers import install

    role = request.param
    env = install(tmp_path / role, role)
    largest = MAX_BATCH_BYTES if role == "board" else REQUEST_LIMIT_BYTES
    with serve_gateway(env, tmp_path / f"{role}.log") as (base, _process):
        yield base, largest


def test_a_body_larger_than_the_role_takes_is_refused_before_it_is_sent(served_role):
    base, largest = served_role
    request = (
        b"POST /sms/inbound HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: %d\r\n\r\n" % (largest + 1)
    )
    assert status_of(exchange(base, request)) == 413


def test_a_body_as_large_as_the_role_takes_still_reaches_the_app(served_role):
    base, largest = served_role
    request = (
        b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        b"Content-Length: %d\r\n\r\n" % largest
    ) + b"x" * largest
    assert status_of(exchange(base, request)) == 200


@pytest.mark.parametrize(
    "header",
    [
        {"X-Forwarded-For": "203.0.113.5"},
        {"Forwarded": "for=203.0.113.5"},
        {"X-Real-IP": "203.0.113.5"},
        {"Via": "1.1 nginx"},
    ],
)
def test_a_request_through_a_proxy_on_this_machine_is_not_local(served_gateway, header):
    """Waitress must not strip the headers that show a proxy passed it on."""
    request = urllib.request.Request(served_gateway + "/healthz", headers=header)  # noqa: S310
    with urllib.request.urlopen(request, timeout=ANSWER_WITHIN) as reply:  # noqa: S310
        assert json.load(reply) == {"status": "ok"}
    outbox = urllib.request.Request(served_gateway + "/sms/outbox", headers=header)  # noqa: S310
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(outbox, timeout=ANSWER_WITHIN)  # noqa: S310
    assert refused.value.code == 404
    refused.value.close()


def test_headers_that_never_end_are_refused_at_the_limit(served_gateway):
    start = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: "
    request = start + b"a" * (MAX_HEADER_BYTES - len(start))
    assert status_of(exchange(served_gateway, request)) == 431


def test_behind_a_proxy_waitress_passes_the_forwarded_headers_on(gateway_env, tmp_path):
    env = {
        **gateway_env,
        "GATEWAY_TRUST_PROXY": "1",
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
    }
    data = form("Hi")
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(PUBLIC_URL, data)
    with serve_gateway(env, tmp_path / "serve.log") as (base, _process):
        request = urllib.request.Request(  # noqa: S310 - loopback
            base + "/sms/inbound",
            data=urllib.parse.urlencode(data).encode(),
            headers={**FORWARDED, "X-Twilio-Signature": signature},
        )
        with urllib.request.urlopen(request, timeout=ANSWER_WITHIN) as reply:  # noqa: S310
            status, body = reply.status, reply.read().decode()
    assert status == 200
    assert FIRST_QUESTION in body


def serve_on_a_port_in_use(env: dict) -> tuple[subprocess.CompletedProcess, int]:
    """`gateway serve` on a port another program holds: what it said, the port."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        result = subprocess.run(
            [GATEWAY, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    return result, port


def test_serve_on_a_port_in_use_says_so_and_how_to_choose_another(gateway_env):
    result, port = serve_on_a_port_in_use(gateway_env)
    assert result.returncode != 0
    assert "Serving on" not in result.stdout
    assert "Traceback" not in result.stderr
    [message] = result.stderr.strip().splitlines()
    assert f"Port {port} on 127.0.0.1 is already in use" in message
    other = port + 1
    assert f"gateway serve --port {other}" in message
    assert f"make run PORT={other}" in message
