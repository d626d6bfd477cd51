"""The portal without a browser: sign-in, CSRF, secrets shown once, roles, error pages."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import ADMIN_KEY_ID, ADMIN_SECRET, World, make_png
from tests.web.forms import PortalClient
from upnext.web.session import COOKIE


@pytest.fixture
def portal(client: httpx.AsyncClient) -> PortalClient:
    return PortalClient(client)


async def test_pages_send_strangers_to_sign_in_and_back(portal: PortalClient) -> None:
    r = await portal.get("/admin")
    assert r.status_code == 303
    assert r.headers["location"] == "/portal/login?next=/portal/admin"
    await portal.get("/login")
    r = await portal.post(
        "/login", {"key_id": ADMIN_KEY_ID, "secret": ADMIN_SECRET, "next": "/portal/admin"}
    )
    assert r.status_code == 303 and r.headers["location"] == "/portal/admin"
    assert (await portal.get("/admin")).status_code == 200


async def test_sign_in_never_redirects_off_the_portal(portal: PortalClient) -> None:
    await portal.get("/login")
    for target in ("https://evil.example/", "//evil.example/portal/", "/v1/admin/apps"):
        data = {"key_id": ADMIN_KEY_ID, "secret": ADMIN_SECRET, "next": target}
        r = await portal.post("/login", data)
        assert r.headers["location"] == "/portal/admin", target
        await portal.get("/login")


async def test_a_wrong_secret_does_not_sign_in(portal: PortalClient) -> None:
    await portal.get("/login")
    r = await portal.post("/login", {"key_id": ADMIN_KEY_ID, "secret": "wrong"})
    assert r.status_code == 401
    assert "Unknown key id, wrong secret, or revoked key." in r.text
    assert (await portal.get("/admin")).status_code == 303


async def test_the_session_cookie_is_httponly_strict_and_holds_no_key(portal: PortalClient) -> None:
    await portal.get("/login")
    r = await portal.post("/login", {"key_id": ADMIN_KEY_ID, "secret": ADMIN_SECRET})
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/portal" in cookie
    assert ADMIN_SECRET not in cookie and ADMIN_KEY_ID not in cookie


async def test_forms_without_the_csrf_token_change_nothing(
    portal: PortalClient, client: httpx.AsyncClient
) -> None:
    await portal.sign_in(ADMIN_KEY_ID, ADMIN_SECRET)
    # Altered in its last two characters, whatever they were (a fixed "00" was the real
    # token one time in 256).
    altered = portal.token[:-2] + ("11" if portal.token.endswith("00") else "00")
    for token in ("", "forged", altered):
        r = await client.post("/portal/admin/apps", data={"csrf_token": token, "name": "Evil"})
        assert r.status_code == 403
        assert "text/html" in r.headers["content-type"]
        assert "Form expired" in r.text
    apps = (await client.get("/v1/admin/apps", auth=(ADMIN_KEY_ID, ADMIN_SECRET))).json()
    assert apps["total"] == 0


async def test_a_new_key_secret_is_shown_once(
    portal: PortalClient, client: httpx.AsyncClient
) -> None:
    await portal.sign_in(ADMIN_KEY_ID, ADMIN_SECRET)
    r = await portal.post("/admin/apps", {"name": "Flix <b>"})
    assert r.status_code == 303
    page = (await portal.get("/admin")).text
    assert "Flix &lt;b&gt;" in page  # escaped by the template engine
    apps = (await client.get("/v1/admin/apps", auth=(ADMIN_KEY_ID, ADMIN_SECRET))).json()
    app_id = apps["items"][0]["app_id"]

    r = await portal.post(f"/admin/apps/{app_id}/keys")
    assert r.status_code == 201
    assert r.headers["cache-control"] == "no-store"
    key_id = r.text.split('id="new-key-id">')[1].split("<")[0]
    secret = r.text.split('id="new-secret" class="secret">')[1].split("<")[0]
    me = await client.get(f"/v1/apps/{app_id}", auth=(key_id, secret))
    assert me.status_code == 200
    page = (await portal.get("/admin")).text
    assert key_id in page and secret not in page


async def test_a_revoked_key_is_signed_out_at_once(
    portal: PortalClient, client: httpx.AsyncClient, world: World
) -> None:
    app = await world.app()
    await portal.sign_in(app.key_id, app.secret)
    assert (await portal.get("/app")).status_code == 200
    r = await client.delete(f"/v1/admin/keys/{app.key_id}", auth=(ADMIN_KEY_ID, ADMIN_SECRET))
    assert r.status_code == 204
    r = await portal.get("/app")
    assert r.status_code == 303 and r.headers["location"].startswith("/portal/login")
    assert "revoked" in (await portal.get("/login")).text


async def test_each_role_sees_only_its_pages(portal: PortalClient, world: World) -> None:
    app = await world.app()
    await portal.sign_in(app.key_id, app.secret)
    for path in ("/admin", "/platform"):
        r = await portal.get(path)
        assert r.status_code == 403, path
        assert "text/html" in r.headers["content-type"]
    r = await portal.post("/admin/apps", {"name": "Sneaky"}, back=None)
    assert r.status_code == 403


async def test_unknown_pages_and_bad_input_get_html_error_pages(portal: PortalClient) -> None:
    r = await portal.get("/no-such-page")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "Page not found" in r.text
    await portal.sign_in(ADMIN_KEY_ID, ADMIN_SECRET)
    r = await portal.post("/admin/apps", {"name": ""}, back=None)
    assert r.status_code == 422 and "name" in r.text
    r = await portal.post("/admin/apps/AP404/keys", back=None)
    assert r.status_code == 404 and "No app AP404." in r.text


async def test_a_failed_form_returns_to_its_page_with_the_reason(
    portal: PortalClient, world: World
) -> None:
    app = await world.app()
    await portal.sign_in(app.key_id, app.secret)
    r = await portal.client.post(
        "/portal/app/media/icon@1x.png",
        data={"csrf_token": portal.token},
        files={"file": ("icon.png", make_png(100, 100), "image/png")},
        headers={"referer": "http://testserver/portal/app"},
    )
    assert r.status_code == 303 and r.headers["location"] == "/portal/app"
    page = (await portal.get("/app")).text
    assert "icon@1x.png must be 240x240 pixels, not 100x100." in page
    assert f"/media/{app.id}/icon@1x.png" not in page


async def test_publisher_uploads_media_and_enables_a_platform(
    portal: PortalClient, client: httpx.AsyncClient, world: World
) -> None:
    platform = await world.platform()
    app = await world.app()
    await portal.sign_in(app.key_id, app.secret)
    r = await portal.client.post(
        "/portal/app/media/logo_dark@1x.png",
        data={"csrf_token": portal.token},
        files={"file": ("logo.png", make_png(400, 240, alpha=True), "image/png")},
    )
    assert r.status_code == 303
    r = await portal.post(f"/app/avails/{platform.id}", {"enabled": "true"})
    assert r.status_code == 303
    detail = (await client.get(f"/v1/apps/{app.id}", auth=app.auth)).json()
    assert detail["app_media"] == {
        "logo_dark_1x": f"http://testserver/media/{app.id}/logo_dark@1x.png"
    }
    assert [(a["platform_id"], a["enabled"]) for a in detail["avails"]] == [(platform.id, True)]
    page = (await portal.get("/app")).text
    assert "400x240 PNG, transparent" in page
    assert f'src="http://testserver/media/{app.id}/logo_dark@1x.png"' in page


async def test_publisher_requires_handoffs_with_the_switch(
    portal: PortalClient, client: httpx.AsyncClient, world: World
) -> None:
    platform = await world.platform()
    app = await world.app(platforms=(platform,))
    await portal.sign_in(app.key_id, app.secret)
    assert "Require handoffs" in (await portal.get("/app")).text
    r = await portal.post("/app/handoffs", {"required": "true"})
    assert r.status_code == 303 and r.headers["location"] == "/portal/app#handoffs"
    detail = (await client.get(f"/v1/apps/{app.id}", auth=app.auth)).json()
    assert detail["attach_requires_handoff"] is True
    page = (await portal.get("/app")).text
    assert "Handoff tokens are now required to attach your contexts." in page
    assert "Allow attaching by context id" in page
    body = {"app_id": app.id, "context_id": "c"}
    r = await client.put("/v1/sessions/upnext/s", json=body, auth=platform.auth)
    assert r.status_code == 403 and r.json()["code"] == "handoff_required"
    await portal.post("/app/handoffs", {"required": "false"})
    detail = (await client.get(f"/v1/apps/{app.id}", auth=app.auth)).json()
    assert detail["attach_requires_handoff"] is False
    r = await client.put("/v1/sessions/upnext/s", json=body, auth=platform.auth)
    assert r.status_code == 200
    # A platform's key cannot flip it.
    await portal.sign_in(platform.key_id, platform.secret)
    r = await portal.post("/app/handoffs", {"required": "true"}, back=None)
    assert r.status_code == 403
    assert (await client.get(f"/v1/apps/{app.id}", auth=app.auth)).json()[
        "attach_requires_handoff"
    ] is False


async def test_platform_data_editor_uses_the_api_rules(
    portal: PortalClient, client: httpx.AsyncClient, world: World
) -> None:
    platform = await world.platform()
    app = await world.app(platforms=(platform,))
    await portal.sign_in(platform.key_id, platform.secret)
    path = f"/platform/apps/{app.id}/platform-data"
    r = await portal.post(path, {"platform_data": '{"rank": 2, "deep_link": "acme://x"}'})
    assert r.status_code == 303
    r = await portal.post(path, {"platform_data": '{"nested": {"no": 1}}'}, back="/platform")
    assert r.status_code == 303
    assert "The form has invalid values." in (await portal.get("/platform")).text
    r = await client.get(f"/v1/platforms/{platform.id}/apps", auth=platform.auth)
    assert r.json()["items"][0]["platform_data"] == {"rank": 2, "deep_link": "acme://x"}


async def test_hiding_in_the_preview_reaches_the_publisher(
    portal: PortalClient, client: httpx.AsyncClient, world: World
) -> None:
    platform = await world.platform()
    app = await world.app(platforms=(platform,))
    item = await world.put_item(app, "ctx-1")
    await world.attach(platform, "tv-1", app, "ctx-1")
    await portal.sign_in(platform.key_id, platform.secret)
    page = (await portal.get("/platform/sessions/tv-1")).text
    assert 'data-hidden="false"' in page and "Hide</button>" in page

    form = {"context_id": "ctx-1", "content_id": item["content_id"], "action": "hide"}
    r = await portal.post("/platform/sessions/tv-1/items", form)
    assert r.status_code == 303
    page = (await portal.get("/platform/sessions/tv-1")).text
    assert 'class="card ar-16x9 is-hidden"' in page and "Unhide</button>" in page

    await portal.sign_in(app.key_id, app.secret)
    inspector = (await portal.get("/app/contexts", params={"context_id": "ctx-1"})).text
    assert '<span class="pill off">hidden</span>' in inspector
    log = (await portal.get("/app/webhooks")).text
    assert "item_hidden" in log and f"ctx-1/{item['content_id']}" in log


async def test_unknown_sessions_and_bad_ids_are_error_pages(
    portal: PortalClient, world: World
) -> None:
    platform = await world.platform()
    await portal.sign_in(platform.key_id, platform.secret)
    r = await portal.get("/platform/sessions/nope")
    assert r.status_code == 404 and "No session nope." in r.text
    r = await portal.get("/platform/sessions", params={"session_id": "bad id!"})
    assert r.status_code == 422


async def test_the_operator_revokes_a_key_but_not_its_own(
    portal: PortalClient, client: httpx.AsyncClient, world: World
) -> None:
    app = await world.app()
    await portal.sign_in(ADMIN_KEY_ID, ADMIN_SECRET)
    page = (await portal.get("/admin")).text
    assert f"/admin/keys/{app.key_id}/revoke" in page
    assert f"/admin/keys/{ADMIN_KEY_ID}/revoke" not in page
    r = await portal.post(f"/admin/keys/{app.key_id}/revoke", back="/admin")
    assert r.status_code == 303
    assert (await client.get(f"/v1/apps/{app.id}", auth=app.auth)).status_code == 401
    r = await portal.post(f"/admin/keys/{ADMIN_KEY_ID}/revoke", back="/admin")
    assert r.status_code == 303
    assert "A key cannot revoke itself" in (await portal.get("/admin")).text


async def test_signing_out_forgets_the_key(portal: PortalClient) -> None:
    await portal.sign_in(ADMIN_KEY_ID, ADMIN_SECRET)
    assert (await portal.post("/logout")).headers["location"] == "/portal/login"
    assert (await portal.get("/admin")).status_code == 303


async def test_pages_forbid_inline_scripts_and_caching(portal: PortalClient) -> None:
    r = await portal.get("/login")
    policy = r.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["referrer-policy"] == "same-origin"


async def test_publisher_sets_the_webhook_and_sees_the_secret_once(
    portal: PortalClient, client: httpx.AsyncClient, world: World
) -> None:
    app = await world.app()
    await portal.sign_in(app.key_id, app.secret)
    r = await portal.post("/app/webhook", {"webhook_url": "ftp://x"}, back="/app")
    assert r.status_code == 303
    assert "webhook_url" in (await portal.get("/app")).text
    r = await portal.post("/app/webhook", {"webhook_url": "http://127.0.0.1:9/hook"})
    assert r.status_code == 303
    detail = (await client.get(f"/v1/apps/{app.id}", auth=app.auth)).json()
    assert detail["webhook_url"] == "http://127.0.0.1:9/hook"

    r = await portal.post("/app/webhook-secret")
    assert r.status_code == 201 and r.headers["cache-control"] == "no-store"
    secret = r.text.split('id="new-webhook-secret" class="secret">')[1].split("<")[0]
    assert secret.startswith("whsec_")
    assert secret not in (await portal.get("/app")).text


async def test_publisher_retries_a_delivery_and_sends_a_test_event(
    portal: PortalClient, client: httpx.AsyncClient, world: World
) -> None:
    app = await world.app()
    await portal.sign_in(app.key_id, app.secret)
    assert (await portal.post("/app/webhooks/test")).status_code == 303
    log = (await portal.get("/app/webhooks")).text
    assert "A webhook_test event was queued." in log and "webhook_test" in log
    delivery_id = log.split('data-delivery-id="')[1].split('"')[0]
    r = await portal.post(f"/app/webhooks/{delivery_id}/retry")
    assert r.status_code == 303
    assert f"Delivery {delivery_id} queued again." in (await portal.get("/app/webhooks")).text
    r = await portal.post("/app/webhooks/msg_unknown/retry", back=None)
    assert r.status_code == 404
    assert (await portal.get("/app/webhooks", params={"status": "lost"})).status_code == 422


async def test_a_key_pasted_as_key_id_colon_secret_signs_in(portal: PortalClient) -> None:
    await portal.get("/login")
    r = await portal.post("/login", {"key_id": f" {ADMIN_KEY_ID}:{ADMIN_SECRET} ", "secret": ""})
    assert r.status_code == 303 and r.headers["location"] == "/portal/admin"


async def test_portal_admin_actions_are_audited_as_the_signed_in_key(
    portal: PortalClient, client: httpx.AsyncClient
) -> None:
    await portal.sign_in(ADMIN_KEY_ID, ADMIN_SECRET)
    r = await portal.post("/admin/platforms", {"csrf_token": portal.token, "name": "Acme"})
    assert r.status_code == 303
    r = await portal.post("/admin/apps", {"csrf_token": portal.token, "name": "Flix"})
    assert r.status_code == 303
    log = (await client.get("/v1/admin/audit-log", auth=(ADMIN_KEY_ID, ADMIN_SECRET))).json()
    assert [(e["action"], e["key_id"]) for e in log["items"]] == [
        ("app.create", ADMIN_KEY_ID),
        ("platform.create", ADMIN_KEY_ID),
    ]


async def test_platform_sets_its_webhook_and_reads_its_delivery_log(
    portal: PortalClient, client: httpx.AsyncClient, world: World
) -> None:
    platform = await world.platform()
    app = await world.app(platforms=(platform,))
    await world.put_item(app, "ctx-p")
    await world.attach(platform, "tv-p", app, "ctx-p")
    await portal.sign_in(platform.key_id, platform.secret)
    r = await portal.post("/platform/webhook", {"webhook_url": "ftp://x"}, back="/platform")
    assert r.status_code == 303
    assert "webhook_url" in (await portal.get("/platform")).text
    r = await portal.post("/platform/webhook", {"webhook_url": "http://127.0.0.1:9/hook"})
    assert r.status_code == 303
    detail = (await client.get(f"/v1/platforms/{platform.id}", auth=platform.auth)).json()
    assert detail["webhook_url"] == "http://127.0.0.1:9/hook"
    assert 'value="http://127.0.0.1:9/hook"' in (await portal.get("/platform")).text

    r = await portal.post("/platform/webhook-secret")
    assert r.status_code == 201 and r.headers["cache-control"] == "no-store"
    secret = r.text.split('id="new-webhook-secret" class="secret">')[1].split("<")[0]
    assert secret.startswith("whsec_")
    assert "/platform#webhook" in r.text
    assert secret not in (await portal.get("/platform")).text

    await world.put_item(app, "ctx-p", title="Changed")
    assert (await portal.post("/platform/webhooks/test")).status_code == 303
    log = (await portal.get("/platform/webhooks")).text
    assert "A webhook_test event was queued." in log
    assert "session_changed" in log and "<code>tv-p</code>" in log and "ctx-p" in log
    delivery_id = log.split('data-delivery-id="')[1].split('"')[0]
    r = await portal.post(f"/platform/webhooks/{delivery_id}/retry")
    assert r.status_code == 303
    assert f"Delivery {delivery_id} queued again." in (await portal.get("/platform/webhooks")).text
    r = await portal.post("/platform/webhooks/msg_unknown/retry", back=None)
    assert r.status_code == 404
    assert (await portal.get("/platform/webhooks", params={"status": "lost"})).status_code == 422
    r = await portal.post("/platform/webhook", {"webhook_url": ""})
    assert (await client.get(f"/v1/platforms/{platform.id}", auth=platform.auth)).json()[
        "webhook_url"
    ] is None
