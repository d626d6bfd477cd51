"""Who is signed in to the portal, what they may open, and the CSRF check of every form."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncConnection

from upnext import auth
from upnext.callers import Caller, Role, require_role
from upnext.db.engine import Database
from upnext.kit.problems import Unauthorized, UpNextError
from upnext.web.session import session_of


class SignInRequired(Exception):
    """No valid key in the session: the error handler sends the browser to sign in."""


class CsrfFailed(UpNextError):
    status = 403
    code = "csrf_failed"
    title = "Form expired"


async def _reader(request: Request) -> AsyncIterator[AsyncConnection]:
    db: Database = request.app.state.db
    async with db.read() as conn:
        yield conn


async def _writer(request: Request) -> AsyncIterator[AsyncConnection]:
    db: Database = request.app.state.db
    async with db.write() as conn:
        yield conn


ReadConn = Annotated[AsyncConnection, Depends(_reader, scope="function")]
WriteConn = Annotated[AsyncConnection, Depends(_writer, scope="function")]


ENDED = "Your session ended: it expired, you signed out, or its key was revoked. Sign in again."


async def _viewer(request: Request) -> Caller:
    """The signed-in key, read with the session on this very request (never cached)."""
    session = session_of(request)
    if session.key is None:
        if session.lapsed:
            session.add_flash("error", ENDED)
        raise SignInRequired
    try:
        return auth.signed_in_caller(session.key)
    except Unauthorized:
        session.sign_out()
        session.add_flash("error", ENDED)
        raise SignInRequired from None


def _with_role(role: Role) -> Callable[[Caller], Awaitable[Caller]]:
    async def dependency(caller: Annotated[Caller, Depends(_viewer)]) -> Caller:
        return require_role(caller, role, needed_by="This page")

    return dependency


Viewer = Annotated[Caller, Depends(_viewer)]
Operator = Annotated[Caller, Depends(_with_role("admin"))]
Publisher = Annotated[Caller, Depends(_with_role("publisher"))]
Platform = Annotated[Caller, Depends(_with_role("platform"))]


async def _check_csrf(request: Request) -> None:
    form = await request.form()
    token = form.get("csrf_token")
    expected = session_of(request).nonce
    if not isinstance(token, str) or expected is None or not hmac.compare_digest(token, expected):
        raise CsrfFailed("The form expired or came from another site; reload the page and retry.")


Csrf = Annotated[None, Depends(_check_csrf)]
"""Every state-changing route takes this: the form's token must match the session's."""
