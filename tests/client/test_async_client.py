"""Every method of AsyncUpNextClient against the real app in-process (httpx.ASGITransport)."""

from __future__ import annotations

import inspect

import pytest

from tests.client.conftest import ClientFactory
from tests.factories import make_item, make_png
from upnext.client import (
    AsyncUpNextClient,
    AuthenticationError,
    ConflictError,
    Item,
    NotFoundError,
    PermissionDeniedError,
    UnprocessableEntityError,
    UpNextClient,
)
from upnext.guidelines import DEFAULT

# Every public method, so that a new one cannot be added without being exercised here.
EXERCISED = {
    "aclose", "attach_context", "create_app", "create_app_key", "create_context",
    "create_platform", "create_platform_key", "delete_item", "delete_media", "delete_session",
    "detach_context", "get_app", "get_context", "get_media", "get_session",
    "get_session_context", "health", "hide_item", "iter_apps", "iter_context", "iter_keys",
    "iter_platform_apps", "iter_platforms", "iter_session", "iter_session_context",
    "iter_session_contexts", "list_apps", "list_keys", "list_platform_apps", "list_platforms",
    "list_session_contexts", "put_item", "remove_context_from_sessions", "report_progress",
    "revoke_key", "set_avail", "set_platform_data", "set_webhook_url", "unhide_item",
    "upload_media", "rotate_webhook_secret", "list_webhook_deliveries",
    "iter_webhook_deliveries", "retry_webhook_delivery", "send_test_webhook",
    "get_guidelines", "set_guidelines", "replace_items", "batch_items", "erase_context",
    "create_handoff", "attach_with_handoff", "set_attach_requires_handoff",
    "get_platform", "set_platform_webhook_url", "rotate_platform_webhook_secret",
    "list_platform_webhook_deliveries", "iter_platform_webhook_deliveries",
    "retry_platform_webhook_delivery", "send_platform_test_webhook",
}  # fmt: skip


def public_methods(cls: type) -> set[str]:
    return {name for name, _ in inspect.getmembers(cls, inspect.isfunction) if name[0] != "_"}


def test_every_method_is_exercised() -> None:
    assert public_methods(AsyncUpNextClient) == EXERCISED


def test_sync_and_async_clients_offer_the_same_methods() -> None:
    sync = public_methods(UpNextClient) - {"close"}
    assert sync == public_methods(AsyncUpNextClient) - {"aclose"}
    for name in sync:
        sync_params = inspect.signature(getattr(UpNextClient, name)).parameters
        async_params = inspect.signature(getattr(AsyncUpNextClient, name)).parameters
        assert list(sync_params) == list(async_params), name


