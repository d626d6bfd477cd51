"""The list iterators follow next_key and visit every entry exactly once."""

from __future__ import annotations

import pytest

from tests.client.conftest import ClientFactory
from tests.factories import make_item
from upnext.client import AsyncUpNextClient


@pytest.mark.parametrize("page_size", [1, 4, 23, 200])
async def test_the_session_iterator_visits_every_item_once(
    sdk: ClientFactory, admin: AsyncUpNextClient, page_size: int
) -> None:
    platform = await admin.create_platform("Acme TV")
    tv = sdk((await admin.create_platform_key(platform.platform_id)).credentials)
    expected: set[str] = set()
    for n, name in enumerate(["Flix", "Tube", "Reel"]):
        app = await admin.create_app(name)
        publisher = sdk((await admin.create_app_key(app.app_id)).credentials)
        await publisher.set_avail(app.app_id, platform.platform_id)
        for i in range(7 + n):
            await publisher.put_item(f"ctx-{n}", make_item(content_id=f"{name}-{i}"))
            expected.add(f"{name}-{i}")
        await tv.attach_context("den", app.app_id, f"ctx-{n}")

    seen = [item.content_id async for item in tv.iter_session("den", page_size=page_size)]
    assert len(seen) == len(set(seen)) == len(expected) == 24
    assert set(seen) == expected
    whole = await tv.get_session("den", limit=200)
    assert seen == [item.content_id for item in whole.items]  # newest first, like one page
