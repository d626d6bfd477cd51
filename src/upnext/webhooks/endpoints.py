"""HTTP routes of the webhook configuration and delivery log of publishers (CONTRACT 7)
and of platforms (the same routes under ``/v1/platforms/{platform_id}``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from upnext.deps import (
    AppSettings,
    Conn,
    PlatformCaller,
    PlatformReader,
    PublisherCaller,
    PublisherReader,
)
from upnext.identifiers import ServerId
from upnext.kit.openapi import errors
from upnext.kit.pagination import ItemPage, ListObject, list_object
from upnext.kit.responses import JSON, json_response
from upnext.webhooks import owners, service
from upnext.webhooks.schemas import DeliveryOut, DeliveryStatus, SecretOut

router = APIRouter(tags=["webhooks"])

DeliveryId = Annotated[str, Path(max_length=64, description="The delivery's webhook-id.")]
StatusFilter = Annotated[DeliveryStatus | None, Query(description="Only this status.")]

# publishers


@router.post("/v1/apps/{app_id}/webhook-secret", response_model=SecretOut, responses=errors(404))
async def rotate_secret(app_id: ServerId, conn: Conn, caller: PublisherCaller) -> JSON:
    """Create or rotate the signing secret (shown once); the old one signs for 24 h more."""
    return json_response(await service.rotate_secret(conn, caller, owners.app(app_id)))


@router.get(
    "/v1/apps/{app_id}/webhook-deliveries",
    response_model=ListObject[DeliveryOut],
    responses=errors(404),
)
async def list_deliveries(
    app_id: ServerId,
    conn: Conn,
    caller: PublisherReader,
    page: ItemPage,
    status: StatusFilter = None,
) -> JSON:
    """The app's webhook deliveries, newest first, each with its attempts."""
    items, total = await service.deliveries(conn, caller, owners.app(app_id), status, page)
    return json_response(list_object(items, total, page))


@router.post(
    "/v1/apps/{app_id}/webhook-deliveries/{delivery_id}/retry",
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
    owner = owners.app(app_id)
    queued = await service.retry_delivery(conn, caller, owner, delivery_id, settings.retry_schedule)
    return json_response(queued, 202)


@router.post(
    "/v1/apps/{app_id}/webhook-test",
    status_code=202,
    response_model=DeliveryOut,
    responses=errors(404),
)
async def send_test(app_id: ServerId, conn: Conn, caller: PublisherCaller) -> JSON:
    """Queue a webhook_test event to the app's endpoint."""
    return json_response(await service.send_test(conn, caller, owners.app(app_id)), 202)


# platforms


@router.post(
    "/v1/platforms/{platform_id}/webhook-secret", response_model=SecretOut, responses=errors(404)
)
async def rotate_platform_secret(platform_id: ServerId, conn: Conn, caller: PlatformCaller) -> JSON:
    """Create or rotate the platform's signing secret (shown once); the old one signs for
    24 h more."""
    return json_response(await service.rotate_secret(conn, caller, owners.platform(platform_id)))


@router.get(
    "/v1/platforms/{platform_id}/webhook-deliveries",
    response_model=ListObject[DeliveryOut],
    responses=errors(404),
)
async def list_platform_deliveries(
    platform_id: ServerId,
    conn: Conn,
    caller: PlatformReader,
    page: ItemPage,
    status: StatusFilter = None,
) -> JSON:
    """The platform's webhook deliveries, newest first, each with its attempts."""
    owner = owners.platform(platform_id)
    items, total = await service.deliveries(conn, caller, owner, status, page)
    return json_response(list_object(items, total, page))


@router.post(
    "/v1/platforms/{platform_id}/webhook-deliveries/{delivery_id}/retry",
    status_code=202,
    response_model=DeliveryOut,
    responses=errors(404),
)
async def retry_platform_delivery(
    platform_id: ServerId,
    delivery_id: DeliveryId,
    conn: Conn,
    caller: PlatformCaller,
    settings: AppSettings,
) -> JSON:
    """Queue one of the platform's deliveries again for an attempt now, same webhook-id."""
    owner = owners.platform(platform_id)
    queued = await service.retry_delivery(conn, caller, owner, delivery_id, settings.retry_schedule)
    return json_response(queued, 202)


@router.post(
    "/v1/platforms/{platform_id}/webhook-test",
    status_code=202,
    response_model=DeliveryOut,
    responses=errors(404),
)
async def send_platform_test(platform_id: ServerId, conn: Conn, caller: PlatformCaller) -> JSON:
    """Queue a webhook_test event to the platform's endpoint."""
    return json_response(await service.send_test(conn, caller, owners.platform(platform_id)), 202)