async def test_an_operator_a_platform_and_a_publisher_do_everything(
    sdk: ClientFactory, admin: AsyncUpNextClient
) -> None:
    assert await admin.health() is True

    # the operator sets up accounts and keys
    platform = await admin.create_platform("Acme TV")
    app = await admin.create_app("Flix")
    assert [p.platform_id async for p in admin.iter_platforms()] == [platform.platform_id]
    assert [a.app_id async for a in admin.iter_apps()] == [app.app_id]
    assert (await admin.list_apps(limit=1)).total == 1
    assert (await admin.list_platforms()).items[0].name == "Acme TV"
    platform_key = await admin.create_platform_key(platform.platform_id)
    app_key = await admin.create_app_key(app.app_id)
    assert app_key.role == "publisher" and app_key.app_id == app.app_id
    keys = [k.key_id async for k in admin.iter_keys(app_id=app.app_id)]
    assert keys == [app_key.key_id]
    assert (await admin.list_keys(platform_id=platform.platform_id)).total == 1
    tv, flix = sdk(platform_key.credentials), sdk(app_key.credentials)

    # the publisher configures its app
    await flix.set_avail(app.app_id, platform.platform_id, True)
    media = await flix.upload_media(app.app_id, "icon@1x.png", make_png(240, 240))
    assert media.file_name == "icon@1x.png"
    assert (await flix.get_media(app.app_id, "icon@1x.png")).startswith(b"\x89PNG")
    detail = await flix.set_webhook_url(app.app_id, "http://127.0.0.1:9/upnext")
    assert detail.webhook_url == "http://127.0.0.1:9/upnext"
    detail = await flix.get_app(app.app_id)
    assert [a.platform_id for a in detail.avails] == [platform.platform_id]
    assert set(detail.app_media) == {"icon_1x"}
    assert (await flix.get_guidelines(app.app_id)).thresholds() == DEFAULT
    tuned = await flix.set_guidelines(app.app_id, end_percent=5.0)
    assert (tuned.start_seconds, tuned.end_percent) == (120, 5.0)
    await flix.set_guidelines(app.app_id)

    # the publisher writes items
    context = await flix.create_context()
    first = make_item(content_id="a", event_time="2024-05-01T20:00:00Z")
    assert await flix.put_item(context.context_id, Item.model_validate(first)) is True
    stale = {**first, "event_time": "2024-05-01T19:00:00Z"}
    assert await flix.put_item(context.context_id, stale) is False
    await flix.put_item(context.context_id, make_item(content_id="b"))
    page = await flix.get_context(context.context_id, limit=1)
    assert (page.total, page.next_key, page.items[0].content_id) == (2, 1, "b")
    assert [i.content_id async for i in flix.iter_context(context.context_id)] == ["b", "a"]
    result = await flix.report_progress(
        context.context_id, {**make_item(content_id="c", position=500), "action": None}
    )
    assert (result.phase, result.result) == ("watching", ["added"])

    # the platform reviews the app and reads the row
    [reviewed] = [a async for a in tv.iter_platform_apps(platform.platform_id)]
    assert reviewed.app_id == app.app_id
    assert (await tv.list_platform_apps(platform.platform_id)).total == 1
    data = await tv.set_platform_data(platform.platform_id, app.app_id, {"deeplink": "flix://"})
    assert data.platform_data == {"deeplink": "flix://"}
    attached = await tv.attach_context("living-room", app.app_id, context.context_id)
    assert attached.session_id == "living-room"
    session = await tv.get_session("living-room", limit=2)
    assert [i.content_id for i in session.items] == ["c", "b"] and session.next_key == 2
    items = [i async for i in tv.iter_session("living-room", page_size=1)]
    assert [i.content_id for i in items] == ["c", "b", "a"]
    assert items[0].platform_data == {"deeplink": "flix://"}
    assert items[0].app_media["icon_1x"].endswith(f"/media/{app.app_id}/icon@1x.png")
    one = await tv.get_session_context("living-room", context.context_id)
    assert one.total == 3
    contexts = [c.context_id async for c in tv.iter_session_contexts("living-room")]
    assert contexts == [context.context_id]
    assert (await tv.list_session_contexts("living-room")).total == 1
    await tv.hide_item("living-room", context.context_id, "a")
    hidden = [i async for i in tv.iter_session_context("living-room", context.context_id)]
    assert [i.hidden for i in hidden] == [False, False, True]
    await tv.unhide_item("living-room", context.context_id, "a")

    # the publisher follows its webhooks
    assert (await flix.rotate_webhook_secret(app.app_id)).startswith("whsec_")
    test = await flix.send_test_webhook(app.app_id)
    assert test.event_type == "webhook_test" and test.delivery_id
    events = {d.event_type async for d in flix.iter_webhook_deliveries(app.app_id)}
    assert events == {"webhook_test", "item_hidden", "item_unhidden"}
    assert (await flix.list_webhook_deliveries(app.app_id, limit=1)).total == 3
    again = await flix.retry_webhook_delivery(app.app_id, test.delivery_id)
    assert again.webhook_id == test.webhook_id

    # the app hands a context over with a one-time token, then requires one
    handoff = await flix.create_handoff(context.context_id, platform_id=platform.platform_id)
    assert (handoff.context_id, handoff.app_id) == (context.context_id, app.app_id)
    by_token = await tv.attach_with_handoff("bedroom", handoff.handoff_token)
    assert by_token.context_id == context.context_id
    with pytest.raises(UnprocessableEntityError) as spent:
        await tv.attach_with_handoff("bedroom", handoff.handoff_token)
    assert spent.value.code == "handoff_token_invalid"
    assert (await flix.set_attach_requires_handoff(app.app_id)).attach_requires_handoff is True
    with pytest.raises(PermissionDeniedError) as refused:
        await tv.attach_context("bedroom", app.app_id, context.context_id)
    assert refused.value.code == "handoff_required"
    released = await flix.set_attach_requires_handoff(app.app_id, False)
    assert released.attach_requires_handoff is False
    await tv.delete_session("bedroom")
    # the platform hears of its sessions
    pid = platform.platform_id
    assert (await tv.get_platform(pid)).webhook_url is None
    hooks = "http://127.0.0.1:9/hooks"
    assert (await tv.set_platform_webhook_url(pid, hooks)).webhook_url == hooks
    assert (await tv.rotate_platform_webhook_secret(pid)).startswith("whsec_")
    ping = await tv.send_platform_test_webhook(pid)
    await flix.put_item(context.context_id, make_item(content_id="b"))
    events = {d.event_type async for d in tv.iter_platform_webhook_deliveries(pid)}
    assert events == {"webhook_test", "session_changed"}
    assert (await tv.list_platform_webhook_deliveries(pid, limit=1)).total == 2
    again = await tv.retry_platform_webhook_delivery(pid, ping.delivery_id)
    assert again.webhook_id == ping.webhook_id
    assert (await tv.set_platform_webhook_url(pid, None)).webhook_url is None

    # and everything is taken apart again
    await flix.delete_item(context.context_id, "a")
    shows = [make_item(content_id=f"s{n}", series_id="show") for n in range(3)]
    assert await flix.replace_items("shows", [*shows, first]) == []
    assert await flix.batch_items("shows", upsert=[stale], delete=["s0", "s9"]) == ["a"]
    await tv.attach_context("den", app.app_id, "shows")
    shaped = await tv.get_session("den", per_series=True)
    assert [i.content_id for i in shaped.items] == ["s2", "a"]
    per_app = await tv.get_session_context("den", "shows", per_app_limit=1)
    assert (per_app.total, per_app.items[0].series_id) == (1, "show")
    await flix.erase_context("shows")
    assert (await tv.get_session("den")).total == 0
    await flix.remove_context_from_sessions(context.context_id)
    assert (await tv.list_session_contexts("living-room")).total == 0
    await tv.attach_context("living-room", app.app_id, context.context_id)
    await tv.detach_context("living-room", context.context_id)
    await tv.delete_session("living-room")
    with pytest.raises(NotFoundError):
        await tv.get_session("living-room")
    await flix.delete_media(app.app_id, "icon@1x.png")
    await admin.revoke_key(platform_key.key_id)
    with pytest.raises(AuthenticationError):
        await tv.list_platform_apps(platform.platform_id)


async def test_errors_carry_the_problem_fields(
    sdk: ClientFactory, admin: AsyncUpNextClient
) -> None:
    app = await admin.create_app("Flix")
    flix = sdk((await admin.create_app_key(app.app_id)).credentials)

    with pytest.raises(UnprocessableEntityError) as invalid:
        await flix.put_item("ctx", {**make_item(), "duration": 0})
    assert invalid.value.status == 422
    assert invalid.value.code == "validation_failed"
    assert [e.field for e in invalid.value.errors] == ["duration"]

    with pytest.raises(NotFoundError) as missing:
        await flix.delete_item("ctx", "nothing")
    assert missing.value.code in {"context_not_found", "item_not_found"}
    assert missing.value.detail

    with pytest.raises(PermissionDeniedError) as forbidden:
        await flix.create_platform("not mine")
    assert forbidden.value.code == "wrong_role"

    with pytest.raises(ConflictError):
        await admin.revoke_key("KY000000000000000001")

    with pytest.raises(AuthenticationError) as anonymous:
        await sdk(None).list_apps()
    assert anonymous.value.status == 401
