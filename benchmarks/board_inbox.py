"""How fast the board's inbox answers with a year of feedback, against a static file.

Makes a fresh install with role board (`gateway init`), fills the board's
database straight through SQLAlchemy Core (bulk inserts, a transaction per
10,000 responses) with N Friends and Family responses from many sites over a
year, adds a staff user and serves it with `gateway serve` on 127.0.0.1. A
client keeping cookies signs in through the real form, then times, in turn
and many times each after a warm-up: the inbox's first page, a filtered page
(one site, "overall" poor or very poor, the last month), a word search, and
/board/static/board.css from the same server (the baseline). Prints median
and p95 of each, and each page's median against the static file's: target
under 20x, shown as PASS or MISS, never asserted.

Then prints SQLite's query plan for every statement the store runs for those
pages (captured from an engine made here against the same file, calling the
store's functions with the same filters), with its time, and flags any SCAN
of responses or answers that uses no index.

Exits 0 whatever the timings; 1 if a request failed, a page's folder counts
differ from what was put in the database, or the run passed --time-limit.

    .venv/bin/python benchmarks/board_inbox.py [--responses N] [--sites N]
                                               [--requests N] [--time-limit S]
"""

from __future__ import annotations

import argparse
import http.cookiejar
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from datetime import time as midnight
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# After the path is set, so the script runs from anywhere:
from sqlalchemy import event, insert  # noqa: E402

from benchmarks.board_data import iso, site_names, time_ordered_id  # noqa: E402
from benchmarks.gateway_process import install, served  # noqa: E402
from gateway.board import demo, schema  # noqa: E402
from gateway.board.accounts import hash_password  # noqa: E402
from gateway.board.database import make_engine, reading, writing  # noqa: E402
from gateway.board.store import (  # noqa: E402
    accounts,
    filter_choices,
    inbox,
    own_words,
)

EMAIL, PASSWORD = "staff@example.org", "benchmark staff password 2026"  # noqa: S105
ZONE = "Europe/London"  # the board's GATEWAY_TIMEZONE for the run
SEARCH = "cold"  # in one complaint: a word search finds about 1 response in 100
FAILING = ("poor", "very_poor")
TARGET = 20  # a page's median under 20x the static file's
WARM_UP = 5
CHUNK = 10_000  # responses a transaction
YEAR = 365 * 24 * 3600
CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
COUNTS = re.compile(r'folder=(\w+)"[^>]*>\w+ <span class="board-folders__count">(\d+)')
LABELS = {"very_good": "Very good", "good": "Good", "neither": "Neither good nor poor"}
LABELS |= {"poor": "Poor", "very_poor": "Very poor", "dont_know": "Don't know"}
KIND, MIXED, SAD = demo.KIND_WORDS, demo.MIXED_WORDS, demo.COMPLAINTS
WORDS = {"very_good": KIND, "good": KIND, "neither": MIXED, "dont_know": MIXED}
WORDS |= {"poor": SAD, "very_poor": SAD}
TOPICS = ("food", "waiting", "staffing", "praise")  # tags; "safeguarding" is staff only
SAME = {"flow_id": "friends-and-family", "flow_version": "1", "language": "en"}
SAME |= {"status": "complete", "close_reason": "completed", "opening_text": None}
ALERT = {"step_id": "why", "category": "self_harm", "rule": "a bundled phrase"}


class OutOfTime(Exception):
    """The run passed --time-limit."""


