"""Which copy of a one-process connection's files is the current one (the Matrix device's crypto store).

Replicas take the Matrix device over from each other; its store is files in the data directory. Each takeover
records a new epoch here and in that directory, so a replica whose directory is not the one the last owner used
(another machine's, or an old copy) is refused the device instead of using keys that are out of date.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.tables import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "connection_epochs",
        sa.Column("name", sa.String(255), primary_key=True),
        sa.Column("epoch", sa.String(32), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_connection_epochs"),
    )


def downgrade() -> None:
    op.drop_table("connection_epochs")
