"""Wire format of sessions."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from upnext.identifiers import ClientIdField, ContentIdField, ContextIdField
from upnext.kit.models import RequestModel
from upnext.kit.pagination import MAX_OFFSET, Page
from upnext.kit.timestamps import iso


class AttachIn(RequestModel):
    app_id: ClientIdField = Field(examples=["AP463772054442217472"])
    context_id: ContextIdField = Field(examples=["CX5f0c6a3e9b2d4f718a6c0e2b9d4f7a13"])


class SessionContextOut(BaseModel):
    """The Session Context Object; ``created_at`` is when the context was attached."""

    session_id: str
    context_id: str
    app_id: str
    created_at: str


PLATFORM_ID_DESCRIPTION = (
    "Operator keys: whose session to read (needed only when several platforms use the "
    "session id). A platform key may name its own platform, which changes nothing; "
    "another platform's is 403."
)


class ItemListQuery(BaseModel):
    """The query of a session's item lists, validated as one model: FastAPI resolves each
    separate parameter or dependency on its own, which on these hot reads cost more than
    the SQL. An unknown parameter is refused (400 naming it), as for every other list."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(50, ge=1, le=200, description="Items to return (1-200).")
    next_key: int = Field(0, ge=0, le=MAX_OFFSET, description="Index of the first item to return.")
    per_series: bool = Field(
        False,
        description="Extension: 1 keeps only the newest item of each series_id per app.",
        examples=[True],
    )
    per_app_limit: int | None = Field(
        None, ge=1, le=200, description="Extension: at most this many items per app.", examples=[3]
    )
    platform_id: str | None = Field(None, max_length=64, description=PLATFORM_ID_DESCRIPTION)

    @property
    def page(self) -> Page:
        return Page(limit=self.limit, offset=self.next_key)


class HideIn(RequestModel):
    content_id: ContentIdField
    action: Literal["hide", "unhide"]


def render_attachment(row: Any) -> dict[str, Any]:
    return {
        "session_id": row["session_id"],
        "context_id": row["context_id"],
        "app_id": row["app_id"],
        "created_at": iso(row["created_at"]),
    }
