"""index on items.expires_at

The purge job looks for items whose expires_at has passed. Without an index that is a
scan of every item (0.3 s at 1 M items, with the writer held), at start-up and every hour
in every process. Partial: most items never expire, and only the ones that do are indexed.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 01:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

EXPIRES = sa.text("expires_at IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_items_expires_at",
            ["expires_at"],
            unique=False,
            sqlite_where=EXPIRES,
            postgresql_where=EXPIRES,
        )


def downgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index("ix_items_expires_at", sqlite_where=EXPIRES, postgresql_where=EXPIRES)
