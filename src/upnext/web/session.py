"""The portal's cookie session: who is signed in, the CSRF nonce and one flash message.

The whole session lives in one sealed, HttpOnly, SameSite=Strict cookie scoped to the
portal; nothing is stored server-side. The key's secret is kept (sealed) so that every
request re-checks the key with ``portal.service.authenticate``: a revoked key is signed
out at once.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from upnext.web.sealing import Sealer

COOKIE = "upnext_portal"
MAX_AGE = 12 * 60 * 60
SCOPE_KEY = "upnext.portal_session"


@dataclass
class PortalSession:
    nonce: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    key_id: str | None = None
    secret: str | None = None
    issued: int = field(default_factory=lambda: int(time.time()))
    flash: list[tuple[str, str]] = field(default_factory=list)
    changed: bool = False

    def sign_in(self, key_id: str, secret: str) -> None:
        # A fresh nonce on every sign-in: a nonce planted before it is worthless after.
        self._reset()
        self.key_id, self.secret = key_id, secret

    def sign_out(self) -> None:
        self._reset()
        self.key_id = self.secret = None

    def add_flash(self, kind: str, message: str) -> None:
        # Capped: the whole session must fit in one cookie (browsers keep 4 KiB).
        self.flash = [*self.flash[-2:], (kind, message[:600])]
        self.changed = True

    def take_flash(self) -> list[tuple[str, str]]:
        messages, self.flash = self.flash, []
        self.changed = self.changed or bool(messages)
        return messages

    def _reset(self) -> None:
        self.nonce = secrets.token_urlsafe(16)
        self.issued = int(time.time())
        self.changed = True

    def dump(self) -> dict[str, Any]:
        return {
            "n": self.nonce,
            "k": self.key_id,
            "s": self.secret,
            "t": self.issued,
            "f": self.flash,
        }

    @classmethod
    def load(cls, value: dict[str, Any] | None) -> PortalSession:
        if value is None or not isinstance(value.get("t"), int):
            return cls(changed=True)
        if value["t"] + MAX_AGE < time.time():
            return cls(changed=True)
        flash = [(str(kind), str(text)) for kind, text in value.get("f") or []]
        return cls(str(value["n"]), value.get("k"), value.get("s"), value["t"], flash)


def session_of(request: Request) -> PortalSession:
    # setdefault: an error page may be rendered outside the middleware (a crash before it).
    session: PortalSession = request.scope.setdefault(SCOPE_KEY, PortalSession())
    return session


class SessionMiddleware:
    """Loads the session from its cookie and writes it back when it changed."""

    def __init__(self, app: ASGIApp, sealer: Sealer) -> None:
        self.app = app
        self.sealer = sealer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        session = PortalSession.load(self._read(scope))
        scope[SCOPE_KEY] = session
        path = scope.get("root_path") or "/"
        secure = "; Secure" if scope.get("scheme") == "https" else ""

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and session.changed:
                value = self.sealer.seal(session.dump())
                headers = MutableHeaders(scope=message)
                headers.append(
                    "Set-Cookie",
                    f"{COOKIE}={value}; Path={path}; Max-Age={MAX_AGE}; HttpOnly; "
                    f"SameSite=Strict{secure}",
                )
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _read(self, scope: Scope) -> dict[str, Any] | None:
        for name, value in scope["headers"]:
            if name == b"cookie":
                cookie: SimpleCookie = SimpleCookie()
                try:
                    cookie.load(value.decode("latin-1"))
                except Exception:
                    return None
                if COOKIE in cookie:
                    return self.sealer.open(cookie[COOKIE].value)
        return None
