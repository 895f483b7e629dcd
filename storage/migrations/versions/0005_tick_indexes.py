"""Indexes for the writer's tick: open runs by last touch, processed-message marks by time.

The tick runs every second and looked for stale runs and old de-duplication marks by scanning both tables
whole, so its cost grew with history (ended runs are kept forever): 37 ms at 100,000 ended runs, 603 ms at
3 million. With these indexes it reads only the rows it acts on.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

OPEN = sa.text("status != 'ended'")


def upgrade() -> None:
    op.create_index("ix_runs_open_updated", "runs", ["updated_at"], sqlite_where=OPEN, postgresql_where=OPEN)
    op.create_index("ix_processed_messages_processed_at", "processed_messages", ["processed_at"])


def downgrade() -> None:
    op.drop_index("ix_processed_messages_processed_at", table_name="processed_messages")
    op.drop_index("ix_runs_open_updated", table_name="runs")
