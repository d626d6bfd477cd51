"""HTTP routes of the publisher's webhook configuration and delivery log (CONTRACT 7)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from upnext.deps import AppSettings, Conn, PublisherCaller, PublisherReader
from upnext.identifiers import ServerId
from upnext.kit.openapi import errors
from upnext.kit.pagination import ItemPage, ListObject, list_object
from upnext.kit.responses import JSON, json_response
from upnext.webhooks import service
from upnext.webhooks.schemas import DeliveryOut, DeliveryStatus, SecretOut

router = APIRouter(prefix="/v1/apps", tags=["webhooks"])

DeliveryId = Annotated[str, Path(max_length=64, description="The delivery's webhook-id.")]


@router.post("/{app_id}/webhook-secret", response_model=SecretOut, responses=errors(404))
async def rotate_secret(app_id: ServerId, conn: Conn, caller: PublisherCaller) -> JSON:
    """Create or rotate the signing secret (shown once); the old one signs for 24 h more."""
    caller.require_app(app_id)
    return json_response(await service.rotate_secret(conn, app_id))


@router.get(
    "/{app_id}/webhook-deliveries",
    response_model=ListObject[DeliveryOut],
    responses=errors(404),
)
async def list_deliveries(
    app_id: ServerId,
    conn: Conn,
    caller: PublisherReader,
    page: ItemPage,
    status: Annotated[DeliveryStatus | None, Query(description="Only this status.")] = None,
) -> JSON:
    """The app's webhook deliveries, newest first, each with its attempts."""
    caller.require_app(app_id)
    items, total = await service.deliveries(conn, app_id, status, page)
    return json_response(list_object(items, total, page))


@router.post(
    "/{app_id}/webhook-deliveries/{delivery_id}/retry",
    status_code=202,
    response_model=DeliveryOut,
    responses=errors(404),
)
async def retry_delivery(
    app_id: ServerId,
    delivery_id: DeliveryId,
    conn: Conn,
    caller: PublisherCaller,
    settings: AppSettings,
) -> JSON:
    """Queue a delivery again for an attempt now, with the same webhook-id."""
    caller.require_app(app_id)
    queued = await service.retry_delivery(conn, app_id, delivery_id, settings.retry_schedule)
    return json_response(queued, 202)


@router.post(
    "/{app_id}/webhook-test", status_code=202, response_model=DeliveryOut, responses=errors(404)
)
async def send_test(app_id: ServerId, conn: Conn, caller: PublisherCaller) -> JSON:
    """Queue a webhook_test event to the app's endpoint."""
    caller.require_app(app_id)
    return json_response(await service.send_test(conn, app_id), 202)
