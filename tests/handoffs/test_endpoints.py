"""Handoff tokens: minting, redeeming once, expiry, platform binding, alike refusals, and
apps that require them (docs/handoffs.md)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import create_engine, select

from tests.factories import Tenant, World
from upnext.db.engine import sync_url
from upnext.db.tables import handoffs, metadata
from upnext.handoffs import service as handoff_service
from upnext.kit.hashing import hash_secret
from upnext.kit.timestamps import iso, now_us
from upnext.retention import purge_once
from upnext.settings import Settings

SECOND = 1_000_000


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # No RateLimit headers, whose remaining count would tell two answers apart.
    return settings.model_copy(update={"rate_limit_per_minute": 0})


class Clock:
    """The handoff service's clock, moved by the test instead of waiting."""

    def __init__(self) -> None:
        self.now = now_us()

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(handoff_service, "clock", clock)
    return clock


@dataclass
class Scene:
    server: FastAPI
    client: httpx.AsyncClient
    world: World
    platform: Tenant
    other: Tenant
    app: Tenant
    context_id: str


@pytest.fixture
async def scene(app: FastAPI, client: httpx.AsyncClient, world: World) -> Scene:
    """Two platforms the app has enabled, and one minted context with an item."""
    platform, other = await world.platform("Acme TV"), await world.platform("Other TV")
    publisher = await world.app(platforms=(platform, other))
    r = await client.post("/v1/contexts/upnext", auth=publisher.auth)
    context_id = r.json()["context_id"]
    await world.put_item(publisher, context_id, content_id="colt")
    return Scene(app, client, world, platform, other, publisher, context_id)


async def mint(
    client: httpx.AsyncClient, app: Tenant, context_id: str, **body: str
) -> httpx.Response:
    return await client.post(
        f"/v1/contexts/upnext/{context_id}/handoffs",
        json=body or None,
        auth=app.auth,
    )


async def token_for(scene: Scene, **body: str) -> str:
    r = await mint(scene.client, scene.app, scene.context_id, **body)
    assert r.status_code == 201, r.text
    return str(r.json()["handoff_token"])


async def redeem(
    client: httpx.AsyncClient, platform: Tenant, token: str, session_id: str = "tv-1"
) -> httpx.Response:
    return await client.put(
        f"/v1/sessions/upnext/{session_id}",
        json={"handoff_token": token},
        auth=platform.auth,
    )


# minting


async def test_a_publisher_mints_a_token_for_its_context(scene: Scene, clock: Clock) -> None:
    r = await mint(scene.client, scene.app, scene.context_id)
    assert r.status_code == 201
    body = r.json()
    assert list(body) == ["handoff_token", "context_id", "app_id", "expires_at"]
    assert body["context_id"] == scene.context_id and body["app_id"] == scene.app.id
    assert body["expires_at"] == iso(clock.now + 600 * SECOND)
    token = body["handoff_token"]
    # HO + 32 URL-safe characters: 192 random bits.
    assert token.startswith("HO") and len(token) == 34
    assert token != await token_for(scene)


async def test_the_body_is_optional_and_may_bind_a_platform(scene: Scene) -> None:
    for body in (None, {}, {"platform_id": None}, {"platform_id": scene.platform.id}):
        r = await scene.client.post(
            f"/v1/contexts/upnext/{scene.context_id}/handoffs",
            json=body,
            auth=scene.app.auth,
        )
        assert r.status_code == 201, (body, r.text)


