"""A site taking its board's stream (gateway/sync/stream.py): each record
applied exactly once, whatever comes again, and no record holding up the
ones behind it. The board here is a small stand-in answering `stream()`;
tests/sync/test_faults.py takes the stream from a real board through
faults and kills."""

from __future__ import annotations

import pytest

from gateway import store
from gateway.privacy import pseudonym
from gateway.sync import stream
from gateway.sync.client import SyncError
from gateway.sync.runner import sync_once
from gateway.sync.stream import UNKNOWN_KIND, pull_stream
from tests.posts import a_post
from tests.sync.helpers import MOMENT

AT = "2026-11-20T09:00:00Z"


class Board:
    """Answers a pull with the records after the cursor, `limit` at a time."""

    def __init__(self, records: list[dict], limit: int = 2):
        self.records, self.limit, self.asked = records, limit, []

    def stream(self, cursor: int) -> dict:
        self.asked.append(cursor)
        after = [r for r in self.records if r["seq"] > cursor][: self.limit]
        upto = after[-1]["seq"] if after else max([cursor, *self.seqs()])
        return {"records": after, "cursor": upto}

    def seqs(self) -> list[int]:
        return [r["seq"] for r in self.records]


def record(seq: int, kind: str, **body) -> dict:
    return {"seq": seq, "id": f"record-{seq}", "kind": kind, "body": body}


def opted_out(db, person: str) -> bool:
    row = db.execute("SELECT opted_out_at FROM participants WHERE id = ?", [person])
    found = row.fetchone()
    return found is not None and found[0] is not None


def taken(db) -> list[tuple]:
    return db.execute(
        """SELECT record_id, kind, applied_at IS NOT NULL, not_applied, body
           FROM stream_taken ORDER BY seq"""
    ).fetchall()


@pytest.fixture
def people(runtime) -> list[str]:
    return [pseudonym(runtime.pseudonym_key, f"+4477009001{n:02}") for n in range(5)]


def test_every_record_is_applied_once_and_the_cursor_moves_on(db, people):
    board = Board(
        [record(n + 1, "opt_out", participant=p, at=AT) for n, p in enumerate(people)]
    )

    assert pull_stream(db, board, lambda: MOMENT) == {"opt_out": 5}

    assert all(opted_out(db, person) for person in people)
    assert store.stream.cursor(db) == 5
    assert board.asked == [0, 2, 4, 5]
    assert [row[:3] for row in taken(db)] == [
        (f"record-{n}", "opt_out", 1) for n in range(1, 6)
    ]


def test_a_record_that_comes_again_is_passed_over(db, people):
    """As when a pass was killed after applying, before it knew: the board
    sends the same records again (here from a cursor that went back)."""
    change = record(1, "opt_out", participant=people[0], at=AT)
    pull_stream(db, Board([change]), lambda: MOMENT)
    store.core.set_meta(db, store.stream.CURSOR, "0")
    db.execute("UPDATE participants SET opted_out_at = NULL")

    assert pull_stream(db, Board([change]), lambda: MOMENT) == {}

    assert not opted_out(db, people[0])  # not applied a second time
    assert len(taken(db)) == 1


def test_a_kind_this_version_does_not_know_is_kept_for_later(db, people, monkeypatch):
    board = Board(
        [
            record(1, "newer", words="We fixed the lift."),
            record(2, "opt_out", participant=people[0], at=AT),
        ]
    )

    assert pull_stream(db, board, lambda: MOMENT) == {"opt_out": 1}

    assert opted_out(db, people[0])  # the record behind it went on
    assert store.stream.cursor(db) == 2
    kept = taken(db)[0]
    assert kept == (
        "record-1",
        "newer",
        0,
        UNKNOWN_KIND,
        '{"words":"We fixed the lift."}',
    )

    # A later version knows the kind: the first pull after the upgrade applies it.
    seen = []
    monkeypatch.setitem(
        stream.APPLIERS, "newer", lambda _db, _kind, body, _now: seen.append(body) or 1
    )
    assert pull_stream(db, board, lambda: MOMENT) == {"newer": 1}
    assert seen == [{"words": "We fixed the lift."}]
    assert taken(db)[0] == ("record-1", "newer", 1, None, None)
    assert pull_stream(db, board, lambda: MOMENT) == {}
    assert len(seen) == 1


def test_a_record_that_fails_is_undone_alone_and_tried_again_each_pass(
    db, people, monkeypatch
):
    def half_then_fail(db, _kind, body, _now):
        store.sync.apply_opt_change(db, body["participant"], True, AT)
        raise OSError("disk full")

    monkeypatch.setitem(stream.APPLIERS, "opt_out", half_then_fail)
    board = Board(
        [
            record(1, "opt_out", participant=people[1], at=AT),
            record(2, "opt_in", participant=people[0], at=AT),
        ]
    )

    assert pull_stream(db, board, lambda: MOMENT) == {}

    assert not opted_out(db, people[1])  # its half-done change was undone
    assert taken(db)[0][:4] == (
        "record-1",
        "opt_out",
        0,
        "could not be applied here (OSError); tried again each pass",
    )
    assert taken(db)[1][2] == 1  # the record behind it went on
    assert store.stream.cursor(db) == 2
    assert pull_stream(db, board, lambda: MOMENT) == {}  # tried again: fails

    monkeypatch.setitem(stream.APPLIERS, "opt_out", stream.apply_opt_change)
    assert pull_stream(db, board, lambda: MOMENT) == {"opt_out": 1}
    assert opted_out(db, people[1])
    assert taken(db)[0][2:] == (1, None, None)


