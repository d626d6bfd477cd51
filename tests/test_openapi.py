"""The OpenAPI document says what the service does: every error's real media type, the
answers Idempotency-Key adds, who may call each operation, where it is served."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from upnext.app import create_app
from upnext.portal.media import MEDIA_FILES
from upnext.settings import Settings

PUBLIC = {
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/media/{app_id}/{file_name}"),
}
PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    app: FastAPI = create_app(Settings(database_url="sqlite://", rate_limit_per_minute=60))
    return app.openapi()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    ]


def test_every_error_is_documented_as_problem_json(document: dict[str, Any]) -> None:
    for method, path, operation in _operations(document):
        for status, response in operation["responses"].items():
            if status[0] in "45":
                assert response["content"] == PROBLEM, (method, path, status)
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_a_422_is_documented_only_where_one_can_be_sent(document: dict[str, Any]) -> None:
    # Bad paths and queries are 400; a 422 needs a body or an Idempotency-Key.
    for method, path, operation in _operations(document):
        names = {p["name"] for p in operation.get("parameters", [])}
        can_422 = "requestBody" in operation or "Idempotency-Key" in names
        assert ("422" in operation["responses"]) == can_422, (method, path)


def test_every_idempotent_operation_documents_reuse_and_in_flight(
    document: dict[str, Any],
) -> None:
    idempotent = [
        (method, path, operation)
        for method, path, operation in _operations(document)
        if "Idempotency-Key" in {p["name"] for p in operation.get("parameters", [])}
    ]
    assert {method for method, _, _ in idempotent} == {"post", "put", "patch", "delete"}
    for method, path, operation in idempotent:
        responses = operation["responses"]
        assert "idempotency_key_reused" in responses["422"]["description"], (method, path)
        assert "idempotency_in_flight" in responses["409"]["description"], (method, path)


def test_a_body_may_be_too_large_and_the_database_down(document: dict[str, Any]) -> None:
    for method, path, operation in _operations(document):
        if "requestBody" in operation:
            assert "413" in operation["responses"], (method, path)
        if path != "/metrics":
            assert "503" in operation["responses"], (method, path)
        if path.startswith("/v1/"):
            assert "429" in operation["responses"], (method, path)


def test_every_operation_states_its_security(document: dict[str, Any]) -> None:
    basic = [{"HTTPBasic": []}]
    for method, path, operation in _operations(document):
        expected = [] if (method, path) in PUBLIC else basic
        assert operation["security"] == expected, (method, path)


def test_servers_and_license() -> None:
    app = create_app(Settings(database_url="sqlite://", public_url="https://upnext.example/"))
    document = app.openapi()
    assert document["servers"][0]["url"] == "https://upnext.example"
    assert document["info"]["license"] == {"name": "Apache-2.0", "identifier": "Apache-2.0"}


def test_no_429_is_documented_without_a_rate_limit() -> None:
    document = create_app(Settings(database_url="sqlite://", rate_limit_per_minute=0)).openapi()
    assert all("429" not in op["responses"] for _, _, op in _operations(document))


def test_media_file_names_are_listed(document: dict[str, Any]) -> None:
    for method in ("put", "delete"):
        operation = document["paths"]["/v1/apps/{app_id}/media/{file_name}"][method]
        (name,) = [p for p in operation["parameters"] if p["name"] == "file_name"]
        assert name["schema"]["enum"] == list(MEDIA_FILES)