async def test_minting_for_a_context_not_ones_own_is_refused(scene: Scene) -> None:
    client, world = scene.client, scene.world
    stranger = await world.app("Stranger")
    r = await mint(client, stranger, scene.context_id)
    assert r.status_code == 403 and r.json()["code"] == "wrong_app"
    r = await mint(client, scene.app, "never-written")
    assert r.status_code == 404 and r.json()["code"] == "context_not_found"
    r = await mint(client, scene.app, scene.context_id, platform_id="PL000000000000000009")
    assert r.status_code == 404 and r.json()["code"] == "platform_not_found"
    r = await mint(client, scene.platform, scene.context_id)
    assert r.status_code == 403 and r.json()["code"] == "wrong_role"
    r = await client.post(
        f"/v1/contexts/upnext/{scene.context_id}/handoffs",
        json={"platform_id": 7, "extra": True},
        auth=scene.app.auth,
    )
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["platform_id", "extra"]
    for wrong in (rb'"\ud800"', rb'"PL\u0000"'):  # a lone surrogate, a NUL
        r = await client.post(
            f"/v1/contexts/upnext/{scene.context_id}/handoffs",
            content=b'{"platform_id": ' + wrong + b"}",
            headers={"content-type": "application/json"},
            auth=scene.app.auth,
        )
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "platform_id"
    assert await stored_handoffs(scene) == 0


def test_the_lifetime_is_a_setting_of_60_to_3600_seconds() -> None:
    assert Settings().handoff_ttl_seconds == 600
    assert Settings(handoff_ttl_seconds=60).handoff_ttl_seconds == 60
    for wrong in (59, 3601):
        with pytest.raises(ValueError, match="handoff_ttl_seconds"):
            Settings(handoff_ttl_seconds=wrong)


# redeeming


async def test_a_platform_attaches_with_the_token(scene: Scene) -> None:
    token = await token_for(scene)
    r = await redeem(scene.client, scene.platform, token)
    assert r.status_code == 200
    attached = r.json()
    assert list(attached) == ["session_id", "context_id", "app_id", "created_at"]
    assert attached["context_id"] == scene.context_id
    assert attached["app_id"] == scene.app.id
    r = await scene.client.get("/v1/sessions/upnext/tv-1", auth=scene.platform.auth)
    assert [i["content_id"] for i in r.json()["items"]] == ["colt"]


async def test_a_token_works_once(scene: Scene) -> None:
    token = await token_for(scene)
    assert (await redeem(scene.client, scene.platform, token)).status_code == 200
    again = await redeem(scene.client, scene.platform, token, "tv-2")
    assert again.status_code == 422 and again.json()["code"] == "handoff_token_invalid"
    r = await scene.client.get("/v1/sessions/upnext/tv-2", auth=scene.platform.auth)
    assert r.status_code == 404  # the refused attach created no session


async def test_of_concurrent_redeems_exactly_one_wins(scene: Scene) -> None:
    token = await token_for(scene)
    answers = await asyncio.gather(
        *(redeem(scene.client, scene.platform, token, f"tv-{n}") for n in range(8))
    )
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [200] + [422] * 7, [r.text for r in answers]
    [winner] = [r for r in answers if r.status_code == 200]
    for n in range(8):
        r = await scene.client.get(f"/v1/sessions/upnext/tv-{n}", auth=scene.platform.auth)
        expected = 200 if f"tv-{n}" == winner.json()["session_id"] else 404
        assert r.status_code == expected


async def test_a_token_expires_after_its_lifetime(scene: Scene, clock: Clock) -> None:
    early, late = await token_for(scene), await token_for(scene)
    clock.now += 600 * SECOND - 1
    assert (await redeem(scene.client, scene.platform, early)).status_code == 200
    clock.now += 1
    r = await redeem(scene.client, scene.platform, late, "tv-2")
    assert r.status_code == 422 and r.json()["code"] == "handoff_token_invalid"


async def test_the_lifetime_follows_the_setting(
    client: httpx.AsyncClient, world: World, settings: Settings, clock: Clock
) -> None:
    # A second app over the same database with a one-minute lifetime.
    from upnext.app import create_app

    short = create_app(settings.model_copy(update={"handoff_ttl_seconds": 60}))
    async with short.router.lifespan_context(short):
        transport = httpx.ASGITransport(app=short)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            platform = await world.platform()
            app = await world.app(platforms=(platform,))
            await world.put_item(app, "ctx")
            r = await mint(c, app, "ctx")
            assert r.json()["expires_at"] == iso(clock.now + 60 * SECOND)
            clock.now += 60 * SECOND
            assert (await redeem(c, platform, r.json()["handoff_token"])).status_code == 422


