"""The audit log: every admin action with who, what and when, readable by the operator."""

from __future__ import annotations

import httpx

from tests.factories import ADMIN, ADMIN_KEY_ID, World


async def test_admin_actions_are_recorded_newest_first(
    client: httpx.AsyncClient, world: World
) -> None:
    platform = await world.platform("Acme")
    publisher = await world.app("Flix")
    r = await client.delete(f"/v1/admin/keys/{publisher.key_id}", auth=ADMIN)
    assert r.status_code == 204

    r = await client.get("/v1/admin/audit-log", auth=ADMIN)
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 5
    actions = [(e["action"], e["target"]) for e in body["items"]]
    assert actions == [
        ("key.revoke", publisher.key_id),
        ("key.create", publisher.key_id),
        ("app.create", publisher.id),
        ("key.create", platform.key_id),
        ("platform.create", platform.id),
    ]
    for entry in body["items"]:
        assert entry["key_id"] == ADMIN_KEY_ID
        assert entry["created_at"].endswith("Z")
    assert body["items"][2]["detail"] == {"name": "Flix"}
    assert body["items"][1]["detail"] == {"role": "publisher", "app_id": publisher.id}
    assert publisher.secret not in r.text and platform.secret not in r.text


async def test_a_failed_action_leaves_no_entry(client: httpx.AsyncClient) -> None:
    r = await client.post("/v1/admin/apps/AP000000000000000009/keys", auth=ADMIN)
    assert r.status_code == 404
    assert (await client.get("/v1/admin/audit-log", auth=ADMIN)).json()["total"] == 0


async def test_only_the_operator_reads_it(client: httpx.AsyncClient, world: World) -> None:
    publisher = await world.app()
    platform = await world.platform()
    for tenant in (publisher, platform):
        r = await client.get("/v1/admin/audit-log", auth=tenant.auth)
        assert r.status_code == 403
    assert (await client.get("/v1/admin/audit-log")).status_code == 401
