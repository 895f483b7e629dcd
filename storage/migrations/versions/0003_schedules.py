"""Check-ins: schedules (next due time in UTC, leases), the prompts sent per local date, shared pacing.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.tables import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "schedules",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("next_due", UTCDateTime()),
        sa.Column("local_date", sa.String(10)),
        sa.Column("round", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("lease_owner", sa.String(32)),
        sa.Column("lease_until", UTCDateTime()),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_schedules"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_schedules_user_id", ondelete="CASCADE"),
        sa.UniqueConstraint("user_id", "kind", name="uq_schedules_user_kind"),
    )
    op.create_index("ix_schedules_next_due", "schedules", ["next_due"])
    op.create_table(
        "checkin_prompts",
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("local_date", sa.String(10), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "kind", "local_date", "round", name="pk_checkin_prompts"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_checkin_prompts_user_id", ondelete="CASCADE"),
    )
    op.create_table(
        "scheduler_pacing",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("stamp", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_scheduler_pacing"),
    )


def downgrade() -> None:
    op.drop_table("scheduler_pacing")
    op.drop_table("checkin_prompts")
    op.drop_index("ix_schedules_next_due", table_name="schedules")
    op.drop_table("schedules")