async def test_a_bound_token_works_only_for_its_platform(scene: Scene) -> None:
    token = await token_for(scene, platform_id=scene.platform.id)
    r = await redeem(scene.client, scene.other, token)
    assert r.status_code == 422 and r.json()["code"] == "handoff_token_invalid"
    # The other platform's attempt did not spend it.
    assert (await redeem(scene.client, scene.platform, token)).status_code == 200


async def test_an_unbound_token_works_for_any_enabled_platform(scene: Scene) -> None:
    token = await token_for(scene)
    assert (await redeem(scene.client, scene.other, token)).status_code == 200


async def test_the_avail_rule_still_applies_and_keeps_the_token(scene: Scene) -> None:
    token = await token_for(scene)
    await scene.world.enable(scene.app, scene.platform, enabled=False)
    r = await redeem(scene.client, scene.platform, token)
    assert r.status_code == 403 and r.json()["code"] == "app_not_available"
    await scene.world.enable(scene.app, scene.platform)
    assert (await redeem(scene.client, scene.platform, token)).status_code == 200


async def test_the_four_invalid_tokens_get_the_same_answer(scene: Scene, clock: Clock) -> None:
    used, expired = await token_for(scene), await token_for(scene)
    assert (await redeem(scene.client, scene.other, used)).status_code == 200
    clock.now += 600 * SECOND
    fresh_bound = await token_for(scene, platform_id=scene.platform.id)
    unknown = handoff_service.new_token()
    answers = [
        await redeem(scene.client, scene.other, token, "tv-9")
        for token in (unknown, expired, used, fresh_bound)
    ]

    def shape(r: httpx.Response) -> tuple[int, bytes, tuple[tuple[str, str], ...]]:
        headers = tuple((k, v) for k, v in r.headers.items() if k != "x-request-id")
        return r.status_code, r.content, headers

    assert [shape(r) for r in answers] == [shape(answers[0])] * 4
    assert answers[0].status_code == 422
    problem = answers[0].json()
    assert problem["code"] == "handoff_token_invalid"
    assert problem["errors"] == [
        {"field": "handoff_token", "message": "not a redeemable handoff token"}
    ]
    assert len({r.headers["x-request-id"] for r in answers}) == 4


async def test_a_body_with_both_forms_is_invalid(scene: Scene) -> None:
    token = await token_for(scene)
    app_id = scene.app.id
    for extra, fields in (
        ({"app_id": app_id}, ["app_id"]),
        ({"context_id": scene.context_id}, ["context_id"]),
        ({"app_id": app_id, "context_id": scene.context_id}, ["app_id", "context_id"]),
    ):
        r = await scene.client.put(
            "/v1/sessions/upnext/tv-1",
            json={"handoff_token": token, **extra},
            auth=scene.platform.auth,
        )
        assert r.status_code == 422 and r.json()["code"] == "validation_failed"
        assert [e["field"] for e in r.json()["errors"]] == fields
    for wrong in (b'""', b"42", b"null", b'"' + b"x" * 257 + b'"', rb'"\ud800"', rb'"HO\u0000"'):
        r = await scene.client.put(
            "/v1/sessions/upnext/tv-1",
            content=b'{"handoff_token": ' + wrong + b"}",
            headers={"content-type": "application/json"},
            auth=scene.platform.auth,
        )
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "handoff_token"
    # None of these spent the token.
    assert (await redeem(scene.client, scene.platform, token)).status_code == 200


# the per-app requirement


