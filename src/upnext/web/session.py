"""The portal's sessions: kept on the server, named by a random token in one cookie.

The cookie (HttpOnly, SameSite=Strict, scoped to the portal) holds a random token and
nothing else. The ``portal_sessions`` row it names, found by the token's SHA-256, holds the
signed-in key id, the CSRF nonce, pending flash messages and the expiry; so every process
on the database knows every session, whatever it was started with, and across restarts.
Each request reads its row joined with the key, so a revoked key is refused at once (and
revoking deletes the key's rows besides). Signing out deletes the row.

A visitor who is not signed in gets a row only when one is needed: the sign-in form's
CSRF nonce, or a message for the next page. Signing in always starts a new token.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from typing import Any

import orjson
from starlette.datastructures import MutableHeaders, State
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from upnext.db.engine import Database
from upnext.kit.hashing import hash_secret
from upnext.portal import service as portal

COOKIE = "upnext_portal"
MAX_AGE = 12 * 60 * 60  # a sign-in lasts this long
ANONYMOUS_MAX_AGE = 60 * 60  # the sign-in form's nonce and messages, before signing in
SCOPE_KEY = "upnext.portal_session"
TOKEN_BYTES = 32  # 256 bits from secrets.token_urlsafe
US = 1_000_000

# Paths that never read or change a session: no database read for them.
SESSIONLESS = ("/static/", "/art/")

Clock = Callable[[], int]
"""Now, in microseconds since the epoch (``app.state.portal_clock``; tests replace it)."""


@dataclass
class PortalSession:
    """One request's view of its session; the middleware stores what changed."""

    now: int
    token: str | None = None  # the cookie's token, if it names a live row
    key: dict[str, Any] | None = None  # the row read with its key's role and revocation
    nonce: str | None = None
    expires_at: int = 0
    flash: list[tuple[str, str]] = field(default_factory=list)
    lapsed: bool = False  # a cookie came whose session is gone (expired, revoked, signed out)
    changed: bool = False
    discarded: str | None = None  # a token whose row is deleted when the response starts

    @property
    def key_id(self) -> str | None:
        return None if self.key is None else self.key["key_id"]

    def csrf_token(self) -> str:
        """The nonce every form carries; made (with a row to keep it) when first needed."""
        if self.nonce is None:
            self.nonce = secrets.token_urlsafe(TOKEN_BYTES)
            self.changed = True
        return self.nonce

    def sign_in(self, key_id: str) -> None:
        # A new token and nonce on every sign-in: ones planted before it are worthless after.
        self._end()
        self.key = {"key_id": key_id}
        self.nonce = secrets.token_urlsafe(TOKEN_BYTES)
        self.expires_at = self.now + MAX_AGE * US
        self.changed = True

    def sign_out(self) -> None:
        self._end()
        self.flash = []

    def add_flash(self, kind: str, message: str) -> None:
        self.flash = [*self.flash[-2:], (kind, message[:600])]
        self.changed = True

    def take_flash(self) -> list[tuple[str, str]]:
        messages, self.flash = self.flash, []
        self.changed = self.changed or bool(messages)
        return messages

    def _end(self) -> None:
        if self.token is not None:
            self.discarded = self.token
        self.token = self.key = self.nonce = None
        self.expires_at = 0
        self.changed = False

    @classmethod
    def of_row(cls, token: str, row: dict[str, Any], now: int) -> PortalSession:
        flash = [(str(kind), str(text)) for kind, text in orjson.loads(row["flash"] or "[]")]
        key = row if row["key_id"] is not None else None
        return cls(now, token, key, row["csrf_nonce"], row["expires_at"], flash)


def session_of(request: Request) -> PortalSession:
    # setdefault: an error page may be rendered outside the middleware (a crash before it).
    session: PortalSession = request.scope.setdefault(SCOPE_KEY, PortalSession(0))
    return session


class SessionMiddleware:
    """Reads the request's session and stores its changes when the response starts."""

    def __init__(self, app: ASGIApp, state: State) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        root = scope.get("root_path") or ""
        if scope["type"] != "http" or scope["path"].removeprefix(root).startswith(SESSIONLESS):
            await self.app(scope, receive, send)
            return
        db: Database = self.state.db
        clock: Clock = self.state.portal_clock
        presented = _cookie_token(scope)
        session = await _load(db, presented, clock())
        scope[SCOPE_KEY] = session
        attributes = f"Path={root or '/'}; HttpOnly; SameSite=Strict"
        if scope.get("scheme") == "https":
            attributes += "; Secure"

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                cookie = await _store(db, session, presented)
                if cookie is not None:
                    MutableHeaders(scope=message).append("Set-Cookie", f"{cookie}; {attributes}")
            await send(message)

        await self.app(scope, receive, send_with_cookie)


async def _load(db: Database, token: str | None, now: int) -> PortalSession:
    if token is None:
        return PortalSession(now)
    async with db.read() as conn:
        row = await portal.find_session(conn, hash_secret(token), now)
    if row is None:
        return PortalSession(now, lapsed=True)
    return PortalSession.of_row(token, row, now)


async def _store(db: Database, session: PortalSession, presented: str | None) -> str | None:
    """Write what the request changed; the Set-Cookie value, if the cookie must change."""
    if session.discarded is None and not session.changed:
        return None
    flash = orjson.dumps(session.flash).decode() if session.flash else None
    minted = None
    async with db.write() as conn:
        if session.discarded is not None:
            await portal.end_session(conn, hash_secret(session.discarded))
        if session.changed and session.token is None:
            minted = secrets.token_urlsafe(TOKEN_BYTES)
            expires = session.expires_at or session.now + ANONYMOUS_MAX_AGE * US
            await portal.start_session(
                conn,
                {
                    "token_hash": hash_secret(minted),
                    "key_id": session.key_id,
                    "csrf_nonce": session.csrf_token(),
                    "flash": flash,
                    "created_at": session.now,
                    "expires_at": expires,
                },
            )
            session.token, session.expires_at = minted, expires
        elif session.changed and session.token is not None:
            values = {"csrf_nonce": session.csrf_token(), "flash": flash}
            await portal.save_session(conn, hash_secret(session.token), values)
    session.changed, session.discarded = False, None
    if minted is not None:
        return f"{COOKIE}={minted}; Max-Age={(session.expires_at - session.now) // US}"
    if session.token is None and presented is not None:
        return f"{COOKIE}=; Max-Age=0"  # signed out: the browser forgets the dead token
    return None


def _cookie_token(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"cookie":
            cookie: SimpleCookie = SimpleCookie()
            try:
                cookie.load(value.decode("latin-1"))
            except CookieError:
                return None
            if COOKIE in cookie:
                token = cookie[COOKIE].value
                # A token we made is 43 URL-safe characters; anything else names no row.
                return token if 0 < len(token) <= 64 else None
    return None
