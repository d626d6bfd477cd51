"""The lean path of the three session reads: every TV home screen's load.

``GET /v1/sessions/upnext/{id}``, ``.../{id}/{context_id}`` and ``.../{id}/contexts`` are
documented and served by their FastAPI routes in ``sessions/endpoints.py``. The edge layer
(``upnext.edge``) first offers each of these requests to ``LeanReads``, which serves the
common one without the framework's middleware, routing, dependency solving and
validation, and without SQLAlchemy: a platform key, well-formed ids, at most ``limit``
and ``next_key`` in the query. It reads on the process's own connections (``db.lean``)
through the same read model and services, and answers the same bytes and headers. The
item lists also take the list filters (``action``, ``media_type``, ``max_maturity``,
``unrated``) when each is written in its one plain spelling.

Anything else goes on to the documented route, which answers it as it always has: missing
or wrong credentials, malformed ids or query, operator keys, the shaping extensions, an
unknown session or a context that is not visible, a database error. Those answers stay
the framework's, so they cannot drift; tests/sessions/test_reads.py checks that every
request gets the same answer both ways.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from typing import get_args

import orjson
import psycopg
from psycopg_pool import PoolTimeout
from sqlalchemy.exc import DBAPIError
from starlette.types import ASGIApp, Receive, Scope, Send

from upnext import auth, readmodel
from upnext.contexts import service as contexts
from upnext.contexts.schemas import MAX_MATURITY, Action
from upnext.db.engine import Database
from upnext.db.statements import Raw
from upnext.kit.etag import etag_of, matches
from upnext.kit.ids import is_client_id
from upnext.kit.lean import Fallback, basic_credentials, header, respond_json
from upnext.kit.pagination import MAX_OFFSET, Page, list_object
from upnext.kit.problems import UpNextError
from upnext.readmodel import NO_FILTERS, Filters
from upnext.sessions import service
from upnext.settings import Settings

# What the lean routes take from a query: name -> largest value (the smallest is 1 for
# ``limit``, 0 for ``next_key``); anything else is the documented route's.
_ITEM_QUERY = {b"limit": 200, b"next_key": MAX_OFFSET}
_CONTEXTS_QUERY = {b"limit": 50, b"next_key": MAX_OFFSET}
# The filters of the item lists in their plain spellings (``max_maturity`` is checked apart).
_ACTIONS = frozenset(get_args(Action))
_KINDS = {b"movie": "movie", b"tv_episode": "tv_episode"}
_UNRATED = {b"include": True, b"exclude": False}
_FILTER_NAMES = frozenset((b"action", b"media_type", b"max_maturity", b"unrated"))


def _page(query_string: bytes, bounds: dict[bytes, int]) -> Page:
    """``limit`` and ``next_key`` as plain digits within their bounds, each at most once."""
    return _query(query_string, bounds)[0]


def _query(
    query_string: bytes, bounds: dict[bytes, int], filters: frozenset[bytes] = frozenset()
) -> tuple[Page, dict[bytes, bytes]]:
    """The page, and the raw values of the names in ``filters`` (the lists' filters)."""
    values = {b"limit": 50, b"next_key": 0}
    seen: set[bytes] = set()
    found: dict[bytes, bytes] = {}
    if query_string:
        for part in query_string.split(b"&"):
            name, _, value = part.partition(b"=")
            if name in seen:
                raise Fallback
            seen.add(name)
            if name in filters:
                found[name] = value
                continue
            if name not in bounds or not value.isdigit() or len(value) > 10:
                raise Fallback
            values[name] = int(value)
    limit, offset = values[b"limit"], values[b"next_key"]
    if not (1 <= limit <= bounds[b"limit"] and offset <= bounds[b"next_key"]):
        raise Fallback
    return Page(limit=limit, offset=offset), found


def _filters(raw: dict[bytes, bytes]) -> Filters:
    """The filters of plain values only: every other spelling, valid or not, is the
    documented route's (percent-escapes, signs, leading zeros, repeated actions)."""
    if not raw:
        return NO_FILTERS
    actions: tuple[str, ...] = ()
    if b"action" in raw:
        names = raw[b"action"].decode("ascii", "replace").split(",")
        if not set(names) <= _ACTIONS or len(set(names)) != len(names):
            raise Fallback
        actions = tuple(sorted(names))
    media_type = None
    if b"media_type" in raw:
        if raw[b"media_type"] not in _KINDS:
            raise Fallback
        media_type = _KINDS[raw[b"media_type"]]
    max_maturity = None
    if b"max_maturity" in raw:
        text = raw[b"max_maturity"]
        if not text.isdigit() or len(text) > 2 or (len(text) == 2 and text[0:1] == b"0"):
            raise Fallback
        max_maturity = int(text)
        if max_maturity > MAX_MATURITY:
            raise Fallback
    unrated = _UNRATED.get(raw.get(b"unrated", b"include"))
    if unrated is None:
        raise Fallback
    return Filters(actions, media_type, max_maturity, unrated)


async def _platform(raw: Raw, key_id: str, secret: str) -> str:
    """The platform of a platform key (an operator's key reads through the documented
    route, which resolves ``platform_id``)."""
    caller = await auth.authenticate(raw, key_id, secret)
    if caller.role != "platform" or caller.platform_id is None:
        raise Fallback
    return caller.platform_id


Read = Callable[[Raw, str, Scope], Awaitable[bytes]]


async def _aggregated(raw: Raw, platform_id: str, scope: Scope) -> bytes:
    return await _items(raw, platform_id, scope, None)


async def _one_context(raw: Raw, platform_id: str, scope: Scope) -> bytes:
    context_id = scope["upnext.path"]["context_id"]
    if context_id == "contexts" or not is_client_id(context_id):
        raise Fallback
    return await _items(raw, platform_id, scope, context_id)


async def _items(raw: Raw, platform_id: str, scope: Scope, context_id: str | None) -> bytes:
    page, asked = _query(scope["query_string"], _ITEM_QUERY, _FILTER_NAMES)
    filters = _filters(asked)
    settings: Settings = scope["app"].state.settings
    session_id = scope["upnext.path"]["session_id"]
    view = contexts.list_view(settings.item_ttl_days, windowed=True, filters=filters)
    body = await readmodel.session_read(
        raw, platform_id, session_id, context_id, page, view, settings.media_base
    )
    if body is None:
        raise Fallback  # the documented route names the reason
    return body


async def _attached(raw: Raw, platform_id: str, scope: Scope) -> bytes:
    page = _page(scope["query_string"], _CONTEXTS_QUERY)
    session_id = scope["upnext.path"]["session_id"]
    entries, total = await service.session_contexts(raw, platform_id, session_id, page)
    return orjson.dumps(list_object(entries, total, page))


class LeanRead:
    """The ASGI endpoint of one lean read, handing what it does not serve to ``documented``
    (the application, which routes it to the documented route)."""

    def __init__(self, read: Read, template: str, documented: ASGIApp) -> None:
        self.read = read
        self.template = template
        self.documented = documented

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        db: Database = scope["app"].state.db
        try:
            if db.lean is None or not is_client_id(scope["upnext.path"]["session_id"]):
                raise Fallback
            key_id, secret = basic_credentials(scope)
            raw = await db.lean.take()
            try:
                body = await self.read(raw, await _platform(raw, key_id, secret), scope)
            finally:
                await db.lean.give(raw)
        except (Fallback, UpNextError, DBAPIError, sqlite3.Error, psycopg.Error, PoolTimeout):
            await self.documented(scope, receive, send)
            return
        scope["upnext.route"] = self.template  # the metrics' label, as the route's
        await _respond(send, body, header(scope, b"if-none-match"))


async def _respond(send: Send, body: bytes, if_none_match: bytes | None) -> None:
    """What ``kit.etag.cached_body`` answers, header for header."""
    etag = etag_of(body)
    if if_none_match is not None and matches(if_none_match.decode("latin-1"), etag):
        headers = [(b"etag", etag.encode())]
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    await respond_json(send, body, [(b"etag", etag.encode())])


PREFIX = "/v1/sessions/upnext/"


class LeanReads:
    """Finds the lean read of a request, if it is one of the three."""

    def __init__(self, documented: ASGIApp) -> None:
        self.aggregated = LeanRead(_aggregated, PREFIX + "{session_id}", documented)
        self.attached = LeanRead(_attached, PREFIX + "{session_id}/contexts", documented)
        self.one = LeanRead(_one_context, PREFIX + "{session_id}/{context_id}", documented)

    def __call__(self, scope: Scope) -> LeanRead | None:
        path: str = scope["path"]
        if scope["method"] != "GET" or not path.startswith(PREFIX):
            return None
        segments = path[len(PREFIX) :].split("/")
        if len(segments) == 1 and segments[0]:
            scope["upnext.path"] = {"session_id": segments[0]}
            return self.aggregated
        if len(segments) == 2 and segments[0] and segments[1]:
            session_id, second = segments
            if second == "contexts":
                scope["upnext.path"] = {"session_id": session_id}
                return self.attached
            scope["upnext.path"] = {"session_id": session_id, "context_id": second}
            return self.one
        return None
