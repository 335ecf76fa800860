"""The board's figures at a large organisation's size, on SQLite and PostgreSQL.

For each engine, in the same run: a fresh board (`gateway init`, role board;
PostgreSQL is a throwaway cluster of Debian's binaries, as the tests start
one, but with its durability settings left at PostgreSQL's own, so both
engines keep every commit through a power cut) filled with N responses from
S sites over a year (benchmarks/board_data.py). Then it times:

- the FFT return for last month (the store's query and the sums, in process);
- over HTTP, signed in as staff: the Figures page for one site and for the
  whole organisation, the FFT page, and /board/static/board.css from the same
  server (the baseline);
- sync intake of R records (responses of 5 answers, as a site queues them),
  stored by the board's own intake code in batches of 500;
- `gateway export` of every response to /dev/null, as a separate process:
  its peak memory and responses a second.

Prints each figure, each page against the static file, PostgreSQL against
SQLite, and the targets as PASS or MISS: the FFT return under 1 second on
either engine, intake on PostgreSQL at least 0.5x intake on SQLite, and an
export under 100 MB at 20,000 responses a second or more. Never asserts a
time; exits 1 only if something failed or an export's count is wrong.

    .venv/bin/python benchmarks/board_figures.py [--responses N] [--sites S]
        [--intake R] [--requests K] [--engines sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# After the path is set, so the script runs from anywhere:
from benchmarks.board_data import fill_board  # noqa: E402
from benchmarks.board_inbox import Staff, add_staff  # noqa: E402
from benchmarks.gateway_process import (  # noqa: E402
    GATEWAY,
    install,
    peak_rss_mb,
    served,
)
from gateway.board.database import make_engine, writing  # noqa: E402
from gateway.board.fft import month_bounds  # noqa: E402
from gateway.board.store.fft_return import month_return  # noqa: E402

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LAST_MONTH = datetime(2026, 11, 1).date()
ZONE = "Europe/London"
WARM_UP = 2
BATCH = 500
TARGETS = {"fft_seconds": 1.0, "intake_ratio": 0.5, "export_mb": 100.0}
TARGETS |= {"export_per_second": 20_000}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--intake", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=5)
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="board-figures-"))
    cluster = None
    results = {}
    try:
        for engine_name in args.engines.split(","):
            url = None
            if engine_name == "postgresql":
                cluster = durable_cluster()
                url = cluster.url(cluster.new_database(migrated=False))
            results[engine_name] = measure(engine_name, url, args, folder)
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
    report(results)
    return 1 if any(r.get("failed") for r in results.values()) else 0


def durable_cluster():
    """The tests' throwaway cluster, but keeping PostgreSQL's own durability
    (fsync and synchronous commit on), as a real board would."""
    from tests import postgres

    quick = ("fsync", "synchronous_commit", "full_page_writes")
    postgres.SETTINGS = {k: v for k, v in postgres.SETTINGS.items() if k not in quick}
    return postgres.Cluster(postgres.binaries()).start()


def measure(name: str, url: str | None, args, folder: Path) -> dict:
    print(f"\n== {name}: {args.responses:,} responses from {args.sites} sites")
    env = install_board(folder / name, url)
    engine = make_engine(env.get("GATEWAY_BOARD_DATABASE_URL") or board_file(env))
    started = time.perf_counter()
    sites = fill_board(engine, args.responses, sites=args.sites, now=NOW)
    print(f"filled in {time.perf_counter() - started:.0f} s")
    add_staff(engine, "2026-12-01T09:00:00Z")
    found = {"fft_seconds": fft_return_seconds(engine, args.requests)}
    found |= pages(env, folder / f"{name}.log", sites[0], args.requests)
    found |= export(env, args.responses)
    found |= intake(engine, args.intake)
    engine.dispose()
    return found


def install_board(folder: Path, url: str | None) -> dict:
    folder.mkdir(parents=True)
    if url is None:
        env = install(folder, "board")
    else:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
        env |= {"GATEWAY_BOARD_DATABASE_URL": url, "GATEWAY_ROLE": "board"}
        env |= {"GATEWAY_INSTANCE_PATH": str(folder)}
        subprocess.run([GATEWAY, "init"], env=env, check=True, capture_output=True)
    return env | {"GATEWAY_SECURE_COOKIES": "0", "GATEWAY_TIMEZONE": ZONE}


def board_file(env: dict) -> str:
    return str(Path(env["GATEWAY_INSTANCE_PATH"]) / "board.sqlite3")


def fft_return_seconds(engine, times: int) -> float:
    """The median time of last month's return, from the query to the sums."""
    bounds = month_bounds(LAST_MONTH, ZONE)
    steps = [("friends-and-family", "overall")]
    modes = {"sms": "Mode SMS", "kiosk": "Mode Electronic Discharge"}
    timings = []
    for _ in range(WARM_UP + times):
        started = time.perf_counter()
        with engine.connect() as conn:
            rows = month_return(conn, steps, bounds, modes)
        timings.append(time.perf_counter() - started)
    print(f"FFT return for November: {rows[0].total:,} answers")
    return statistics.median(timings[WARM_UP:])


