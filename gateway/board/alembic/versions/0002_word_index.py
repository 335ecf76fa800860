"""A trigram index over what people wrote, for the word search, on SQLite

Revision ID: 0002
Revises: 0001
Created: 2026-12-01 14:46:38

FTS5's trigram tokenizer (SQLite 3.34 and later) indexes every three
characters of own_words' two columns, so a search of three letters or more
reads only the texts that hold them. `content='own_words'`: the index keeps no
copy of the words, and the triggers keep it in step with every insert, update
and delete. PostgreSQL gets nothing here: it reads own_words itself.
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

STATEMENTS = [
    """CREATE VIRTUAL TABLE own_words_index USING fts5(
        words, words_for_members,
        content='own_words', content_rowid='id',
        tokenize='trigram case_sensitive 1')""",
    """CREATE TRIGGER own_words_index_insert AFTER INSERT ON own_words BEGIN
        INSERT INTO own_words_index(rowid, words, words_for_members)
        VALUES (new.id, new.words, new.words_for_members);
    END""",
    """CREATE TRIGGER own_words_index_delete AFTER DELETE ON own_words BEGIN
        INSERT INTO own_words_index(own_words_index, rowid, words, words_for_members)
        VALUES ('delete', old.id, old.words, old.words_for_members);
    END""",
    """CREATE TRIGGER own_words_index_update AFTER UPDATE ON own_words BEGIN
        INSERT INTO own_words_index(own_words_index, rowid, words, words_for_members)
        VALUES ('delete', old.id, old.words, old.words_for_members);
        INSERT INTO own_words_index(rowid, words, words_for_members)
        VALUES (new.id, new.words, new.words_for_members);
    END""",
    "INSERT INTO own_words_index(own_words_index) VALUES ('rebuild')",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in STATEMENTS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER own_words_index_{trigger}")
        op.execute("DROP TABLE own_words_index")
