"""`gateway serve` keeps to one CPU core by default (GATEWAY_SERVE_ONE_CORE),
checked on a real process: every one of its threads, the SMS writer included."""

from __future__ import annotations

import logging
import os
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from twilio.request_validator import RequestValidator

from benchmarks.gateway_process import cores_of_every_thread
from gateway.cli.setup_commands import keep_to_one_core
from tests.conftest import TWILIO_TOKEN, serve_gateway
from tests.sms.helpers import FIRST_QUESTION, INBOUND, form

linux_only = pytest.mark.skipif(
    not hasattr(os, "sched_getaffinity") or not Path("/proc/self/task").is_dir(),
    reason="reading a process's CPU cores needs Linux",
)
TURN_OFF = "GATEWAY_SERVE_ONE_CORE=0"


def text_the_gateway(base: str) -> str:
    """One signed SMS, so that the writer thread is running too; the reply."""
    data = form("Hi")
    url = base + INBOUND
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, data)
    request = urllib.request.Request(  # noqa: S310 - loopback
        url,
        data=urllib.parse.urlencode(data).encode(),
        headers={"X-Twilio-Signature": signature},
    )
    with urllib.request.urlopen(request, timeout=10) as reply:  # noqa: S310
        return reply.read().decode()


def serve_and_look(env: dict, log: Path) -> tuple[dict[int, frozenset[int]], str]:
    """Serve, text it, and read every thread's cores and what it logged."""
    env = {**env, "TWILIO_AUTH_TOKEN": TWILIO_TOKEN}
    with serve_gateway(env, log) as (base, process):
        assert FIRST_QUESTION in text_the_gateway(base)
        threads = cores_of_every_thread(process.pid)
    return threads, log.read_text()


@linux_only
def test_serve_keeps_every_thread_to_the_last_core(gateway_env, tmp_path):
    allowed = os.sched_getaffinity(0)
    if len(allowed) < 2:
        pytest.skip("this machine gives the tests one CPU core: nothing to choose")
    threads, logged = serve_and_look(gateway_env, tmp_path / "serve.log")
    # waitress's main thread, its worker threads and the SMS writer
    assert len(threads) >= 3
    assert set(threads.values()) == {frozenset({max(allowed)})}
    [line] = [line for line in logged.splitlines() if TURN_OFF in line]
    assert f"CPU core {max(allowed)} only" in line


@linux_only
def test_with_the_setting_off_serve_may_use_every_core(gateway_env, tmp_path):
    allowed = os.sched_getaffinity(0)
    env = {**gateway_env, "GATEWAY_SERVE_ONE_CORE": "0"}
    threads, logged = serve_and_look(env, tmp_path / "serve.log")
    assert len(threads) >= 3
    assert all(cores == allowed for cores in threads.values())
    assert TURN_OFF not in logged


def test_where_there_is_no_cpu_affinity_it_does_nothing_and_says_so(
    monkeypatch, caplog
):
    monkeypatch.delattr(os, "sched_setaffinity", raising=False)
    with caplog.at_level(logging.DEBUG, logger="gateway"):
        assert keep_to_one_core({"SERVE_ONE_CORE": True}) is None
    assert [r.levelno for r in caplog.records] == [logging.DEBUG]
    assert "one core" in caplog.text


def test_a_process_already_on_one_core_is_left_alone(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {3}, raising=False)

    def refuse(*_args):
        raise AssertionError("a single allowed core was changed")

    monkeypatch.setattr(os, "sched_setaffinity", refuse, raising=False)
    assert keep_to_one_core({"SERVE_ONE_CORE": True}) is None


@linux_only
def test_serve_on_a_port_in_use_is_refused_before_saying_it_keeps_to_a_core(
    gateway_env,
):
    """The core is named only once the gateway is serving, like its address."""
    from tests.test_serve_limits import serve_on_a_port_in_use

    result, _port = serve_on_a_port_in_use(gateway_env)
    assert result.returncode != 0
    assert "already in use" in result.stderr
    assert TURN_OFF not in result.stderr
