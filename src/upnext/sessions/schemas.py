"""Wire format of sessions."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from upnext.contexts.schemas import (
    ActionFilter,
    Instant,
    MaturityFilter,
    MediaTypeFilter,
    UnratedFilter,
    list_filters,
)
from upnext.identifiers import ClientIdField, ContentIdField, ContextIdField
from upnext.kit.models import RequestModel
from upnext.kit.pagination import MAX_OFFSET, Page
from upnext.kit.timestamps import iso, now_us, parse_iso
from upnext.readmodel import Filters

MAX_SNOOZE_US = 365 * 86_400_000_000


class AttachIn(RequestModel):
    app_id: ClientIdField = Field(examples=["AP463772054442217472"])
    context_id: ContextIdField = Field(examples=["CX5f0c6a3e9b2d4f718a6c0e2b9d4f7a13"])


class SessionContextOut(BaseModel):
    """The Session Context Object; ``created_at`` is when the context was attached."""

    session_id: str
    context_id: str
    app_id: str
    created_at: str


class ItemListQuery(BaseModel):
    """The query of a session's item lists, validated as one model: FastAPI resolves each
    separate parameter or dependency on its own, which on these hot reads cost more than
    the SQL. Unknown parameters are ignored, as for every other endpoint."""

    limit: int = Field(50, ge=1, le=200, description="Items to return (1-200).")
    next_key: int = Field(0, ge=0, le=MAX_OFFSET, description="Index of the first item to return.")
    per_series: bool = Field(
        False,
        description="Extension: 1 keeps only the newest item of each series_id per app.",
        examples=[1],
    )
    per_app_limit: int | None = Field(
        None, ge=1, le=200, description="Extension: at most this many items per app.", examples=[3]
    )
    platform_id: str | None = Field(
        None, max_length=64, description="Operator keys only: whose session to read."
    )
    action: ActionFilter
    media_type: MediaTypeFilter
    max_maturity: MaturityFilter
    unrated: UnratedFilter

    @property
    def page(self) -> Page:
        return Page(limit=self.limit, offset=self.next_key)

    @property
    def filters(self) -> Filters:
        return list_filters(self.action, self.media_type, self.max_maturity, self.unrated)


class HideIn(RequestModel):
    content_id: ContentIdField
    action: Literal["hide", "unhide"]
    scope: Literal["item", "series"] = Field(
        "item",
        examples=["series"],
        description="Extension: series applies the hide to every item of the context with "
        "the named item's series_id, episodes written later included, until unhidden.",
    )
    until: Instant | None = Field(
        None,
        examples=["2024-05-08T18:00:00Z"],
        description="Extension, with action hide: a snooze. Hidden until this moment (in the "
        "future, at most 1 year ahead), then shown again with no request needed.",
    )

    @field_validator("until")
    @classmethod
    def _snooze(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return value
        if info.data.get("action") != "hide":
            raise ValueError("only with action hide")
        moment, now = parse_iso(value), now_us()
        if moment <= now:
            raise ValueError("must be in the future")
        if moment > now + MAX_SNOOZE_US:
            raise ValueError("must be at most 1 year ahead")
        return value

    @property
    def until_us(self) -> int | None:
        return None if self.until is None else parse_iso(self.until)


def render_attachment(row: Any) -> dict[str, Any]:
    return {
        "session_id": row["session_id"],
        "context_id": row["context_id"],
        "app_id": row["app_id"],
        "created_at": iso(row["created_at"]),
    }
