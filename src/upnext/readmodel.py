"""The list read model: what the session and context lists show, read and spliced in one place.

Every TV home screen's load is one aggregated list, so this module holds all of it: the
session view (which contexts a session shows and their apps' extras), the per-context
scans and their merge, and the splice of stored item JSON into the page.

Items are rendered once, when they are written (``items.rendered``, by
``contexts.schemas.render_item``). A list read renders nothing: it joins the stored text
of each item with its app's fragment (``platform_data`` and ``app_media``, the same for
every item of an app) and the page envelope. The result is byte-identical to serialising
the List Object with orjson (tests/test_readmodel.py). A fragment is whatever an item
of an app gains per caller. What differs per item and per caller is spliced per row, and
only on rows that have it (``_spliced``): the playback link of the calling platform, and
``hidden`` of a snooze that has ended but that the snooze job has not yet written.

The cost of a page follows the page asked for and the number of attached contexts, not the
items stored: each context contributes at most ``next_key + limit`` rows from its own
range of ``ix_items_context_recent`` (docs/architecture.md).
"""

from __future__ import annotations

import functools
import itertools
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson
from sqlalchemy import ColumnElement, and_, bindparam, case, func, or_, select, true, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from upnext.db.statements import Executor, Raw, Statement, dialect_of, pipelined
from upnext.db.tables import app_media, avails, items, platform_data, session_contexts, sessions
from upnext.kit.pagination import Page
from upnext.portal.media import media_urls


@dataclass(frozen=True)
class Filters:
    """The query filters of a list (docs/extensions.md); the defaults filter nothing.

    ``actions``: only these (empty: all). ``media_type``: only this kind. ``max_maturity``:
    leaves out items whose ``maturity_age`` is above it. ``unrated``: whether items
    without ``maturity_age`` stay.
    """

    actions: tuple[str, ...] = ()
    media_type: str | None = None
    max_maturity: int | None = None
    unrated: bool = True

    def params(self) -> dict[str, Any]:
        found: dict[str, Any] = {f"f_a{i}": action for i, action in enumerate(self.actions)}
        if self.media_type is not None:
            found["f_media"] = self.media_type
        if self.max_maturity is not None:
            found["f_max"] = self.max_maturity
        return found


NO_FILTERS = Filters()


@dataclass(frozen=True)
class ListView:
    """Which stored items a list shows at ``now`` (docs/extensions.md).

    ``max_age_us``: items untouched for longer are hidden (None keeps them forever).
    ``per_series``: only the newest item of each series of each app.
    ``per_app_limit``: at most this many items of each app.
    ``windowed``: items whose ``available_from`` is still ahead are left out (the session
    lists; the publisher's own list shows them).
    """

    now: int
    max_age_us: int | None = None
    per_series: bool = False
    per_app_limit: int | None = None
    windowed: bool = False
    filters: Filters = NO_FILTERS

    @property
    def shaped(self) -> bool:
        return self.per_series or self.per_app_limit is not None

    @property
    def shape(self) -> Shape:
        f = self.filters
        if f is NO_FILTERS:  # the common list: one of four shapes, made once
            return _UNFILTERED[self.max_age_us is not None, self.windowed]
        return Shape(
            self.max_age_us is not None,
            self.windowed,
            len(f.actions),
            f.media_type is not None,
            f.max_maturity is not None,
            not f.unrated,
        )

    def params(self) -> dict[str, Any]:
        """The bound parameters of the visibility condition of ``shape``."""
        params: dict[str, Any] = {"now": self.now}
        if self.max_age_us is not None:
            params["cutoff"] = self.now - self.max_age_us
        if self.filters is not NO_FILTERS:
            params.update(self.filters.params())
        return params


class Shape(NamedTuple):
    """What a list's visibility condition tests (a statement is built once per shape; a
    tuple, as it is hashed on every list read)."""

    retention: bool = False
    windowed: bool = False
    actions: int = 0
    media_type: bool = False
    max_maturity: bool = False
    rated_only: bool = False


_UNFILTERED = {
    (retention, windowed): Shape(retention, windowed)
    for retention in (False, True)
    for windowed in (False, True)
}


# --- the session view ---------------------------------------------------------------


