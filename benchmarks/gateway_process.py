"""A real gateway install and `gateway serve` on 127.0.0.1, for benchmarks,
docs/screenshots.py and the tests: the set-up each of them needs, written once,
and what a server process uses (memory, CPU cores, context switches)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

# Debian's chromium, headless in a container, for the browser tests and the
# docs' pictures: one list, so they all run the browser alike.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

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


def thread_ids(pid: int) -> list[int]:
    """The process's threads, from Linux's /proc."""
    return [int(tid) for tid in os.listdir(f"/proc/{pid}/task")]


def cores_of_every_thread(pid: int) -> dict[int, frozenset[int]]:
    """Each thread of the process, and the CPU cores it may run on (Linux)."""
    return {tid: frozenset(os.sched_getaffinity(tid)) for tid in thread_ids(pid)}


def keep_to_core(pid: int, core: int) -> None:
    """Put every thread of the process on one core, as `taskset -a -p` would.
    Affinity is per thread, so setting only `pid` would move the main thread
    and leave the server's worker threads where they were."""
    for tid in thread_ids(pid):
        with suppress(ProcessLookupError):  # that thread has just ended
            os.sched_setaffinity(tid, {core})


def context_switches(pid: int) -> int:
    """Voluntary and involuntary context switches so far, over the process's
    threads now alive (a thread that has ended takes its count with it)."""
    total = 0
    for tid in thread_ids(pid):
        try:
            status = Path(f"/proc/{pid}/task/{tid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt")):
                total += int(line.split()[1])
    return total


def cpu_seconds(pid: int) -> float:
    """CPU time the process has used so far, every thread's (ended ones too)."""
    after_name = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    user, system = int(after_name[11]), int(after_name[12])  # utime, stime
    return (user + system) / os.sysconf("SC_CLK_TCK")


def peak_rss_with_children_mb(pid: int) -> float:
    """VmHWM of the process and of its descendants, added up, in MB."""
    total_kb, pending = 0, [pid]
    while pending:
        current = Path(f"/proc/{pending.pop()}")
        status = (current / "status").read_text()
        total_kb += int(status.split("VmHWM:")[1].split()[0])
        for task in (current / "task").iterdir():
            pending += [int(c) for c in (task / "children").read_text().split()]
    return total_kb / 1024


def cores_in_use(pid: int) -> str:
    """The cores the process's threads may run on, as `taskset` writes them."""
    cores = sorted(set().union(*cores_of_every_thread(pid).values()))
    spans: list[list[int]] = []
    for core in cores:
        if spans and core == spans[-1][1] + 1:
            spans[-1][1] = core
        else:
            spans.append([core, core])
    return ",".join(f"{a}" if a == b else f"{a}-{b}" for a, b in spans)


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
