"""Poster art of the demo world, drawn on request (the demo needs no network)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path
from starlette.responses import Response

from upnext import demo

router = APIRouter(prefix="/art")

Slug = Annotated[str, Path(pattern=r"^[a-z0-9-]{1,64}$")]


@router.get("/{ratio}/{slug}.png")
async def poster(ratio: Literal["16x9", "4x3", "1x1", "2x3"], slug: Slug) -> Response:
    """A poster for a demo item: public and cacheable, like app media."""
    return Response(
        demo.poster_png(slug, ratio),
        media_type="image/png",
        headers={"Cache-Control": "public, max-age=86400"},
    )