@dataclass(frozen=True)
class SessionView:
    """What the aggregated list needs besides the items, read in one round trip."""

    context_ids: list[str]  # attached, and their app still available to the platform
    platform_data: dict[str, str]  # app_id -> the platform's stored JSON object
    media: dict[str, set[str]]  # app_id -> uploaded file names
    platform_id: str = ""  # whose session: the playback link spliced is this platform's

    def fragments(self, media_base: str) -> dict[str, bytes]:
        """Each visible app's per-platform fields as the JSON an item gains."""
        apps = {*self.platform_data, *self.media}
        return {app_id: self.fragment(app_id, media_base) for app_id in apps}

    def fragment(self, app_id: str, media_base: str) -> bytes:
        names = frozenset(self.media.get(app_id, ()))
        return _fragment(media_base, app_id, self.platform_data.get(app_id, "{}"), names)


@functools.lru_cache(maxsize=4096)
def _fragment(media_base: str, app_id: str, data: str, names: frozenset[str]) -> bytes:
    """An app's fragment from what is stored: the same stored values give the same bytes,
    so it is kept (each process holds a few per app and platform). It closes the item."""
    urls = media_urls(media_base, app_id, set(names))
    platform = orjson.dumps(orjson.loads(data))
    return b',"platform_data":' + platform + b',"app_media":' + orjson.dumps(urls) + b"}"


# Built once: composing these joins per request costs more than the indexed reads they run.
# The available apps' platform data and media ride along (a few rows per context).
_SESSION_VIEW = Statement(
    select(
        session_contexts.c.context_id,
        avails.c.app_id.label("available"),
        platform_data.c.data,
        app_media.c.file_name,
    )
    .select_from(
        sessions.outerjoin(
            session_contexts,
            and_(
                session_contexts.c.platform_id == sessions.c.platform_id,
                session_contexts.c.session_id == sessions.c.session_id,
            ),
        )
        .outerjoin(
            avails,
            and_(
                avails.c.app_id == session_contexts.c.app_id,
                avails.c.platform_id == session_contexts.c.platform_id,
                avails.c.enabled.is_(True),
            ),
        )
        .outerjoin(
            platform_data,
            and_(
                platform_data.c.platform_id == sessions.c.platform_id,
                platform_data.c.app_id == avails.c.app_id,
            ),
        )
        .outerjoin(app_media, app_media.c.app_id == avails.c.app_id)
    )
    .where(
        sessions.c.platform_id == bindparam("platform_id"),
        sessions.c.session_id == bindparam("session_id"),
    )
)  # no ORDER BY: the page's merge orders the items, so the contexts' order is free


async def session_view(conn: Executor, platform_id: str, session_id: str) -> SessionView | None:
    """The session's visible contexts with their apps' extras; None if no such session."""
    params = {"platform_id": platform_id, "session_id": session_id}
    return _session_view(await _SESSION_VIEW.rows(conn, params), platform_id)


def _session_view(rows: Sequence[Sequence[Any]], platform_id: str) -> SessionView | None:
    if not rows:
        return None
    # At least one row per attached context (one NULL row for a session without any).
    context_ids: dict[str, None] = {}
    data: dict[str, str] = {}
    media: dict[str, set[str]] = defaultdict(set)
    for context_id, available, stored, file_name in rows:
        if available is None:
            continue
        context_ids[context_id] = None
        data.setdefault(available, stored if stored is not None else "{}")
        if file_name is not None:
            media[available].add(file_name)
    return SessionView(list(context_ids), data, media, platform_id)


# --- the page of items ----------------------------------------------------------------

# What a page reads of each item: the merge key, the app (for its fragment), the text, and
# what is spliced per item and caller (None on most items, which are then not touched).
_PAGE = (
    items.c.updated_at,
    items.c.context_id,
    items.c.content_id,
    items.c.app_id,
    items.c.rendered,
    items.c.playback_uri,
    items.c.playback_uris,
    items.c.hidden_until,
)
_APP_ID, _RENDERED, _PLAYBACK_URI, _PLAYBACK_URIS, _HIDDEN_UNTIL = 3, 4, 5, 6, 7


def _shaped(context_ids: Sequence[str], view: ListView) -> Any:
    """The visible items with per_series / per_app_limit applied, as a subquery."""
    newest_first = (items.c.updated_at.desc(), items.c.context_id.desc(), items.c.content_id.desc())
    # An item without series_id is a series of its own: NULLs partition together, so the
    # content id joins the partition only for those.
    own_series = case((items.c.series_id.is_(None), items.c.content_id))
    series_rank = func.row_number().over(
        partition_by=(items.c.app_id, items.c.series_id, own_series), order_by=newest_first
    )
    ranked = (
        select(*_PAGE, series_rank.label("series_rank"))
        .where(items.c.context_id.in_(context_ids), _visible_bound(view.shape))
        .subquery()
    )
    kept = select(*(ranked.c[c.name] for c in _PAGE))
    if view.per_series:
        kept = kept.where(ranked.c.series_rank == 1)
    if view.per_app_limit is None:
        return kept.subquery()
    inner = kept.subquery()
    app_rank = func.row_number().over(
        partition_by=inner.c.app_id,
        order_by=(inner.c.updated_at.desc(), inner.c.context_id.desc(), inner.c.content_id.desc()),
    )
    ranked_apps = select(inner, app_rank.label("app_rank")).subquery()
    return (
        select(*(ranked_apps.c[c.name] for c in _PAGE))
        .where(ranked_apps.c.app_rank <= view.per_app_limit)
        .subquery()
    )


