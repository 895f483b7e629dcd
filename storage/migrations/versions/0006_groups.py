"""Group supervision: groups, their members, agenda items, round answers and timers (issue 10).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.tables import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "groups",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("chat_key", sa.String(128), nullable=False),
        sa.Column("title", sa.String(256)),
        sa.Column("locale", sa.String(8), nullable=False, server_default="fr"),
        sa.Column("settings", sa.JSON, nullable=False),
        sa.Column("state", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("platform", "chat_key", name="uq_groups_platform_chat"),
    )
    op.create_table(
        "group_members",
        sa.Column("group_id", sa.String(32), sa.ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_key", sa.String(128), primary_key=True),
        sa.Column("joined_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_group_members_user_key", "group_members", ["user_key"])
    op.create_table(
        "agenda_items",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("group_id", sa.String(32), sa.ForeignKey("groups.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_key", sa.String(128), nullable=False),
        sa.Column("text_enc", sa.Text, nullable=False),
        sa.Column("name_enc", sa.Text),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("posted_at", UTCDateTime()),
    )
    op.create_index("ix_agenda_items_group", "agenda_items", ["group_id"])
    op.create_index("ix_agenda_items_user_key", "agenda_items", ["user_key"])
    op.create_table(
        "round_answers",
        sa.Column("group_id", sa.String(32), sa.ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("session_id", sa.String(32), primary_key=True),
        sa.Column("round", sa.String(16), primary_key=True),
        sa.Column("user_key", sa.String(128), primary_key=True),
        sa.Column("score", sa.Integer),
        sa.Column("word_enc", sa.Text),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_round_answers_user_key", "round_answers", ["user_key"])
    op.create_table(
        "group_timers",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("group_id", sa.String(32), sa.ForeignKey("groups.id", ondelete="CASCADE"), nullable=False),
        sa.Column("key", sa.String(96), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("lease_owner", sa.String(32)),
        sa.Column("lease_until", UTCDateTime()),
        sa.UniqueConstraint("group_id", "key", name="uq_group_timers_group_key"),
    )
    op.create_index("ix_group_timers_due_at", "group_timers", ["due_at"])


def downgrade() -> None:
    for table in ("group_timers", "round_answers", "agenda_items", "group_members", "groups"):
        op.drop_table(table)
