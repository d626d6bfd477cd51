"""Wire format of sessions."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from upnext.identifiers import ClientIdField, ContentIdField, ContextIdField
from upnext.kit.models import RequestModel
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
