"""HTTP route of handoffs: a publisher mints a one-time token for one of its contexts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from upnext.deps import AppSettings, Conn, PublisherCaller
from upnext.handoffs import service
from upnext.handoffs.schemas import HandoffIn, HandoffOut
from upnext.identifiers import ContextId
from upnext.kit.openapi import errors
from upnext.kit.responses import JSON, json_response

router = APIRouter(prefix="/v1/contexts/upnext", tags=["contexts"])


@router.post(
    "/{context_id}/handoffs",
    status_code=201,
    response_model=HandoffOut,
    responses=errors(404, 422),
)
async def create_handoff(
    context_id: ContextId,
    conn: Conn,
    caller: PublisherCaller,
    settings: AppSettings,
    body: Annotated[HandoffIn | None, Body()] = None,
) -> JSON:
    """Mint a one-time handoff token with which a platform attaches this context.

    The token is shown only in this response, works once, and expires after
    `UPNEXT_HANDOFF_TTL_SECONDS` (10 minutes by default). With `platform_id`, only that
    platform may redeem it.
    """
    platform_id = body.platform_id if body is not None else None
    handoff = await service.mint_handoff(
        conn, caller, context_id, platform_id, settings.handoff_ttl_seconds
    )
    return json_response(handoff, 201)
