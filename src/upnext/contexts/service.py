"""The rules of contexts: who owns one, and how its items are written and read."""

from __future__ import annotations

import secrets
from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from upnext import guidelines, readmodel
from upnext.callers import Caller
from upnext.contexts import repository as repo
from upnext.contexts.schemas import (
    MAX_BATCH,
    BatchIn,
    ItemIn,
    ProgressIn,
    ReplaceIn,
    render_item,
)
from upnext.guidelines import Thresholds
from upnext.kit.pagination import Page
from upnext.kit.problems import FieldError, Forbidden, Invalid, NotFound
from upnext.kit.timestamps import iso, now_us
from upnext.webhooks import session_events

DAY_US = 86_400_000_000

# Lists are a row on a TV screen, not an archive: the cap keeps every read bounded.
MAX_ITEMS = 1000


def new_context_id() -> str:
    """An unguessable context id: ``CX`` and 128 random bits in hex."""
    return f"CX{secrets.token_hex(16)}"


async def get_context(conn: AsyncConnection, context_id: str) -> Mapping[str, Any]:
    context = await repo.get_context(conn, context_id)
    if context is None:
        raise NotFound(f"No context {context_id}.", code="context_not_found")
    return context


async def owned_context(
    conn: AsyncConnection, caller: Caller, context_id: str
) -> Mapping[str, Any]:
    """The context, if the caller's app owns it (admins read any)."""
    context = await get_context(conn, context_id)
    if not caller.is_admin and context["app_id"] != caller.app_id:
        raise Forbidden(f"Context {context_id} belongs to another app.", code="wrong_app")
    return context


async def claim_context(conn: AsyncConnection, context_id: str, app_id: str) -> Mapping[str, Any]:
    """The context, created for ``app_id`` if nobody owns it yet."""
    context = await repo.get_context(conn, context_id)
    if context is not None:
        return context
    await repo.insert_context(conn, context_id, app_id, now_us())
    return await get_context(conn, context_id)


async def mint_context(conn: AsyncConnection, caller: Caller) -> dict[str, Any]:
    assert caller.app_id is not None
    context_id, now = new_context_id(), now_us()
    await repo.insert_context(conn, context_id, caller.app_id, now)
    return {"context_id": context_id, "app_id": caller.app_id, "created_at": iso(now)}


async def _writable(conn: AsyncConnection, caller: Caller, context_id: str) -> str:
    """The caller's app id, once the context is known to be (or now made) the app's."""
    assert caller.app_id is not None
    context = await claim_context(conn, context_id, caller.app_id)
    if context["app_id"] != caller.app_id:
        raise Forbidden(f"Context {context_id} belongs to another app.", code="wrong_app")
    return caller.app_id


def _row(app_id: str, context_id: str, item: ItemIn, now: int) -> dict[str, Any]:
    return {
        **item.columns(),
        "context_id": context_id,
        "app_id": app_id,
        "updated_at": now,
        "hidden": item.hidden,
    }


async def _store(conn: AsyncConnection, row: dict[str, Any]) -> bool:
    """Write one item with its rendering; False when it was ignored as stale.

    A write without ``hidden`` or ``event_time`` keeps the stored value, which the
    rendering cannot know beforehand: it renders what was sent, and an item whose kept
    values differ is rendered again with them (a second statement, only then). A new
    episode of a hidden series is stored hidden; a written ``hidden`` ends any snooze.
    """
    keep = row["hidden"] is None
    hidden, until = await _hidden_if_new(conn, row) if keep else (bool(row["hidden"]), None)
    row = {**row, "hidden": hidden, "hidden_until": until}
    stored = await repo.put_item(conn, {**row, "rendered": render_item(row)}, keep_hidden=keep)
    if stored is None:
        return False
    written = {"hidden": hidden, "event_time": row["event_time"]}
    if stored != written:
        rendered = render_item({**row, **stored})
        await repo.set_rendered(conn, row["context_id"], row["content_id"], rendered)
    return True