async def _shaped_page(
    conn: Executor, context_ids: Sequence[str], page: Page, view: ListView
) -> tuple[list[tuple[Any, ...]], int]:
    """Shaped lists are rare and built per request: through SQLAlchemy's execution layer
    (the lean reads hand them to the documented routes)."""
    assert isinstance(conn, AsyncConnection)
    shaped, params = _shaped(context_ids, view), view.params()
    total = int(await conn.scalar(select(func.count()).select_from(shaped), params) or 0)
    if page.offset >= total:
        return [], total
    query = (
        select(shaped)
        .order_by(
            shaped.c.updated_at.desc(), shaped.c.context_id.desc(), shaped.c.content_id.desc()
        )
        .limit(page.limit)
        .offset(page.offset)
    )
    return [tuple(row) for row in await conn.execute(query, params)], total


def _visible_bound(shape: Shape) -> ColumnElement[bool]:
    """What a list of ``shape`` shows, with ``:now`` and the rest as bound parameters
    (``ListView.params``), for cached queries: not past its ``expires_at``; with a
    retention, touched recently enough; then the window and the filters."""
    now: Any = bindparam("now")
    conditions = [or_(items.c.expires_at.is_(None), items.c.expires_at > now)]
    if shape.retention:
        conditions.append(items.c.updated_at > bindparam("cutoff"))
    if shape.windowed:
        conditions.append(or_(items.c.available_from.is_(None), items.c.available_from <= now))
    if shape.actions:
        conditions.append(items.c.action.in_([bindparam(f"f_a{i}") for i in range(shape.actions)]))
    if shape.media_type:
        conditions.append(items.c.media_type == bindparam("f_media"))
    if shape.max_maturity:
        at_most = items.c.maturity_age <= bindparam("f_max")  # NULL fails it: unrated out
        conditions.append(
            at_most if shape.rated_only else or_(items.c.maturity_age.is_(None), at_most)
        )
    elif shape.rated_only:
        conditions.append(items.c.maturity_age.is_not(None))
    return and_(*conditions)


_NEWEST_FIRST = (items.c.updated_at.desc(), items.c.content_id.desc())


def _newest_bound(context: Any, shape: Shape) -> Any:
    """The newest ``:depth`` visible items of one context: a range scan of
    ix_items_context_recent read backwards, stopping after ``depth`` rows."""
    return (
        select(*_PAGE)
        .where(items.c.context_id == context, _visible_bound(shape))
        .order_by(*_NEWEST_FIRST)
        .limit(bindparam("depth"))
    )


@functools.cache
def _context_newest(shape: Shape) -> Statement:
    return Statement(_newest_bound(bindparam("context_id"), shape))


@functools.cache
def _context_total(shape: Shape) -> Statement:
    return Statement(
        select(func.count())
        .select_from(items)
        .where(items.c.context_id == bindparam("context_id"), _visible_bound(shape))
    )


