"""A board's database filled fast with N synthetic responses, for benchmarks.

`fill_board(engine, n)` writes N closed Friends and Family responses from many
sites over a year, oldest first with time-ordered ids as sites make them,
with their answers (a third say why in their own words, kept for the word
search as intake keeps them), some tags (one staff-only) and pseudonyms for
text messages. Bulk inserts (executemany), one transaction per CHUNK, so a
million responses take a few minutes on SQLite. Nothing is test data.

As a script, it makes a fresh install with role board in a new FOLDER and
fills it, then prints the settings to run a command against it, such as:

    .venv/bin/python benchmarks/board_data.py /tmp/b100k --responses 100000
    GATEWAY_INSTANCE_PATH=/tmp/b100k GATEWAY_ROLE=board GATEWAY_SITE=b100k \\
        /usr/bin/time -v .venv/bin/gateway export -o /tmp/b100k.csv

On a 2-core machine it makes about 6,000 to 10,000 responses a second.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import uuid
from bisect import bisect
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# After the path is set, so the script runs from anywhere:
from sqlalchemy import insert  # noqa: E402

from gateway.board import demo, schema  # noqa: E402
from gateway.board.database import writing  # noqa: E402
from gateway.board.store.own_words import folded  # noqa: E402

CHUNK = 20_000  # responses a transaction
YEAR = 365 * 24 * 3600
TREES = ("Oak", "Elm", "Ash", "Birch", "Cedar", "Willow", "Rowan", "Hazel", "Maple")
PLACES = ("House", "Court", "Lodge", "Grange", "View", "Gardens")
LABELS = {"very_good": "Very good", "good": "Good", "neither": "Neither good nor poor"}
LABELS |= {"poor": "Poor", "very_poor": "Very poor", "dont_know": "Don't know"}
WORDS = {"very_good": demo.KIND_WORDS, "good": demo.KIND_WORDS}
WORDS |= {"neither": demo.MIXED_WORDS, "dont_know": demo.MIXED_WORDS}
WORDS |= {"poor": demo.COMPLAINTS, "very_poor": demo.COMPLAINTS}
TAGS = ("food", "waiting", "staffing", "praise")
STAFF_TAG = "safeguarding"  # staff only
SAME = {"flow_id": "friends-and-family", "flow_version": "1", "language": "en"}
SAME |= {"status": "complete", "close_reason": "completed", "opening_text": None}
SAME |= {"is_test": False, "entered_by": None, "assigned_to": None}


class Weighted:
    """rng.choices for one pick, without its cost on every call."""

    def __init__(self, shares: dict):
        self.values = list(shares)
        self.bounds = list(accumulate(shares.values()))

    def pick(self, rng: random.Random):
        return self.values[bisect(self.bounds, rng.random() * self.bounds[-1])]


def site_names(count: int) -> list[str]:
    names = [f"{tree} {place}" for place in PLACES for tree in TREES]
    more = [f"{name} {n}" for n in range(2, 2 + count // len(names)) for name in names]
    return (names + more)[:count]


def fill_board(
    engine,
    responses: int,
    *,
    sites: int = 50,
    seed: int = 2026,
    now: datetime | None = None,
    chunk: int = CHUNK,
) -> list[str]:
    """Add `sites` enrolled sites, the tags, and `responses` responses closed
    over the year before `now`; the sites' names."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    now = now or datetime.now(UTC).replace(microsecond=0)
    names = site_names(sites)
    made = {"enrolled_at": iso(now), "created_at": iso(now)}
    site_ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in names]
    with writing(engine) as conn:
        conn.execute(
            insert(schema.sites),
            [
                {"name": name, "site_id": site_id, "secret": "0" * 64} | made
                for name, site_id in zip(names, site_ids, strict=True)
            ],
        )
        conn.execute(
            insert(schema.tags),
            [
                {"name": name, "staff_only": name == STAFF_TAG, "description": ""}
                | {"created_at": made["created_at"]}
                for name in (*TAGS, STAFF_TAG)
            ],
        )
    busy = Weighted({i: rng.uniform(0.3, 3) for i in range(len(names))})
    start = now - timedelta(seconds=YEAR)
    gaps = YEAR / max(responses, 1)
    for first in range(0, responses, chunk):
        batch = Batch()
        for n in range(first, min(first + chunk, responses)):
            closed = start + timedelta(seconds=int(n * gaps) + 1)
            batch.add(rng, closed, site_ids[busy.pick(rng)])
        batch.write(engine)
    return names