async def _hidden_if_new(conn: AsyncConnection, row: dict[str, Any]) -> tuple[bool, int | None]:
    """``hidden`` and ``hidden_until`` of the item if it is new: hidden while its series
    is (one key lookup, only for episodes with a ``series_id``)."""
    if row["series_id"] is None:
        return False, None
    hide = await repo.series_hide(conn, row["context_id"], row["series_id"])
    if hide is None:
        return False, None
    until = hide["hidden_until"]
    if until is not None and until <= row["updated_at"]:
        return False, None  # a snooze that has ended, not yet cleared by the job
    return True, until


async def put_item(conn: AsyncConnection, caller: Caller, context_id: str, item: ItemIn) -> bool:
    """Write the item; False when it was ignored as older than the stored event_time."""
    app_id = await _writable(conn, caller, context_id)
    if not await _store(conn, _row(app_id, context_id, item, now_us())):
        return False
    await check_room(conn, context_id)
    await session_events.notify_context_changed(conn, context_id)
    return True


def _duplicates(field: str, content_ids: list[str]) -> list[FieldError]:
    seen: set[str] = set()
    errors = []
    for index, content_id in enumerate(content_ids):
        if content_id in seen:
            errors.append(FieldError(f"{field}.{index}", f"duplicate content_id {content_id}"))
        seen.add(content_id)
    return errors


async def _apply(
    conn: AsyncConnection,
    app_id: str,
    context_id: str,
    upserts: list[ItemIn],
    deletes: Collection[str],
) -> list[str]:
    """Write every change in content id order, one row at a time, so that concurrent bulk
    writes to one context lock rows in the same order and cannot deadlock; the content
    ids ignored as stale."""
    now = now_us()
    changes: dict[str, ItemIn | None] = dict.fromkeys(deletes)
    changes.update((item.content_id, item) for item in upserts)
    stale = []
    for content_id in sorted(changes):
        item = changes[content_id]
        if item is None:
            await repo.delete_items(conn, context_id, [content_id])
        elif not await _store(conn, _row(app_id, context_id, item, now)):
            stale.append(content_id)
    await check_room(conn, context_id)
    await session_events.notify_context_changed(conn, context_id)
    return stale


async def replace_items(
    conn: AsyncConnection, caller: Caller, context_id: str, body: ReplaceIn
) -> list[str]:
    """Make the context hold exactly ``body.items``; the content ids ignored as stale."""
    ids = [item.content_id for item in body.items]
    if errors := _duplicates("items", ids):
        raise Invalid("Each content_id may appear once.", errors=_at(errors, "content_id"))
    app_id = await _writable(conn, caller, context_id)
    gone = await repo.content_ids(conn, context_id) - set(ids)
    # Under concurrent writers this is the list as of the read above: an item another
    # request adds meanwhile survives, as if it had been written just after the replace.
    return await _apply(conn, app_id, context_id, body.items, gone)


async def apply_batch(
    conn: AsyncConnection, caller: Caller, context_id: str, body: BatchIn
) -> list[str]:
    """Apply the upserts and deletes in one transaction; the content ids ignored as stale."""
    if len(body.upsert) + len(body.delete) > MAX_BATCH:
        raise Invalid(
            f"A batch holds at most {MAX_BATCH} changes.",
            errors=[FieldError("upsert", f"upsert and delete together exceed {MAX_BATCH}")],
        )
    ids = [item.content_id for item in body.upsert]
    errors = _at(_duplicates("upsert", ids), "content_id") + _duplicates("delete", body.delete)
    errors += [
        FieldError(f"delete.{i}", f"content_id {c} is also in upsert")
        for i, c in enumerate(body.delete)
        if c in set(ids)
    ]
    if errors:
        raise Invalid("Each content_id may appear once in a batch.", errors=errors)
    app_id = await _writable(conn, caller, context_id)
    return await _apply(conn, app_id, context_id, body.upsert, body.delete)


def _at(errors: list[FieldError], name: str) -> list[FieldError]:
    """Point each error at the ``name`` field of the offending list entry."""
    return [FieldError(f"{e.field}.{name}", e.message) for e in errors]


async def delete_item(
    conn: AsyncConnection, caller: Caller, context_id: str, content_id: str
) -> None:
    await owned_context(conn, caller, context_id)
    if not await repo.delete_item(conn, context_id, content_id):
        raise NotFound(f"Context {context_id} has no item {content_id}.", code="item_not_found")
    await session_events.notify_context_changed(conn, context_id)