def test_a_malformed_opt_change_is_kept_with_the_reason(db, people):
    board = Board(
        [
            record(1, "opt_out", participant="not a pseudonym", at=AT),
            record(2, "opt_out", participant=people[0], at="yesterday"),
            {"seq": 3, "id": "record-3", "kind": "opt_out", "body": [1]},
            {"seq": 4, "id": "record-4", "kind": ["opt_out"], "body": {}},
            record(5, "opt_out", participant=people[1], at=AT),
        ]
    )

    assert pull_stream(db, board, lambda: MOMENT) == {"opt_out": 1}

    reasons = [row[3] for row in taken(db)]
    assert reasons == ["an opt change must name a participant and a time"] * 2 + [
        stream.MALFORMED
    ] * 2 + [None]
    assert taken(db)[2][4] == "[1]"  # kept as it came
    assert store.stream.cursor(db) == 5
    assert pull_stream(db, board, lambda: MOMENT) == {}  # not tried again


@pytest.mark.parametrize(
    "answer",
    [
        {"records": [{"seq": 1, "id": "", "kind": "opt_out", "body": {}}], "cursor": 1},
        {"records": [{"seq": 2**63, "id": "r", "kind": "x", "body": {}}], "cursor": 1},
        {"records": [{"seq": True, "id": "r", "kind": "x", "body": {}}], "cursor": 1},
        {"records": [{"seq": 5, "id": "r", "kind": "x", "body": {}}], "cursor": 3},
        {"records": [{"id": "r", "kind": "x", "body": {}}], "cursor": 1},
        {"records": [], "cursor": 2**63},
        {"records": [], "cursor": -1},
        {"records": {}, "cursor": 1},
    ],
)
def test_an_answer_with_no_usable_id_or_place_moves_nothing(db, answer):
    class Answers:
        def stream(self, _cursor):
            return answer

    with pytest.raises(SyncError):
        pull_stream(db, Answers(), lambda: MOMENT)

    assert taken(db) == []
    assert store.stream.cursor(db) == 0


def test_a_board_older_than_the_stream_does_not_fail_the_pass(db, caplog):
    class OlderBoard:
        def push(self, _records):
            return [], "2026-11-21T09:00:00Z"

        def stream(self, _cursor):
            raise SyncError("the board answered 404", 404)

        def alerts_dealt_with(self, _ids):
            return []

    summary = sync_once(db, OlderBoard(), lambda: MOMENT, 10)

    assert summary.error is None
    assert "Upgrade the board." in caplog.text


def test_sync_status_says_how_far_the_stream_was_taken_and_what_was_not_applied(
    db, runner, people
):
    board = Board([record(1, "newer", words="hi"), record(7, "newer", words="hello")])
    pull_stream(db, board, lambda: MOMENT)

    said = runner.invoke(["sync", "status"]).output

    assert "From the board: taken up to record 7." in said
    assert f"  not applied: 2 newer, {UNKNOWN_KIND}" in said


POST = a_post()


def test_a_post_is_kept_once_for_the_kiosk_and_the_texts(db):
    board = Board([record(1, "post", **POST), record(2, "post", **POST)])

    assert pull_stream(db, board, lambda: MOMENT) == {"post": 1}

    assert [p["words"] for p in store.posts.newest(db, "kiosk")] == [POST["words"]]
    assert store.posts.newest(db, "sms")[0]["took_part"] == ["staff", "members"]


@pytest.mark.parametrize(
    "change",
    [
        {"rung": "voting"},
        {"channels": []},
        {"channels": ["fax"]},
        {"words": ""},
        {"words": "x" * 601},
        {"published_at": "soon"},
        {"published_at": "2026-11-20"},
        {"took_part": "staff"},
        {"took_part": ["staff", "staff"]},
        {"words": "   "},
        {"sms_words": ""},  # it goes by text
        {"rung": "informing"},  # and says no reason
        {"words": "We fixed it.\x1b[2J"},
    ],
)
def test_a_malformed_post_is_kept_aside_with_the_reason(db, change):
    board = Board([record(1, "post", **(POST | change))])

    assert pull_stream(db, board, lambda: MOMENT) == {}

    reason = "a post must have its words, choices and time, in bounds"
    assert taken(db)[0][3] == reason
    assert store.posts.newest(db, "kiosk") == []


def test_a_post_in_lines_is_kept(db):
    lines = "You said the lift broke.\nWe fixed it.\r\n\tThank you."
    board = Board([record(1, "post", **a_post(words=lines))])

    assert pull_stream(db, board, lambda: MOMENT) == {"post": 1}


def test_a_fault_that_undoes_the_whole_batch_commits_none_of_it(
    db, people, monkeypatch
):
    """SQLite may roll back a whole transaction on a full disk, not just the
    savepoint: then nothing of the batch, nor the cursor, may be committed."""

    def lose_the_transaction(db, _kind, _body, _now):
        db.conn.execute("ROLLBACK")
        raise OSError("disk full")

    board = Board(
        [
            record(1, "opt_out", participant=people[0], at=AT),
            record(2, "broken", participant=people[1], at=AT),
        ]
    )
    monkeypatch.setitem(stream.APPLIERS, "broken", lose_the_transaction)

    with pytest.raises(OSError, match="disk full"):  # the fault itself
        pull_stream(db, board, lambda: MOMENT)

    assert taken(db) == [] and store.stream.cursor(db) == 0
    monkeypatch.setitem(stream.APPLIERS, "broken", lambda *_: True)
    assert pull_stream(db, board, lambda: MOMENT) == {"opt_out": 1, "broken": 1}
    assert opted_out(db, people[0])
