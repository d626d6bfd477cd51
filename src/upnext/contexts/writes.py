"""The lean path of ``PUT /v1/contexts/upnext/{context_id}``: every progress report.

Documented and served by ``put_item`` in ``contexts/endpoints.py``; the edge layer
(``upnext.edge``) first offers the request to ``LeanPut``, which serves the common one
without the framework's routing, middleware and dependency solving: a publisher key, a
well-formed context id, a JSON body that ``ItemIn`` accepts, no ``Idempotency-Key``. It
writes through the same service in a ``write()`` transaction, and answers once that is
durable. Anything else, errors included, goes on to the documented route with the body
replayed (a write that fails rolls back first, so the documented route starts afresh).
tests/contexts/test_writes.py checks that both answer alike.
"""

from __future__ import annotations

import orjson
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError
from starlette.types import ASGIApp, Receive, Scope, Send

from upnext import auth
from upnext.contexts import service
from upnext.contexts.schemas import STALE, ItemIn
from upnext.db.engine import Database
from upnext.kit.ids import is_client_id
from upnext.kit.lean import Fallback, basic_credentials, header, read_body, replaying, respond_json
from upnext.kit.problems import UpNextError
from upnext.kit.responses import SUCCESS

PREFIX = "/v1/contexts/upnext/"
_ANSWERS = {True: orjson.dumps(SUCCESS), False: orjson.dumps(STALE)}


def _context_id(scope: Scope) -> str:
    context_id: str = scope["path"][len(PREFIX) :]
    if context_id == "contexts" or not is_client_id(context_id):
        raise Fallback
    return context_id


def _plain(scope: Scope) -> None:
    """A JSON body of a declared length, without an idempotency key (the replay layer's)."""
    if header(scope, b"idempotency-key") is not None:
        raise Fallback
    if header(scope, b"content-type") != b"application/json":
        raise Fallback
    if header(scope, b"content-length") is None:
        raise Fallback


class LeanPut:
    """The ASGI endpoint of the lean item PUT, handing what it does not serve to
    ``documented`` (the application)."""

    template = PREFIX + "{context_id}"

    def __init__(self, documented: ASGIApp) -> None:
        self.documented = documented

    def __call__(self, scope: Scope) -> ASGIApp | None:
        """The lean endpoint of this request, if it is an item PUT."""
        path: str = scope["path"]
        if scope["method"] == "PUT" and path.startswith(PREFIX) and "/" not in path[len(PREFIX) :]:
            return self.serve
        return None

    async def serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        body: bytes | None = None
        try:
            context_id = _context_id(scope)
            _plain(scope)
            key_id, secret = basic_credentials(scope)
            body = await read_body(receive)
            item = ItemIn.model_validate(orjson.loads(body))
            db: Database = scope["app"].state.db
            async with db.write() as conn:
                caller = await auth.authenticate(conn, key_id, secret)
                if caller.role != "publisher":
                    raise Fallback
                written = await service.put_item(conn, caller, context_id, item)
        except (Fallback, UpNextError, ValidationError, orjson.JSONDecodeError, DBAPIError):
            await self.documented(
                scope, receive if body is None else replaying(body, receive), send
            )
            return
        scope["upnext.route"] = self.template  # the metrics' label, as the route's
        await respond_json(send, _ANSWERS[written], [])