OVERALL = Weighted(demo.OVERALL)
CHANNEL = Weighted(demo.CHANNELS)


class Batch:
    """One transaction's rows, table by table."""

    def __init__(self):
        self.responses, self.answers, self.words, self.tagged = [], [], [], []

    def add(self, rng: random.Random, closed: datetime, site_id: str) -> None:
        at, began = iso(closed), iso(closed - timedelta(minutes=3))
        overall, channel = OVERALL.pick(rng), CHANNEL.pick(rng)
        why = rng.choice(WORDS[overall]) if rng.random() < 1 / 3 else None
        response_id = time_ordered_id(rng, closed)
        sms = channel == "sms"
        self.responses.append(
            SAME
            | {
                "id": response_id,
                "site_id": site_id,
                "participant_id": f"p-{rng.getrandbits(48):012x}" if sms else None,
                "channel": channel,
                "kiosk": "Reception" if channel == "kiosk" else None,
                "helped": not sms and rng.random() < 0.2,
                "started_at": began,
                "closed_at": at,
                "received_at": at,
                "review_status": "closed" if rng.random() < 0.8 else "new",
                "flagged": rng.random() < 0.02,
                "has_free_text": why is not None,
            }
        )
        contact = rng.choice(("yes", "no")) if sms else None
        steps = (
            ("overall", overall, LABELS[overall]),
            ("why", why, why),
            ("contact", contact, contact.title() if contact else None),
        )
        for position, (step, value, raw) in enumerate(steps):
            self.answers.append(
                {
                    "response_id": response_id,
                    "step_id": step,
                    "position": position,
                    "value": value,
                    "raw": raw,
                    "prompt": f"The {step} question",
                    "state": "answered" if value else "not_reached",
                    "answered_at": at,
                }
            )
        if why:
            said = folded(why)
            self.words.append(
                {"response_id": response_id, "step_id": "why", "words": said}
                | {"words_for_members": said}
            )
        if rng.random() < 0.08:
            self.tagged.append({"response_id": response_id, "tag": rng.choice(TAGS)})
        if overall == "very_poor" and rng.random() < 0.02:
            self.tagged.append({"response_id": response_id, "tag": STAFF_TAG})

    def write(self, engine) -> None:
        with writing(engine) as conn:
            for table, rows in (
                (schema.responses, self.responses),
                (schema.answers, self.answers),
                (schema.own_words, self.words),
                (schema.response_tags, self.tagged),
            ):
                if rows:
                    conn.execute(insert(table), rows)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def time_ordered_id(rng: random.Random, moment: datetime) -> str:
    """A UUIDv7 of `moment`, as sites make ids: they sort by time."""
    ms = int(moment.timestamp() * 1000)
    bits = (ms << 80) | (7 << 76) | (rng.getrandbits(12) << 64) | (2 << 62)
    return str(uuid.UUID(int=bits | rng.getrandbits(62)))


def main() -> int:
    from benchmarks.gateway_process import install
    from gateway.board.database import make_engine

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a new folder for the install")
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--sites", type=int, default=50)
    args = parser.parse_args()
    if args.folder.exists() and any(args.folder.iterdir()):
        parser.error(f"{args.folder} is not empty")
    args.folder.mkdir(parents=True, exist_ok=True)
    install(args.folder.resolve(), role="board")
    engine = make_engine(str(args.folder / "board.sqlite3"))
    started = time.monotonic()
    fill_board(engine, args.responses, sites=args.sites)
    taken = time.monotonic() - started
    print(
        f"{args.responses:,} responses from {args.sites} sites in {taken:.1f} s "
        f"({args.responses / taken:,.0f} a second). To use it:\n"
        f"  GATEWAY_INSTANCE_PATH={args.folder.resolve()} GATEWAY_ROLE=board "
        f"GATEWAY_SITE={args.folder.resolve().name} .venv/bin/gateway ..."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
