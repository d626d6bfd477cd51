"""API conformance: the schemathesis CLI against a real ``upnext serve``, once per role.

Each run is what a new user would type (``schemathesis run URL/openapi.json``) with every
check (``--checks all``) and every phase: the schema's examples, the coverage phase
(boundary values, missing and unknown parameters, undeclared methods), fuzzing and
stateful sequences that follow the links schemathesis infers. It must find nothing.

The runs use the operator's key, a publisher's and a platform's, each against a small
world seeded for it, so that requests reach real data: half of the path and query ids
are drawn from that world's ids (schemathesis "dictionaries"), the rest freely. The
settings, with the one check widened for five operations whose bodies have rules JSON
Schema cannot state, are in tests/schemathesis.toml; tests/schemathesis_hooks.py gives
every request a fresh ``Idempotency-Key``, as a correct client does. The number of
examples per operation is bounded (``UPNEXT_CONFORMANCE_EXAMPLES``, default 15) and the
seed fixed (``UPNEXT_CONFORMANCE_SEED``) so that a run is repeatable and fits in CI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests import databases, servers
from tests.factories import ADMIN, ADMIN_KEY_ID, ADMIN_SECRET, make_item

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("UPNEXT_CONFORMANCE_EXAMPLES", "15"))
SEED = int(os.environ.get("UPNEXT_CONFORMANCE_SEED", "20261201"))
ROOT = Path(__file__).resolve().parents[1]
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
CONFIG = Path(__file__).with_name("schemathesis.toml")


@dataclass(frozen=True)
class World:
    server: servers.Server
    keys: dict[str, tuple[str, str]]
    ids: dict[str, str]


@pytest.fixture(scope="module")
def conformance_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of this module's own: schemathesis writes whatever it likes into it."""
    if databases.ON_POSTGRES:
        with databases.pg_database() as url:
            yield url
    else:
        path = Path(tmp_path_factory.mktemp("conformance")) / "conformance.db"
        yield f"sqlite:///{path}"


@pytest.fixture(scope="module")
def world(conformance_database: str) -> Iterator[World]:
    env = {
        "UPNEXT_DATABASE_URL": conformance_database,
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
        # A key of its own for DELETE /v1/admin/keys/{key_id}: revoking it harms no run.
        spare = client.post(f"/v1/admin/apps/{app['app_id']}/keys", auth=ADMIN)
        yield World(
            server,
            keys={
                "admin": ADMIN,
                "platform": (pkey.json()["key_id"], pkey.json()["secret"]),
                "publisher": (akey.json()["key_id"], akey.json()["secret"]),
            },
            ids={
                "platform_id": platform["platform_id"],
                "app_id": app["app_id"],
                "key_id": spare.json()["key_id"],
                "context_id": "ctx-fuzz",
                "content_id": "item-fuzz",
                "session_id": "session-fuzz",
                "file_name": "icon@1x.png",
            },
        )


def _seed(world: World) -> None:
    """(Re)create the objects the known ids name; an earlier run may have deleted them."""
    ids, keys = world.ids, world.keys
    with httpx.Client(base_url=world.server.base_url) as client:
        r = client.put(
            f"/v1/apps/{ids['app_id']}/avails/{ids['platform_id']}",
            json={"enabled": True},
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


def _config(world: World) -> str:
    """tests/schemathesis.toml, and the world's ids as dictionaries drawn half of the time."""
    lines = [CONFIG.read_text()]
    for name, value in world.ids.items():
        lines += [f"[dictionaries.{name}]", f"values = [{json.dumps(value)}]", ""]
    lines.append("[parameters]")
    lines += [f'{name} = {{ dictionary = "{name}", probability = 0.5 }}' for name in world.ids]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("role", ["admin", "platform", "publisher"])
def test_schemathesis_finds_nothing(world: World, role: str, tmp_path: Path) -> None:
    _seed(world)
    config = tmp_path / "schemathesis.toml"
    config.write_text(_config(world))
    key_id, secret = world.keys[role]
    command = [
        str(SCHEMATHESIS),
        "--config-file",
        str(config),
        "run",
        f"{world.server.base_url}/openapi.json",
        "--checks",
        "all",
        "--seed",
        str(SEED),
        "--max-examples",
        str(EXAMPLES),
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--auth",
        f"{key_id}:{secret}",
        "--workers",
        "1",
        "--no-color",
        "--request-timeout",
        "30",
    ]
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.schemathesis_hooks",
        "PYTHONPATH": str(ROOT),
    }
    run = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    if run.returncode != 0:
        code = world.server.process.poll()
        state = "running" if code is None else f"exited with {code}"
        log = world.server.stdout()[-4000:]
        pytest.fail(f"{run.stdout}{run.stderr}\n--- server ({state}), last output:\n{log}")