def list_view(
    ttl_days: int,
    *,
    per_series: bool = False,
    per_app_limit: int | None = None,
    windowed: bool = False,
    filters: readmodel.Filters = readmodel.NO_FILTERS,
) -> readmodel.ListView:
    """What lists show now: unexpired items touched within ``ttl_days`` (0: forever);
    ``windowed`` (the session lists) leaves out items whose ``available_from`` is ahead."""
    max_age = ttl_days * DAY_US if ttl_days > 0 else None
    return readmodel.ListView(now_us(), max_age, per_series, per_app_limit, windowed, filters)


async def context_list(
    conn: AsyncConnection,
    caller: Caller,
    context_id: str,
    page: Page,
    view: readmodel.ListView | None = None,
) -> bytes:
    """A page of the context's list as JSON; without a ``view``, expiry applies but no
    retention."""
    view = view or readmodel.ListView(now_us())
    await owned_context(conn, caller, context_id)
    rows, total = await readmodel.list_items(conn, [context_id], page, view)
    return readmodel.page_body(rows, total, page, now=view.now)


async def detach_everywhere(conn: AsyncConnection, caller: Caller, context_id: str) -> None:
    await owned_context(conn, caller, context_id)
    await session_events.notify_context_changed(conn, context_id)  # while still attached
    await repo.detach_everywhere(conn, context_id)


async def report_progress(
    conn: AsyncConnection, caller: Caller, context_id: str, progress: ProgressIn
) -> dict[str, Any]:
    """Apply the Publisher Guidelines to one progress report and say what changed."""
    assert caller.app_id is not None
    context = await repo.get_context(conn, context_id)
    if context is not None and context["app_id"] != caller.app_id:
        raise Forbidden(f"Context {context_id} belongs to another app.", code="wrong_app")
    stored = await repo.get_item(conn, context_id, progress.content_id)
    decision = guidelines.decide(
        progress.duration,
        progress.position,
        credits_position=progress.credits_position,
        previous=stored["action"] if stored else None,
        next_available=progress.next is not None,
        thresholds=Thresholds.from_json(await repo.app_guidelines(conn, caller.app_id)),
    )
    result: list[str] = []
    if _older_than_stored(progress, stored):
        return {"phase": decision.phase.value, "result": ["ignored"]}
    if decision.keep and await put_item(
        conn, caller, context_id, progress.as_continue(decision.position)
    ):
        result.append("updated" if stored else "added")
    if decision.remove and await repo.delete_item(conn, context_id, progress.content_id):
        await session_events.notify_context_changed(conn, context_id)
        result.append("removed")
    if decision.add_next and progress.next is not None:
        await put_item(conn, caller, context_id, progress.next)
        result.append("next_added")
    return {"phase": decision.phase.value, "result": result or ["ignored"]}


def _older_than_stored(progress: ProgressIn, stored: Mapping[str, Any] | None) -> bool:
    # A device replaying a queue of old reports must not undo a newer state (event_time).
    reported_at = progress.columns()["event_time"]
    if stored is None or reported_at is None or stored["event_time"] is None:
        return False
    return bool(reported_at < stored["event_time"])


async def check_room(conn: AsyncConnection, context_id: str) -> None:
    """After a write: refuse (and so roll back) a context grown past ``MAX_ITEMS``."""
    count = await repo.count_items(conn, context_id)
    if count > MAX_ITEMS:
        raise Invalid(
            f"Context {context_id} would hold {count} items; at most {MAX_ITEMS} are allowed. "
            "Delete items (the oldest are the least useful) before adding new ones.",
            code="context_full",
            errors=[FieldError("content_id", f"the context already holds {MAX_ITEMS} items")],
        )


async def erase_context(conn: AsyncConnection, caller: Caller, context_id: str) -> None:
    """Erase everything stored about a context (a user left the app): nothing remains."""
    await owned_context(conn, caller, context_id)
    await session_events.notify_context_changed(conn, context_id)  # while still attached
    await repo.erase_context(conn, context_id)