def fill(engine, args, now: datetime, filtered: dict, deadline: float) -> dict:
    """The board's sites, tags and a year of responses, oldest first, as they
    would have arrived; how many of them each page's folders should count."""
    rng = random.Random(2026)  # noqa: S311 - test data, not secrets
    names = site_names(args.sites)
    ids = {name: time_ordered_id(rng, now) for name in names}
    busy = [rng.uniform(0.3, 3) for _ in names]  # some sites are busier
    made = {"enrolled_at": iso(now), "created_at": iso(now)}
    with writing(engine) as conn:
        sites = [{"name": n, "site_id": ids[n], "secret": "0" * 64} for n in names]
        conn.execute(insert(schema.sites), [site | made for site in sites])
        tags = [{"name": n, "staff_only": False} for n in TOPICS]
        tags.append({"name": "safeguarding", "staff_only": True})
        conn.execute(
            insert(schema.tags), [t | made | {"description": ""} for t in tags]
        )
    ages = sorted((rng.randrange(YEAR) for _ in range(args.responses)), reverse=True)
    expect = {"first": {"new": 0}, "filtered": {"all": 0}, "search": {"all": 0}}
    for start in range(0, args.responses, CHUNK):
        if time.monotonic() > deadline:
            raise OutOfTime
        rows, given, said, tagged, alerted = [], [], [], [], []
        for age in ages[start : start + CHUNK]:
            site = rng.choices(names, weights=busy)[0]
            row, its_answers = one_response(rng, now, age, ids[site])
            rows.append(row)
            given += its_answers
            overall, why = its_answers[0]["value"], its_answers[1]["raw"] or ""
            expect["first"]["new"] += row["review_status"] == "new"
            expect["search"]["all"] += SEARCH in why.lower()
            if why:  # kept for the word search, as intake keeps it
                folded = own_words.folded(why)
                said.append({"response_id": row["id"], "step_id": "why"})
                said[-1] |= {"words": folded, "words_for_members": folded}
            expect["filtered"]["all"] += (
                site == filtered["site"]
                and overall in FAILING
                and filtered["from"] <= row["closed_at"] < filtered["before"]
            )
            if rng.random() < 0.08:
                tagged.append({"response_id": row["id"], "tag": rng.choice(TOPICS)})
            if overall == "very_poor" and rng.random() < 0.01:
                tagged.append({"response_id": row["id"], "tag": "safeguarding"})
                alerted.append(alert_for(row, rng))
        with writing(engine) as conn:
            conn.execute(insert(schema.responses), rows)
            conn.execute(insert(schema.answers), given)
            for table, found in (
                (schema.own_words, said),
                (schema.response_tags, tagged),
                (schema.alerts, alerted),
            ):
                if found:
                    conn.execute(insert(table), found)
    return expect


def one_response(rng, now: datetime, age: int, site_id: str) -> tuple[dict, list]:
    """A closed Friends and Family response `age` seconds ago, and its answers:
    a third say why, in one or two sentences in the tone of the answer."""

    def pick(shares: dict) -> str:
        return rng.choices(list(shares), weights=list(shares.values()))[0]

    closed = now - timedelta(seconds=age)
    at, overall, channel = iso(closed), pick(demo.OVERALL), pick(demo.CHANNELS)
    words = None
    if rng.random() < 1 / 3:
        words = " ".join(rng.sample(WORDS[overall], rng.choice((1, 1, 2))))
    older = age > 60 * 24 * 3600  # most of what is older has been dealt with
    shares = {"closed": 85, "actioned": 10, "new": 5}
    status = pick(shares if older else {"new": 80, "in_review": 15, "closed": 5})
    response_id = time_ordered_id(rng, closed - timedelta(minutes=3))
    sms = channel == "sms"
    row = SAME | {
        "id": response_id,
        "site_id": site_id,
        "participant_id": f"p-{rng.getrandbits(48):012x}" if sms else None,
        "channel": channel,
        "kiosk": "Reception" if channel == "kiosk" else None,
        "helped": not sms and rng.random() < 0.2,
        "started_at": iso(closed - timedelta(minutes=3)),
        "closed_at": at,
        "received_at": at,
        "review_status": status,
        "flagged": rng.random() < 0.02,
        "has_free_text": words is not None,
    }
    contact = rng.choice(("yes", "no")) if sms else None
    steps = [("overall", overall, LABELS[overall]), ("why", words, words)]
    steps.append(("contact", contact, contact.title() if contact else None))
    return row, [
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
        for position, (step, value, raw) in enumerate(steps)
    ]


def alert_for(row: dict, rng: random.Random) -> dict:
    status = "open" if rng.random() < 0.1 else "acknowledged"
    return ALERT | {
        "site_id": row["site_id"],
        "id": time_ordered_id(rng, datetime.now(UTC)),
        "response_id": row["id"],
        "raised_at": row["closed_at"],
        "received_at": row["closed_at"],
        "status": status,
    }


def add_staff(engine, now: str) -> None:
    with writing(engine) as conn:
        accounts.add_user(
            conn,
            email=EMAIL,
            name="Bench Staff",
            role="staff",
            now=now,
            password_hash=hash_password(PASSWORD),
        )


