"""Posts: "You said, we did"

Revision ID: 0004
Revises: 0003
Created: 2026-12-02 00:28:08

What the board tells people it changed, written as a draft and published by
staff to some sites (post_sites), with the rung of the ladder of
co-production its decision was made on.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "posts",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("words", sa.Text(), nullable=False),
        sa.Column("sms_words", sa.Text(), nullable=False),
        sa.Column("change", sa.String(length=20), nullable=False),
        sa.Column("rung", sa.String(length=20), nullable=False),
        sa.Column("took_part", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("tag", sa.String(length=60), nullable=True),
        sa.Column("channels", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("written_by", sa.Integer(), nullable=False),
        sa.Column("written_at", sa.String(length=32), nullable=False),
        sa.Column("changed_at", sa.String(length=32), nullable=False),
        sa.Column("published_by", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["published_by"], ["users.id"], name=op.f("fk_posts_published_by_users")
        ),
        sa.ForeignKeyConstraint(["tag"], ["tags.name"], name=op.f("fk_posts_tag_tags")),
        sa.ForeignKeyConstraint(
            ["written_by"], ["users.id"], name=op.f("fk_posts_written_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_posts")),
    )
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_posts_state_changed_at"),
            ["state", "changed_at"],
            unique=False,
        )

    op.create_table(
        "post_sites",
        sa.Column("post_id", sa.String(length=64), nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_post_sites_post_id_posts")
        ),
        sa.PrimaryKeyConstraint("post_id", "site_id", name=op.f("pk_post_sites")),
    )


def downgrade() -> None:
    op.drop_table("post_sites")
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_posts_state_changed_at"))

    op.drop_table("posts")
