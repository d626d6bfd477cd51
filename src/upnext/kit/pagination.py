"""Offset pagination as the contract defines it: ``limit``, ``next_key`` and the List Object."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

from upnext.kit.query import known_query

MAX_OFFSET = 2**31 - 1
T = TypeVar("T")


@dataclass(frozen=True)
class Page:
    """Which slice of a list to return: ``offset`` is the contract's ``next_key``."""

    limit: int
    offset: int


def list_object(items: list[Any], total: int, page: Page) -> dict[str, Any]:
    """The List Object: ``next_key`` only when more items follow."""
    body: dict[str, Any] = {"total": total}
    following = page.offset + len(items)
    if following < total and items:
        body["next_key"] = following
    body["items"] = items
    return body


# Every paged list refuses unknown query parameters (kit/query.py): its page is what a
# misspelt ``limt`` or ``nextkey`` would silently get wrong.
KnownQuery = Annotated[None, Depends(known_query)]


async def _item_page(
    _: KnownQuery,
    limit: Annotated[int, Query(ge=1, le=200, description="Items to return (1-200).")] = 50,
    next_key: Annotated[
        int, Query(ge=0, le=MAX_OFFSET, description="Index of the first item to return.")
    ] = 0,
) -> Page:
    return Page(limit=limit, offset=next_key)


async def _short_page(
    _: KnownQuery,
    limit: Annotated[int, Query(ge=1, le=50, description="Entries to return (1-50).")] = 50,
    next_key: Annotated[
        int, Query(ge=0, le=MAX_OFFSET, description="Index of the first entry to return.")
    ] = 0,
) -> Page:
    return Page(limit=limit, offset=next_key)


ItemPage = Annotated[Page, Depends(_item_page)]
"""Paging of item lists: ``limit`` 1-200, default 50."""

ShortPage = Annotated[Page, Depends(_short_page)]
"""Paging of session contexts: ``limit`` 1-50, default 50."""


class ListObject(BaseModel, Generic[T]):
    """A page of a list: ``next_key`` is present only when more entries follow."""

    total: int
    next_key: int | None = None
    items: list[T]
