"""A real gateway install and `gateway serve` on 127.0.0.1, for benchmarks,
docs/screenshots.py and the tests: the set-up each of them needs, written once."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

GATEWAY = str(Path(sys.executable).with_name("gateway"))


def install(folder: Path, role: str = "both") -> dict:
    """`gateway init` in `folder`; the environment to run this install with."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env.update(
        GATEWAY_INSTANCE_PATH=str(folder), GATEWAY_ROLE=role, GATEWAY_SITE=folder.name
    )
    gateway(env, "init")
    return env


def gateway(env: dict, *args: str) -> str:
    """Run a `gateway` command; what it printed."""
    return subprocess.run(
        [GATEWAY, *args], env=env, check=True, capture_output=True, text=True
    ).stdout


def database(env: dict) -> str:
    return str(Path(env["GATEWAY_INSTANCE_PATH"]) / "gateway.sqlite3")


@contextmanager
def served(env: dict, log_path: Path) -> Iterator[tuple[int, subprocess.Popen]]:
    """`gateway serve` on a free port, once /healthz answers; stopped afterwards."""
    port = free_port()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [GATEWAY, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=log,
        )
        try:
            wait_for_http(f"http://127.0.0.1:{port}/healthz", process=process)
            yield port, process
        finally:
            process.terminate()
            process.wait(timeout=10)


def free_port() -> int:
    """A port on 127.0.0.1 that nothing is listening on just now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def peak_rss_mb(pid: int) -> float:
    """The process's own peak resident memory (VmHWM), in MB; 0 once it has gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def wait_for_http(
    url: str, timeout: float = 20.0, process: subprocess.Popen | None = None
) -> None:
    """Return once the server at `url` answers HTTP at all: a 404 or a 503 is
    an answer too, for the caller to judge. Raise after `timeout`, or as soon
    as `process` (the server) has exited, rather than wait for nothing."""
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited ({process.returncode}) unready")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
