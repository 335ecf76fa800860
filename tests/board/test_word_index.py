"""The board's schema history against schema.py, and the word search: it finds
what reading every text would find, on SQLite through its word index (which
stays in step with every response stored, every passage hidden or shown, and
every text deleted) and on PostgreSQL by reading own_words with LIKE."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import delete, select

from gateway.board.database import reading, writing
from gateway.board.migrations import described_by_schema
from gateway.board.schema import metadata, own_words, responses
from gateway.board.store import hidden_words
from gateway.board.store import own_words as search
from tests.board.pages import NOW, rows_of

WHY = "why"
SAID = [
    "The tea was COLD again",
    "Staff were kind, the café was shut",
    "Nobody came when I rang the bell",
    "Jo Bloggs on nights was lovely",
    "100% better than last year",
    "Room_2 had a broken \\ shelf",
]
LOOKED_FOR = ["tea", "cold", "café", "CAFE", "the", "bell", "jo bloggs", "100%", "zz"]
# What LIKE would read as a pattern, unless escaped: each must find itself only.
PATTERN_CHARACTERS = ["%", "_", "\\", "0%", "m_2", "m%2", "100%", "% b", "\\ s"]


def add_answers(board) -> list[str]:
    return [
        board.add_response(
            "Oak House",
            [{"step_id": "overall", "value": "poor", "raw": "4"}]
            + [{"step_id": WHY, "value": words, "raw": words}],
        )
        for words in SAID
    ]


def found_by_search(board, words: str, as_staff: bool = True) -> set[str]:
    """What the search finds, checked against its other way (says(), one
    response at a time, which the inbox uses for the newest first)."""
    with reading(board.engine) as conn:
        held = set(conn.execute(search.holding(conn, words, as_staff)).scalars())
        one_by_one = select(responses.c.id).where(search.says(words, as_staff))
        assert set(conn.execute(one_by_one).scalars()) == held, words
    return held


def found_by_reading_everything(board, words: str, as_staff: bool = True):
    column = "words" if as_staff else "words_for_members"
    with reading(board.engine) as conn:
        rows = conn.execute(select(own_words)).mappings().all()
    wanted = search.folded(words)
    return {row["response_id"] for row in rows if wanted in row[column]}


def index_is_sound(board) -> None:
    """FTS5's own check of its index against own_words; raises if not. (On
    PostgreSQL there is no index: the search reads own_words itself.)"""
    if board.engine.dialect.name != "sqlite":
        return
    with writing(board.engine) as conn:
        conn.exec_driver_sql(
            "INSERT INTO own_words_index(own_words_index, rank)"
            " VALUES ('integrity-check', 1)"
        )


def test_the_schema_history_makes_what_schema_py_describes(board):
    with board.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_object": described_by_schema}
        )
        assert compare_metadata(context, metadata) == []


def test_the_index_finds_what_reading_every_text_finds(board):
    made = add_answers(board)
    assert found_by_search(board, "cold") == {made[0]}
    assert found_by_search(board, "CAFE") == set()  # É is not E
    for words in LOOKED_FOR:
        assert found_by_search(board, words) == found_by_reading_everything(
            board, words
        ), words
    index_is_sound(board)


def test_what_like_reads_as_a_pattern_is_searched_for_as_itself(board):
    made = add_answers(board)
    for words in PATTERN_CHARACTERS:
        assert found_by_search(board, words) == found_by_reading_everything(
            board, words
        ), words
    assert found_by_search(board, "m_2") == {made[5]}
    assert found_by_search(board, "m%2") == set()
    assert found_by_search(board, "ROOM_2") == {made[5]}  # any case, on each engine
    assert found_by_search(board, "\\") == {made[5]}


def test_the_index_follows_hidden_passages_and_deleted_texts(board):
    made = add_answers(board)
    bloggs = made[3]
    board.add_user("staff", name="Sam")
    sam = next(u["id"] for u in rows_of(board, "users") if u["name"] == "Sam")
    with writing(board.engine) as conn:
        hidden = hidden_words.hide_passage(
            conn, bloggs, WHY, "Jo Bloggs", by=sam, at=NOW
        )
    index_is_sound(board)
    assert found_by_search(board, "bloggs", as_staff=False) == set()
    assert found_by_search(board, "bloggs") == {bloggs}
    assert found_by_search(board, "on nights", as_staff=False) == {bloggs}

    with writing(board.engine) as conn:
        hidden_words.show_passage(conn, bloggs, hidden, by=sam, at=NOW)
    index_is_sound(board)
    assert found_by_search(board, "bloggs", as_staff=False) == {bloggs}

    with writing(board.engine) as conn:
        conn.execute(delete(own_words).where(own_words.c.response_id == made[0]))
    index_is_sound(board)
    assert found_by_search(board, "cold") == set()


def test_a_search_with_control_characters_or_the_hidden_mark_is_safe(board):
    """A NUL once reached FTS5 (a 500); the mark where hidden words were
    once let a member find which texts had any."""
    made = add_answers(board)
    board.add_user("staff", name="Sam")
    sam = next(u["id"] for u in rows_of(board, "users") if u["name"] == "Sam")
    with writing(board.engine) as conn:
        hidden_words.hide_passage(conn, made[3], WHY, "Jo Bloggs", by=sam, at=NOW)
    member = board.browser("member")
    for words in ("te%00a", "%EF%BF%BC", "%01%02%03"):
        page = member.get(f"/board/?folder=all&q={words}")
        assert page.status_code == 200, words
    found = member.get("/board/?folder=all&q=%EF%BF%BC").get_data(as_text=True)
    assert not any(response_id in found for response_id in made)
    assert found_by_search(board, "t\x00ea") == {made[0]}  # the NUL left out
