"""The board's stream, taken exactly once through a hostile network and a
sync process killed again and again.

A real board process publishes records for every site, for this site only,
for another site only, and from this site itself; tests/sync/fault_proxy.py
sits between it and a real site install, resetting connections, cutting
answers, delaying, and answering like a captive portal, while `gateway
worker` is SIGKILLed at random moments. Afterwards the site must have taken
exactly the records meant for it, each applied once: none missing, none
doubled, none of another site's.
"""

from __future__ import annotations

import hashlib
import uuid

from gateway.board.database import make_engine, writing
from gateway.board.store import stream as board_stream
from tests.conftest import serve_gateway
from tests.posts import a_post
from tests.sync.fault_proxy import FaultProxy
from tests.sync.helpers import database, enrol, identity, install, rows, run
from tests.sync.test_faults import (
    HOSTILE,
    kill_syncing_workers_at_random,
    point_site_at,
    sync_until_done,
)

PUBLISHED = 4000  # a quarter each: every site, this site, another, from this site
# Every tenth is a post, the rest opt-outs.
KILLS = 8
AT = "2026-11-20T09:00:00Z"


def publish(board_env: dict, site_id: str) -> tuple[dict[str, str], int]:
    """Opt-outs on the board's stream; {record id: person} of those meant for
    `site_id`, and the last seq."""
    elsewhere = str(uuid.uuid4())
    engine = make_engine(database(board_env))
    ours, last = {}, 0
    try:
        with writing(engine) as conn:
            for n in range(PUBLISHED):
                person = hashlib.sha256(f"person {n}".encode()).hexdigest()
                kind, body = "opt_out", {"participant": person, "at": AT}
                if n % 10 == 0:
                    kind, body = "post", a_post(f"post-{n}")
                audience = [
                    {},
                    {"sites": [site_id]},
                    {"sites": [elsewhere]},
                    {"from_site": site_id},
                ][n % 4]
                record_id = f"stream-{n:05}"
                last = board_stream.publish(
                    conn, kind, body, AT, record_id=record_id, **audience
                )
                if n % 4 < 2:
                    ours[record_id] = body.get("participant") or body["id"]
    finally:
        engine.dispose()
    return ours, last


def not_yet_taken(expected: int):
    def left(site_env: dict) -> int:
        found = rows(database(site_env), "SELECT count(*) AS n FROM stream_taken")
        return expected - found[0]["n"]

    return left


def test_every_stream_record_is_applied_exactly_once_through_faults_and_kills(
    tmp_path,
):
    board_env = install(tmp_path / "board", "board")
    site_env = install(tmp_path / "site", "site")
    with serve_gateway(board_env, tmp_path / "board.log") as (board_url, process):
        enrol(site_env, board_env, board_url)
        site_id, _ = identity(site_env)
        ours, last = publish(board_env, site_id)
        proxy = FaultProxy([int(board_url.rsplit(":", 1)[1])], HOSTILE, seed=11)
        point_site_at(site_env, proxy.start())
        try:
            left = kill_syncing_workers_at_random(
                site_env, KILLS, seed=11, left=not_yet_taken(len(ours))
            )
            for _ in range(3):  # and some runs that end by themselves
                run(site_env, "sync", "run", check=False)
            proxy.set_weights(**{"pass": 1})
            sync_until_done(site_env)
        finally:
            proxy.stop()
        assert process.poll() is None, "the board must survive all of it"

    in_flight = [n for n in left if 0 < n < len(ours)]
    assert len(in_flight) >= 3, left  # kills landed while records were moving
    assert proxy.counts.get("cut", 0) > 0 and proxy.counts.get("reset", 0) > 0
    site = database(site_env)
    taken = rows(site, "SELECT record_id, applied_at FROM stream_taken")
    assert sorted(row["record_id"] for row in taken) == sorted(ours)  # once each
    assert all(row["applied_at"] for row in taken)
    opted_out = rows(site, "SELECT id FROM participants WHERE opted_out_at IS NOT NULL")
    kept = rows(site, "SELECT id FROM posts")
    applied = [row["id"] for row in opted_out] + [row["id"] for row in kept]
    assert sorted(applied) == sorted(ours.values())  # each once
    assert len(kept) == sum(v.startswith("post-") for v in ours.values()) > 0
    cursor = rows(site, "SELECT value FROM meta WHERE key = 'sync_stream_cursor'")
    assert cursor == [{"value": str(last)}]
