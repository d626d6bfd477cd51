"""Schema fuzzing: schemathesis drives a real ``upnext serve`` from its own /openapi.json.

Every operation is exercised with valid (positive) and invalid (negative) data, once per
role (admin, platform, publisher), with every schemathesis check on: no 5xx, responses and
status codes as documented, invalid data refused, authentication enforced. Path parameters
are drawn either freely or from the ids of a small world made for the role, so that
requests reach past the 404s. The number of examples per operation is bounded
(``UPNEXT_FUZZ_EXAMPLES``, default 10) so that the run fits in CI.

One check is narrowed, for the operations in ``CROSS_FIELD`` only:
``positive_data_acceptance`` (a schema-valid body must be accepted). Those bodies have
rules that JSON Schema cannot state, so a body can be schema-valid and still wrong:
``season``/``episode`` are required for a ``tv_episode`` and ``position`` for
``up_next_continue`` and may not exceed ``duration`` (CONTRACT 3); a media upload must be
a PNG of the exact pixel size its name demands (CONTRACT 6); a ``handoff_token`` must be
one the app minted, unused and unexpired (docs/handoffs.md); the host of a ``webhook_url``
must survive NFKC normalization (urllib refuses one with U+2101, which becomes ``a/c``).
The server answers those with a 422 naming the field, which is the contract. Every other
check still runs on these operations.
"""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests import databases, servers
from tests.factories import ADMIN, ADMIN_KEY_ID, ADMIN_SECRET, make_item

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("UPNEXT_FUZZ_EXAMPLES", "10"))


CROSS_FIELD = frozenset(
    {
        "PUT /v1/contexts/upnext/{context_id}",
        "PUT /v1/contexts/upnext/{context_id}/items",
        "POST /v1/contexts/upnext/{context_id}/items:batch",
        "POST /v1/contexts/upnext/{context_id}/progress",
        "PUT /v1/apps/{app_id}/media/{file_name}",
        "PUT /v1/sessions/upnext/{session_id}",
        "PATCH /v1/apps/{app_id}",
    }
)


@dataclass(frozen=True)
class World:
    base_url: str
    keys: dict[str, tuple[str, str]]
    ids: dict[str, str]


@pytest.fixture(scope="module")
def fuzz_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of this module's own: the fuzzer writes whatever it likes into it."""
    if databases.ON_POSTGRES:
        with databases.pg_database() as url:
            yield url
    else:
        path = Path(tmp_path_factory.mktemp("fuzz")) / "fuzz.db"
        yield f"sqlite:///{path}"


@pytest.fixture(scope="module")
def world(fuzz_database: str) -> Iterator[World]:
    env = {
        "UPNEXT_DATABASE_URL": fuzz_database,
        "UPNEXT_ADMIN_KEY": f"{ADMIN_KEY_ID}:{ADMIN_SECRET}",
        "UPNEXT_RATE_LIMIT_PER_MINUTE": "0",
        "UPNEXT_WEBHOOK_ALLOW_PRIVATE": "1",
        "UPNEXT_LOG_LEVEL": "warning",
    }
    with servers.running(env) as server, httpx.Client(base_url=server.base_url) as client:
        platform = client.post("/v1/admin/platforms", json={"name": "Fuzz TV"}, auth=ADMIN).json()
        app = client.post("/v1/admin/apps", json={"name": "Fuzz Flix"}, auth=ADMIN).json()
        pkey = client.post(f"/v1/admin/platforms/{platform['platform_id']}/keys", auth=ADMIN)
        akey = client.post(f"/v1/admin/apps/{app['app_id']}/keys", auth=ADMIN)
        yield World(
            server.base_url,
            keys={
                "admin": ADMIN,
                "platform": (pkey.json()["key_id"], pkey.json()["secret"]),
                "publisher": (akey.json()["key_id"], akey.json()["secret"]),
            },
            ids={
                "platform_id": platform["platform_id"],
                "app_id": app["app_id"],
                "context_id": "ctx-fuzz",
                "content_id": "item-fuzz",
                "session_id": "session-fuzz",
                "file_name": "icon@1x.png",
            },
        )


def _seed(world: World) -> None:
    """(Re)create the objects the known ids name; the fuzzer may have deleted them."""
    ids, keys = world.ids, world.keys
    with httpx.Client(base_url=world.base_url) as client:
        r = client.put(
            f"/v1/apps/{ids['app_id']}/avails/{ids['platform_id']}",
            json={"enabled": True},
            auth=keys["publisher"],
        )
        assert r.status_code == 200, r.text
        r = client.patch(
            f"/v1/apps/{ids['app_id']}",
            json={"attach_requires_handoff": False},  # the fuzzer may have required handoffs
            auth=keys["publisher"],
        )
        assert r.status_code == 200, r.text
        item = make_item(content_id=ids["content_id"])
        r = client.put(
            f"/v1/contexts/upnext/{ids['context_id']}", json=item, auth=keys["publisher"]
        )
        assert r.status_code == 200, r.text
        r = client.put(
            f"/v1/sessions/upnext/{ids['session_id']}",
            json={"app_id": ids["app_id"], "context_id": ids["context_id"]},
            auth=keys["platform"],
        )
        assert r.status_code == 200, r.text


def _basic(key: tuple[str, str]) -> str:
    return "Basic " + base64.b64encode(f"{key[0]}:{key[1]}".encode()).decode()


def _cases(operation: Any, ids: dict[str, str]) -> st.SearchStrategy[Any]:
    known = {p.name: ids[p.name] for p in operation.path_parameters if p.name in ids}
    strategies = [operation.as_strategy(GenerationMode.NEGATIVE)]
    strategies.append(operation.as_strategy(GenerationMode.POSITIVE))
    if known:
        strategies.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=known))
    return st.one_of(strategies)


def _details(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup):
        return "\n".join(_details(e) for e in exc.exceptions)
    return str(exc)


@pytest.mark.parametrize("role", ["admin", "platform", "publisher"])
def test_every_operation_survives_fuzzing(world: World, role: str) -> None:
    _seed(world)
    schema = schemathesis.openapi.from_url(f"{world.base_url}/openapi.json")
    headers = {"Authorization": _basic(world.keys[role])}
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=_cases(operation, world.ids))
        @hypothesis.settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
            phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        )
        def fuzz(case: Any) -> None:
            # A case with invalid headers is sent as generated: our credentials would
            # replace the invalid Authorization it is testing.
            negative_headers = case.meta is not None and case.meta.is_negative_at(
                ParameterLocation.HEADER
            )
            sent = {} if negative_headers else dict(headers)
            if "Idempotency-Key" in (case.headers or {}) and not negative_headers:
                # Clients mint a fresh key per distinct request; reusing one for another
                # body is rightly a 422 (tests/idempotency), not valid data refused.
                sent["Idempotency-Key"] = uuid.uuid4().hex
            excluded = [positive_data_acceptance] if case.operation.label in CROSS_FIELD else []
            case.call_and_validate(base_url=world.base_url, headers=sent, excluded_checks=excluded)

        try:
            fuzz()
        except (Exception, BaseExceptionGroup) as exc:  # report every operation's failures
            failures.append(f"{operation.label}: {exc!s}\n{_details(exc)}")
    assert not failures, "\n\n".join(failures)
