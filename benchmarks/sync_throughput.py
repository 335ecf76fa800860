"""How fast a site's responses reach the board over HTTP, against the board's ceiling.

Makes a site with N closed responses of 5 answers each (queued by the same
triggers as real ones), serves a board with `gateway serve` on 127.0.0.1,
enrols the site, and times `gateway sync run` until the queue is empty. In the
same run it times the ceiling: the same records, in batches of the same size,
stored straight into a fresh board SQLite file by the board's own intake code,
with no HTTP. Prints records per second for both, the ratio, and the peak RSS
of the sync process and of the board. Targets: at least 0.25x the ceiling,
each process under 150 MB. Never asserts a time; exits 1 only if the board
does not end up holding exactly the site's records.

    .venv/bin/python benchmarks/sync_throughput.py [--responses N]
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.gateway_process import (  # noqa: E402 - after the path is set
    GATEWAY,
    database,
    gateway,
    install,
    peak_rss_mb,
    served,
)

ANSWERS = 5


def make_site_data(path: str, count: int) -> None:
    """Closed responses with their answers; the triggers queue each one."""
    from gateway.ids import uuid7

    conn = sqlite3.connect(path)
    site_id = conn.execute("SELECT value FROM meta WHERE key = 'site_id'").fetchone()[0]
    with conn:
        ids = [uuid7() for _ in range(count)]
        conn.executemany(
            """INSERT INTO responses (id, site_id, flow_id, flow_version, channel,
                   language, kiosk, started_at, status)
               VALUES (?, ?, 'benchmark', 1, 'kiosk', 'en', 'Lounge',
                   '2026-11-20T09:00:00Z', 'open')""",
            [(rid, site_id) for rid in ids],
        )
        conn.executemany(
            """INSERT INTO answers (response_id, step_id, position, value, raw, prompt,
                   state, answered_at)
               VALUES (?, ?, ?, 'good', 'Good', 'How was it?', 'answered',
                   '2026-11-20T09:01:00Z')""",
            [(rid, f"q{n}", n) for rid in ids for n in range(ANSWERS)],
        )
        conn.execute(
            """UPDATE responses SET status = 'complete', close_reason = 'completed',
                   closed_at = '2026-11-20T09:02:00Z'"""
        )
    conn.close()


def ceiling(site_path: str, folder: Path, batch: int) -> float:
    """Records a second stored straight into a board file by the board's intake."""
    from gateway.board.intake import accept_batch
    from gateway.db import connect

    board_env = install(folder / "ceiling-board", "board")
    site = connect(site_path)
    records = [
        {
            "id": r["record_id"],
            "kind": r["kind"],
            "queued_at": r["queued_at"],
            "body": r["body"],
        }
        for r in site.query("SELECT record_id, kind, queued_at, body FROM sync_queue")
    ]
    site_id = site.query("SELECT value FROM meta WHERE key = 'site_id'").__next__()[
        "value"
    ]
    site.close()
    board = connect(database(board_env))
    started = time.perf_counter()
    for start in range(0, len(records), batch):
        accept_batch(
            board,
            {"site_id": site_id, "name": "ceiling"},
            records[start : start + batch],
            "2026-11-20T10:00:00Z",
        )
    elapsed = time.perf_counter() - started
    board.close()
    return len(records) / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="sync-bench-"))
    try:
        board_env = install(folder / "board", "board")
        site_env = install(folder / "site", "site")
        site_env["GATEWAY_SYNC_BATCH"] = str(args.batch)
        with served(board_env, folder / "board.log") as (port, board):
            added = gateway(board_env, "board", "add-site", "Bench")
            code = added.splitlines()[0].rsplit(" ", 1)[-1]
            gateway(site_env, "sync", "enroll", f"http://127.0.0.1:{port}", code)
            return measure(args, site_env, board_env, board, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def measure(args, site_env: dict, board_env: dict, board, folder: Path) -> int:
    print(f"making {args.responses:,} responses of {ANSWERS} answers at the site...")
    make_site_data(database(site_env), args.responses)
    started = time.perf_counter()
    syncing = subprocess.Popen(
        [GATEWAY, "sync", "run"],
        env=site_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    # VmHWM while it runs: ru_maxrss would count this parent's memory too,
    # copied at fork before the exec.
    sync_rss = 0.0
    while syncing.poll() is None:
        sync_rss = max(sync_rss, peak_rss_mb(syncing.pid))
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    summary = syncing.stdout.read().strip()
    syncing.stdout.close()
    board_rss = peak_rss_mb(board.pid)
    rate = args.responses / elapsed
    print(f"gateway sync run: {summary}")
    best = ceiling(database(site_env), folder, args.batch)
    on_board = sqlite3.connect(database(board_env))
    held = on_board.execute(
        "SELECT count(DISTINCT record_id), count(*) FROM board_records"
    ).fetchone()
    on_board.close()
    print()
    print(f"over HTTP (sync run)     {rate:10,.0f} records/s")
    print(f"ceiling (no HTTP)        {best:10,.0f} records/s")
    ratio = rate / best
    print()
    for label, value, target, met in (
        ("sync / ceiling", f"{ratio:6.2f}x", ">= 0.25x", ratio >= 0.25),
        ("sync process RSS", f"{sync_rss:6.1f} MB", "< 150 MB", sync_rss < 150),
        ("board process RSS", f"{board_rss:6.1f} MB", "< 150 MB", board_rss < 150),
    ):
        print(f"{label:<18} {value:>10}  target {target:<9} {_verdict(met)}")
    if held != (args.responses, args.responses) or syncing.returncode != 0:
        print(f"the board holds {held[1]} records ({held[0]} distinct)")
        return 1
    print(f"the board holds exactly the site's {args.responses:,} records")
    return 0


def _verdict(met: bool) -> str:
    return "PASS" if met else "MISS"


if __name__ == "__main__":
    sys.exit(main())
