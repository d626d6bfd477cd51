"""An acknowledged write survives SIGKILL of the server (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading

import httpx
import pytest

from tests import servers
from tests.factories import ADMIN, ADMIN_KEY_ID, ADMIN_SECRET, make_item

pytestmark = pytest.mark.slow


def _publisher(base_url: str) -> tuple[str, str]:
    app_id = httpx.post(f"{base_url}/v1/admin/apps", json={"name": "A"}, auth=ADMIN).json()[
        "app_id"
    ]
    key = httpx.post(f"{base_url}/v1/admin/apps/{app_id}/keys", auth=ADMIN).json()
    return key["key_id"], key["secret"]


def test_acknowledged_writes_survive_sigkill(database_url: str) -> None:
    env = {
        "UPNEXT_DATABASE_URL": database_url,
        "UPNEXT_ADMIN_KEY": f"{ADMIN_KEY_ID}:{ADMIN_SECRET}",
    }
    server = servers.start(env)
    acknowledged: list[str] = []
    try:
        auth = _publisher(server.base_url)
        stop = threading.Event()

        def write() -> None:
            with httpx.Client(base_url=server.base_url, auth=auth, timeout=5) as client:
                n = 0
                while not stop.is_set():
                    item = make_item(content_id=f"w{n}")
                    try:
                        r = client.put("/v1/contexts/upnext/durable", json=item)
                    except httpx.TransportError:
                        return  # the server died mid-request: not acknowledged
                    if r.status_code == 200:
                        acknowledged.append(item["content_id"])
                    n += 1

        writer = threading.Thread(target=write)
        writer.start()
        while len(acknowledged) < 60:
            assert writer.is_alive()
            threading.Event().wait(0.01)
        server.kill()  # SIGKILL while the writer is mid-stream
        stop.set()
        writer.join()
    finally:
        server.kill()
    assert len(acknowledged) >= 60

    with servers.running(env) as restarted:
        r = httpx.get(
            f"{restarted.base_url}/v1/contexts/upnext/durable?limit=200", auth=auth, timeout=5
        )
        stored = {i["content_id"] for i in r.json()["items"]}
        total = r.json()["total"]
    assert set(acknowledged) <= stored
    assert total >= len(acknowledged)
