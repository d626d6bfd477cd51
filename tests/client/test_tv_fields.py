"""The SDK writes and reads the fields a TV draws and starts with, and hides series."""

from __future__ import annotations

from tests.client.conftest import ClientFactory
from tests.factories import make_item
from upnext.client import AsyncUpNextClient, Item
from upnext.kit.timestamps import iso, now_us


async def test_the_sdk_writes_reads_and_hides_with_the_tv_fields(
    sdk: ClientFactory, admin: AsyncUpNextClient
) -> None:
    platform = await admin.create_platform("Acme TV")
    app = await admin.create_app("Flix")
    tv = sdk((await admin.create_platform_key(platform.platform_id)).credentials)
    flix = sdk((await admin.create_app_key(app.app_id)).credentials)
    await flix.set_avail(app.app_id, platform.platform_id, True)
    links = {platform.platform_id: "tvapp://play/1"}
    item = Item.model_validate(
        make_item(
            content_id="e1",
            series_id="lassie",
            series_title="Lassie",
            playback_uri="flix://play/1",
            playback_uris=links,
            content_rating="TV-PG",
            maturity_age=7,
            available_from="2024-06-01T00:00:00Z",
        )
    )
    assert await flix.put_item("c", item) is True
    await flix.put_item("c", make_item(content_id="e2", series_id="lassie"))
    await tv.attach_context("s", app.app_id, "c")

    [first, listed] = (await tv.get_session("s")).items
    assert listed.content_id == "e1" and first.content_id == "e2"
    assert (listed.series_title, listed.content_rating, listed.maturity_age) == (
        "Lassie",
        "TV-PG",
        7,
    )
    assert (listed.playback_uri, listed.playback_uris) == ("tvapp://play/1", None)
    assert listed.available_from == "2024-06-01T00:00:00.000Z"
    own = (await flix.get_context("c")).items[1]
    assert (own.playback_uri, own.playback_uris) == ("flix://play/1", links)

    await tv.hide_item("s", "c", "e1", series=True)
    assert all(i.hidden for i in (await tv.get_session("s")).items)
    await tv.unhide_item("s", "c", "e2", series=True)
    await tv.hide_item("s", "c", "e2", until=iso(now_us() + 3_600_000_000))
    assert [i.hidden for i in (await tv.get_session("s")).items] == [True, False]