class Staff:
    """A browser's part: cookies kept, the sign-in form posted with its token."""

    def __init__(self, port: int):
        self.base = f"http://127.0.0.1:{port}"
        jar = urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        self.opener = urllib.request.build_opener(jar)

    def get(self, path: str) -> bytes:
        with self.opener.open(self.base + path, timeout=120) as response:
            if response.status != 200:
                raise RuntimeError(f"GET {path}: {response.status}")
            return response.read()

    def sign_in(self) -> None:
        token = CSRF.search(self.get("/board/sign-in").decode())[1]
        form = {"csrf_token": token, "email": EMAIL, "password": PASSWORD}
        with self.opener.open(
            self.base + "/board/sign-in", urlencode(form).encode(), timeout=60
        ) as response:  # follows the 302 to the inbox
            if "/sign-in" in response.geturl():
                raise RuntimeError("signing in did not work")


def measure(staff: Staff, pages: dict, requests: int, deadline: float):
    """Each page's times, in turn, after a warm-up; and each page's size.
    Stops early (complete False) at the deadline."""
    for _ in range(WARM_UP):
        for path in pages.values():
            staff.get(path)
    timings: dict[str, list[float]] = {name: [] for name in pages}
    sizes = {}
    for _ in range(requests):
        if time.monotonic() > deadline:
            return timings, sizes, False
        for name, path in pages.items():
            started = time.perf_counter()
            sizes[name] = len(staff.get(path))
            timings[name].append(time.perf_counter() - started)
    return timings, sizes, True


def wrong_counts(staff: Staff, pages: dict, expect: dict) -> list[str]:
    """Where a page's folder counts differ from what was put in the database."""
    found = []
    for name, wanted in expect.items():
        shown = dict(COUNTS.findall(staff.get(pages[name]).decode()))
        for folder, count in wanted.items():
            if shown.get(folder) != str(count):
                found.append(f"{name}: {folder} shows {shown.get(folder)}, not {count}")
    return found


def report(timings: dict, sizes: dict) -> None:
    static = statistics.median(timings["static"])
    rounds = len(timings["static"])
    print(f"\n{rounds} requests of each, in turn, after {WARM_UP} rounds to warm up:")
    print(
        f"\n{'request':<10} {'KB':>6} {'median ms':>10} {'p95 ms':>8} {'x static':>9}"
    )
    for name, taken in timings.items():
        median = statistics.median(taken)
        p95 = statistics.quantiles(taken, n=20)[-1] if len(taken) > 1 else taken[0]
        ratio = "" if name == "static" else f"{median / static:8.1f}x"
        print(
            f"{name:<10} {sizes[name] / 1024:6.1f} {median * 1000:10.1f}"
            f" {p95 * 1000:8.1f} {ratio:>9}"
        )
    print()
    for name, taken in timings.items():
        if name != "static":
            ratio = statistics.median(taken) / static
            verdict = "PASS" if ratio < TARGET else "MISS"
            print(
                f"{name + ' / static':<18} {ratio:7.1f}x  target < {TARGET}x  {verdict}"
            )


def print_plans(database: Path, asked: dict) -> None:
    """The plan and time of every statement the store runs for each page,
    from an engine of our own on the same file, calling the store directly."""
    engine = make_engine(str(database))
    with reading(engine) as conn:
        staff_id = accounts.user_by_email(conn, EMAIL)["id"]
    viewer = inbox.Viewer(user_id=staff_id, sites=None, sees_staff_only=True)

    def panel(conn):
        filter_choices.site_choices(conn, viewer)
        filter_choices.flows_found(conn)
        filter_choices.languages_found(conn)
        filter_choices.values_found(conn, "overall")

    calls = {"filter panel (on every page)": panel}

    def page(conn, filters, folder):  # as the inbox's view asks for one
        matches = inbox.folder_counts(conn, viewer, filters)[folder]
        inbox.page_of_responses(conn, viewer, filters, folder, matches=matches)

    for name, (filters, folder) in asked.items():
        calls[name] = lambda conn, f=filters, d=folder: page(conn, f, d)
    print("\nquery plans (EXPLAIN QUERY PLAN), each statement's time in-process:")
    for name, call in calls.items():
        with reading(engine) as conn:
            call(conn)  # once first, so the pages it reads are cached, as they are
        ran = statements_run(engine, call)
        print(f"\n{name}: {sum(took for *_, took in ran) * 1000:.1f} ms in all")
        with engine.connect() as conn:
            for statement, parameters, took in ran:
                print(f"  {took * 1000:8.1f} ms  {' '.join(statement.split())[:150]}")
                explain = "EXPLAIN QUERY PLAN " + statement
                depth = {0: 0}
                for node, parent, _, detail in conn.exec_driver_sql(
                    explain, parameters
                ):
                    depth[node] = depth.get(parent, 0) + 1
                    print(f"  {'':11}{'  ' * depth[node]}{detail}{flag(detail)}")
    engine.dispose()


