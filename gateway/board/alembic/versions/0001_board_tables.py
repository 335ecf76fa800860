"""The board's first tables

Revision ID: 0001
Revises: nothing (the first)
Created: 2026-12-01 14:46:35.113710
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "board_settings",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_board_settings")),
    )
    op.create_table(
        "nonces",
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("seen_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("site_id", "nonce", name=op.f("pk_nonces")),
    )
    with op.batch_alter_table("nonces", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_nonces_seen_at"), ["seen_at"], unique=False
        )

    op.create_table(
        "records",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("queued_at", sa.String(length=32), nullable=False),
        sa.Column("received_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_records")),
        sa.UniqueConstraint(
            "site_id", "record_id", name=op.f("uq_records_site_id_record_id")
        ),
    )
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_records_kind_seq"), ["kind", "seq"], unique=False
        )

    op.create_table(
        "sign_in_failures",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sign_in_failures")),
    )
    op.create_table(
        "sites",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=True),
        sa.Column("secret", sa.String(length=128), nullable=True),
        sa.Column("enrol_code_hash", sa.String(length=128), nullable=True),
        sa.Column("enrol_expires_at", sa.String(length=32), nullable=True),
        sa.Column("enrolled_at", sa.String(length=32), nullable=True),
        sa.Column("revoked_at", sa.String(length=32), nullable=True),
        sa.Column("last_contact_at", sa.String(length=32), nullable=True),
        sa.Column("clock_offset_seconds", sa.Float(), nullable=True),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_sites")),
        sa.UniqueConstraint("site_id", name=op.f("uq_sites_site_id")),
    )
    op.create_table(
        "tags",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("staff_only", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_tags")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("totp_secret", sa.String(length=64), nullable=True),
        sa.Column("totp_last_step", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("disabled_at", sa.String(length=32), nullable=True),
        sa.Column("session_version", sa.Integer(), nullable=False),
        sa.Column("last_signed_in_at", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "alerts",
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("response_id", sa.String(length=64), nullable=False),
        sa.Column("step_id", sa.String(length=100), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("rule", sa.String(length=200), nullable=False),
        sa.Column("raised_at", sa.String(length=32), nullable=False),
        sa.Column("received_at", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("acknowledged_by", sa.Integer(), nullable=True),
        sa.Column("acknowledged_at", sa.String(length=32), nullable=True),
        sa.Column("what_was_done", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["acknowledged_by"],
            ["users.id"],
            name=op.f("fk_alerts_acknowledged_by_users"),
        ),
        sa.PrimaryKeyConstraint("site_id", "id", name=op.f("pk_alerts")),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_alerts_response_id"), ["response_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_alerts_status_raised_at"),
            ["status", "raised_at"],
            unique=False,
        )

    op.create_table(
        "audit",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("response_id", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_audit_user_id_users")
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit")),
    )
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audit_response_id_seq"), ["response_id", "seq"], unique=False
        )

    op.create_table(
        "password_links",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.String(length=32), nullable=False),
        sa.Column("used_at", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_password_links_user_id_users")
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_password_links")),
    )
    op.create_table(
        "responses",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("participant_id", sa.String(length=64), nullable=True),
        sa.Column("flow_id", sa.String(length=100), nullable=False),
        sa.Column("flow_version", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=20), nullable=False),
        sa.Column("kiosk", sa.String(length=100), nullable=True),
        sa.Column("helped", sa.Boolean(), nullable=False),
        sa.Column("started_at", sa.String(length=32), nullable=False),
        sa.Column("closed_at", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("close_reason", sa.String(length=40), nullable=True),
        sa.Column("opening_text", sa.Text(), nullable=True),
        sa.Column("received_at", sa.String(length=32), nullable=False),
        sa.Column("entered_by", sa.Integer(), nullable=True),
        sa.Column("review_status", sa.String(length=20), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("assigned_to", sa.Integer(), nullable=True),
        sa.Column("has_free_text", sa.Boolean(), nullable=False),
        sa.Column("is_test", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assigned_to"], ["users.id"], name=op.f("fk_responses_assigned_to_users")
        ),
        sa.ForeignKeyConstraint(
            ["entered_by"], ["users.id"], name=op.f("fk_responses_entered_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_responses")),
    )
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_responses_assigned_to_closed_at"),
            ["assigned_to", "closed_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_responses_closed_at_id"), ["closed_at", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_responses_flagged_closed_at"),
            ["flagged", "closed_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_responses_flow_id_closed_at"),
            ["flow_id", "closed_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_responses_language_closed_at"),
            ["language", "closed_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_responses_review_status_closed_at"),
            ["review_status", "closed_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_responses_review_status_flagged"),
            ["review_status", "flagged"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_responses_site_id_closed_at"),
            ["site_id", "closed_at"],
            unique=False,
        )

    op.create_table(
        "user_sites",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("site_name", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_name"], ["sites.name"], name=op.f("fk_user_sites_site_name_sites")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_sites_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", "site_name", name=op.f("pk_user_sites")),
    )
    op.create_table(
        "viewings",
        sa.Column("response_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("seen_at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_viewings_user_id_users")
        ),
        sa.PrimaryKeyConstraint("response_id", "user_id", name=op.f("pk_viewings")),
    )
    op.create_table(
        "answers",
        sa.Column("response_id", sa.String(length=64), nullable=False),
        sa.Column("step_id", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("raw", sa.Text(), nullable=True),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("answered_at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["responses.id"],
            name=op.f("fk_answers_response_id_responses"),
        ),
        sa.PrimaryKeyConstraint("response_id", "step_id", name=op.f("pk_answers")),
    )
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_answers_step_id_value_response_id"),
            ["step_id", "value", "response_id"],
            unique=False,
        )

    op.create_table(
        "notes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("response_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("staff_only", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("edited_at", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["responses.id"],
            name=op.f("fk_notes_response_id_responses"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notes_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notes")),
    )
    with op.batch_alter_table("notes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notes_response_id_id"), ["response_id", "id"], unique=False
        )

    op.create_table(
        "own_words",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("response_id", sa.String(length=64), nullable=False),
        sa.Column("step_id", sa.String(length=100), nullable=False),
        sa.Column("words", sa.Text(), nullable=False),
        sa.Column("words_for_members", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["responses.id"],
            name=op.f("fk_own_words_response_id_responses"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_own_words")),
        sa.UniqueConstraint(
            "response_id", "step_id", name=op.f("uq_own_words_response_id_step_id")
        ),
    )
    op.create_table(
        "redactions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("response_id", sa.String(length=64), nullable=False),
        sa.Column("step_id", sa.String(length=100), nullable=False),
        sa.Column("passage", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["responses.id"],
            name=op.f("fk_redactions_response_id_responses"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_redactions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_redactions")),
    )
    with op.batch_alter_table("redactions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_redactions_response_id"), ["response_id"], unique=False
        )

    op.create_table(
        "response_tags",
        sa.Column("response_id", sa.String(length=64), nullable=False),
        sa.Column("tag", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["responses.id"],
            name=op.f("fk_response_tags_response_id_responses"),
        ),
        sa.ForeignKeyConstraint(
            ["tag"], ["tags.name"], name=op.f("fk_response_tags_tag_tags")
        ),
        sa.PrimaryKeyConstraint("response_id", "tag", name=op.f("pk_response_tags")),
    )
    with op.batch_alter_table("response_tags", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_response_tags_tag_response_id"),
            ["tag", "response_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("response_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_response_tags_tag_response_id"))

    op.drop_table("response_tags")
    with op.batch_alter_table("redactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_redactions_response_id"))

    op.drop_table("redactions")
    op.drop_table("own_words")
    with op.batch_alter_table("notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notes_response_id_id"))

    op.drop_table("notes")
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_answers_step_id_value_response_id"))

    op.drop_table("answers")
    op.drop_table("viewings")
    op.drop_table("user_sites")
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_responses_site_id_closed_at"))
        batch_op.drop_index(batch_op.f("ix_responses_review_status_flagged"))
        batch_op.drop_index(batch_op.f("ix_responses_review_status_closed_at"))
        batch_op.drop_index(batch_op.f("ix_responses_language_closed_at"))
        batch_op.drop_index(batch_op.f("ix_responses_flow_id_closed_at"))
        batch_op.drop_index(batch_op.f("ix_responses_flagged_closed_at"))
        batch_op.drop_index(batch_op.f("ix_responses_closed_at_id"))
        batch_op.drop_index(batch_op.f("ix_responses_assigned_to_closed_at"))

    op.drop_table("responses")
    op.drop_table("password_links")
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_response_id_seq"))

    op.drop_table("audit")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alerts_status_raised_at"))
        batch_op.drop_index(batch_op.f("ix_alerts_response_id"))

    op.drop_table("alerts")
    op.drop_table("users")
    op.drop_table("tags")
    op.drop_table("sites")
    op.drop_table("sign_in_failures")
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_records_kind_seq"))

    op.drop_table("records")
    with op.batch_alter_table("nonces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nonces_seen_at"))

    op.drop_table("nonces")
    op.drop_table("board_settings")
