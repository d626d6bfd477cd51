"""Signing in with a key, signing out, and the home page that sends each role its way."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from upnext import auth
from upnext.kit.problems import Unauthorized
from upnext.web.access import Csrf, ReadConn, Viewer
from upnext.web.rendering import base_path, page, redirect
from upnext.web.session import session_of

router = APIRouter()

HOMES = {"admin": "/admin", "publisher": "/app", "platform": "/platform"}


def _safe_next(request: Request, target: str | None) -> str | None:
    """Only a path inside the portal: never an open redirect to another site."""
    base = base_path(request)
    if target and target.startswith(base + "/") and not target.startswith("//"):
        return target.removeprefix(base)
    return None


@router.get("/")
async def home(viewer: Viewer, request: Request) -> Response:
    """Each role's start page."""
    return redirect(request, HOMES[viewer.role])


@router.get("/login")
async def login_form(request: Request, next: str | None = None) -> Response:
    """The sign-in form: a key id and its secret."""
    return page(request, "login.html", next=next or "")


@router.post("/login")
async def login(
    request: Request,
    conn: ReadConn,
    _: Csrf,
    key_id: Annotated[str, Form(max_length=64)],
    secret: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str, Form(max_length=2048)] = "",
) -> Response:
    """Check the key with the API's own authentication, then start a session for it."""
    key_id, secret = key_id.strip(), secret.strip()
    if ":" in key_id and not secret:
        key_id, _sep, secret = key_id.partition(":")  # pasted as KY...:secret
    try:
        caller = await auth.authenticate(conn, key_id, secret)
    except Unauthorized:
        session_of(request).add_flash("error", "Unknown key id, wrong secret, or revoked key.")
        return page(request, "login.html", 401, next=next, key_id=key_id)
    session_of(request).sign_in(caller.key_id)
    return redirect(request, _safe_next(request, next) or HOMES[caller.role])


@router.post("/logout")
async def logout(request: Request, _: Csrf) -> Response:
    """End the session: its row is deleted, so its cookie is worthless from now on."""
    session_of(request).sign_out()
    return redirect(request, "/login")
