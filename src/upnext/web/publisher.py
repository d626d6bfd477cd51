"""Publisher pages: webhook endpoint and secret, avails, media, contexts, delivery log."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, File, Form, Request, UploadFile
from starlette.responses import Response

from upnext.callers import Caller
from upnext.contexts import service as contexts
from upnext.identifiers import ServerId
from upnext.kit.ids import is_client_id
from upnext.kit.pagination import Page
from upnext.kit.problems import Invalid
from upnext.portal import service as portal
from upnext.portal.media import MEDIA_FILES
from upnext.portal.schemas import AppPatch
from upnext.web.access import Csrf, Publisher, ReadConn, WriteConn
from upnext.web.forms import parse
from upnext.web.rendering import page, redirect
from upnext.web.session import session_of
from upnext.webhooks import owners
from upnext.webhooks import service as webhooks

router = APIRouter(prefix="/app")

EVERYTHING = Page(limit=200, offset=0)
DELIVERY_STATUSES = ("pending", "delivered", "failed")


def _app_id(viewer: Caller) -> str:
    assert viewer.app_id is not None
    return viewer.app_id


@router.get("")
async def overview(request: Request, conn: ReadConn, viewer: Publisher) -> Response:
    """The app: webhook endpoint, avails per platform, media files."""
    settings = request.app.state.settings
    app = await portal.app_detail(conn, viewer, _app_id(viewer), settings.media_base)
    platforms, _ = await portal.list_platforms(conn, Page(limit=500, offset=0))
    enabled = {a["platform_id"] for a in app["avails"] if a["enabled"]}
    return page(
        request,
        "publisher.html",
        viewer=viewer,
        app=app,
        platforms=[{**p, "enabled": p["platform_id"] in enabled} for p in platforms],
        media=[
            {"file_name": name, "spec": spec, "url": app["app_media"].get(spec.key)}
            for name, spec in MEDIA_FILES.items()
        ],
    )


@router.post("/webhook")
async def set_webhook(
    request: Request,
    conn: WriteConn,
    viewer: Publisher,
    _: Csrf,
    webhook_url: Annotated[str, Form(max_length=4096)] = "",
) -> Response:
    """Set or clear the webhook URL, with the API's checks."""
    url = parse(AppPatch, {"webhook_url": webhook_url.strip() or None}).webhook_url
    allow = request.app.state.settings.webhook_allow_private
    await webhooks.set_url(conn, viewer, owners.app(_app_id(viewer)), url, allow_private=allow)
    session_of(request).add_flash("ok", "Webhook URL saved." if url else "Webhooks turned off.")
    return redirect(request, "/app")


@router.post("/webhook-secret")
async def rotate_webhook_secret(
    request: Request, conn: WriteConn, viewer: Publisher, _: Csrf
) -> Response:
    """Create or rotate the signing secret and show it, this once."""
    created = await webhooks.rotate_secret(conn, viewer, owners.app(_app_id(viewer)))
    return page(request, "secret_created.html", 201, viewer=viewer, secret=created["secret"])


@router.post("/avails/{platform_id}")
async def set_avail(
    request: Request,
    platform_id: ServerId,
    conn: WriteConn,
    viewer: Publisher,
    _: Csrf,
    enabled: Annotated[bool, Form()] = False,
) -> Response:
    """Make the app's data available to a platform, or withdraw it."""
    await portal.set_avail(conn, viewer, _app_id(viewer), platform_id, enabled)
    state = "available to" if enabled else "withdrawn from"
    session_of(request).add_flash("ok", f"Your data is now {state} {platform_id}.")
    return redirect(request, "/app#avails")


@router.post("/handoffs")
async def set_handoff_requirement(
    request: Request,
    conn: WriteConn,
    viewer: Publisher,
    _: Csrf,
    required: Annotated[bool, Form()] = False,
) -> Response:
    """Require handoff tokens to attach the app's contexts, or stop requiring them."""
    await portal.set_attach_requires_handoff(conn, viewer, _app_id(viewer), required)
    state = "now required" if required else "no longer required"
    session_of(request).add_flash("ok", f"Handoff tokens are {state} to attach your contexts.")
    return redirect(request, "/app#handoffs")


@router.post("/media/{file_name}")
async def upload_media(
    request: Request,
    file_name: str,
    conn: WriteConn,
    viewer: Publisher,
    _: Csrf,
    file: Annotated[UploadFile, File()],
) -> Response:
    """Upload one media file; the API's PNG and size rules apply."""
    await portal.upload_media(
        conn, viewer, _app_id(viewer), file_name, file.read, content_type=None
    )
    session_of(request).add_flash("ok", f"{file_name} uploaded.")
    return redirect(request, "/app#media")


@router.post("/media/{file_name}/delete")
async def delete_media(
    request: Request, file_name: str, conn: WriteConn, viewer: Publisher, _: Csrf
) -> Response:
    """Delete one media file."""
    await portal.delete_media(conn, viewer, _app_id(viewer), file_name)
    session_of(request).add_flash("ok", f"{file_name} deleted.")
    return redirect(request, "/app#media")


@router.get("/contexts")
async def inspect_context(
    request: Request, conn: ReadConn, viewer: Publisher, context_id: str = ""
) -> Response:
    """The context inspector: a context's items as the API stores them."""
    items: list[dict[str, object]] | None = None
    total = 0
    if context_id:
        if not is_client_id(context_id):
            raise Invalid(f"{context_id!r} is not a valid context id.", code="invalid_parameter")
        listed = orjson.loads(await contexts.context_list(conn, viewer, context_id, EVERYTHING))
        items, total = listed["items"], listed["total"]
    return page(
        request, "contexts.html", viewer=viewer, context_id=context_id, items=items, total=total
    )


@router.get("/webhooks")
async def delivery_log(
    request: Request, conn: ReadConn, viewer: Publisher, status: str = ""
) -> Response:
    """The webhook delivery log, newest first, with each attempt."""
    if status and status not in DELIVERY_STATUSES:
        raise Invalid(f"status must be one of {', '.join(DELIVERY_STATUSES)}.")
    app = await portal.get_app(conn, _app_id(viewer))
    deliveries, total = await webhooks.deliveries(
        conn, viewer, owners.app(app["app_id"]), status or None, EVERYTHING
    )
    return page(
        request,
        "webhooks.html",
        viewer=viewer,
        webhook_url=app["webhook_url"],
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
    viewer: Publisher,
    _: Csrf,
) -> Response:
    """Queue a delivery again, keeping its webhook-id."""
    schedule = request.app.state.settings.retry_schedule
    await webhooks.retry_delivery(conn, viewer, owners.app(_app_id(viewer)), delivery_id, schedule)
    session_of(request).add_flash("ok", f"Delivery {delivery_id} queued again.")
    return redirect(request, "/app/webhooks")


@router.post("/webhooks/test")
async def send_test(request: Request, conn: WriteConn, viewer: Publisher, _: Csrf) -> Response:
    """Queue a webhook_test event."""
    await webhooks.send_test(conn, viewer, owners.app(_app_id(viewer)))
    session_of(request).add_flash("ok", "A webhook_test event was queued.")
    return redirect(request, "/app/webhooks")
