"""Request dependencies: the transaction, the settings and the authenticated caller."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from sqlalchemy.ext.asyncio import AsyncConnection

from upnext import auth
from upnext.callers import Caller, Role, require_role
from upnext.db.engine import Database
from upnext.kit.problems import Unauthorized
from upnext.settings import Settings

_basic = HTTPBasic(
    auto_error=False,
    realm="upnext",
    description="HTTP Basic: username = key_id, password = secret.",
)

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def _connection(request: Request) -> AsyncIterator[AsyncConnection]:
    # Commits before the response is sent (scope="function"): a write is acknowledged
    # only once it is durable.
    db: Database = request.app.state.db
    transaction = db.read() if request.method in READ_METHODS else db.write()
    async with transaction as conn:
        yield conn


Conn = Annotated[AsyncConnection, Depends(_connection, scope="function")]


async def _settings(request: Request) -> Settings:
    # async: FastAPI runs a plain def dependency in a worker thread, a hop per request.
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(_settings)]


async def _credentials(
    credentials: Annotated[HTTPBasicCredentials | None, Depends(_basic)],
) -> HTTPBasicCredentials:
    # A dependency, so that a request without credentials is 401 before its parameters
    # are validated, also on endpoints that check the key themselves (``authorize``).
    if credentials is None:
        raise Unauthorized("Authenticate with HTTP Basic: key_id as user, secret as password.")
    return credentials


Credentials = Annotated[HTTPBasicCredentials, Depends(_credentials)]
"""The HTTP Basic credentials sent (401 if none; documented as the API's security scheme)."""


async def authorize(
    conn: AsyncConnection, credentials: HTTPBasicCredentials, *roles: Role
) -> Caller:
    """The caller the credentials identify, if its role is one of ``roles`` (any if none).

    For endpoints that open their own transaction instead of taking ``Conn``: the hot
    list reads, where the generator dependency's set-up and exit stack cost more than
    the read itself.
    """
    caller = await auth.authenticate(conn, credentials.username, credentials.password)
    return require_role(caller, *roles) if roles else caller


async def _caller(conn: Conn, credentials: Credentials) -> Caller:
    return await authorize(conn, credentials)


def _with_role(*roles: Role) -> Callable[[Caller], Awaitable[Caller]]:
    async def dependency(caller: Annotated[Caller, Depends(_caller)]) -> Caller:
        return require_role(caller, *roles)

    return dependency


AdminCaller = Annotated[Caller, Depends(_with_role("admin"))]
PlatformCaller = Annotated[Caller, Depends(_with_role("platform"))]
PublisherCaller = Annotated[Caller, Depends(_with_role("publisher"))]
PlatformReader = Annotated[Caller, Depends(_with_role("platform", "admin"))]
"""A platform key, or the operator's for reads."""
PublisherReader = Annotated[Caller, Depends(_with_role("publisher", "admin"))]
"""A publisher key, or the operator's for reads."""
