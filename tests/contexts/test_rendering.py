"""Rendering reads rows by position: the positions must be the table's."""

from __future__ import annotations

from upnext.contexts.schemas import ITEM_COLUMNS, render_item
from upnext.db.tables import items


def test_item_columns_are_the_items_table_in_order() -> None:
    assert tuple(items.c.keys()) == ITEM_COLUMNS


def test_render_item_reads_each_column_from_its_own_position() -> None:
    values = {name: f"<{name}>" for name in ITEM_COLUMNS}
    values.update(
        media_type="tv_episode", action="up_next_continue", hidden=1,
        updated_at=1_700_000_000_000_000, event_time=1_700_000_001_000_000, expires_at=None,
    )  # fmt: skip
    body = render_item(tuple(values[name] for name in ITEM_COLUMNS))
    for name in ("content_id", "app_id", "context_id", "title", "description", "season",
                 "episode", "poster_art_uri", "poster_art_aspect_ratio", "preview_video_uri",
                 "position", "duration", "series_id"):  # fmt: skip
        assert body[name] == f"<{name}>"
    assert body["updated_at"] == "2023-11-14T22:13:20.000Z"
    assert body["event_time"] == "2023-11-14T22:13:21.000Z"
    assert body["hidden"] is True and "expires_at" not in body
