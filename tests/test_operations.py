"""Running it: health, OpenAPI, docs, problem+json everywhere, the first admin key."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from upnext.app import create_app
from upnext.settings import Settings


async def test_healthz(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz")
    assert (r.status_code, r.json()) == (200, {"status": "ok"})


async def test_openapi_describes_every_contract_path(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    paths = spec["paths"]
    expected = {
        "/v1/sessions/upnext/{session_id}": {"put", "get", "delete"},
        "/v1/sessions/upnext/{session_id}/contexts": {"get"},
        "/v1/sessions/upnext/{session_id}/{context_id}": {"get", "put", "delete"},
        "/v1/contexts/upnext": {"post"},
        "/v1/contexts/upnext/{context_id}": {"put", "get"},
        "/v1/contexts/upnext/{context_id}/{content_id}": {"delete"},
        "/v1/contexts/upnext/{context_id}/sessions": {"delete"},
        "/v1/admin/platforms": {"post", "get"},
        "/v1/admin/apps": {"post", "get"},
        "/v1/admin/platforms/{platform_id}/keys": {"post"},
        "/v1/admin/apps/{app_id}/keys": {"post"},
        "/v1/admin/keys/{key_id}": {"delete"},
        "/v1/apps/{app_id}": {"get", "patch"},
        "/v1/apps/{app_id}/avails/{platform_id}": {"put"},
        "/v1/apps/{app_id}/media/{file_name}": {"put", "delete"},
        "/v1/platforms/{platform_id}/apps": {"get"},
        "/v1/platforms/{platform_id}/apps/{app_id}/platform_data": {"put"},
        "/media/{app_id}/{file_name}": {"get"},
        "/healthz": {"get"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path
        for method in methods:
            assert paths[path][method].get("description") or paths[path][method].get("summary")
    assert "HTTPBasic" in spec["components"]["securitySchemes"]
    assert (await client.get("/docs")).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/nowhere", 404), ("POST", "/healthz", 405), ("PATCH", "/v1/contexts/upnext", 405)],
)
async def test_framework_errors_are_problems(
    client: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    r = await client.request(method, path)
    assert r.status_code == status
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["status"] == status
    assert r.json()["code"]


async def _started(settings: Settings) -> FastAPI:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        pass
    return app


async def test_first_start_prints_an_admin_key_once(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(database_url=database_url, admin_key=None)
    await _started(settings)
    printed = capsys.readouterr().out
    [line] = [x for x in printed.splitlines() if x.startswith("admin key: ")]
    key_id, secret = line.removeprefix("admin key: ").split(":")
    await _started(settings)
    assert "admin key" not in capsys.readouterr().out

    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            r = await client.get("/v1/admin/apps", auth=(key_id, secret))
            assert r.status_code == 200
    assert "admin key" not in capsys.readouterr().out


def test_the_default_database_is_a_file_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("UPNEXT_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    assert Settings().database_url == "sqlite:///upnext.db"
