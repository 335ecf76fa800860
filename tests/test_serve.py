"""The real web service: `gateway serve`, the Procfile's web line and
`waitress-serve --call` answer /healthz, and an uninitialised or freshly
imported gateway touches no disk.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway import create_app, store
from gateway.config import ConfigError
from gateway.conversations import answer, start_conversation
from gateway.db import connect
from tests.conftest import REPO, free_port, wait_for_http


def get_health(base: str) -> dict:
    url = base + "/healthz"
    with urllib.request.urlopen(url, timeout=10) as reply:  # noqa: S310 - loopback
        assert reply.status == 200
        assert reply.headers.get_content_type() == "application/json"
        return json.load(reply)


def instance_db(env: dict):
    return connect(Path(env["GATEWAY_INSTANCE_PATH"]) / "gateway.sqlite3")


def test_healthz_reports_site_database_and_queue(served_gateway, gateway_env):
    body = get_health(served_gateway)
    db = instance_db(gateway_env)
    try:
        site_id = store.core.get_meta(db, "site_id")
    finally:
        db.close()

    assert body["status"] == "ok"
    assert body["version"]
    assert body["site"]["id"] == site_id
    assert body["database"] == {
        "state": "ok",
        "journal_mode": "wal",
        "pending_migrations": [],
    }
    queued = body["queued"]
    for name in ("open_conversations", "closed_responses", "open_alerts"):
        assert isinstance(queued[name], int) and not isinstance(queued[name], bool)
    assert queued == {"open_conversations": 0, "closed_responses": 0, "open_alerts": 0}


def test_healthz_counts_a_completed_response(served_gateway, gateway_env):
    before = get_health(served_gateway)["queued"]
    runtime = create_app(
        {"INSTANCE_PATH": gateway_env["GATEWAY_INSTANCE_PATH"]}
    ).extensions["gateway"]
    clock = datetime.now(UTC)
    db = instance_db(gateway_env)
    try:
        turn = start_conversation(db, runtime, channel="sms", now=clock)
        mid = get_health(served_gateway)["queued"]
        for seconds, text in enumerate(["1", "quick and kind", "no"], 1):
            turn = answer(
                db, runtime, turn.response_id, text, clock + timedelta(seconds=seconds)
            )
    finally:
        db.close()
    assert turn.outcome.done

    after = get_health(served_gateway)["queued"]
    assert mid["open_conversations"] == before["open_conversations"] + 1
    assert after["closed_responses"] == before["closed_responses"] + 1
    assert after["open_conversations"] == before["open_conversations"]


def run_until_healthy(command: list[str], env: dict, base: str) -> dict:
    """Start a web process, read /healthz once it answers, then stop it."""
    process = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for_http(base + "/healthz")
        return get_health(base)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)


def test_procfile_web_command_starts_gateway_serve_on_port(gateway_env):
    procfile = (REPO / "Procfile").read_text(encoding="utf-8").splitlines()
    [web] = [line.split(":", 1)[1] for line in procfile if line.startswith("web:")]
    words = shlex.split(web)
    # `gateway serve` sets waitress's limits; a bare waitress-serve would not.
    assert words[:2] == ["gateway", "serve"]
    assert words[words.index("--host") + 1] == "0.0.0.0"  # noqa: S104 - as deployed
    assert words[words.index("--port") + 1] == "${PORT:-8080}"

    port = free_port()
    env = {
        **gateway_env,
        "PORT": str(port),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{gateway_env['PATH']}",
    }
    # The same line, run by a shell as a platform would, on loopback only.
    loopback = web.replace("--host 0.0.0.0", "--host 127.0.0.1")
    body = run_until_healthy(["sh", "-c", loopback], env, f"http://127.0.0.1:{port}")
    assert body["status"] == "ok"
    assert body["database"]["state"] == "ok"


def test_procfile_release_command_migrates_before_a_new_version_starts(gateway_env):
    procfile = (REPO / "Procfile").read_text(encoding="utf-8").splitlines()
    [release] = [
        line.split(":", 1)[1] for line in procfile if line.startswith("release:")
    ]
    assert shlex.split(release) == ["gateway", "migrate"]
    env = {
        **gateway_env,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{gateway_env['PATH']}",
    }
    ran = subprocess.run(
        ["sh", "-c", release], env=env, capture_output=True, text=True, check=True
    )
    assert ran.stdout == "Nothing to do: the database is up to date.\n"


def test_waitress_serve_can_call_the_app_factory(gateway_env):
    port = free_port()
    waitress_serve = str(Path(sys.executable).with_name("waitress-serve"))
    command = [
        waitress_serve,
        f"--listen=127.0.0.1:{port}",
        "--call",
        "gateway:create_app",
    ]
    body = run_until_healthy(command, gateway_env, f"http://127.0.0.1:{port}")
    assert body["status"] == "ok"
    assert body["database"]["state"] == "ok"


@pytest.mark.parametrize("secret_key", [None, "set-by-environment"])
def test_create_app_before_init_says_run_init(test_config, secret_key):
    if secret_key:
        test_config["SECRET_KEY"] = secret_key
    with pytest.raises(ConfigError, match="gateway init"):
        create_app(test_config)
    assert not Path(test_config["INSTANCE_PATH"]).exists()


def test_importing_the_gateway_creates_no_files(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    subprocess.run(
        [sys.executable, "-c", "import gateway, gateway.cli, flows.engine"],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("rules", "says"),
    [
        ("abuse: [hits me]\nself_harm: []\n", "'self_harm' has no phrases"),
        ("languages:\n  en:\n    phrases: {abuse: [x]}\n    negations: [no]\n", '"no"'),
        ("abuse: [unclosed\n", "cannot be used"),
    ],
)
def test_serve_with_safeguarding_rules_it_cannot_use_says_what_is_wrong(
    runner, test_config, tmp_path, rules, says
):
    assert runner.invoke(["init"]).exit_code == 0
    path = tmp_path / "rules.yaml"
    path.write_text(rules, encoding="utf-8")
    test_config["SAFEGUARDING_RULES"] = str(path)
    with pytest.raises(ConfigError, match="safeguarding rules") as refused:
        create_app(test_config)
    assert says in str(refused.value)


def test_serve_warns_when_a_disclosure_would_text_no_one(gateway_env, tmp_path):
    from tests.conftest import GATEWAY, serve_gateway

    log = tmp_path / "serve.log"
    with serve_gateway(gateway_env, log):
        pass
    assert (
        "No duty contact can be texted: when someone may be at risk" in log.read_text()
    )

    subprocess.run(
        [GATEWAY, "duty", "add", "Duty manager", "07700 900777"],
        env=gateway_env,
        check=True,
        capture_output=True,
    )
    with serve_gateway(gateway_env, log):
        pass
    assert "No duty contact can be texted" not in log.read_text()
