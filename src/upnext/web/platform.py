"""Platform pages: the apps available to it, platform data, the session preview, and the
platform's session_changed webhooks (URL, signing secret, delivery log)."""

from __future__ import annotations

from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Form, Request
from pydantic import TypeAdapter
from starlette.responses import Response

from upnext.callers import Caller
from upnext.contexts import service as contexts
from upnext.identifiers import ContentIdField, ContextIdField, ServerId, SessionId
from upnext.kit.ids import is_client_id
from upnext.kit.pagination import Page
from upnext.kit.problems import Invalid
from upnext.portal import service as portal
from upnext.portal.schemas import PlatformDataKey, PlatformDataValue, PlatformPatch
from upnext.sessions import service as sessions
from upnext.web.access import Csrf, Platform, ReadConn, WriteConn
from upnext.web.forms import parse, parse_as
from upnext.web.rendering import page, redirect
from upnext.web.session import session_of
from upnext.webhooks import owners
from upnext.webhooks import service as webhooks

router = APIRouter(prefix="/platform")

EVERYTHING = Page(limit=200, offset=0)
DELIVERY_STATUSES = ("pending", "delivered", "failed")
PLATFORM_DATA = TypeAdapter(dict[PlatformDataKey, PlatformDataValue])


def _platform_id(viewer: Caller) -> str:
    assert viewer.platform_id is not None
    return viewer.platform_id


@router.get("")
async def overview(request: Request, conn: ReadConn, viewer: Platform) -> Response:
    """Apps available to the platform, with their media and platform data."""
    platform = await portal.get_platform(conn, _platform_id(viewer))
    media_base = request.app.state.settings.media_base
    apps, _ = await portal.platform_apps(
        conn, viewer, platform["platform_id"], EVERYTHING, media_base
    )
    for app in apps:
        app["platform_data_json"] = orjson.dumps(
            app["platform_data"], option=orjson.OPT_INDENT_2
        ).decode()
    return page(
        request,
        "platform.html",
        viewer=viewer,
        platform=portal.render_platform(platform),
        webhook_url=platform["webhook_url"],
        apps=apps,
    )


@router.post("/apps/{app_id}/platform-data")
async def set_platform_data(
    request: Request,
    app_id: ServerId,
    conn: WriteConn,
    viewer: Platform,
    _: Csrf,
    platform_data: Annotated[str, Form(max_length=16_384)] = "{}",
) -> Response:
    """Save the platform's key-value object for one app."""
    try:
        decoded = orjson.loads(platform_data or "{}")
    except orjson.JSONDecodeError:
        raise Invalid("platform_data is not valid JSON.", code="malformed_json") from None
    if not isinstance(decoded, dict):
        raise Invalid("platform_data must be a JSON object of string keys.")
    data = parse_as(PLATFORM_DATA, decoded, "platform_data")
    await portal.set_platform_data(conn, viewer, _platform_id(viewer), app_id, data)
    session_of(request).add_flash("ok", f"Platform data of {app_id} saved.")
    return redirect(request, "/platform#apps")


@router.get("/sessions")
async def open_session(request: Request, viewer: Platform, session_id: str = "") -> Response:
    """The session form's target: go to that session's preview."""
    if not is_client_id(session_id):
        raise Invalid("A session id is 1-128 of A-Z a-z 0-9 . _ ~ : @ -.")
    return redirect(request, f"/platform/sessions/{session_id}")


@router.get("/sessions/{session_id}")
async def session_preview(
    request: Request, session_id: SessionId, conn: ReadConn, viewer: Platform
) -> Response:
    """The session's aggregated list as a TV's Continue Watching row."""
    settings = request.app.state.settings
    media_base, platform_id = settings.media_base, _platform_id(viewer)
    # The list exactly as GET /v1/sessions/upnext/{id} returns it by default.
    view = contexts.list_view(settings.item_ttl_days, windowed=True)
    body = await sessions.aggregated_list(
        conn, platform_id, session_id, EVERYTHING, media_base, view
    )
    listed = orjson.loads(body)
    items, total = listed["items"], listed["total"]
    platform = await portal.get_platform(conn, platform_id)
    apps, _ = await portal.platform_apps(conn, viewer, platform_id, EVERYTHING, media_base)
    names = {app["app_id"]: app["name"] for app in apps}
    for item in items:
        item["app_name"] = names.get(item["app_id"], item["app_id"])
    return page(
        request,
        "session.html",
        viewer=viewer,
        platform=portal.render_platform(platform),
        session_id=session_id,
        items=items,
        total=total,
        hidden=sum(1 for item in items if item["hidden"]),
    )


