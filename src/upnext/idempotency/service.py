"""The database-backed store of idempotency keys, scoped to the authenticated API key."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.types import Scope

from upnext import auth
from upnext.db.engine import Database
from upnext.idempotency import repository as repo
from upnext.kit.idempotency import WRITE_METHODS, Outcome, Replay
from upnext.kit.openapi import Operation, edit_operations, path_index, problem
from upnext.kit.problems import Unauthorized
from upnext.kit.timestamps import now_us

RETENTION_US = 24 * 3600 * 1_000_000
# A claim whose request has not answered by then belongs to a process that died: the key
# may be used again rather than answer 409 for a day.
ABANDONED_US = 60 * 1_000_000


def _basic(scope: Scope) -> tuple[str, str] | None:
    scheme, _, encoded = Headers(scope=scope).get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, sep, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, secret) if sep else None


class DatabaseStore:
    """Keys live in ``idempotency_keys``, so every process of the service shares them."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    @property
    def db(self) -> Database:
        db: Database = self.app.state.db
        return db

    async def owner(self, scope: Scope) -> str | None:
        # Checked here, not trusted from the header: a stored answer is replayed only to
        # the key that caused it.
        credentials = _basic(scope)
        if credentials is None:
            return None
        async with self.db.read() as conn:
            try:
                caller = await auth.authenticate(conn, *credentials)
            except Unauthorized:
                return None
        return caller.key_id

    async def claim(self, owner: str, key: str, fingerprint: str, now: int = 0) -> Outcome:
        now = now or now_us()
        async with self.db.write() as conn:
            if await repo.insert(conn, owner, key, fingerprint, now):
                return "claimed"
            row = await repo.get(conn, owner, key)
            if row is None:  # forgotten between the two statements: ours to take
                return (
                    "claimed"
                    if await repo.insert(conn, owner, key, fingerprint, now)
                    else "in_flight"
                )
            expired = row["created_at"] <= now - RETENTION_US
            abandoned = row["status_code"] is None and row["created_at"] <= now - ABANDONED_US
            if expired or abandoned:
                taken = await repo.take_over(conn, owner, key, row["created_at"], fingerprint, now)
                return "claimed" if taken else "in_flight"
        if row["request_hash"] != fingerprint:
            return "mismatch"
        if row["status_code"] is None:
            return "in_flight"
        return Replay(row["status_code"], bytes(row["response_body"] or b""))

    async def save(self, owner: str, key: str, status: int, body: bytes) -> None:
        async with self.db.write() as conn:
            await repo.save(conn, owner, key, status, body)

    async def release(self, owner: str, key: str) -> None:
        async with self.db.write() as conn:
            await repo.delete(conn, owner, key)


async def purge(db: Database, now: int) -> int:
    """Forget keys older than 24 hours; how many."""
    async with db.write() as conn:
        return await repo.purge(conn, now - RETENTION_US)


IDEMPOTENCY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Extension: a retry with the same key and body within 24 h gets the first "
    "answer again (Idempotent-Replayed: true) instead of running twice. The same key with "
    "another body is 422; while the first request runs, 409.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
    "example": "3f1c2a9e-7b4d-4c1e-9a51-0d6c2b7e8f10",
}


# Minting a handoff answers with a token that must never be stored in clear, which a
# stored answer would be for 24 h; repeating a mint is harmless anyway (an unused token
# expires), so the header is not honoured there.
_UNSTORED = re.compile(r"^/v1/contexts/upnext/[^/]+/handoffs$")

REUSED = "idempotency_key_reused: this Idempotency-Key was used with another request"
IN_FLIGHT = "idempotency_in_flight: the first request with this Idempotency-Key is still running"


def applies(path: str) -> bool:
    """Whether writes to ``path`` honour ``Idempotency-Key`` (not the handoff mint: its
    stored answer would keep the token in clear)."""
    return path.startswith("/v1/") and _UNSTORED.match(path) is None


def honoured(app: FastAPI) -> Callable[[Scope], bool]:
    """Which requests have their ``Idempotency-Key`` honoured (``kit.idempotency``, with a
    ``DatabaseStore``): writes to a path that ``applies``, by a method the path serves."""

    def check(scope: Scope) -> bool:
        # A method the path does not serve is 405 whatever the key: a key reused on it
        # must not answer 422 first, and nothing runs that could be replayed.
        path: str = scope["path"]
        return applies(path) and scope["method"] in path_index(app).methods(path)

    return check


def _document(operation: Operation) -> None:
    """The header, and the answers it adds to the operation's own."""
    operation.setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)
    responses = operation["responses"]
    for status, answer in ((422, REUSED), (409, IN_FLIGHT)):
        own = responses.get(str(status))
        description = f"{own['description']}; or {answer}" if own else answer
        responses[str(status)] = problem(status, description)


def document(app: FastAPI) -> None:
    """Document ``Idempotency-Key`` and its answers on every write it is honoured on."""

    def document(path: str, method: str, operation: Operation) -> None:
        if applies(path) and method.upper() in WRITE_METHODS:
            _document(operation)

    edit_operations(app, document)
