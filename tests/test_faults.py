"""Faults with real processes: SIGTERM drains in-flight requests; on PostgreSQL, a database
outage is a 503 with Retry-After and the server recovers by itself when it returns."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import orjson
import pytest

from tests import databases, servers
from tests.factories import ADMIN, ADMIN_KEY_ID, ADMIN_SECRET, make_item

pytestmark = pytest.mark.slow

GRACEFUL = -signal.SIGTERM  # not -SIGKILL: servers.terminate kills what does not exit


def _env(database_url: str) -> dict[str, str]:
    return {
        "UPNEXT_DATABASE_URL": database_url,
        "UPNEXT_ADMIN_KEY": f"{ADMIN_KEY_ID}:{ADMIN_SECRET}",
        "UPNEXT_LOG_LEVEL": "warning",
    }


def _publisher(base_url: str) -> tuple[str, str]:
    app = httpx.post(f"{base_url}/v1/admin/apps", json={"name": "A"}, auth=ADMIN).json()
    key = httpx.post(f"{base_url}/v1/admin/apps/{app['app_id']}/keys", auth=ADMIN).json()
    return key["key_id"], key["secret"]


def _basic(auth: tuple[str, str]) -> str:
    return httpx.BasicAuth(*auth)._auth_header


def test_sigterm_lets_an_in_flight_request_finish(database_url: str) -> None:
    server = servers.start(_env(database_url))
    try:
        auth = _publisher(server.base_url)
        body = orjson.dumps(make_item(content_id="in-flight"))
        head = (
            f"PUT /v1/contexts/upnext/drain HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: {_basic(auth)}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(head + body[:10])  # the request has begun: half a body is here
            time.sleep(0.3)
            server.process.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            assert server.is_running(), "the server must wait for the request in flight"
            sock.sendall(body[10:])
            answer = sock.recv(65536).decode()
        assert answer.startswith("HTTP/1.1 200"), answer
        # uvicorn re-raises the signal once it has shut down gracefully.
        assert server.process.wait(15) == GRACEFUL
    finally:
        server.kill()
    with servers.running(_env(database_url)) as again:
        r = httpx.get(f"{again.base_url}/v1/contexts/upnext/drain", auth=auth)
        assert [i["content_id"] for i in r.json()["items"]] == ["in-flight"]


def test_sigterm_refuses_new_connections_and_exits_cleanly(database_url: str) -> None:
    server = servers.start(_env(database_url))
    try:
        assert httpx.get(f"{server.base_url}/healthz").status_code == 200
        assert server.terminate() == GRACEFUL
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{server.base_url}/healthz", timeout=2)
        assert "Traceback" not in server.stdout()
    finally:
        server.kill()


def _cluster(action: str) -> None:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action],
        check=True,
        capture_output=True,
        timeout=60,
    )


@contextmanager
def _postgres_down() -> Iterator[None]:
    """Stop the PostgreSQL cluster for the block; it is always started again."""
    _cluster("stop")
    try:
        yield
    finally:
        _cluster("start")


def _wait_until(check: object, within: float) -> httpx.Response:
    deadline = time.monotonic() + within
    while True:
        r = check()  # type: ignore[operator]
        if r.status_code < 500 or time.monotonic() > deadline:
            return r  # type: ignore[no-any-return]
        time.sleep(0.2)


if databases.ON_POSTGRES:  # the outage is of a PostgreSQL server; SQLite has none

    def test_database_outage_is_503_then_recovers(database_url: str) -> None:
        with (
            servers.running(_env(database_url)) as server,
            httpx.Client(base_url=server.base_url, timeout=15) as client,
        ):
            auth = _publisher(server.base_url)
            assert client.put("/v1/contexts/upnext/c", json=make_item(), auth=auth).is_success
            with _postgres_down():
                for request in (
                    lambda: client.get("/v1/contexts/upnext/c", auth=auth),
                    lambda: client.put("/v1/contexts/upnext/c", json=make_item(), auth=auth),
                    lambda: client.get("/healthz"),
                ):
                    r = request()
                    assert r.status_code == 503, r.text
                    assert r.headers["content-type"] == "application/problem+json"
                    assert r.json()["code"] == "database_unavailable"
                    assert int(r.headers["Retry-After"]) >= 1
                    assert "Traceback" not in r.text
                assert server.is_running()
                # Metrics matter most now: they are served, the outage shows in them.
                metrics = client.get("/metrics")
                assert metrics.status_code == 200
                assert 'route="/healthz",status="503"' in metrics.text
            # Back without a restart: the pool reconnects by itself.
            item = make_item(content_id="after-outage")
            r = _wait_until(
                lambda: client.put("/v1/contexts/upnext/c", json=item, auth=auth), within=30
            )
            assert r.status_code == 200, r.text
            listed = client.get("/v1/contexts/upnext/c", auth=auth).json()
            assert "after-outage" in [i["content_id"] for i in listed["items"]]
            assert client.get("/readyz").status_code == 200
            assert server.is_running()
