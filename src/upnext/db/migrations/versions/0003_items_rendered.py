"""items.rendered: each item's wire JSON, written with the item; contexts.version dropped

Every list read used to render each item in Python: with the JSON stored beside the
columns, a read splices stored text (upnext.readmodel). Existing rows are rendered here by
the application's own renderer, so a backfilled row is byte-identical to one written after
this migration. ``contexts.version`` was bumped by every write and read by nothing: the
list's ETag is a hash of its bytes, which also changes when an item expires.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 09:00:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from upnext.contexts.schemas import render_item

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BATCH = 2000

_ITEMS = sa.table(
    "items",
    *(
        sa.column(name)
        for name in (
            "context_id", "content_id", "app_id", "updated_at", "action", "media_type",
            "title", "description", "season", "episode", "poster_art_uri",
            "poster_art_aspect_ratio", "preview_video_uri", "position", "duration", "hidden",
            "event_time", "expires_at", "series_id", "rendered",
        )
    ),
)  # fmt: skip


def _backfill() -> None:
    """Render every item, a batch at a time in key order (no OFFSET: each batch starts
    after the last key of the one before)."""
    bind = op.get_bind()
    columns = [c for c in _ITEMS.c if c.name != "rendered"]
    key = (_ITEMS.c.context_id, _ITEMS.c.content_id)
    after: tuple[str, str] | None = None
    update = (
        _ITEMS.update()
        .where(_ITEMS.c.context_id == sa.bindparam("k_context"))
        .where(_ITEMS.c.content_id == sa.bindparam("k_content"))
        .values(rendered=sa.bindparam("v_rendered"))
    )
    while True:
        query = sa.select(*columns).order_by(*key).limit(BATCH)
        if after is not None:
            query = query.where(sa.tuple_(*key) > sa.tuple_(*after))
        rows: list[Any] = list(bind.execute(query).mappings())
        if not rows:
            return
        bind.execute(
            update,
            [
                {
                    "k_context": row["context_id"],
                    "k_content": row["content_id"],
                    "v_rendered": render_item(row),
                }
                for row in rows
            ],
        )
        after = (rows[-1]["context_id"], rows[-1]["content_id"])


def upgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rendered", sa.LargeBinary(), nullable=True))
    _backfill()
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.alter_column("rendered", existing_type=sa.LargeBinary(), nullable=False)
    with op.batch_alter_table("contexts", schema=None) as batch_op:
        batch_op.drop_column("version")


def downgrade() -> None:
    with op.batch_alter_table("contexts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("version", sa.BigInteger(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_column("rendered")
