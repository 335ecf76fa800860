"""One stream of what the board sends down to sites

Revision ID: 0003
Revises: 0002
Created: 2026-12-02 00:10:00

Sites pulled opt changes straight from `records`. Now every kind the board
publishes goes through `stream` (and `stream_sites`, for a record meant for
some sites only), each with its own id, so a site applies each one once
whatever it is. The opt changes already stored are copied in, in their order,
so a site pulling the stream from its start gets them all again; applying
one twice changes nothing (the newest change wins).
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    stream = op.create_table(
        "stream",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("every_site", sa.Boolean(), nullable=False),
        sa.Column("from_site", sa.String(length=64), nullable=True),
        sa.Column("published_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_stream")),
        sa.UniqueConstraint("record_id", name=op.f("uq_stream_record_id")),
    )
    op.create_table(
        "stream_sites",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["seq"], ["stream.seq"], name=op.f("fk_stream_sites_seq_stream")
        ),
        sa.PrimaryKeyConstraint("seq", "site_id", name=op.f("pk_stream_sites")),
    )
    with op.batch_alter_table("stream_sites", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stream_sites_site_id_seq"), ["site_id", "seq"], unique=False
        )
    records = sa.table(
        "records",
        sa.column("seq", sa.Integer),
        sa.column("site_id", sa.String),
        sa.column("kind", sa.String),
        sa.column("body", sa.Text),
        sa.column("received_at", sa.String),
    )
    opt_changes = op.get_bind().execute(
        sa.select(records.c.site_id, records.c.kind, records.c.body)
        .add_columns(records.c.received_at)
        .where(records.c.kind.in_(("opt_out", "opt_in")))
        .order_by(records.c.seq)
    )
    copied = [
        {
            "record_id": str(uuid.uuid4()),
            "kind": kind,
            "body": body,
            "every_site": True,
            "from_site": site_id,
            "published_at": received_at,
        }
        for site_id, kind, body, received_at in opt_changes
    ]
    if copied:
        op.bulk_insert(stream, copied)


def downgrade() -> None:
    with op.batch_alter_table("stream_sites", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stream_sites_site_id_seq"))
    op.drop_table("stream_sites")
    op.drop_table("stream")
