"""What the SMS webhook costs over bare Flask, under the same waitress settings.

Starts, on 127.0.0.1 with the same waitress threads, the real gateway (`gateway
init`, `gateway serve`, a Twilio auth token so every webhook is signature-checked)
and benchmarks/bare_twiml_app.py (a fixed TwiML reply). Simulated phones then
text each the Friends and Family conversation "Hi", "1", "Kind staff", "yes":
in order within a phone, many phones at once, every request signed alike.

It does this twice, both servers each time: unpinned (free to use every core,
GATEWAY_SERVE_ONE_CORE=0) and pinned (`gateway serve` keeping to one core, as
it does by default, and the bare app put on that same core). Prints per server
requests/s, p50 and p99 latency, peak RSS (VmHWM, with children), context
switches per text and the cores it ran on; then each ratio real/bare against
the bare app of the same mode, PASS/MISS against the targets, never asserted:
throughput >= 0.35x pinned, p99 <= 3x in both modes, real peak RSS < 100 MB.
Then checks each real database: a row per message, three answered answers and
one complete response per phone, synchronous=FULL from gateway.db.connect.
Exits 0 whatever the timings; 1 if a request failed, the data is wrong or the
run passed --time-limit.

    .venv/bin/python benchmarks/sms_throughput.py [--phones N] [--concurrency C]
                                                 [--threads T] [--time-limit S]
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.gateway_process import (  # noqa: E402
    context_switches,
    cores_in_use,
    cpu_seconds,
    free_port,
    keep_to_core,
    peak_rss_with_children_mb,
    wait_for_http,
)

BIN = Path(sys.executable).parent
TOKEN = "benchmark-auth-token"  # noqa: S105 - a throwaway value
CONVERSATION = ("Hi", "1", "Kind staff", "yes")
WARM_UP_PHONES = 10
PATH = "/sms/inbound"
REQUEST_TIMEOUT = 30  # seconds: longer than the writer's 12 s before a 503
THROUGHPUT_TARGET = 0.35  # real/bare, pinned against pinned
P99_TARGET = 3.0  # real/bare, in each mode
RSS_TARGET_MB = 100


def start_server(name: str, command: list[str], env: dict, folder: Path, port: int):
    """Start a server, logging to the temp folder; return once it answers HTTP
    (the bare app has no /healthz: its 404 is an answer)."""
    with (folder / f"{name}.log").open("wb") as log:
        process = subprocess.Popen(command, env=env, cwd=REPO, stdout=log, stderr=log)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", 30, process)
    except RuntimeError:
        said = (folder / f"{name}.log").read_text(errors="replace")[-2000:]
        raise SystemExit(f"the {name} server exited:\n{said}") from None
    return process


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Phones:
    """Simulated phones: one keep-alive connection per worker thread."""

    def __init__(self, port: int, deadline: float):
        self.port = port
        self.deadline = deadline  # time.monotonic(): phones after it do not text
        self.url = f"http://127.0.0.1:{port}{PATH}"
        self.validator = RequestValidator(TOKEN)
        self.local = threading.local()
        self.connections: list[http.client.HTTPConnection] = []

    def send(self, phone: str, body: str) -> tuple[int, float]:
        """One signed webhook; its HTTP status and latency in seconds."""
        sid = "SM" + uuid.uuid4().hex
        params = {"From": phone, "Body": body, "MessageSid": sid, "NumMedia": "0"}
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": self.validator.compute_signature(self.url, params),
        }
        if not hasattr(self.local, "conn"):  # kept alive for this worker thread
            self.local.conn = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=REQUEST_TIMEOUT
            )
            self.connections.append(self.local.conn)  # list.append is thread-safe
        conn = self.local.conn
        started = time.perf_counter()
        for attempt in (1, 2):  # the same MessageSid: a retry is a no-op
            try:
                conn.request("POST", PATH, body=urlencode(params), headers=headers)
                response = conn.getresponse()
                response.read()
                break
            except (http.client.HTTPException, ConnectionError):
                conn.close()
                if attempt == 2:
                    raise
        return response.status, time.perf_counter() - started

    def converse(self, index: int) -> tuple[list[float], int] | None:
        """One phone's whole conversation, in order; its latencies and failures.
        None if the run's time was up before it began."""
        if time.monotonic() > self.deadline:
            return None
        phone = f"+4477009{index:05d}"
        latencies = []
        for body in CONVERSATION:
            status, seconds = self.send(phone, body)
            if status != 200:
                return latencies, 1
            latencies.append(seconds)
        return latencies, 0

    def drive(self, first: int, count: int, concurrency: int) -> dict:
        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            outcomes = list(pool.map(self.converse, range(first, first + count)))
        elapsed = time.perf_counter() - started
        results = [outcome for outcome in outcomes if outcome is not None]
        latencies = sorted(s for phone, _ in results for s in phone)
        return {
            "rps": len(latencies) / elapsed,
            "p50": percentile(latencies, 0.50) * 1000,
            "p99": percentile(latencies, 0.99) * 1000,
            "texts": len(latencies),
            "failed": sum(failed for _, failed in results),
            "not_run": len(outcomes) - len(results),
        }

    def close(self) -> None:
        for conn in self.connections:
            conn.close()


