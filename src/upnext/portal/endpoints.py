"""HTTP routes of the Portal API: admin accounts and keys, publisher apps, platform review."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Request, Response

from upnext.deps import (
    AdminCaller,
    AppSettings,
    Conn,
    PlatformCaller,
    PlatformReader,
    PublisherCaller,
    PublisherReader,
)
from upnext.identifiers import ServerId
from upnext.kit.openapi import PUBLIC, errors, problems
from upnext.kit.pagination import ItemPage, ListObject, list_object
from upnext.kit.responses import JSON, json_response, no_content
from upnext.portal import service
from upnext.portal.media import MEDIA_FILES
from upnext.portal.schemas import (
    AppDetail,
    AppOut,
    AppPatch,
    AuditEntry,
    AvailIn,
    AvailOut,
    GuidelinesIn,
    GuidelinesOut,
    KeyInfo,
    KeyOut,
    NameIn,
    PlatformApp,
    PlatformData,
    PlatformDataOut,
    PlatformDetail,
    PlatformOut,
    PlatformPatch,
)

admin = APIRouter(prefix="/v1/admin", tags=["admin"])
publisher = APIRouter(prefix="/v1/apps", tags=["apps"])
platform = APIRouter(prefix="/v1/platforms", tags=["platforms"])


def _list(items: list[Any], total: int, page: Any) -> JSON:
    return json_response(list_object(items, total, page))


# admin


@admin.post("/platforms", status_code=201, response_model=PlatformOut, responses=errors(422))
async def create_platform(body: NameIn, conn: Conn, caller: AdminCaller) -> JSON:
    """Create a platform (a TV maker)."""
    return json_response(await service.create_platform(conn, body.name, actor=caller), 201)


@admin.get("/platforms", response_model=ListObject[PlatformOut], responses=errors())
async def list_platforms(conn: Conn, _: AdminCaller, page: ItemPage) -> JSON:
    """List platforms, newest first."""
    return _list(*await service.list_platforms(conn, page), page)


@admin.post("/apps", status_code=201, response_model=AppOut, responses=errors(422))
async def create_app(body: NameIn, conn: Conn, caller: AdminCaller) -> JSON:
    """Create an app (a publisher's streaming service)."""
    return json_response(await service.create_app(conn, body.name, actor=caller), 201)


@admin.get("/apps", response_model=ListObject[AppOut], responses=errors())
async def list_apps(conn: Conn, _: AdminCaller, page: ItemPage) -> JSON:
    """List apps, newest first."""
    return _list(*await service.list_apps(conn, page), page)


@admin.post(
    "/platforms/{platform_id}/keys", status_code=201, response_model=KeyOut, responses=errors(404)
)
async def create_platform_key(platform_id: ServerId, conn: Conn, caller: AdminCaller) -> JSON:
    """Create a key for a platform; its secret is shown only in this response."""
    key = await service.create_key(conn, "platform", platform_id=platform_id, actor=caller)
    return json_response(key, 201)


@admin.post("/apps/{app_id}/keys", status_code=201, response_model=KeyOut, responses=errors(404))
async def create_app_key(app_id: ServerId, conn: Conn, caller: AdminCaller) -> JSON:
    """Create a publisher key for an app; its secret is shown only in this response."""
    key = await service.create_key(conn, "publisher", app_id=app_id, actor=caller)
    return json_response(key, 201)


@admin.get("/keys", response_model=ListObject[KeyInfo], responses=errors())
async def list_keys(
    conn: Conn,
    _: AdminCaller,
    page: ItemPage,
    platform_id: str | None = None,
    app_id: str | None = None,
) -> JSON:
    """List keys (never their secrets), newest first, optionally of one platform or app."""
    keys = await service.list_keys(conn, page, platform_id=platform_id, app_id=app_id)
    return _list(*keys, page)


@admin.delete("/keys/{key_id}", status_code=204, responses=errors(404, 409))
async def revoke_key(key_id: ServerId, conn: Conn, caller: AdminCaller) -> Response:
    """Revoke a key: it stops working at once."""
    await service.revoke_key(conn, caller, key_id)
    return no_content()


# publisher


@publisher.get("/{app_id}", response_model=AppDetail, responses=errors(404))
async def get_app(
    app_id: ServerId, conn: Conn, caller: PublisherReader, settings: AppSettings
) -> JSON:
    """The app with its webhook URL, avails and uploaded media."""
    return json_response(await service.app_detail(conn, caller, app_id, settings.media_base))


@publisher.patch("/{app_id}", response_model=AppDetail, responses=errors(404, 422))
async def update_app(
    app_id: ServerId, body: AppPatch, conn: Conn, caller: PublisherCaller, settings: AppSettings
) -> JSON:
    """Set or clear the app's webhook URL; choose whether attaching needs a handoff token."""
    allow_private, media_base = settings.webhook_allow_private, settings.media_base
    app = await service.update_app(
        conn, caller, app_id, body, allow_private=allow_private, media_base=media_base
    )
    return json_response(app)


@publisher.put(
    "/{app_id}/avails/{platform_id}", response_model=AvailOut, responses=errors(404, 422)
)
async def set_avail(
    app_id: ServerId, platform_id: ServerId, body: AvailIn, conn: Conn, caller: PublisherCaller
) -> JSON:
    """Make the app's data available to a platform, or withdraw it."""
    return json_response(await service.set_avail(conn, caller, app_id, platform_id, body.enabled))


# The names in the schema only: any other is still 422 unknown_media_file, with the list.
MediaFileName = Annotated[
    str,
    Path(
        description="One of the media files an app may upload.",
        json_schema_extra={"enum": list(MEDIA_FILES)},
    ),
]

_PNG_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@publisher.put(
    "/{app_id}/media/{file_name}",
    responses=errors(404, 413, 422),
    openapi_extra=_PNG_BODY,
)
async def upload_media(
    app_id: ServerId,
    file_name: MediaFileName,
    request: Request,
    conn: Conn,
    caller: PublisherCaller,
) -> JSON:
    """Upload one of the app's media files: a PNG of the exact size its name demands."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    etag = await service.upload_media(
        conn, caller, app_id, file_name, request.body, content_type=content_type
    )
    return json_response({"app_id": app_id, "file_name": file_name, "etag": etag})


@publisher.delete("/{app_id}/media/{file_name}", status_code=204, responses=errors(404))
async def delete_media(
    app_id: ServerId, file_name: MediaFileName, conn: Conn, caller: PublisherCaller
) -> Response:
    """Delete one of the app's media files."""
    await service.delete_media(conn, caller, app_id, file_name)
    return no_content()


@publisher.get("/{app_id}/guidelines", response_model=GuidelinesOut, responses=errors(404))
async def get_guidelines(app_id: ServerId, conn: Conn, caller: PublisherReader) -> JSON:
    """The Publisher Guidelines thresholds applied to the app's progress reports."""
    return json_response(await service.get_guidelines(conn, caller, app_id))


@publisher.put("/{app_id}/guidelines", response_model=GuidelinesOut, responses=errors(404, 422))
async def set_guidelines(
    app_id: ServerId, body: GuidelinesIn, conn: Conn, caller: PublisherCaller
) -> JSON:
    """Set the app's Publisher Guidelines thresholds; omitted fields take the defaults."""
    return json_response(await service.set_guidelines(conn, caller, app_id, body.thresholds()))


# platform


@platform.get("/{platform_id}", response_model=PlatformDetail, responses=errors(404))
async def get_platform(platform_id: ServerId, conn: Conn, caller: PlatformReader) -> JSON:
    """The platform with its webhook URL."""
    return json_response(await service.platform_detail(conn, caller, platform_id))


@platform.patch("/{platform_id}", response_model=PlatformDetail, responses=errors(404, 422))
async def update_platform(
    platform_id: ServerId,
    body: PlatformPatch,
    conn: Conn,
    caller: PlatformCaller,
    settings: AppSettings,
) -> JSON:
    """Set or clear the platform's webhook URL (session_changed events)."""
    allow_private = settings.webhook_allow_private
    platform = await service.update_platform(
        conn, caller, platform_id, body, allow_private=allow_private
    )
    return json_response(platform)


@platform.get("/{platform_id}/apps", response_model=ListObject[PlatformApp], responses=errors(404))
async def list_platform_apps(
    platform_id: ServerId, conn: Conn, caller: PlatformReader, page: ItemPage, settings: AppSettings
) -> JSON:
    """Apps that made their data available to this platform, with their media to review."""
    apps, total = await service.platform_apps(conn, caller, platform_id, page, settings.media_base)
    return _list(apps, total, page)


@platform.put(
    "/{platform_id}/apps/{app_id}/platform_data",
    response_model=PlatformDataOut,
    responses=errors(404, 422),
)
async def set_platform_data(
    platform_id: ServerId,
    app_id: ServerId,
    body: Annotated[PlatformData, Body()],
    conn: Conn,
    caller: PlatformCaller,
) -> JSON:
    """Set the platform's own key-value object returned with the app's items."""
    return json_response(await service.set_platform_data(conn, caller, platform_id, app_id, body))


media = APIRouter(tags=["media"])


@media.get(
    "/media/{app_id}/{file_name}",
    response_class=Response,
    responses={
        200: {"content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}},
        304: {"description": "Not modified: the If-None-Match tag is current"},
        **problems(400, 404),
    },
    openapi_extra=PUBLIC,
)
async def get_media(app_id: ServerId, file_name: str, request: Request, conn: Conn) -> Response:
    """An uploaded media file: public and cacheable (ETag, If-None-Match)."""
    row = await service.get_media(conn, app_id, file_name)
    etag = f'"{row["etag"]}"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=300"}
    candidates = {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}
    if etag in candidates or "*" in candidates:
        return Response(status_code=304, headers=headers)
    return Response(row["content"], media_type="image/png", headers=headers)


@admin.get("/audit-log", response_model=ListObject[AuditEntry], responses=errors())
async def audit_log(conn: Conn, _: AdminCaller, page: ItemPage) -> JSON:
    """Admin actions (who, what, when), newest first."""
    return _list(*await service.list_audit(conn, page), page)
