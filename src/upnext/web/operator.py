"""Operator pages: platforms, apps and their keys (a new secret is shown once)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from upnext.identifiers import ServerId
from upnext.kit.pagination import Page
from upnext.portal import service as portal
from upnext.portal.schemas import NameIn
from upnext.web.access import Csrf, Operator, ReadConn, WriteConn
from upnext.web.forms import parse
from upnext.web.rendering import page, redirect
from upnext.web.session import session_of

router = APIRouter(prefix="/admin")

EVERYTHING = Page(limit=500, offset=0)


@router.get("")
async def overview(request: Request, conn: ReadConn, viewer: Operator) -> Response:
    """Platforms, apps and keys."""
    platforms, _ = await portal.list_platforms(conn, EVERYTHING)
    apps, _ = await portal.list_apps(conn, EVERYTHING)
    keys, _ = await portal.list_keys(conn, EVERYTHING, platform_id=None, app_id=None)
    return page(
        request,
        "operator.html",
        viewer=viewer,
        platforms=platforms,
        apps=apps,
        keys=keys,
    )


@router.post("/platforms")
async def create_platform(
    request: Request,
    conn: WriteConn,
    viewer: Operator,
    _: Csrf,
    name: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    """Create a platform."""
    created = await portal.create_platform(conn, parse(NameIn, {"name": name}).name, actor=viewer)
    session_of(request).add_flash("ok", f"Platform {created['name']} created.")
    return redirect(request, "/admin")


@router.post("/apps")
async def create_app(
    request: Request,
    conn: WriteConn,
    viewer: Operator,
    _: Csrf,
    name: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    """Create an app."""
    created = await portal.create_app(conn, parse(NameIn, {"name": name}).name, actor=viewer)
    session_of(request).add_flash("ok", f"App {created['name']} created.")
    return redirect(request, "/admin")


@router.post("/platforms/{platform_id}/keys")
async def create_platform_key(
    request: Request, platform_id: ServerId, conn: WriteConn, viewer: Operator, _: Csrf
) -> Response:
    """Create a platform key and show its secret, this once."""
    key = await portal.create_key(conn, "platform", platform_id=platform_id, actor=viewer)
    return page(request, "key_created.html", 201, viewer=viewer, key=key)


@router.post("/apps/{app_id}/keys")
async def create_app_key(
    request: Request, app_id: ServerId, conn: WriteConn, viewer: Operator, _: Csrf
) -> Response:
    """Create a publisher key and show its secret, this once."""
    key = await portal.create_key(conn, "publisher", app_id=app_id, actor=viewer)
    return page(request, "key_created.html", 201, viewer=viewer, key=key)


@router.post("/keys/{key_id}/revoke")
async def revoke_key(
    request: Request, key_id: ServerId, conn: WriteConn, viewer: Operator, _: Csrf
) -> Response:
    """Revoke a key: it stops working at once, in the API and in the portal."""
    await portal.revoke_key(conn, viewer, key_id)
    session_of(request).add_flash("ok", f"Key {key_id} revoked.")
    return redirect(request, "/admin")
