"""items a TV can draw and start: show titles, playback links, ratings, windows, series hide

New optional columns of items (all NULL for existing rows, whose renderings therefore stay
as they are: nothing to backfill), the end of a snooze on items, and the tables of hidden
series and of snoozed items (docs/extensions.md).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 09:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

SNOOZED = sa.text("hidden_until IS NOT NULL")
NEW_COLUMNS = (
    sa.Column("series_title", sa.String(length=512), nullable=True),
    sa.Column("content_rating", sa.String(length=32), nullable=True),
    sa.Column("maturity_age", sa.Integer(), nullable=True),
    sa.Column("available_from", sa.BigInteger(), nullable=True),
    sa.Column("playback_uri", sa.String(length=2048), nullable=True),
    sa.Column("playback_uris", sa.Text(), nullable=True),
    sa.Column("hidden_until", sa.BigInteger(), nullable=True),
)


def upgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        for column in NEW_COLUMNS:
            batch_op.add_column(column._copy())
        batch_op.create_index(
            "ix_items_hidden_until",
            ["hidden_until"],
            unique=False,
            sqlite_where=SNOOZED,
            postgresql_where=SNOOZED,
        )
    op.create_table(
        "series_hides",
        sa.Column("context_id", sa.String(length=128), nullable=False),
        sa.Column("series_id", sa.String(length=128), nullable=False),
        sa.Column("content_id", sa.String(length=128), nullable=False),
        sa.Column("platform_id", sa.String(length=20), nullable=False),
        sa.Column("session_id", sa.String(length=128), nullable=False),
        sa.Column("hidden_until", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["context_id"],
            ["contexts.context_id"],
            name=op.f("fk_series_hides_context_id_contexts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("context_id", "series_id", name=op.f("pk_series_hides")),
    )
    with op.batch_alter_table("series_hides", schema=None) as batch_op:
        batch_op.create_index(
            "ix_series_hides_hidden_until",
            ["hidden_until"],
            unique=False,
            sqlite_where=SNOOZED,
            postgresql_where=SNOOZED,
        )
    op.create_table(
        "item_snoozes",
        sa.Column("context_id", sa.String(length=128), nullable=False),
        sa.Column("content_id", sa.String(length=128), nullable=False),
        sa.Column("platform_id", sa.String(length=20), nullable=False),
        sa.Column("session_id", sa.String(length=128), nullable=False),
        sa.Column("hidden_until", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["context_id"],
            ["contexts.context_id"],
            name=op.f("fk_item_snoozes_context_id_contexts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("context_id", "content_id", name=op.f("pk_item_snoozes")),
    )
    with op.batch_alter_table("item_snoozes", schema=None) as batch_op:
        batch_op.create_index("ix_item_snoozes_hidden_until", ["hidden_until"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("item_snoozes", schema=None) as batch_op:
        batch_op.drop_index("ix_item_snoozes_hidden_until")
    op.drop_table("item_snoozes")
    with op.batch_alter_table("series_hides", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_series_hides_hidden_until", sqlite_where=SNOOZED, postgresql_where=SNOOZED
        )
    op.drop_table("series_hides")
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index("ix_items_hidden_until", sqlite_where=SNOOZED, postgresql_where=SNOOZED)
        for column in reversed(NEW_COLUMNS):
            batch_op.drop_column(column.name)
