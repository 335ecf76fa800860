"""The board's stream to its sites (gateway/board/store/stream.py), on SQLite
and PostgreSQL: who gets what, the cursor, the order records become visible
in, and the opt changes a site sends, which go on to every other site."""

from __future__ import annotations

import json

import pytest
from alembic import command as alembic_command
from alembic.config import Config
from sqlalchemy import insert, select

from gateway.board import migrations
from gateway.board.database import make_engine, reading, writing
from gateway.board.intake import accept_batch
from gateway.board.schema import records, stream
from gateway.board.store import stream as board_stream
from gateway.sync.records import canonical
from tests.board.test_postgres import second_waits_for_first

NOW = "2026-12-01T09:00:00Z"
PERSON = "a" * 64


def publish(board, kind="note", sites=None, from_site=None, **body) -> int:
    with writing(board.engine) as conn:
        return board_stream.publish(
            conn, kind, body, NOW, sites=sites, from_site=from_site
        )


def pulled(board, site_id: str, cursor: int = 0, limit: int = 100):
    with reading(board.engine) as conn:
        return board_stream.since(conn, cursor, site_id, limit)


def test_a_record_for_every_site_goes_to_each_but_the_one_it_came_from(board):
    seq = publish(board, "opt_out", from_site="oak", participant=PERSON, at=NOW)

    found, cursor = pulled(board, "elm")
    assert [(r["seq"], r["kind"], r["body"]) for r in found] == [
        (seq, "opt_out", {"participant": PERSON, "at": NOW})
    ]
    assert cursor == seq
    assert pulled(board, "oak") == ([], seq)  # never back, but the cursor moves on


def test_a_record_for_some_sites_goes_to_those_only(board):
    for_two = publish(board, sites=["oak", "elm"], words="for two")
    for_all = publish(board, words="for all")

    assert [r["seq"] for r in pulled(board, "oak")[0]] == [for_two, for_all]
    assert [r["seq"] for r in pulled(board, "elm")[0]] == [for_two, for_all]
    assert [r["seq"] for r in pulled(board, "ash")[0]] == [for_all]


def test_each_record_has_its_own_id(board):
    first, second = publish(board), publish(board)

    found, _ = pulled(board, "oak")

    assert [r["seq"] for r in found] == [first, second]
    assert len({r["id"] for r in found}) == 2


def test_the_cursor_moves_past_records_for_other_sites(board):
    """A site need not read another site's records again and again."""
    publish(board, sites=["oak"])
    last = publish(board, sites=["oak"])

    assert pulled(board, "elm") == ([], last)
    assert pulled(board, "elm", cursor=last) == ([], last)


def test_a_full_answer_stops_at_its_last_record(board):
    seqs = [publish(board, n=n) for n in range(5)]

    found, cursor = pulled(board, "oak", limit=2)
    assert [r["seq"] for r in found] == seqs[:2] and cursor == seqs[1]
    found, cursor = pulled(board, "oak", cursor=cursor, limit=2)
    assert [r["seq"] for r in found] == seqs[2:4] and cursor == seqs[3]
    found, cursor = pulled(board, "oak", cursor=cursor, limit=2)
    assert [r["seq"] for r in found] == seqs[4:] and cursor == seqs[4]
    assert pulled(board, "oak", cursor=cursor) == ([], cursor)


@pytest.mark.postgresql_board  # SQLite lets one writer in at a time anyway
def test_records_become_visible_in_the_order_of_their_seq(board):
    """A site pulls "after seq N": a record committed after a later one
    would never reach a site that pulled between. So a second publish
    waits for the first to commit."""
    seen_meanwhile = []

    def first(conn):
        return board_stream.publish(conn, "note", {"n": 1}, NOW)

    def second(conn):
        seen_meanwhile.extend(pulled(board, "oak")[0])
        return board_stream.publish(conn, "note", {"n": 2}, NOW)

    waited, first_seq, second_seq = second_waits_for_first(board.engine, first, second)

    assert waited
    assert seen_meanwhile == []
    assert first_seq < second_seq
    assert [r["seq"] for r in pulled(board, "oak")[0]] == [first_seq, second_seq]


def test_an_opt_out_a_site_sends_is_published_once_for_the_others(board):
    site = {"site_id": "oak", "name": "Oak"}
    change = canonical({"participant": PERSON, "at": NOW})
    record = {"id": "opt-1", "kind": "opt_out", "queued_at": NOW, "body": change}

    for _ in range(2):  # the same batch again, as after a lost answer
        with writing(board.engine) as conn:
            accept_batch(conn, site, [record], NOW)

    with reading(board.engine) as conn:
        kept = conn.execute(select(stream.c.kind, stream.c.from_site)).all()
    assert kept == [("opt_out", "oak")]
    found, _ = pulled(board, "elm")
    assert [r["body"] for r in found] == [json.loads(change)]


@pytest.fixture
def empty_board_url(board_engine, request, tmp_path) -> str:
    """A board database with no tables yet, on this test's engine."""
    if board_engine == "sqlite":
        return str(tmp_path / "board.sqlite3")
    return request.getfixturevalue("empty_postgres_url")


def test_the_upgrade_puts_the_opt_changes_already_stored_on_the_stream(
    empty_board_url,
):
    engine = make_engine(empty_board_url, create=True)
    try:
        with engine.connect() as conn:
            config = Config()
            config.set_main_option("script_location", str(migrations.SCRIPTS))
            config.attributes["connection"] = conn
            alembic_command.upgrade(config, "0002")  # the board before the stream
            conn.commit()
        with writing(engine) as conn:
            for n, (site_id, kind) in enumerate(
                [("oak", "opt_out"), ("oak", "response"), ("elm", "opt_in")]
            ):
                conn.execute(
                    insert(records).values(
                        record_id=f"record-{n}",
                        site_id=site_id,
                        kind=kind,
                        body=json.dumps({"participant": PERSON, "at": NOW}),
                        body_hash=f"hash-{n}",
                        queued_at=NOW,
                        received_at=NOW,
                    )
                )

        assert migrations.upgrade(empty_board_url) == migrations.revisions()[2:]

        with reading(engine) as conn:
            kept = conn.execute(
                select(stream.c.kind, stream.c.from_site, stream.c.every_site).order_by(
                    stream.c.seq
                )
            ).all()
            for_oak, _ = board_stream.since(conn, 0, "oak", 100)
        assert kept == [("opt_out", "oak", True), ("opt_in", "elm", True)]
        assert [(r["kind"], r["body"]) for r in for_oak] == [
            ("opt_in", {"participant": PERSON, "at": NOW})
        ]
    finally:
        engine.dispose()
