"""Request ids echoed in X-Request-ID, JSON log lines, and secrets kept out of the logs."""

from __future__ import annotations

import logging

import httpx
import orjson
import pytest

from tests.factories import World
from upnext.observability import JsonFormatter


async def test_a_plain_request_id_is_echoed(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz", headers={"X-Request-ID": "trace-42:a.b"})
    assert r.headers["X-Request-ID"] == "trace-42:a.b"


@pytest.mark.parametrize("given", [None, "", "x" * 129, "bad id", 'inject"\n{"level":"x"}'])
async def test_otherwise_the_server_mints_one(client: httpx.AsyncClient, given: str | None) -> None:
    headers = {"X-Request-ID": given} if given is not None else {}
    first = (await client.get("/healthz", headers=headers)).headers["X-Request-ID"]
    second = (await client.get("/healthz", headers=headers)).headers["X-Request-ID"]
    assert first != second and len(first) == 32 and first.isalnum()


async def test_errors_carry_the_request_id_too(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/admin/apps", headers={"X-Request-ID": "err-1"})
    assert r.status_code == 401
    assert r.headers["X-Request-ID"] == "err-1"


def _json_lines(records: list[logging.LogRecord]) -> list[dict[str, object]]:
    formatter = JsonFormatter()
    return [orjson.loads(formatter.format(record)) for record in records]


async def test_each_request_is_logged_as_json_with_its_id_and_no_secret(
    client: httpx.AsyncClient, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    app = await world.app()
    caplog.set_level(logging.INFO)
    caplog.clear()
    r = await client.get(
        "/v1/contexts/upnext/nothing-here", auth=app.auth, headers={"X-Request-ID": "log-1"}
    )
    assert r.status_code == 404
    lines = _json_lines(caplog.records)
    [access] = [line for line in lines if line["logger"] == "upnext.access"]
    assert access["request_id"] == "log-1"
    assert access["level"] == "info"
    assert str(access["time"]).endswith("Z")
    assert access["http"] == {
        "method": "GET",
        "path": "/v1/contexts/upnext/nothing-here",
        "route": "/v1/contexts/upnext/{context_id}",
        "status": 404,
        "duration_ms": access["http"]["duration_ms"],  # type: ignore[index]
    }
    text = caplog.text + "".join(orjson.dumps(line).decode() for line in lines)
    assert app.secret not in text


def test_exceptions_are_logged_with_their_trace_for_the_operator() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("upnext", logging.ERROR, __file__, 1, "failed", (), None)
        import sys

        record.exc_info = sys.exc_info()
    [line] = _json_lines([record])
    assert line["level"] == "error"
    assert "ValueError: boom" in str(line["exception"])