@router.post("/sessions/{session_id}/items")
async def hide_item(
    request: Request,
    session_id: SessionId,
    conn: WriteConn,
    viewer: Platform,
    _: Csrf,
    context_id: Annotated[ContextIdField, Form()],
    content_id: Annotated[ContentIdField, Form()],
    action: Annotated[Literal["hide", "unhide"], Form()],
) -> Response:
    """Hide or unhide an item through the Sessions API's rule (the app hears by webhook)."""
    hidden = action == "hide"
    await sessions.set_hidden(
        conn, _platform_id(viewer), session_id, context_id, content_id, hidden
    )
    return redirect(request, f"/platform/sessions/{session_id}#item-{context_id}-{content_id}")


# webhooks: the publisher page's, for session_changed


@router.post("/webhook")
async def set_webhook(
    request: Request,
    conn: WriteConn,
    viewer: Platform,
    _: Csrf,
    webhook_url: Annotated[str, Form(max_length=4096)] = "",
) -> Response:
    """Set or clear the platform's webhook URL, with the API's checks."""
    url = parse(PlatformPatch, {"webhook_url": webhook_url.strip() or None}).webhook_url
    allow = request.app.state.settings.webhook_allow_private
    await webhooks.set_url(
        conn, viewer, owners.platform(_platform_id(viewer)), url, allow_private=allow
    )
    session_of(request).add_flash("ok", "Webhook URL saved." if url else "Webhooks turned off.")
    return redirect(request, "/platform#webhook")


@router.post("/webhook-secret")
async def rotate_webhook_secret(
    request: Request, conn: WriteConn, viewer: Platform, _: Csrf
) -> Response:
    """Create or rotate the platform's signing secret and show it, this once."""
    created = await webhooks.rotate_secret(conn, viewer, owners.platform(_platform_id(viewer)))
    return page(
        request,
        "secret_created.html",
        201,
        viewer=viewer,
        secret=created["secret"],
        done="/platform#webhook",
    )


@router.get("/webhooks")
async def delivery_log(
    request: Request, conn: ReadConn, viewer: Platform, status: str = ""
) -> Response:
    """The platform's webhook delivery log, newest first, with each attempt."""
    if status and status not in DELIVERY_STATUSES:
        raise Invalid(f"status must be one of {', '.join(DELIVERY_STATUSES)}.")
    platform = await portal.get_platform(conn, _platform_id(viewer))
    owner = owners.platform(platform["platform_id"])
    deliveries, total = await webhooks.deliveries(conn, viewer, owner, status or None, EVERYTHING)
    return page(
        request,
        "platform_webhooks.html",
        viewer=viewer,
        webhook_url=platform["webhook_url"],
        deliveries=deliveries,
        total=total,
        selected=status,
        statuses=DELIVERY_STATUSES,
    )


@router.post("/webhooks/{delivery_id}/retry")
async def retry_delivery(
    request: Request,
    delivery_id: ServerId,
    conn: WriteConn,
    viewer: Platform,
    _: Csrf,
) -> Response:
    """Queue one of the platform's deliveries again, keeping its webhook-id."""
    schedule = request.app.state.settings.retry_schedule
    owner = owners.platform(_platform_id(viewer))
    await webhooks.retry_delivery(conn, viewer, owner, delivery_id, schedule)
    session_of(request).add_flash("ok", f"Delivery {delivery_id} queued again.")
    return redirect(request, "/platform/webhooks")


@router.post("/webhooks/test")
async def send_test(request: Request, conn: WriteConn, viewer: Platform, _: Csrf) -> Response:
    """Queue a webhook_test event to the platform's endpoint."""
    await webhooks.send_test(conn, viewer, owners.platform(_platform_id(viewer)))
    session_of(request).add_flash("ok", "A webhook_test event was queued.")
    return redirect(request, "/platform/webhooks")
