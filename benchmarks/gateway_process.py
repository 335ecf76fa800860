"""A real gateway install and `gateway serve` on 127.0.0.1, for benchmarks and
docs/screenshots.py: the set-up each of them needs, written once."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
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
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [GATEWAY, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=log,
        )
        try:
            _wait_for(f"http://127.0.0.1:{port}/healthz")
            yield port, process
        finally:
            process.terminate()
            process.wait(timeout=10)


def peak_rss_mb(pid: int) -> float:
    """The process's own peak resident memory (VmHWM), in MB; 0 once it has gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _wait_for(url: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - loopback
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
