"""handoff tokens, and apps that require them to attach

A publisher mints a one-time handoff token for one of its contexts; a platform attaches
the context with it (docs/handoffs.md). ``handoffs`` keeps only the SHA-256 of each token.
``apps.attach_requires_handoff`` is NULL until an app sets it: NULL behaves as false.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("apps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attach_requires_handoff", sa.Boolean(), nullable=True))
    op.create_table(
        "handoffs",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("app_id", sa.String(length=20), nullable=False),
        sa.Column("context_id", sa.String(length=128), nullable=False),
        sa.Column("platform_id", sa.String(length=20), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("used_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.app_id"], name=op.f("fk_handoffs_app_id_apps"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["context_id"],
            ["contexts.context_id"],
            name=op.f("fk_handoffs_context_id_contexts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["platform_id"],
            ["platforms.platform_id"],
            name=op.f("fk_handoffs_platform_id_platforms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_handoffs")),
    )
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.create_index("ix_handoffs_expires_at", ["expires_at"], unique=False)
        batch_op.create_index("ix_handoffs_context_id", ["context_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.drop_index("ix_handoffs_context_id")
        batch_op.drop_index("ix_handoffs_expires_at")
    op.drop_table("handoffs")
    with op.batch_alter_table("apps", schema=None) as batch_op:
        batch_op.drop_column("attach_requires_handoff")