async def test_an_app_can_require_handoffs(scene: Scene) -> None:
    client, app, platform = scene.client, scene.app, scene.platform
    path = f"/v1/apps/{app.id}"
    assert "attach_requires_handoff" not in (await client.get(path, auth=app.auth)).json()
    named = {"app_id": app.id, "context_id": scene.context_id}
    r = await client.put("/v1/sessions/upnext/before", json=named, auth=platform.auth)
    assert r.status_code == 200

    r = await client.patch(path, json={"attach_requires_handoff": True}, auth=app.auth)
    assert r.status_code == 200 and r.json()["attach_requires_handoff"] is True
    assert (await client.get(path, auth=app.auth)).json()["attach_requires_handoff"] is True
    for session_id, body in (
        ("before", named),
        ("new", named),
        ("new", {**named, "context_id": "x"}),
    ):
        r = await client.put(f"/v1/sessions/upnext/{session_id}", json=body, auth=platform.auth)
        assert r.status_code == 403 and r.json()["code"] == "handoff_required", r.text
    r = await client.get("/v1/sessions/upnext/new", auth=platform.auth)
    assert r.status_code == 404
    r = await client.get("/v1/contexts/upnext/x", auth=app.auth)
    assert r.status_code == 404  # the refused attach claimed no context
    # Sessions attached before keep the context.
    r = await client.get("/v1/sessions/upnext/before", auth=platform.auth)
    assert [i["content_id"] for i in r.json()["items"]] == ["colt"]
    assert (await redeem(client, platform, await token_for(scene), "new")).status_code == 200

    r = await client.patch(path, json={"attach_requires_handoff": False}, auth=app.auth)
    assert r.json()["attach_requires_handoff"] is False
    r = await client.put("/v1/sessions/upnext/later", json=named, auth=platform.auth)
    assert r.status_code == 200


async def test_the_requirement_is_the_apps_own_choice(scene: Scene) -> None:
    client, app = scene.client, scene.app
    path = f"/v1/apps/{app.id}"
    for wrong in (None, "true", 1):
        r = await client.patch(path, json={"attach_requires_handoff": wrong}, auth=app.auth)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "attach_requires_handoff"
    stranger = await scene.world.app("Stranger")
    r = await client.patch(path, json={"attach_requires_handoff": True}, auth=stranger.auth)
    assert r.status_code == 403
    r = await client.patch(path, json={"attach_requires_handoff": True}, auth=scene.platform.auth)
    assert r.status_code == 403
    # A webhook-only PATCH leaves the choice unset, and the answer as it always was.
    r = await client.patch(path, json={"webhook_url": None}, auth=app.auth)
    assert "attach_requires_handoff" not in r.json()


# storage


def stored_rows(database_url: str) -> list[tuple[str, dict[str, object]]]:
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as conn:
            return [
                (table.name, dict(row._mapping))
                for table in metadata.sorted_tables
                for row in conn.execute(select(table))
            ]
    finally:
        engine.dispose()


async def stored_handoffs(scene: Scene) -> int:
    async with scene.server.state.db.read() as conn:
        return len((await conn.execute(select(handoffs))).all())


async def test_no_token_is_stored_in_clear(scene: Scene, database_url: str) -> None:
    tokens = [await token_for(scene), await token_for(scene, platform_id=scene.platform.id)]
    # An Idempotency-Key would store the answer, token and all: it is not honoured here.
    for _ in range(2):
        r = await scene.client.post(
            f"/v1/contexts/upnext/{scene.context_id}/handoffs",
            headers={"Idempotency-Key": "mint-1"},
            auth=scene.app.auth,
        )
        assert r.status_code == 201 and "idempotent-replayed" not in r.headers
        tokens.append(r.json()["handoff_token"])
    assert len(set(tokens)) == 4
    assert (await redeem(scene.client, scene.platform, tokens[0])).status_code == 200
    rows = stored_rows(database_url)
    hashes = {row["token_hash"] for name, row in rows if name == "handoffs"}
    assert hashes == {hash_secret(token) for token in tokens}
    for token in tokens:
        secret_part = token.removeprefix("HO")
        for name, row in rows:
            for value in row.values():
                text = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
                assert secret_part not in text, (name, row)