def percentile(ordered: list[float], fraction: float) -> float:
    """Nearest rank; NaN for no values."""
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def check_database(path: str, phones: int) -> list[str]:
    """What is wrong with the real server's data; nothing if all is well."""
    from gateway.db import connect

    expected = {
        "SELECT count(*) FROM inbound_messages": phones * len(CONVERSATION),
        "SELECT count(*) FROM inbound_messages WHERE handling = 'started'": phones,
        "SELECT count(*) FROM inbound_messages WHERE handling = 'answer'": phones * 3,
        "SELECT count(*) FROM answers": phones * 3,
        "SELECT count(*) FROM answers WHERE state = 'answered'"
        " AND step_id IN ('overall', 'why', 'contact')": phones * 3,
        "SELECT count(*) FROM responses WHERE status = 'complete'": phones,
        "SELECT count(*) FROM responses": phones,
    }
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        got = {sql: conn.execute(sql).fetchone()[0] for sql in expected}
    problems = [
        f"{q}: {got[q]}, expected {n}" for q, n in expected.items() if got[q] != n
    ]
    app_db = connect(path)  # what the app opens for every request
    synchronous = app_db.execute("PRAGMA synchronous").fetchone()[0]
    app_db.close()
    if synchronous != 2:
        problems.append(f"PRAGMA synchronous is {synchronous}, expected 2 (FULL)")
    return problems


def report(results: dict) -> None:
    """The table of every server in every mode, then the ratios and targets."""
    print(
        f"\n{'mode':<10}{'server':<8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'RSS MB':>9}{'cs/text':>9}{'CPU ms':>8}  cores"
    )
    for mode, servers in results.items():
        for name, r in servers.items():
            failed = f"   {r['failed']} conversation(s) failed" if r["failed"] else ""
            print(
                f"{mode:<10}{name:<8}{r['rps']:>9.1f}{r['p50']:>9.1f}{r['p99']:>9.1f}"
                f"{r['rss']:>9.1f}{r['switches']:>9.1f}{r['cpu']:>8.2f}"
                f"  {r['cores']}{failed}"
            )
    print("\nreal/bare, each against the bare app of the same mode:")
    for mode, servers in results.items():
        real, bare = servers["real"], servers["bare"]
        throughput, p99 = real["rps"] / bare["rps"], real["p99"] / bare["p99"]
        if mode == "pinned":
            goal = (f">= {THROUGHPUT_TARGET}x", throughput >= THROUGHPUT_TARGET)
        else:
            goal = ("", None)  # shown to compare with the pinned figure
        for label, value, (target, ok) in (
            ("throughput", f"{throughput:.2f}x", goal),
            ("p99", f"{p99:.2f}x", (f"<= {P99_TARGET:g}x", p99 <= P99_TARGET)),
            (
                "real peak RSS",
                f"{real['rss']:.1f} MB",
                (f"< {RSS_TARGET_MB} MB", real["rss"] < RSS_TARGET_MB),
            ),
        ):
            aim = "(no target)" if ok is None else f"target {target:<9}"
            verdict = "" if ok is None else " PASS" if ok else " MISS"
            print(f"  {mode:<10}{label:<15}{value:>9}  {aim}{verdict}")


