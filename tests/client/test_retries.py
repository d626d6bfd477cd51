"""Retries with back-off on 429/503 and connection errors, for idempotent calls only.

The server is replaced by ``httpx.MockTransport`` here: these tests are about what the
client does when the network or a proxy misbehaves, which the real app never does on cue.
"""

from __future__ import annotations

import httpx
import pytest

from upnext.client import (
    APIConnectionError,
    APITimeoutError,
    ConflictError,
    InternalServerError,
    RateLimitError,
    UpNextClient,
)

PAGE = {"total": 0, "items": []}


def scripted(
    *answers: int | type[Exception], **headers: str
) -> tuple[httpx.MockTransport, list[str]]:
    """A transport answering with each status (or raising each error) in turn."""
    seen: list[str] = []
    queue = list(answers)

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.method)
        answer = queue.pop(0)
        if not isinstance(answer, int):
            raise answer("scripted", request=request)
        body = PAGE if answer == 200 else {"status": answer, "code": "busy", "detail": "later"}
        return httpx.Response(answer, json=body, headers=headers)

    return httpx.MockTransport(handle), seen


def client(transport: httpx.MockTransport, waits: list[float], **options: int) -> UpNextClient:
    return UpNextClient(
        "http://upnext.test", "KY1:secret", transport=transport, sleep=waits.append, **options
    )


def test_503_then_success_is_retried_with_growing_waits() -> None:
    transport, seen = scripted(503, 503, 200)
    waits: list[float] = []
    assert client(transport, waits).list_apps().total == 0
    assert seen == ["GET", "GET", "GET"]
    assert len(waits) == 2 and 0 < waits[0] < waits[1]


def test_retry_after_is_honoured() -> None:
    transport, _ = scripted(429, 200, **{"Retry-After": "3"})
    waits: list[float] = []
    client(transport, waits).list_apps()
    assert waits == [3.0]


def test_gives_up_after_max_retries_with_the_last_error() -> None:
    transport, seen = scripted(429, 429, 429)
    waits: list[float] = []
    with pytest.raises(RateLimitError) as error:
        client(transport, waits, max_retries=2).list_apps()
    assert error.value.code == "busy" and len(seen) == 3


def test_posts_are_retried_under_one_idempotency_key() -> None:
    keys: list[str | None] = []
    answers = [503, 201]

    def handle(request: httpx.Request) -> httpx.Response:
        keys.append(request.headers.get("idempotency-key"))
        status = answers.pop(0)
        body = {"app_id": "AP1", "name": "Flix", "created_at": "2024-01-01T00:00:00.000Z"}
        return httpx.Response(status, json=body if status == 201 else {"code": "busy"})

    waits: list[float] = []
    assert client(httpx.MockTransport(handle), waits).create_app("Flix").app_id == "AP1"
    assert len(keys) == 2 and keys[0] and keys[0] == keys[1]


def test_each_call_has_its_own_idempotency_key_and_reads_have_none() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"total": 0, "items": [], "secret": "whsec_x"})

    sdk = client(httpx.MockTransport(handle), [])
    sdk.list_apps()
    sdk.delete_session("s")
    sdk.rotate_webhook_secret("AP1")
    sdk.rotate_webhook_secret("AP1")
    keys = [r.headers.get("idempotency-key") for r in seen]
    assert keys[:2] == [None, None]
    assert keys[2] and keys[3] and keys[2] != keys[3]


def test_a_request_still_running_under_its_key_is_waited_for() -> None:
    waits: list[float] = []
    with pytest.raises(ConflictError):  # a plain conflict is final ...
        client(scripted(409)[0], waits).list_apps()
    answers = [
        httpx.Response(409, json={"code": "idempotency_in_flight"}, headers={"Retry-After": "1"}),
        httpx.Response(200, json=PAGE),
    ]
    transport = httpx.MockTransport(lambda request: answers.pop(0))
    assert client(transport, waits).list_apps().total == 0  # ... one in flight is retried
    assert waits == [1.0]


@pytest.mark.parametrize(
    ("error", "raised"),
    [(httpx.ConnectError, APIConnectionError), (httpx.ReadTimeout, APITimeoutError)],
)
def test_transport_errors_are_retried_then_raised(
    error: type[Exception], raised: type[Exception]
) -> None:
    transport, seen = scripted(error, 200)
    assert client(transport, []).list_apps().total == 0
    transport, seen = scripted(error, error, error)
    with pytest.raises(raised):
        client(transport, []).delete_session("s")
    assert seen == ["DELETE"] * 3


def test_a_non_json_error_still_raises_with_its_status() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="<html>bad gateway</html>")

    waits: list[float] = []
    with pytest.raises(InternalServerError) as error:
        client(httpx.MockTransport(handle), waits).get_app("AP1")
    assert error.value.status == 502 and "bad gateway" in error.value.detail
    assert waits == []  # 502 is not one of the statuses that say "try again"


def test_key_and_url_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UPNEXT_URL", "http://from-env.test/")
    monkeypatch.setenv("UPNEXT_KEY", "KY9:envsecret")
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=PAGE)

    UpNextClient(transport=httpx.MockTransport(handle)).list_apps()
    assert str(seen[0].url) == "http://from-env.test/v1/admin/apps"
    assert seen[0].headers["authorization"].startswith("Basic ")


def test_a_malformed_key_is_refused_at_once() -> None:
    with pytest.raises(ValueError, match="key_id:secret"):
        UpNextClient("http://x.test", "no-colon")
