"""Alembic's entry point for the board's schema history (gateway/board/schema.py).

`gateway migrate` runs it through gateway.board.migrations, handing over an
open connection; `alembic` itself is never needed on a running install.
"""

from __future__ import annotations

from alembic import context

from gateway.board.migrations import described_by_schema
from gateway.board.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    include_object=described_by_schema,
    render_as_batch=True,  # SQLite alters a table by copying it
    transaction_per_migration=True,
)
with context.begin_transaction():
    context.run_migrations()
