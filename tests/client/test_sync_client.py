"""UpNextClient (blocking) against a real ``upnext serve`` process: every method once."""

from __future__ import annotations

import pytest

from tests.client.conftest import ADMIN_KEY, Live
from tests.factories import make_item, make_png
from upnext.client import (
    AuthenticationError,
    Item,
    NotFoundError,
    PermissionDeniedError,
    UnprocessableEntityError,
)
from upnext.guidelines import DEFAULT

pytestmark = pytest.mark.slow


def test_an_operator_a_platform_and_a_publisher_do_everything(live: Live) -> None:
    admin = live.client(ADMIN_KEY)
    assert admin.health() is True

    # the operator sets up accounts and keys
    platform = admin.create_platform("Acme TV")
    app = admin.create_app("Flix")
    assert [p.platform_id for p in admin.iter_platforms()] == [platform.platform_id]
    assert [a.app_id for a in admin.iter_apps()] == [app.app_id]
    assert (admin.list_apps(limit=1)).total == 1
    assert (admin.list_platforms()).items[0].name == "Acme TV"
    platform_key = admin.create_platform_key(platform.platform_id)
    app_key = admin.create_app_key(app.app_id)
    assert app_key.role == "publisher" and app_key.app_id == app.app_id
    keys = [k.key_id for k in admin.iter_keys(app_id=app.app_id)]
    assert keys == [app_key.key_id]
    assert (admin.list_keys(platform_id=platform.platform_id)).total == 1
    tv, flix = live.client(platform_key.credentials), live.client(app_key.credentials)

    # the publisher configures its app
    flix.set_avail(app.app_id, platform.platform_id, True)
    media = flix.upload_media(app.app_id, "icon@1x.png", make_png(240, 240))
    assert media.file_name == "icon@1x.png"
    assert (flix.get_media(app.app_id, "icon@1x.png")).startswith(b"\x89PNG")
    detail = flix.set_webhook_url(app.app_id, "http://127.0.0.1:9/upnext")
    assert detail.webhook_url == "http://127.0.0.1:9/upnext"
    detail = flix.get_app(app.app_id)
    assert [a.platform_id for a in detail.avails] == [platform.platform_id]
    assert set(detail.app_media) == {"icon_1x"}
    assert (flix.get_guidelines(app.app_id)).thresholds() == DEFAULT
    tuned = flix.set_guidelines(app.app_id, end_percent=5.0)
    assert (tuned.start_seconds, tuned.end_percent) == (120, 5.0)
    flix.set_guidelines(app.app_id)

    # the publisher writes items
    context = flix.create_context()
    first = make_item(content_id="a", event_time="2024-05-01T20:00:00Z")
    assert flix.put_item(context.context_id, Item.model_validate(first)) is True
    stale = {**first, "event_time": "2024-05-01T19:00:00Z"}
    assert flix.put_item(context.context_id, stale) is False
    flix.put_item(context.context_id, make_item(content_id="b"))
    page = flix.get_context(context.context_id, limit=1)
    assert (page.total, page.next_key, page.items[0].content_id) == (2, 1, "b")
    assert [i.content_id for i in flix.iter_context(context.context_id)] == ["b", "a"]
    result = flix.report_progress(
        context.context_id, {**make_item(content_id="c", position=500), "action": None}
    )
    assert (result.phase, result.result) == ("watching", ["added"])

    # the platform reviews the app and reads the row
    [reviewed] = [a for a in tv.iter_platform_apps(platform.platform_id)]
    assert reviewed.app_id == app.app_id
    assert (tv.list_platform_apps(platform.platform_id)).total == 1
    data = tv.set_platform_data(platform.platform_id, app.app_id, {"deeplink": "flix://"})
    assert data.platform_data == {"deeplink": "flix://"}
    attached = tv.attach_context("living-room", app.app_id, context.context_id)
    assert attached.session_id == "living-room"
    session = tv.get_session("living-room", limit=2)
    assert [i.content_id for i in session.items] == ["c", "b"] and session.next_key == 2
    items = [i for i in tv.iter_session("living-room", page_size=1)]
    assert [i.content_id for i in items] == ["c", "b", "a"]
    assert items[0].platform_data == {"deeplink": "flix://"}
    assert items[0].app_media["icon_1x"].endswith(f"/media/{app.app_id}/icon@1x.png")
    one = tv.get_session_context("living-room", context.context_id)
    assert one.total == 3
    contexts = [c.context_id for c in tv.iter_session_contexts("living-room")]
    assert contexts == [context.context_id]
    assert (tv.list_session_contexts("living-room")).total == 1
    tv.hide_item("living-room", context.context_id, "a")
    hidden = [i for i in tv.iter_session_context("living-room", context.context_id)]
    assert [i.hidden for i in hidden] == [False, False, True]
    tv.unhide_item("living-room", context.context_id, "a")

    # the publisher follows its webhooks
    assert (flix.rotate_webhook_secret(app.app_id)).startswith("whsec_")
    test = flix.send_test_webhook(app.app_id)
    assert test.event_type == "webhook_test" and test.delivery_id
    events = {d.event_type for d in flix.iter_webhook_deliveries(app.app_id)}
    assert events == {"webhook_test", "item_hidden", "item_unhidden"}
    assert (flix.list_webhook_deliveries(app.app_id, limit=1)).total == 3
    again = flix.retry_webhook_delivery(app.app_id, test.delivery_id)
    assert again.webhook_id == test.webhook_id

    # the app hands a context over with a one-time token, then requires one
    handoff = flix.create_handoff(context.context_id, platform_id=platform.platform_id)
    assert (handoff.context_id, handoff.app_id) == (context.context_id, app.app_id)
    by_token = tv.attach_with_handoff("bedroom", handoff.handoff_token)
    assert by_token.context_id == context.context_id
    with pytest.raises(UnprocessableEntityError) as spent:
        tv.attach_with_handoff("bedroom", handoff.handoff_token)
    assert spent.value.code == "handoff_token_invalid"
    assert (flix.set_attach_requires_handoff(app.app_id)).attach_requires_handoff is True
    with pytest.raises(PermissionDeniedError) as refused:
        tv.attach_context("bedroom", app.app_id, context.context_id)
    assert refused.value.code == "handoff_required"
    released = flix.set_attach_requires_handoff(app.app_id, False)
    assert released.attach_requires_handoff is False
    tv.delete_session("bedroom")
    # the platform hears of its sessions
    pid = platform.platform_id
    assert (tv.get_platform(pid)).webhook_url is None
    hooks = "http://127.0.0.1:9/hooks"
    assert (tv.set_platform_webhook_url(pid, hooks)).webhook_url == hooks
    assert (tv.rotate_platform_webhook_secret(pid)).startswith("whsec_")
    ping = tv.send_platform_test_webhook(pid)
    flix.put_item(context.context_id, make_item(content_id="b"))
    events = {d.event_type for d in tv.iter_platform_webhook_deliveries(pid)}
    assert events == {"webhook_test", "session_changed"}
    assert (tv.list_platform_webhook_deliveries(pid, limit=1)).total == 2
    again = tv.retry_platform_webhook_delivery(pid, ping.delivery_id)
    assert again.webhook_id == ping.webhook_id
    assert (tv.set_platform_webhook_url(pid, None)).webhook_url is None

    # and everything is taken apart again
    flix.delete_item(context.context_id, "a")
    shows = [make_item(content_id=f"s{n}", series_id="show") for n in range(3)]
    assert flix.replace_items("shows", [*shows, first]) == []
    assert flix.batch_items("shows", upsert=[stale], delete=["s0", "s9"]) == ["a"]
    tv.attach_context("den", app.app_id, "shows")
    shaped = tv.get_session("den", per_series=True)
    assert [i.content_id for i in shaped.items] == ["s2", "a"]
    per_app = tv.get_session_context("den", "shows", per_app_limit=1)
    assert (per_app.total, per_app.items[0].series_id) == (1, "show")
    flix.erase_context("shows")
    assert (tv.get_session("den")).total == 0
    flix.remove_context_from_sessions(context.context_id)
    assert (tv.list_session_contexts("living-room")).total == 0
    tv.attach_context("living-room", app.app_id, context.context_id)
    tv.detach_context("living-room", context.context_id)
    tv.delete_session("living-room")
    with pytest.raises(NotFoundError):
        tv.get_session("living-room")
    flix.delete_media(app.app_id, "icon@1x.png")
    admin.revoke_key(platform_key.key_id)
    with pytest.raises(AuthenticationError):
        tv.list_platform_apps(platform.platform_id)


def test_errors_and_closing(live: Live) -> None:
    with live.client(ADMIN_KEY) as admin:
        with pytest.raises(UnprocessableEntityError) as error:
            admin.create_app("")
        assert [e.field for e in error.value.errors] == ["name"]
    with pytest.raises(AuthenticationError):
        live.client("KY000000000000000009:wrong-secret-000000").list_apps()
