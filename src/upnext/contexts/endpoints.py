"""HTTP routes of the Contexts API (publishers)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response

from upnext.contexts import service
from upnext.contexts.schemas import (
    ACTION_FILTER_PATTERN,
    MAX_MATURITY,
    STALE,
    BatchIn,
    ContextOut,
    ItemIn,
    ItemOut,
    MediaType,
    ProgressIn,
    ProgressOut,
    ReplaceIn,
    WriteResult,
    bulk_result,
    list_filters,
)
from upnext.deps import AppSettings, Conn, PublisherCaller, PublisherReader
from upnext.identifiers import ContentId, ContextId
from upnext.kit.etag import NOT_MODIFIED, IfNoneMatch, cached_body
from upnext.kit.openapi import errors
from upnext.kit.pagination import ItemPage, ListObject
from upnext.kit.responses import JSON, SUCCESS, json_response, no_content
from upnext.readmodel import Filters

router = APIRouter(prefix="/v1/contexts/upnext", tags=["contexts"])


async def _filters(
    action: Annotated[
        str | None,
        Query(
            pattern=ACTION_FILTER_PATTERN,
            description="Extension: a comma-separated subset of the four actions; only "
            "those are listed.",
            examples=["up_next_continue,up_next_next"],
        ),
    ] = None,
    media_type: Annotated[
        MediaType | None,
        Query(description="Extension: only items of this media_type.", examples=["movie"]),
    ] = None,
    max_maturity: Annotated[
        int | None,
        Query(
            ge=0,
            le=MAX_MATURITY,
            description="Extension (0-21): leaves out items whose maturity_age is above it.",
            examples=[7],
        ),
    ] = None,
    unrated: Annotated[
        Literal["include", "exclude"],
        Query(
            description="Extension: whether items without maturity_age are listed.",
            examples=["exclude"],
        ),
    ] = "include",
) -> Filters:
    return list_filters(action, media_type, max_maturity, unrated)


ItemFilters = Annotated[Filters, Depends(_filters)]


@router.post("", status_code=201, response_model=ContextOut, responses=errors())
async def create_context(conn: Conn, caller: PublisherCaller) -> JSON:
    """Mint a new, unguessable context id owned by the caller's app."""
    return json_response(await service.mint_context(conn, caller), 201)


@router.put("/{context_id}", response_model=WriteResult, responses=errors(413, 422))
async def put_item(
    context_id: ContextId, item: ItemIn, conn: Conn, caller: PublisherCaller
) -> JSON:
    """Add an item to the context's list, or replace the item with the same content_id.

    With `event_time`, a write older than the stored item's is ignored and answered
    `{"message": "Success", "ignored": "stale"}`.
    """
    if await service.put_item(conn, caller, context_id, item):
        return json_response(SUCCESS)
    return json_response(STALE)


@router.get(
    "/{context_id}",
    response_model=ListObject[ItemOut],
    responses={**errors(404), **NOT_MODIFIED},
)
async def get_context_list(
    context_id: ContextId,
    conn: Conn,
    caller: PublisherReader,
    page: ItemPage,
    filters: ItemFilters,
    settings: AppSettings,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """The context's items, newest first (without platform_data and app_media)."""
    view = service.list_view(settings.item_ttl_days, filters=filters)
    body = await service.context_list(conn, caller, context_id, page, view)
    return cached_body(body, if_none_match)


@router.put("/{context_id}/items", response_model=WriteResult, responses=errors(413, 422))
async def replace_items(
    context_id: ContextId, body: ReplaceIn, conn: Conn, caller: PublisherCaller
) -> JSON:
    """Replace the whole list in one transaction; one invalid item rejects the request."""
    return json_response(bulk_result(await service.replace_items(conn, caller, context_id, body)))


@router.post("/{context_id}/items:batch", response_model=WriteResult, responses=errors(413, 422))
async def batch_items(
    context_id: ContextId, body: BatchIn, conn: Conn, caller: PublisherCaller
) -> JSON:
    """Upsert and delete up to 500 items in one transaction; deleting an absent item is a no-op."""
    return json_response(bulk_result(await service.apply_batch(conn, caller, context_id, body)))


@router.delete("/{context_id}/sessions", status_code=204, responses=errors(404))
async def remove_context_sessions(
    context_id: ContextId, conn: Conn, caller: PublisherCaller
) -> Response:
    """Remove the context from every session of every platform."""
    await service.detach_everywhere(conn, caller, context_id)
    return no_content()


@router.delete("/{context_id}/{content_id}", status_code=204, responses=errors(404))
async def delete_item(
    context_id: ContextId, content_id: ContentId, conn: Conn, caller: PublisherCaller
) -> Response:
    """Remove an item from the context's list."""
    await service.delete_item(conn, caller, context_id, content_id)
    return no_content()


@router.post("/{context_id}/progress", response_model=ProgressOut, responses=errors(413, 422))
async def report_progress(
    context_id: ContextId, progress: ProgressIn, conn: Conn, caller: PublisherCaller
) -> JSON:
    """Report playback progress; the server applies the Publisher Guidelines to the row."""
    return json_response(await service.report_progress(conn, caller, context_id, progress))


@router.delete("/{context_id}", status_code=204, responses=errors(404))
async def erase_context(context_id: ContextId, conn: Conn, caller: PublisherCaller) -> Response:
    """Erase the context entirely: its items, its session attachments and pending events."""
    await service.erase_context(conn, caller, context_id)
    return no_content()