@functools.cache
def _merged_page(contexts: int, shape: Shape) -> Statement:
    """The page of ``contexts`` contexts merged newest first, with the list's total.

    Built once per shape: building a union of subqueries costs more than running it. Each
    context contributes its newest ``:depth`` rows from its own index range; the total
    rides along as a column, so a page is one round trip.
    """
    ids: list[Any] = [bindparam(f"c{i}") for i in range(contexts)]
    newest = [_newest_bound(context, shape).subquery() for context in ids]
    merged = union_all(*(select(n) for n in newest)).subquery() if contexts > 1 else newest[0]
    total = (
        select(func.count())
        .select_from(items)
        .where(items.c.context_id.in_(ids), _visible_bound(shape))
        .scalar_subquery()
    )
    return Statement(
        select(merged, total.label("list_total"))
        .order_by(
            merged.c.updated_at.desc(), merged.c.context_id.desc(), merged.c.content_id.desc()
        )
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


@functools.cache
def _merged_total(contexts: int, shape: Shape) -> Statement:
    ids: list[Any] = [bindparam(f"c{i}") for i in range(contexts)]
    return Statement(
        select(func.count())
        .select_from(items)
        .where(items.c.context_id.in_(ids), _visible_bound(shape))
    )


async def _page_in_process(
    conn: Executor, context_ids: Sequence[str], page: Page, shape: Shape, params: dict[str, Any]
) -> tuple[list[tuple[Any, ...]], int]:
    """SQLite: one range scan per context, merged here. In-process there is no round trip
    to save, and SQLite's union-then-sort costs twice as much as these scans plus a merge.
    A context with fewer rows than ``depth`` has just told its total; only longer ones are
    counted."""
    newest, count = _context_newest(shape), _context_total(shape)
    lists, total = [], 0
    for context_id in context_ids:
        params["context_id"] = context_id
        rows = await newest.rows(conn, params)
        lists.append(rows)
        if len(rows) < params["depth"]:
            total += len(rows)
        else:
            total += int((await count.rows(conn, params))[0][0])
    if len(lists) == 1:
        return lists[0][page.offset : page.offset + page.limit], total
    # Rows start with (updated_at, context_id, content_id), unique: sorting the tuples
    # themselves orders them newest first without a key function, and for the few dozen
    # rows of a page C's sort beats heapq.merge calling a key per row.
    merged = sorted(itertools.chain.from_iterable(lists), reverse=True)
    return merged[page.offset : page.offset + page.limit], total


async def list_items(
    conn: Executor, context_ids: Sequence[str], page: Page, view: ListView
) -> tuple[list[tuple[Any, ...]], int]:
    """A page of the visible items of ``context_ids`` merged newest first, and their total.

    Rows start with ``(updated_at, context_id, content_id, app_id, rendered)``. Ties on
    ``updated_at`` are broken by context and content id, the same on every page. Every
    rule of what a list shows (expiry, retention, window, filters, per_series,
    per_app_limit) is here, so that there is one place to optimise.
    """
    if not context_ids:
        return [], 0
    if view.shaped:
        return await _shaped_page(conn, context_ids, page, view)
    params = view.params()
    params["depth"] = page.offset + page.limit
    shape = view.shape
    if dialect_of(conn) == "sqlite":
        return await _page_in_process(conn, context_ids, page, shape, params)
    params.update({f"c{i}": c for i, c in enumerate(context_ids)})
    params.update(limit=page.limit, offset=page.offset)
    rows = await _merged_page(len(context_ids), shape).rows(conn, params)
    if rows:
        return rows, int(rows[0][-1])
    # An empty page (past the end, or nothing visible) still reports the true total.
    counted = await _merged_total(len(context_ids), shape).rows(conn, params)
    return [], int(counted[0][0])


# --- the splice -----------------------------------------------------------------------


def page_body(
    rows: Sequence[Sequence[Any]],
    total: int,
    page: Page,
    fragments: Mapping[str, bytes] | None = None,
    *,
    now: int = 0,
    platform_id: str = "",
) -> bytes:
    """The List Object of ``rows`` as JSON, each item's stored JSON spliced with its app's
    fragment (none for the publisher's own list): one join of slices, no copy per item.

    An item with a playback link or a snooze is spliced on its own (``_spliced``), for the
    calling ``platform_id`` at ``now``; the others are untouched slices.
    """
    following = page.offset + len(rows)
    more = b',"next_key":%d' % following if rows and following < total else b""
    parts: list[bytes | memoryview] = [b'{"total":%d%s,"items":[' % (total, more)]
    for row in rows:
        if (
            row[_PLAYBACK_URI] is not None
            or row[_PLAYBACK_URIS] is not None
            or row[_HIDDEN_UNTIL] is not None
        ):
            parts += (_spliced(row, fragments, now, platform_id), b",")
        elif fragments is None:
            parts += (row[_RENDERED], b",")
        else:  # the item without its closing brace, then the fragment that closes it
            parts += (memoryview(row[_RENDERED])[:-1], fragments[row[_APP_ID]], b",")
    if rows:
        parts[-1] = b"]}"
    else:
        parts.append(b"]}")
    return b"".join(parts)


@functools.cache
def _lateral(one_context: bool, shape: Shape) -> tuple[Statement, Statement]:
    """PostgreSQL: the page of a session's visible contexts (or of ``:context_id`` among
    them) and its total, each by the session alone, not by the contexts' ids: so they go
    in one round trip with the session view (``pipelined``). Each context's newest
    ``:depth`` rows come from its own index range (``LATERAL``)."""
    visible = select(session_contexts.c.context_id).join(
        avails,
        and_(
            avails.c.app_id == session_contexts.c.app_id,
            avails.c.platform_id == session_contexts.c.platform_id,
            avails.c.enabled.is_(True),
        ),
    )
    visible = visible.where(
        session_contexts.c.platform_id == bindparam("platform_id"),
        session_contexts.c.session_id == bindparam("session_id"),
    )
    if one_context:
        visible = visible.where(session_contexts.c.context_id == bindparam("context_id"))
    shown = visible.cte("shown")
    newest = (
        select(*_PAGE)
        .where(items.c.context_id == shown.c.context_id, _visible_bound(shape))
        .order_by(*_NEWEST_FIRST)
        .limit(bindparam("depth"))
        .lateral("newest")
    )
    page = (
        select(newest)
        .select_from(shown.join(newest, true()))
        .order_by(
            newest.c.updated_at.desc(), newest.c.context_id.desc(), newest.c.content_id.desc()
        )
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
    total = (
        select(func.count())
        .select_from(items)
        .where(items.c.context_id.in_(select(shown.c.context_id)), _visible_bound(shape))
    )
    return Statement(page), Statement(total)


async def session_read(
    conn: Raw,
    platform_id: str,
    session_id: str,
    context_id: str | None,
    page: Page,
    view: ListView,
    media_base: str,
) -> bytes | None:
    """The page of a session's list (``context_id``: of that context alone) as JSON; None
    when there is no such session or that context is not visible in it (the caller names
    the reason). On PostgreSQL the session view, page and total are one round trip."""
    if dialect_of(conn) != "postgresql" or view.shaped:
        found = await session_view(conn, platform_id, session_id)
        if found is None or (context_id is not None and context_id not in found.context_ids):
            return None
        ids = found.context_ids if context_id is None else [context_id]
        return await session_page(conn, found, ids, page, view, media_base)
    params = view.params()
    params.update(platform_id=platform_id, session_id=session_id)
    if context_id is not None:
        params["context_id"] = context_id
    params.update(depth=page.offset + page.limit, limit=page.limit, offset=page.offset)
    rows_of, total_of = _lateral(context_id is not None, view.shape)
    view_rows, rows, counted = await pipelined(
        conn, [(_SESSION_VIEW, params), (rows_of, params), (total_of, params)]
    )
    found = _session_view(view_rows, platform_id)
    if found is None or (context_id is not None and context_id not in found.context_ids):
        return None
    fragments = found.fragments(media_base)
    total = int(counted[0][0])
    return page_body(rows, total, page, fragments, now=view.now, platform_id=platform_id)


_HIDDEN, _SHOWN = b'"hidden":true', b'"hidden":false'


def _spliced(
    row: Sequence[Any], fragments: Mapping[str, bytes] | None, now: int, platform_id: str
) -> bytes:
    """One item with what only it and this caller have, closed (by its fragment, if any).

    A snooze that has ended reads ``hidden: false`` at once: the one ``"hidden":true`` of a
    rendering is its key (a quote inside a JSON string is escaped), so it is replaced.
    The publisher's own list shows both links as stored; a session list the calling
    platform's link, else the default, and never another platform's.
    """
    body = bytes(row[_RENDERED])
    until = row[_HIDDEN_UNTIL]
    if until is not None and until <= now:
        body = body.replace(_HIDDEN, _SHOWN, 1)
    default, overrides = row[_PLAYBACK_URI], row[_PLAYBACK_URIS]
    extra = b""
    if fragments is None:
        if default is not None:
            extra += b',"playback_uri":' + orjson.dumps(default)
        if overrides is not None:
            extra += b',"playback_uris":' + overrides.encode()
        return body[:-1] + extra + b"}"
    link = orjson.loads(overrides).get(platform_id) if overrides is not None else None
    if link is None:
        link = default
    if link is not None:
        extra = b',"playback_uri":' + orjson.dumps(link)
    return body[:-1] + extra + fragments[row[_APP_ID]]


async def session_page(
    conn: Executor,
    found: SessionView,
    context_ids: Sequence[str],
    page: Page,
    view: ListView,
    media_base: str,
) -> bytes:
    """The page of a session's list (all its visible contexts, or some of them) as JSON."""
    rows, total = await list_items(conn, context_ids, page, view)
    fragments = found.fragments(media_base)
    return page_body(rows, total, page, fragments, now=view.now, platform_id=found.platform_id)
