"""The rules of contexts: who owns one, and how its items are written and read."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from upnext import guidelines
from upnext.callers import Caller
from upnext.contexts import repository as repo
from upnext.contexts.schemas import ItemIn, ProgressIn, render_item
from upnext.guidelines import Thresholds
from upnext.kit.pagination import Page
from upnext.kit.problems import FieldError, Forbidden, Invalid, NotFound
from upnext.kit.timestamps import iso, now_us
from upnext.sessions import repository as sessions_repo

# Lists are a row on a TV screen, not an archive: the cap keeps every read bounded.
MAX_ITEMS = 1000


def new_context_id() -> str:
    """An unguessable context id: ``CX`` and 128 random bits in hex."""
    return f"CX{secrets.token_hex(16)}"


async def get_context(conn: AsyncConnection, context_id: str) -> RowMapping:
    context = await repo.get_context(conn, context_id)
    if context is None:
        raise NotFound(f"No context {context_id}.", code="context_not_found")
    return context


async def owned_context(conn: AsyncConnection, caller: Caller, context_id: str) -> RowMapping:
    """The context, if the caller's app owns it (admins read any)."""
    context = await get_context(conn, context_id)
    if not caller.is_admin and context["app_id"] != caller.app_id:
        raise Forbidden(f"Context {context_id} belongs to another app.", code="wrong_app")
    return context


async def claim_context(conn: AsyncConnection, context_id: str, app_id: str) -> RowMapping:
    """The context, created for ``app_id`` if nobody owns it yet."""
    context = await repo.get_context(conn, context_id)
    if context is None:
        await repo.insert_context(conn, context_id, app_id, now_us())
        context = await get_context(conn, context_id)
    return context


async def mint_context(conn: AsyncConnection, caller: Caller) -> dict[str, Any]:
    assert caller.app_id is not None
    context_id, now = new_context_id(), now_us()
    await repo.insert_context(conn, context_id, caller.app_id, now)
    return {"context_id": context_id, "app_id": caller.app_id, "created_at": iso(now)}


async def put_item(conn: AsyncConnection, caller: Caller, context_id: str, item: ItemIn) -> None:
    assert caller.app_id is not None
    context = await claim_context(conn, context_id, caller.app_id)
    if context["app_id"] != caller.app_id:
        raise Forbidden(f"Context {context_id} belongs to another app.", code="wrong_app")
    values = {
        **item.columns(),
        "context_id": context_id,
        "app_id": caller.app_id,
        "updated_at": now_us(),
        "hidden": item.hidden,
    }
    await repo.put_item(conn, values)
    await check_room(conn, context_id)
    await repo.bump_version(conn, context_id)


async def delete_item(
    conn: AsyncConnection, caller: Caller, context_id: str, content_id: str
) -> None:
    await owned_context(conn, caller, context_id)
    if not await repo.delete_item(conn, context_id, content_id):
        raise NotFound(f"Context {context_id} has no item {content_id}.", code="item_not_found")
    await repo.bump_version(conn, context_id)


async def context_list(
    conn: AsyncConnection, caller: Caller, context_id: str, page: Page
) -> tuple[list[dict[str, Any]], int]:
    await owned_context(conn, caller, context_id)
    rows, total = await repo.list_items(conn, [context_id], page)
    return [render_item(row) for row in rows], total


async def detach_everywhere(conn: AsyncConnection, caller: Caller, context_id: str) -> None:
    await owned_context(conn, caller, context_id)
    await sessions_repo.detach_everywhere(conn, context_id)


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
    await repo.erase_context(conn, context_id)


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
    if decision.keep:
        await put_item(conn, caller, context_id, progress.as_continue(decision.position))
        result.append("updated" if stored else "added")
    if decision.remove and await repo.delete_item(conn, context_id, progress.content_id):
        await repo.bump_version(conn, context_id)
        result.append("removed")
    if decision.add_next and progress.next is not None:
        await put_item(conn, caller, context_id, progress.next)
        result.append("next_added")
    return {"phase": decision.phase.value, "result": result or ["ignored"]}
