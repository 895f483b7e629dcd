"""Private lists the user keeps: things to bring to supervision, self-compassion letters.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.tables import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kept_notes",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("collection", sa.String(32), nullable=False),
        sa.Column("text_enc", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_kept_notes"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_kept_notes_user_id", ondelete="CASCADE"),
    )
    op.create_index("ix_kept_notes_user", "kept_notes", ["user_id", "collection"])


def downgrade() -> None:
    op.drop_table("kept_notes")