def pages(env: dict, log: Path, one_site: str, times: int) -> dict:
    """Median seconds of each page, and of the static file, over HTTP."""
    from urllib.parse import urlencode

    paths = {
        "static": "/board/static/board.css",
        "figures_one_site": "/board/figures?" + urlencode({"site": one_site}),
        "figures_everything": "/board/figures",
        "fft_page": "/board/fft-return?month=2026-11",
    }
    with served(env, log) as (port, process):
        staff = Staff(port)
        staff.sign_in()
        timings = {name: [] for name in paths}
        for round_number in range(WARM_UP + times):
            for name, path in paths.items():
                started = time.perf_counter()
                staff.get(path)
                if round_number >= WARM_UP:
                    timings[name].append(time.perf_counter() - started)
        rss = peak_rss_mb(process.pid)
    found = {name: statistics.median(t) for name, t in timings.items()}
    found["board_rss_mb"] = rss
    return found


def export(env: dict, responses: int) -> dict:
    """`gateway export` of everything: its peak memory and its speed."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [GATEWAY, "export", "-o", "/dev/null"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    rss = 0.0
    while process.poll() is None:
        rss = max(rss, peak_rss_mb(process.pid))
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    said = process.stderr.read()
    failed = process.returncode != 0 or f"Exported {responses} response" not in said
    if failed:
        print(f"export went wrong: {said}")
    return {
        "export_mb": rss,
        "export_per_second": responses / elapsed,
        "failed": failed,
    }


def intake(engine, count: int) -> dict:
    """Records a second stored by the board's intake, in batches of BATCH."""
    from gateway.board.intake import accept_batch

    site_id = str(uuid.uuid4())
    from gateway.board.store import sites

    with writing(engine) as conn:
        sites.add_site(
            conn, "Intake", "", "2026-12-01T09:00:00Z", "2026-12-01T09:00:00Z"
        )
        sites.enrol_site(conn, "Intake", site_id, "0" * 64, "2026-12-01T09:00:00Z")
    records = [response_record(site_id) for _ in range(count)]
    started = time.perf_counter()
    for first in range(0, count, BATCH):
        with writing(engine) as conn:
            statuses = accept_batch(
                conn,
                {"site_id": site_id, "name": "Intake"},
                records[first : first + BATCH],
                "2026-12-01T10:00:00Z",
            )
        if any(s.get("status") not in ("stored", "already_had") for s in statuses):
            raise RuntimeError(f"intake refused a record: {statuses[0]}")
    return {"intake_per_second": count / (time.perf_counter() - started)}


def response_record(site_id: str) -> dict:
    """One closed response as a site's sync queue carries it."""
    response_id = str(uuid.uuid4())
    at = "2026-11-20T09:02:00Z"
    body = {
        "id": response_id,
        "site_id": site_id,
        "participant": None,
        "flow_id": "benchmark",
        "flow_version": "1",
        "channel": "kiosk",
        "language": "en",
        "kiosk": "Lounge",
        "helped": False,
        "started_at": "2026-11-20T09:00:00Z",
        "closed_at": at,
        "status": "complete",
        "close_reason": "completed",
        "opening_text": None,
        "answers": [
            {
                "step_id": f"q{n}",
                "position": n,
                "value": "good",
                "raw": "Good",
                "prompt": "How was it?",
                "state": "answered",
                "answered_at": at,
            }
            for n in range(5)
        ],
    }
    return {
        "id": response_id,
        "kind": "response",
        "queued_at": at,
        "body": json.dumps(body),
    }


def report(results: dict) -> None:
    print("\n== results")
    for name, found in results.items():
        static = found["static"]
        print(f"\n{name}:")
        print(
            f"  FFT return (last month)  {found['fft_seconds'] * 1000:8.0f} ms  "
            f"{verdict(found['fft_seconds'] <= TARGETS['fft_seconds'])} (< 1 s)"
        )
        for page in ("figures_one_site", "figures_everything", "fft_page"):
            print(
                f"  {page:<24} {found[page] * 1000:8.0f} ms  "
                f"{found[page] / static:8.1f}x the static file"
            )
        print(f"  static file              {static * 1000:8.1f} ms")
        print(f"  board process peak       {found['board_rss_mb']:8.0f} MB")
        print(f"  intake                   {found['intake_per_second']:8.0f} records/s")
        print(
            f"  export                   {found['export_per_second']:8.0f} "
            f"responses/s  "
            f"{verdict(found['export_per_second'] >= TARGETS['export_per_second'])}"
            f" (>= 20,000/s)"
        )
        print(
            f"  export peak memory       {found['export_mb']:8.0f} MB  "
            f"{verdict(found['export_mb'] <= TARGETS['export_mb'])} (< 100 MB)"
        )
    if {"sqlite", "postgresql"} <= set(results):
        lite, pg = results["sqlite"], results["postgresql"]
        ratio = pg["intake_per_second"] / lite["intake_per_second"]
        print(
            f"\nintake, PostgreSQL against SQLite: {ratio:.2f}x  "
            f"{verdict(ratio >= TARGETS['intake_ratio'])} (>= 0.5x)"
        )
        for key in ("fft_seconds", "figures_one_site", "figures_everything"):
            print(f"{key}, PostgreSQL against SQLite: {pg[key] / lite[key]:.2f}x")


def verdict(met: bool) -> str:
    return "PASS" if met else "MISS"


if __name__ == "__main__":
    sys.exit(main())
