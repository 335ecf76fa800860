"""Shared fixtures: a fresh initialised install per test, the app, its CLI and store."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from benchmarks.gateway_process import wait_for_http
from gateway import create_app
from gateway.cli import cli
from gateway.db import connect

# The kiosk's browser fixtures (Debian's Chromium through Playwright), and a
# throwaway PostgreSQL for the board's tests.
pytest_plugins = ["tests.kiosk.browser", "tests.postgres"]

REPO = Path(__file__).resolve().parent.parent
GATEWAY = str(Path(sys.executable).with_name("gateway"))
# The engines a board's tests run on: each such test runs once on each.
BOARD_ENGINES = ("sqlite", "postgresql")
# Markers for a test (or a module) whose board runs on one engine only.
ONLY_ON = {"sqlite_board": "sqlite", "postgresql_board": "postgresql"}


def pytest_configure(config) -> None:
    for marker, engine in ONLY_ON.items():
        config.addinivalue_line(
            "markers", f"{marker}: the board is on {engine} only (say why beside it)"
        )


def pytest_generate_tests(metafunc) -> None:
    """Every test that uses `board_engine` (through the board's fixtures) runs
    on SQLite and on PostgreSQL, named [sqlite] and [postgresql]."""
    if "board_engine" not in metafunc.fixturenames:
        return
    engines = BOARD_ENGINES
    for marker, engine in ONLY_ON.items():
        if metafunc.definition.get_closest_marker(marker) is not None:
            engines = (engine,)
    metafunc.parametrize("board_engine", engines, indirect=True)


@pytest.fixture
def test_config(tmp_path) -> dict:
    return {"TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance")}


# The board's database: SQLite, or a throwaway PostgreSQL (its fixtures are in
# tests/postgres.py) ------------------------------------------------------------


@pytest.fixture
def board_engine(request) -> str:
    """The engine this test's board is on (pytest_generate_tests chooses)."""
    return getattr(request, "param", "sqlite")


@pytest.fixture
def board_settings(board_engine, request) -> dict:
    """The settings that put this test's board on its engine: nothing for
    SQLite (board.sqlite3 in the instance folder), else a new database."""
    if board_engine == "sqlite":
        return {}
    return {"BOARD_DATABASE_URL": request.getfixturevalue("postgres_url")}


def board_environment(settings: dict) -> dict:
    """board_settings as the environment of a `gateway` process."""
    return {f"GATEWAY_{key}": value for key, value in settings.items()}


@pytest.fixture
def runner(test_config):
    """Invoke the `gateway` CLI against this test's install: runner.invoke([...])."""

    class GatewayRunner(CliRunner):
        def invoke(self, args, **kwargs):
            kwargs.setdefault("obj", {"test_config": test_config})
            return super().invoke(cli, args, **kwargs)

    return GatewayRunner()


@pytest.fixture
def initialised(runner, test_config) -> dict:
    result = runner.invoke(["init"])
    assert result.exit_code == 0, result.output
    return test_config


@pytest.fixture
def app(initialised):
    return create_app(initialised)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runtime(app):
    return app.extensions["gateway"]


@pytest.fixture
def db(app):
    database = connect(app.config["DATABASE"])
    yield database
    database.close()


# Flow files ---------------------------------------------------------------------

FLOW_HEADER = "id: demo\nversion: 1\ntitle: Demo\nsteps:\n"


def flow_text(steps: str) -> str:
    """A flow file with the standard header and these (indented) steps."""
    return (
        FLOW_HEADER + textwrap.indent(textwrap.dedent(steps).strip("\n"), "  ") + "\n"
    )


def line_of(text: str, needle: str) -> int:
    """1-based number of the first line containing `needle`."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.fixture
def write_flow(tmp_path):
    """Write flow text to a file in tmp_path; returns its path."""

    def write(text: str, name: str = "demo.yaml"):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC)


# Real processes -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def gateway_env(tmp_path) -> dict:
    """Environment for running the real `gateway` command against a fresh install."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env["GATEWAY_INSTANCE_PATH"] = str(tmp_path / "instance")
    subprocess.run([GATEWAY, "init"], env=env, check=True, capture_output=True)
    return env


@contextmanager
def serve_gateway(env: dict, log_path: Path, port: int | None = None):
    """Run `gateway serve` (waitress) on 127.0.0.1; yield (base URL, process).

    Stops it at the end unless the test already has (a SIGKILL, say). Give
    `port` to start it again where a browser last found it.
    """
    port = port or free_port()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [GATEWAY, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for_http(base + "/healthz")
            yield base, process
        finally:
            if process.poll() is None:
                process.terminate()
            process.wait(timeout=10)


@pytest.fixture
def served_gateway(gateway_env, tmp_path):
    """`gateway serve` (waitress) running on 127.0.0.1; yields its base URL."""
    with serve_gateway(gateway_env, tmp_path / "serve.log") as (base, _process):
        yield base


# SMS --------------------------------------------------------------------------

TWILIO_TOKEN = "test-auth-token"  # noqa: S105 - a test value


@pytest.fixture
def fake_twilio():
    """A fake Twilio REST API on 127.0.0.1: `.messages`, `.attempts`, `.then(...)`."""
    from tests.sms.fake_twilio import FakeTwilio

    fake = FakeTwilio(auth_token=TWILIO_TOKEN)
    fake.base_url = fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def sms_config(test_config, fake_twilio) -> dict:
    """Settings for an install with the SMS channel on, sending to the fake Twilio."""
    return {
        **test_config,
        "TWILIO_ACCOUNT_SID": fake_twilio.account_sid,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TWILIO_FROM_NUMBER": "+447700900000",
        "TWILIO_API_BASE": fake_twilio.base_url,
        "QUIET_HOURS": "",
    }


@pytest.fixture
def sms_app(initialised, sms_config):
    return create_app(sms_config)


@pytest.fixture
def sms_db(sms_app):
    database = connect(sms_app.config["DATABASE"])
    yield database
    database.close()


@pytest.fixture
def sms_post(sms_app):
    """Post a webhook to the app signed with twilio's own RequestValidator."""
    from twilio.request_validator import RequestValidator

    client = sms_app.test_client()
    validator = RequestValidator(TWILIO_TOKEN)

    def post(
        path: str,
        data: dict,
        *,
        sign: bool = True,
        url: str | None = None,
        headers: dict | None = None,
    ):
        url = url or f"http://localhost{path}"
        headers = dict(headers or {})
        if sign:
            headers["X-Twilio-Signature"] = validator.compute_signature(url, data)
        return client.post(path, data=data, headers=headers)

    return post


@pytest.fixture
def sms_clock(sms_app, now) -> list:
    """sms_clock[0] is the moment the app's views see; move it to move time."""
    moment = [now]
    sms_app.extensions["gateway"].clock = lambda: moment[0]
    return moment


@pytest.fixture
def sms_send(sms_post, sms_clock):
    """Text the gateway as Twilio would deliver it; every reply must be a 200."""
    from tests.sms.helpers import INBOUND, PHONE, form

    def send(body: str, phone: str = PHONE, **fields):
        response = sms_post(INBOUND, form(body, phone, **fields))
        assert response.status_code == 200, response.data
        return response

    return send


# Outbox worker ----------------------------------------------------------------


class FakeClock:
    """A clock the outbox worker reads; tests move it, nothing sleeps."""

    def __init__(self, moment: datetime):
        self.moment = moment

    def now(self) -> datetime:
        return self.moment

    def advance(self, **delta) -> None:
        self.moment += timedelta(**delta)

    def at_london(self, local: datetime) -> None:
        self.moment = local.replace(tzinfo=ZoneInfo("Europe/London")).astimezone(UTC)


@pytest.fixture
def worker_clock(now) -> FakeClock:
    return FakeClock(now)


@pytest.fixture
def sms_runtime(sms_app):
    return sms_app.extensions["gateway"]


# Sync ---------------------------------------------------------------------------


@pytest.fixture
def board(tmp_path, board_settings):
    """A board install served by `gateway serve` on 127.0.0.1: .url, .env,
    .process; on each engine."""
    from types import SimpleNamespace

    from tests.sync.helpers import install

    env = install(tmp_path / "board", "board", **board_environment(board_settings))
    port = free_port()
    with serve_gateway(env, tmp_path / "board.log", port) as (url, process):
        yield SimpleNamespace(url=url, env=env, process=process, port=port)


@pytest.fixture
def site_env(tmp_path) -> dict:
    """A site install (GATEWAY_ROLE=site), not yet enrolled."""
    from tests.sync.helpers import install

    return install(tmp_path / "site", "site", GATEWAY_SYNC_BATCH="25")


@pytest.fixture
def enrolled_site(site_env, board) -> dict:
    from tests.sync.helpers import enrol

    enrol(site_env, board.env, board.url)
    return site_env


# Kiosk ---------------------------------------------------------------------------


@pytest.fixture
def kiosk_clock(now, runtime) -> FakeClock:
    """The app's clock, moved by the test."""
    clock = FakeClock(now)
    runtime.clock = clock.now
    return clock


@pytest.fixture
def lounge(runner, client, kiosk_clock):
    """A kiosk called Lounge, as a tablet without JavaScript uses it."""
    from tests.kiosk.helpers import Kiosk, add_kiosk

    return Kiosk(client, add_kiosk(runner, "Lounge"))


@pytest.fixture
def counting_clock(now) -> FakeClock:
    return FakeClock(now)


@pytest.fixture
def counting(tmp_path, runner, test_config, counting_clock):
    """An install with a number step (counting) and options named like numbers
    (pets), and a kiosk Garden on counting, already started."""
    from tests.kiosk.helpers import NUMBER_FLOW, WORDS_LIKE_NUMBERS, Kiosk, add_kiosk

    folder = tmp_path / "flows"
    folder.mkdir()
    (folder / "counting.yaml").write_text(NUMBER_FLOW, encoding="utf-8")
    (folder / "pets.yaml").write_text(WORDS_LIKE_NUMBERS, encoding="utf-8")
    test_config["FLOWS_PATH"] = str(folder)
    assert runner.invoke(["init"]).exit_code == 0
    from gateway import create_app

    app = create_app(test_config)
    app.extensions["gateway"].clock = counting_clock.now
    key = add_kiosk(runner, "Garden", "--flow", "counting")
    kiosk = Kiosk(app.test_client(), key)
    kiosk.start()
    return app, kiosk
