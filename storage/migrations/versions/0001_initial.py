"""The first tables: users, runs, history, processed messages, outbox, safety events.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.tables import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("external_id", sa.String(128), nullable=False),
        sa.Column("locale", sa.String(8), nullable=False, server_default="fr"),
        sa.Column("address", sa.String(8), nullable=False, server_default="vous"),
        sa.Column("country", sa.String(8)),
        sa.Column("timezone", sa.String(64)),
        sa.Column("consent_version", sa.Integer()),
        sa.Column("consent_at", UTCDateTime()),
        sa.Column("onboarded", sa.Boolean(), nullable=False, server_default="0"),
        sa.Column("active", sa.Boolean(), nullable=False, server_default="1"),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("platform", "external_id", name="uq_users_platform_external"),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("dialogue_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("state_enc", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("chat_key", sa.String(128), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("wake_at", UTCDateTime()),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_runs_user_id", ondelete="CASCADE"),
    )
    op.create_index("ix_runs_user_status", "runs", ["user_id", "status"])
    op.create_index("ix_runs_wake_at", "runs", ["wake_at"])
    op.create_table(
        "history",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("dialogue_id", sa.String(64), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime()),
        sa.Column("outcome", sa.String(16)),
        sa.Column("measures", sa.JSON(), nullable=False),
        sa.Column("notes_enc", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_history"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_history_user_id", ondelete="CASCADE"),
    )
    op.create_index("ix_history_user_started", "history", ["user_id", "started_at"])
    op.create_table(
        "processed_messages",
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("message_id", sa.String(128), nullable=False),
        sa.Column("processed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("platform", "message_id", name="pk_processed_messages"),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("user_id", sa.String(32)),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("chat_key", sa.String(128), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("payload_enc", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
    )
    op.create_index("ix_outbox_platform", "outbox", ["platform", "id"])
    op.create_table(
        "safety_events",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("country", sa.String(8)),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_safety_events"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_safety_events_user_id", ondelete="CASCADE"),
    )


def downgrade() -> None:
    for table in ("safety_events", "outbox", "processed_messages", "history", "runs", "users"):
        op.drop_table(table)
