"""What people wrote in their own words, kept for the inbox's word search.

Each opening message and each answer a flow asked for in words is one row of
`own_words`, written when its response is stored: `words` as staff see it,
`words_for_members` with every hidden passage taken out (hidden_words.py keeps
it in step). Both are folded (Unicode NFKC, then casefold), and so is what
someone searches for, so "CAFÉ", "café" and "Café" find each other on every
engine. The search reads this table alone: scale answers such as "Poor" are
not a person's own words, and never match. On SQLite a trigram index over it
(schema.WORD_INDEX, migration 0002) finds the texts without reading them all.
On PostgreSQL (and for one or two letters on SQLite) it is read with LIKE,
its wildcards escaped. The folding is Python's, on both sides, so neither
engine's own case rules (SQLite's LIKE ignores ASCII case, PostgreSQL's
does not) can make them differ.
"""

from __future__ import annotations

import unicodedata

from sqlalchemy import Connection, false, insert, literal_column, select, update
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table

from flows.model import OPENING
from gateway.board.schema import WORD_INDEX, responses
from gateway.board.schema import own_words as table

TRIGRAM = 3  # the index finds runs of three characters or more
HIDDEN_MARK = "\ufffc"  # where hidden words were (hidden_words.py)


def folded(text: str) -> str:
    """`text` as the word search compares it: any case, any Unicode form."""
    return unicodedata.normalize("NFKC", text).casefold()


def texts_of(record: dict, steps) -> dict[str, str]:
    """The texts of `record` (a response as a site sends it) at `steps`, by
    step id: OPENING for its opening message, else an answer's own words."""
    texts = {OPENING: record.get("opening_text")} if OPENING in steps else {}
    for answer in record.get("answers") or []:
        if answer["step_id"] in steps:
            texts[answer["step_id"]] = answer.get("raw")
    return {
        step: text for step, text in texts.items() if isinstance(text, str) and text
    }


def keep(conn: Connection, response_id: str, texts: dict[str, str]) -> None:
    """Keep a new response's own words for the search (nothing hidden yet)."""
    if texts:
        conn.execute(
            insert(table),
            [
                {
                    "response_id": response_id,
                    "step_id": step_id,
                    "words": folded(text),
                    "words_for_members": folded(text),
                }
                for step_id, text in texts.items()
            ],
        )


def show_members(conn: Connection, response_id: str, step_id: str, text: str):
    """What members may now search of one text: `text` with its hidden
    passages already taken out. Nothing to do if it is not a person's words."""
    conn.execute(
        update(table)
        .where(table.c.response_id == response_id, table.c.step_id == step_id)
        .values(words_for_members=folded(text))
    )


def holding(conn: Connection, words: str, as_staff: bool):
    """The ids of responses whose own words hold `words` (already trimmed), as
    staff see them or, for members, without what is hidden from them. On
    SQLite, three letters or more are looked up in the trigram index."""
    name = "words" if as_staff else "words_for_members"
    wanted = searched_for(words)
    if not wanted:  # nothing left to look for: nothing found
        return select(table.c.response_id).where(false())
    if conn.dialect.name != "sqlite" or len(wanted) < TRIGRAM:
        return select(table.c.response_id).where(_like(table.c[name], wanted))
    index = sql_table(WORD_INDEX, sql_column("rowid"))
    phrase = '"' + wanted.replace('"', '""') + '"'  # the words as one string
    found = select(index.c.rowid).where(
        literal_column(WORD_INDEX).match(f"{name} : {phrase}")
    )
    return select(table.c.response_id).where(table.c.id.in_(found))


def searched_for(words: str) -> str:
    """What a search looks for: folded, without control characters (FTS5
    refuses a NUL) or the mark where hidden words were (members may not find
    which texts have hidden words by searching for it)."""
    kept = (c for c in folded(words) if c != HIDDEN_MARK and c.isprintable())
    return "".join(kept)


def says(words: str, as_staff: bool):
    """True for a response whose own words hold `words`: a check of one
    response at a time (inbox.py's newest-first search)."""
    column = table.c.words if as_staff else table.c.words_for_members
    wanted = searched_for(words)
    if not wanted:
        return false()
    return (
        select(table.c.id)
        .where(table.c.response_id == responses.c.id, _like(column, wanted))
        .exists()
    )


def _like(column, wanted: str):
    return column.like("%" + escape_like(wanted) + "%", escape="\\")


def escape_like(text: str) -> str:
    """`text` to match as itself inside a LIKE pattern (escape character \\)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