def core_to_pin_to() -> int | None:
    """The core `gateway serve` will keep to, or None where it keeps to none:
    one core only, or no CPU affinity on this system."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    allowed = os.sched_getaffinity(0)
    return max(allowed) if len(allowed) > 1 else None


def same_limits_as_gateway_serve() -> list[str]:
    """waitress-serve's flags for the limits `gateway serve` sets, so that the
    bare app runs under the same waitress settings."""
    from gateway.cli.setup_commands import waitress_limits

    flags = []
    for name, value in waitress_limits({"TRUST_PROXY": 0, "ROLE": "both"}).items():
        flag = name.replace("_", "-")
        if isinstance(value, bool):
            flags.append(f"--{flag}" if value else f"--no-{flag}")
        else:
            flags.append(f"--{flag}={value}")
    return flags


def measure(process: subprocess.Popen, port: int, args, deadline: float) -> dict:
    """Warm one server up, then time the measured phones on it."""
    phones = Phones(port, deadline)
    try:
        phones.drive(0, WARM_UP_PHONES, args.concurrency)
        switches, cpu = context_switches(process.pid), cpu_seconds(process.pid)
        result = phones.drive(WARM_UP_PHONES, args.phones, args.concurrency)
        texts = max(result["texts"], 1)
        result["switches"] = (context_switches(process.pid) - switches) / texts
        result["cpu"] = (cpu_seconds(process.pid) - cpu) * 1000 / texts
    finally:
        phones.close()
    result["rss"] = peak_rss_with_children_mb(process.pid)
    result["cores"] = cores_in_use(process.pid)
    return result


def run_mode(mode: str, args, folder: Path, deadline: float) -> tuple[dict, list]:
    """Both servers, pinned to one core or not; their figures and what is
    wrong with the real server's data."""
    folder.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env.update(
        GATEWAY_INSTANCE_PATH=str(folder / "instance"),
        GATEWAY_SERVE_ONE_CORE="1" if mode == "pinned" else "0",
        TWILIO_AUTH_TOKEN=TOKEN,
        TWILIO_ACCOUNT_SID="AC" + "0" * 32,
    )
    gateway = str(BIN / "gateway")
    subprocess.run([gateway, "init"], env=env, check=True, capture_output=True)
    ports = {"real": free_port(), "bare": free_port()}
    commands = {
        "real": [gateway, "serve", "--host", "127.0.0.1"]
        + ["--port", str(ports["real"]), "--threads", str(args.threads)],
        "bare": [str(BIN / "waitress-serve"), f"--listen=127.0.0.1:{ports['bare']}"]
        + [f"--threads={args.threads}", *same_limits_as_gateway_serve(), "--call"]
        + ["benchmarks.bare_twiml_app:create_app"],
    }
    servers: dict[str, subprocess.Popen] = {}
    results = {}
    try:
        for name in ("real", "bare"):
            servers[name] = start_server(name, commands[name], env, folder, ports[name])
        if mode == "pinned":
            # The bare app goes on the very core the gateway chose for itself.
            core = cores_in_use(servers["real"].pid)
            if not core.isdigit():
                raise SystemExit(f"gateway serve did not keep to one core: {core}")
            keep_to_core(servers["bare"].pid, int(core))
        for name in ("bare", "real"):
            results[name] = measure(servers[name], ports[name], args, deadline)
    finally:
        for process in servers.values():
            stop_server(process)
    if any(r["not_run"] for r in results.values()):
        return results, []  # no database to check: not every phone texted
    database = str(folder / "instance" / "gateway.sqlite3")
    return results, check_database(database, WARM_UP_PHONES + args.phones)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--phones", type=int, default=5000, help="measured phones")
    parser.add_argument("--concurrency", type=int, default=8, help="client workers")
    parser.add_argument("--threads", type=int, default=4, help="waitress threads")
    parser.add_argument(
        "--time-limit",
        type=float,
        default=240,
        help="seconds; phones not started by then do not text, and the run fails",
    )
    args = parser.parse_args()
    if not 1 <= args.phones <= 99_000 - WARM_UP_PHONES:
        parser.error("--phones must be between 1 and 98990")

    deadline = time.monotonic() + args.time_limit
    modes = ["unpinned"]
    if core_to_pin_to() is None:
        print("One core only (or no CPU affinity here): no pinned comparison.")
    else:
        modes.append("pinned")
    print(
        f"{args.phones} phones x {len(CONVERSATION)} messages, {args.concurrency}"
        f" client workers, {args.threads} waitress threads (+ warm-up), "
        + " then ".join(modes)
    )
    folder = Path(tempfile.mkdtemp(prefix="sms-bench-"))
    results, problems = {}, {}
    try:
        for mode in modes:
            results[mode], problems[mode] = run_mode(
                mode, args, folder / mode, deadline
            )
            if any(r["not_run"] for r in results[mode].values()):
                break
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    report(results)
    not_run = sum(
        r["not_run"] for servers in results.values() for r in servers.values()
    )
    if not_run:
        print(
            f"\nstopped at --time-limit {args.time_limit:g} s: {not_run} phone(s) "
            "did not text. Try fewer --phones."
        )
        return 1
    print(
        "\ndatabase check (synchronous read through gateway.db.connect, "
        "the app's own connection):"
    )
    for mode, found in problems.items():
        print(
            f"  {mode:<10}"
            + ("OK" if not found else "MISMATCH\n    " + "\n    ".join(found))
        )
    failed = any(r["failed"] for servers in results.values() for r in servers.values())
    return 1 if failed or any(problems.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
