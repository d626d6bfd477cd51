"""Portal sessions kept on the server: the cookie is a random token, the row holds the rest."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update

from tests.factories import ADMIN_KEY_ID, ADMIN_SECRET, World
from tests.web.forms import PortalClient
from upnext.app import create_app
from upnext.db.engine import Database
from upnext.db.tables import api_keys, portal_sessions
from upnext.kit.hashing import hash_secret
from upnext.kit.timestamps import now_us
from upnext.retention import purge_once
from upnext.settings import Settings
from upnext.web.session import ANONYMOUS_MAX_AGE, COOKIE, MAX_AGE

HOUR_US = 3_600_000_000


@asynccontextmanager
async def portal_client(
    app: FastAPI, cookies: httpx.Cookies | None = None
) -> AsyncIterator[PortalClient]:
    """A browser of the portal of ``app``, holding a copy of another's cookies if given."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", cookies=httpx.Cookies(cookies)
    ) as client:
        yield PortalClient(client)


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[FastAPI]:
    """Another app process on the same database: its own engine, pools and start-up."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


def token_of(portal: PortalClient) -> str:
    token = portal.client.cookies.get(COOKIE)
    assert token
    return token


async def rows(app: FastAPI) -> list[dict[str, Any]]:
    db: Database = app.state.db
    async with db.read() as conn:
        result = await conn.execute(select(portal_sessions))
        return [dict(row) for row in result.mappings()]


async def signed_in(portal: PortalClient) -> bool:
    r = await portal.get("/admin")
    assert r.status_code in (200, 303), r.text
    return r.status_code == 200


async def test_the_cookie_is_a_random_token_and_nothing_else(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    portal = PortalClient(client)
    r = await portal.sign_in(ADMIN_KEY_ID, ADMIN_SECRET)
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/portal" in cookie
    assert f"Max-Age={MAX_AGE}" in cookie
    token = token_of(portal)
    # 43 URL-safe characters: 32 random bytes, with no room for a key id or a secret.
    raw = base64.urlsafe_b64decode(token + "=")
    assert len(token) == 43 and len(raw) == 32
    for material in (ADMIN_SECRET, ADMIN_KEY_ID):
        assert material not in token and material.encode() not in raw
    assert await signed_in(portal)

    # Signing in again starts another session: another random token.
    async with portal_client(app) as again:
        await again.sign_in(ADMIN_KEY_ID, ADMIN_SECRET)
        assert token_of(again) != token


async def test_the_database_holds_only_the_hash_of_the_token(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    portal = PortalClient(client)
    await portal.get("/login")
    before = [row["token_hash"] for row in await rows(app)]  # the sign-in form's session
    await portal.sign_in(ADMIN_KEY_ID, ADMIN_SECRET)
    token = token_of(portal)
    [row] = [row for row in await rows(app) if row["key_id"] == ADMIN_KEY_ID]
    assert row["token_hash"] == hash_secret(token)
    assert row["token_hash"] not in before  # signing in replaced the token
    assert all(token not in str(value) for value in row.values())
    assert all(ADMIN_SECRET not in str(value) for value in row.values())
    # The CSRF nonce is the row's, compared as it is.
    assert row["csrf_nonce"] == portal.token
    now = now_us()
    assert now + MAX_AGE * 1_000_000 - HOUR_US < row["expires_at"] <= now + MAX_AGE * 1_000_000


async def test_signing_out_deletes_the_session(client: httpx.AsyncClient, app: FastAPI) -> None:
    portal = PortalClient(client)
    await portal.sign_in(ADMIN_KEY_ID, ADMIN_SECRET)
    token, copy = token_of(portal), httpx.Cookies(portal.client.cookies)
    r = await portal.post("/logout")
    assert r.status_code == 303 and r.headers["location"] == "/portal/login"
    assert f"{COOKIE}=;" in r.headers["set-cookie"] and "Max-Age=0" in r.headers["set-cookie"]
    assert hash_secret(token) not in {row["token_hash"] for row in await rows(app)}
    # A copy of the old cookie is worth nothing now.
    async with portal_client(app, copy) as replay:
        assert token_of(replay) == token
        r = await replay.get("/admin")
        assert r.status_code == 303 and r.headers["location"].startswith("/portal/login")
        replay.token = portal.token  # the form's token of the ended session
        r = await replay.post("/admin/apps", {"name": "After sign-out"}, back=None)
        assert r.status_code == 303 and r.headers["location"].startswith("/portal/login")
    apps = await client.get("/v1/admin/apps", auth=(ADMIN_KEY_ID, ADMIN_SECRET))
    assert apps.json()["total"] == 0


async def test_revoking_a_key_by_api_or_portal_ends_its_sessions(
    client: httpx.AsyncClient, app: FastAPI, world: World
) -> None:
    by_api, by_portal = await world.app(), await world.app("Second")
    sessions = {}
    for key in (by_api, by_portal):
        async with portal_client(app) as publisher:
            await publisher.sign_in(key.key_id, key.secret)
            assert (await publisher.get("/app")).status_code == 200
            sessions[key.key_id] = httpx.Cookies(publisher.client.cookies)

    r = await client.delete(f"/v1/admin/keys/{by_api.key_id}", auth=(ADMIN_KEY_ID, ADMIN_SECRET))
    assert r.status_code == 204
    operator = PortalClient(client)
    await operator.sign_in(ADMIN_KEY_ID, ADMIN_SECRET)
    r = await operator.post(f"/admin/keys/{by_portal.key_id}/revoke", back="/admin")
    assert r.status_code == 303

    # Deleted with the revocation, in its transaction.
    assert {row["key_id"] for row in await rows(app)} == {ADMIN_KEY_ID}
    for cookies in sessions.values():
        async with portal_client(app, cookies) as replay:
            r = await replay.get("/app")
            assert r.status_code == 303 and r.headers["location"].startswith("/portal/login")
            assert "revoked" in (await replay.get("/login")).text


async def test_every_request_checks_the_key_of_its_session(
    client: httpx.AsyncClient, app: FastAPI, world: World
) -> None:
    """A session row that outlived its key's revocation (read just before the revoking
    commit, say) is refused all the same: the key is read with the session each time."""
    key = await world.app()
    portal = PortalClient(client)
    await portal.sign_in(key.key_id, key.secret)
    assert (await portal.get("/app")).status_code == 200
    db: Database = app.state.db
    async with db.write() as conn:  # revoked behind the service's back: the row stays
        query = update(api_keys).where(api_keys.c.key_id == key.key_id).values(revoked_at=1)
        await conn.execute(query)
    assert hash_secret(token_of(portal)) in {row["token_hash"] for row in await rows(app)}
    r = await portal.get("/app")
    assert r.status_code == 303 and r.headers["location"].startswith("/portal/login")
    assert key.key_id not in {row["key_id"] for row in await rows(app)}


async def test_a_new_admin_secret_ends_the_sessions_of_the_old_one(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    portal = PortalClient(client)
    await portal.sign_in(ADMIN_KEY_ID, ADMIN_SECRET)
    cookies = httpx.Cookies(portal.client.cookies)
    same = settings.model_copy()
    async with running(same) as restarted, portal_client(restarted, cookies) as browser:
        assert await signed_in(browser)  # restarted with the same key: still signed in
    changed = settings.model_copy(update={"admin_key": f"{ADMIN_KEY_ID}:another-secret-0123"})
    async with running(changed) as restarted, portal_client(restarted, cookies) as browser:
        assert not await signed_in(browser)


async def test_a_session_works_across_processes_and_restarts(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """Two app instances on one database, neither with a shared secret: a sign-in on one
    is valid on the other, and on a third started after both stopped."""
    async with running(settings) as first, running(settings) as second:
        async with portal_client(first) as browser:
            await browser.sign_in(ADMIN_KEY_ID, ADMIN_SECRET)
            cookies = httpx.Cookies(browser.client.cookies)
        async with portal_client(second, cookies) as browser:
            assert await signed_in(browser)
            # A form rendered by one process posts to the other.
            await browser.get("/admin")
            async with portal_client(first, cookies) as other:
                other.token = browser.token
                r = await other.post("/admin/apps", {"name": "Across"}, back="/admin")
                assert r.status_code == 303
    async with running(settings) as third, portal_client(third, cookies) as browser:
        assert await signed_in(browser)
        assert "Across" in (await browser.get("/admin")).text


async def test_expired_sessions_are_refused_and_purged(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    start = now_us()
    app.state.portal_clock = lambda: start
    portal = PortalClient(client)
    await portal.sign_in(ADMIN_KEY_ID, ADMIN_SECRET)
    almost = start + MAX_AGE * 1_000_000 - 1
    app.state.portal_clock = lambda: almost
    assert await signed_in(portal)
    app.state.portal_clock = lambda: almost + 1
    r = await portal.get("/admin")
    assert r.status_code == 303 and r.headers["location"].startswith("/portal/login")
    assert "expired" in (await portal.get("/login")).text

    # The sign-in form's own session lasts an hour: its token is refused after that.
    async with portal_client(app) as stranger:
        app.state.portal_clock = lambda: start
        await stranger.get("/login")
        app.state.portal_clock = lambda: start + ANONYMOUS_MAX_AGE * 1_000_000
        data = {"key_id": ADMIN_KEY_ID, "secret": ADMIN_SECRET}
        r = await stranger.post("/login", data, back=None)
        assert r.status_code == 403 and "Form expired" in r.text

    # The purge job deletes the expired rows, and only them.
    live = {row["token_hash"] for row in await rows(app) if row["expires_at"] > almost + 1}
    await purge_once(app.state.db, settings, now=almost + 1)
    assert {row["token_hash"] for row in await rows(app)} == live


async def test_a_stranger_gets_no_session_until_a_form_needs_one(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    for path in ("/admin", "/no-such-page", "/static/portal.css"):
        r = await client.get(f"/portal{path}")
        assert "set-cookie" not in r.headers, path
    assert await rows(app) == []
    r = await client.get("/portal/login")
    assert r.headers["set-cookie"].startswith(f"{COOKIE}=")
    assert f"Max-Age={ANONYMOUS_MAX_AGE}" in r.headers["set-cookie"]
    [row] = await rows(app)
    assert row["key_id"] is None and f'value="{row["csrf_nonce"]}"' in r.text
    # The same visitor comes back: the same session, no new row.
    await client.get("/portal/login")
    assert len(await rows(app)) == 1