async def test_erasing_the_context_forgets_its_handoffs(scene: Scene) -> None:
    token = await token_for(scene)
    r = await scene.client.delete(
        f"/v1/contexts/upnext/{scene.context_id}",
        auth=scene.app.auth,
    )
    assert r.status_code == 204
    assert await stored_handoffs(scene) == 0
    r = await redeem(scene.client, scene.platform, token)
    assert r.status_code == 422 and r.json()["code"] == "handoff_token_invalid"


async def test_the_purge_job_forgets_expired_handoffs(scene: Scene, settings: Settings) -> None:
    await token_for(scene)
    used = await token_for(scene)
    assert (await redeem(scene.client, scene.platform, used)).status_code == 200
    db = scene.server.state.db
    await purge_once(db, settings, now_us())
    assert await stored_handoffs(scene) == 2  # not expired yet, used or not
    await purge_once(db, settings, now_us() + 600 * SECOND)
    assert await stored_handoffs(scene) == 0


# the two forms of the attach body


async def test_the_openapi_shows_the_attach_body_as_one_of_two_forms(
    client: httpx.AsyncClient,
) -> None:
    schema = (await client.get("/openapi.json")).json()
    body = schema["paths"]["/v1/sessions/upnext/{session_id}"]["put"]["requestBody"]
    forms = body["content"]["application/json"]["schema"]["oneOf"]
    assert forms == [
        {"$ref": "#/components/schemas/AttachIn"},
        {"$ref": "#/components/schemas/HandoffAttachIn"},
    ]
    models = schema["components"]["schemas"]
    assert models["AttachIn"]["required"] == ["app_id", "context_id"]
    assert models["HandoffAttachIn"]["required"] == ["handoff_token"]
    assert models["AttachIn"]["additionalProperties"] is False
    assert models["HandoffAttachIn"]["additionalProperties"] is False
    mint_operation = schema["paths"]["/v1/contexts/upnext/{context_id}/handoffs"]["post"]
    assert set(mint_operation["responses"]) >= {"201", "403", "404", "422"}
    assert "attach_requires_handoff" in models["AppPatch"]["properties"]


PATTERN = "String should match pattern '^[A-Za-z0-9._~:@-]{1,128}$'"
# The reference form's refusals, exactly as they were before handoffs existed.
NAMED_FORM_REFUSALS: list[tuple[object, list[tuple[str, str]]]] = [
    ([], [("body", "Input should be a valid dictionary or object to extract fields from")]),
    ("x", [("body", "Input should be a valid dictionary or object to extract fields from")]),
    ({}, [("app_id", "Field required"), ("context_id", "Field required")]),
    ({"app_id": "bad id"}, [("app_id", PATTERN), ("context_id", "Field required")]),
    (
        {"app_id": "AP1", "context_id": "contexts"},
        [("context_id", "'contexts' is reserved and cannot be used as this id")],
    ),
    (
        {"app_id": 5, "context_id": None},
        [
            ("app_id", "Input should be a valid string"),
            ("context_id", "Input should be a valid string"),
        ],
    ),
    ({"app_id": "AP1", "context_id": "c", "extra": 1}, [("extra", "unknown field")]),
    ({"context_id": "c"}, [("app_id", "Field required")]),
]


@pytest.mark.parametrize(("body", "errors"), NAMED_FORM_REFUSALS)
async def test_the_named_form_is_refused_as_it_always_was(
    scene: Scene, body: object, errors: list[tuple[str, str]]
) -> None:
    r = await scene.client.put("/v1/sessions/upnext/tv-1", json=body, auth=scene.platform.auth)
    names = ", ".join(dict.fromkeys(field for field, _ in errors))
    assert r.status_code == 422
    assert r.json() == {
        "type": "about:blank",
        "title": "Validation failed",
        "status": 422,
        "detail": f"Invalid fields: {names}.",
        "code": "validation_failed",
        "errors": [{"field": field, "message": message} for field, message in errors],
    }
