"""What the SMS webhook costs over bare Flask, under the same waitress settings.

Starts, on 127.0.0.1 with the same waitress threads, the real gateway (`gateway
init`, `gateway serve`, a Twilio auth token so every webhook is signature-checked)
and benchmarks/bare_twiml_app.py (a fixed TwiML reply). Simulated phones then
text each the Friends and Family conversation "Hi", "1", "Kind staff", "yes":
in order within a phone, many phones at once, every request signed alike.

Prints per server requests/s, p50 and p99 latency and peak RSS (VmHWM, with
children), then PASS/MISS against the targets, never asserted: throughput
real/bare >= 0.5x, p99 real/bare <= 3x, real peak RSS < 100 MB. Then checks the
real database: a row per message, three answered answers and one complete
response per phone, synchronous=FULL from gateway.db.connect. Exits 0 whatever
the timings, 1 if a request failed or the data is wrong.

    .venv/bin/python benchmarks/sms_throughput.py [--phones N] [--concurrency C]
                                                 [--threads T]
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

from benchmarks.gateway_process import free_port, wait_for_http  # noqa: E402

BIN = Path(sys.executable).parent
TOKEN = "benchmark-auth-token"  # noqa: S105 - a throwaway value
CONVERSATION = ("Hi", "1", "Kind staff", "yes")
WARM_UP_PHONES = 10
PATH = "/sms/inbound"


def start_server(name: str, command: list[str], env: dict, folder: Path, port: int):
    """Start a server, logging to the temp folder; return once it answers HTTP
    (the bare app has no /healthz: its 404 is an answer)."""
    with (folder / f"{name}.log").open("wb") as log:
        process = subprocess.Popen(command, env=env, cwd=REPO, stdout=log, stderr=log)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", 30, process)
    except RuntimeError:
        raise SystemExit(f"the {name} server exited: see {folder / name}.log") from None
    return process


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def peak_rss_mb(pid: int) -> float:
    """VmHWM of the process and of its descendants, added up, in MB."""
    total_kb, pending = 0, [pid]
    while pending:
        current = Path(f"/proc/{pending.pop()}")
        status = (current / "status").read_text()
        total_kb += int(status.split("VmHWM:")[1].split()[0])
        for task in (current / "task").iterdir():
            pending += [int(c) for c in (task / "children").read_text().split()]
    return total_kb / 1024


class Phones:
    """Simulated phones: one keep-alive connection per worker thread."""

    def __init__(self, port: int):
        self.port = port
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
            self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port)
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

    def converse(self, index: int) -> tuple[list[float], int]:
        """One phone's whole conversation, in order; its latencies and failures."""
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
            results = list(pool.map(self.converse, range(first, first + count)))
        elapsed = time.perf_counter() - started
        latencies = sorted(s for phone, _ in results for s in phone)
        return {
            "rps": len(latencies) / elapsed,
            "p50": percentile(latencies, 0.50) * 1000,
            "p99": percentile(latencies, 0.99) * 1000,
            "failed": sum(failed for _, failed in results),
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
    print(f"\n{'server':<8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'RSS MB':>9}")
    for name, r in results.items():
        failed = f"   {r['failed']} conversation(s) failed" if r["failed"] else ""
        print(
            f"{name:<8}{r['rps']:>9.1f}{r['p50']:>9.1f}{r['p99']:>9.1f}"
            f"{r['rss']:>9.1f}{failed}"
        )
    real, bare = results["real"], results["bare"]
    throughput, p99 = real["rps"] / bare["rps"], real["p99"] / bare["p99"]
    print()
    for label, value, target, ok in (
        ("throughput real/bare", f"{throughput:.2f}x", ">= 0.5x", throughput >= 0.5),
        ("p99 real/bare", f"{p99:.2f}x", "<= 3x", p99 <= 3),
        ("real peak RSS", f"{real['rss']:.1f} MB", "< 100 MB", real["rss"] < 100),
    ):
        print(f"{label:<21}{value:>9}  target {target:<9}{'PASS' if ok else 'MISS'}")


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--phones", type=int, default=5000, help="measured phones")
    parser.add_argument("--concurrency", type=int, default=8, help="client workers")
    parser.add_argument("--threads", type=int, default=4, help="waitress threads")
    args = parser.parse_args()
    if not 1 <= args.phones <= 99_000 - WARM_UP_PHONES:
        parser.error("--phones must be between 1 and 98990")

    folder = Path(tempfile.mkdtemp(prefix="sms-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env.update(GATEWAY_INSTANCE_PATH=str(folder / "instance"), TWILIO_AUTH_TOKEN=TOKEN)
    env["TWILIO_ACCOUNT_SID"] = "AC" + "0" * 32
    servers: dict[str, subprocess.Popen] = {}
    try:
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
        for name in ("real", "bare"):
            servers[name] = start_server(name, commands[name], env, folder, ports[name])
        print(
            f"{args.phones} phones x {len(CONVERSATION)} messages, {args.concurrency}"
            f" client workers, {args.threads} waitress threads (+ warm-up)"
        )
        results = {}
        for name in ("bare", "real"):
            phones = Phones(ports[name])
            phones.drive(0, WARM_UP_PHONES, args.concurrency)
            results[name] = phones.drive(WARM_UP_PHONES, args.phones, args.concurrency)
            results[name]["rss"] = peak_rss_mb(servers[name].pid)
            phones.close()

        report(results)
        database = str(folder / "instance" / "gateway.sqlite3")
        problems = check_database(database, WARM_UP_PHONES + args.phones)
        print(
            "\ndatabase check (synchronous read through gateway.db.connect, "
            "the app's own connection): "
            + ("OK" if not problems else "MISMATCH\n  " + "\n  ".join(problems))
        )
        failed = any(r["failed"] for r in results.values())
        return 1 if problems or failed else 0
    finally:
        for process in servers.values():
            stop_server(process)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
