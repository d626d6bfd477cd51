"""platform webhooks: session_changed events to platforms

A webhook's owner becomes an app or a platform: platforms get a webhook URL (and a 410's
mark), secrets and deliveries a nullable platform_id beside a now nullable app_id, with
a check that exactly one is set. Deliveries gain the session a session_changed is about
and the coalesce_key that keeps one open (unclaimed) event per session.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 08:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ONE_OWNER = "(app_id IS NULL) <> (platform_id IS NULL)"


def upgrade() -> None:
    with op.batch_alter_table("platforms", schema=None) as batch_op:
        batch_op.add_column(sa.Column("webhook_url", sa.String(length=2048), nullable=True))
        batch_op.add_column(sa.Column("webhook_disabled_at", sa.BigInteger(), nullable=True))

    with op.batch_alter_table("webhook_secrets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("platform_id", sa.String(length=20), nullable=True))
        batch_op.alter_column("app_id", existing_type=sa.String(length=20), nullable=True)
        batch_op.create_foreign_key(
            "fk_webhook_secrets_platform_id_platforms",
            "platforms",
            ["platform_id"],
            ["platform_id"],
            ondelete="CASCADE",
        )
        batch_op.create_check_constraint("ck_webhook_secrets_one_owner", ONE_OWNER)
        batch_op.create_index("ix_webhook_secrets_platform_id", ["platform_id"], unique=False)

    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("platform_id", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("session_id", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("coalesce_key", sa.String(length=149), nullable=True))
        batch_op.alter_column("app_id", existing_type=sa.String(length=20), nullable=True)
        batch_op.create_foreign_key(
            "fk_webhook_deliveries_platform_id_platforms",
            "platforms",
            ["platform_id"],
            ["platform_id"],
            ondelete="CASCADE",
        )
        batch_op.create_check_constraint("ck_webhook_deliveries_one_owner", ONE_OWNER)
        batch_op.create_index(
            "ix_webhook_deliveries_platform_id", ["platform_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_webhook_deliveries_session",
            ["platform_id", "session_id", "created_at"],
            unique=False,
        )
        batch_op.create_index("ix_webhook_deliveries_coalesce_key", ["coalesce_key"], unique=True)


def downgrade() -> None:
    # Platform-owned rows cannot survive app_id becoming required again.
    op.execute("DELETE FROM webhook_deliveries WHERE app_id IS NULL")
    op.execute("DELETE FROM webhook_secrets WHERE app_id IS NULL")
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_deliveries_coalesce_key")
        batch_op.drop_index("ix_webhook_deliveries_session")
        batch_op.drop_index("ix_webhook_deliveries_platform_id")
        batch_op.drop_constraint("ck_webhook_deliveries_one_owner", type_="check")
        batch_op.drop_constraint("fk_webhook_deliveries_platform_id_platforms", type_="foreignkey")
        batch_op.alter_column("app_id", existing_type=sa.String(length=20), nullable=False)
        batch_op.drop_column("coalesce_key")
        batch_op.drop_column("session_id")
        batch_op.drop_column("platform_id")

    with op.batch_alter_table("webhook_secrets", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_secrets_platform_id")
        batch_op.drop_constraint("ck_webhook_secrets_one_owner", type_="check")
        batch_op.drop_constraint("fk_webhook_secrets_platform_id_platforms", type_="foreignkey")
        batch_op.alter_column("app_id", existing_type=sa.String(length=20), nullable=False)
        batch_op.drop_column("platform_id")

    with op.batch_alter_table("platforms", schema=None) as batch_op:
        batch_op.drop_column("webhook_disabled_at")
        batch_op.drop_column("webhook_url")