def statements_run(engine, call) -> list[tuple[str, tuple, float]]:
    """The statements `call` sends in a read transaction (not BEGIN and the
    like), each with its parameters and how long it took."""
    seen: list = []

    def before(_conn, _cursor, statement, parameters, _context, _many):
        seen.append([statement, parameters, time.perf_counter()])

    def after(*_args):
        seen[-1][2] = time.perf_counter() - seen[-1][2]

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        with reading(engine) as conn:
            call(conn)
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    plain = ("BEGIN", "COMMIT", "ROLLBACK")
    return [tuple(s) for s in seen if not s[0].lstrip().upper().startswith(plain)]


def flag(detail: str) -> str:
    words = detail.split()
    scans = words[:1] == ["SCAN"] and len(words) > 1
    if scans and words[1] in ("responses", "answers") and "USING" not in detail:
        return "   <-- SCAN with no index"
    return ""


def start_of_day(day, zone: str = ZONE) -> str:
    """As the inbox's date filter turns a day into ISO UTC."""
    moment = datetime.combine(day, midnight.min, tzinfo=ZoneInfo(zone))
    return iso(moment.astimezone(UTC))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--responses", type=int, default=200_000)
    parser.add_argument("--sites", type=int, default=50)
    parser.add_argument("--requests", type=int, default=50, help="of each page")
    parser.add_argument(
        "--time-limit", type=float, default=600, help="seconds; past it, the run fails"
    )
    args = parser.parse_args()
    if args.responses < 1 or args.sites < 1 or args.requests < 1:
        parser.error("--responses, --sites and --requests must be at least 1")
    deadline = time.monotonic() + args.time_limit
    folder = Path(tempfile.mkdtemp(prefix="board-inbox-bench-"))
    try:
        return run(args, folder, deadline)
    except OutOfTime:
        limit = f"--time-limit {args.time_limit:g} s"
        print(f"\nstopped at {limit}. Try fewer --responses or --requests.")
        return 1
    except (RuntimeError, OSError) as error:
        print(f"\na request did not work: {error}")
        return 1
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(args, folder: Path, deadline: float) -> int:
    env = install(folder / "instance", "board")
    env.update(GATEWAY_SECURE_COOKIES="0", GATEWAY_TIMEZONE=ZONE)
    database = folder / "instance" / "board.sqlite3"
    now = datetime.now(UTC).replace(microsecond=0)
    today = now.astimezone(ZoneInfo(ZONE)).date()
    first_day, site = today - timedelta(days=30), site_names(args.sites)[0]
    window = {
        "from": start_of_day(first_day),
        "before": start_of_day(today + timedelta(1)),
    }
    engine = make_engine(str(database))
    print(f"filling the board: {args.responses:,} responses, {args.sites} sites...")
    started = time.perf_counter()
    expect = fill(engine, args, now, {"site": site, **window}, deadline)
    took = time.perf_counter() - started
    print(f"filled in {took:.1f} s ({args.responses / took:,.0f} responses a second)")
    add_staff(engine, iso(now))
    engine.dispose()
    chosen = {"site": site, "step": "overall", "value": FAILING}
    chosen |= {"date_from": first_day.isoformat(), "date_to": today.isoformat()}
    pages = {
        "static": "/board/static/board.css",
        "first": "/board/",
        "filtered": "/board/?" + urlencode({"folder": "all", **chosen}, doseq=True),
        "search": "/board/?" + urlencode({"folder": "all", "q": SEARCH}),
    }
    for name, path in pages.items():
        print(f"  {name:<9} {path}")
    with served(env, folder / "serve.log") as (port, _server):
        staff = Staff(port)
        staff.sign_in()
        wrong = wrong_counts(staff, pages, expect)
        timings, sizes, complete = measure(staff, pages, args.requests, deadline)
    if sizes:
        report(timings, sizes)
    filters = inbox.Filters(
        sites=(site,),
        step="overall",
        values=FAILING,
        closed_from=window["from"],
        closed_before=window["before"],
    )
    print_plans(
        database,
        {
            "first page": (inbox.Filters(), "new"),
            "filtered page": (filters, "all"),
            "word search": (inbox.Filters(words=SEARCH), "all"),
        },
    )
    print("\nfolder counts on the pages:", "; ".join(wrong) or "as in the database")
    if not complete:
        raise OutOfTime
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
