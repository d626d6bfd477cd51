"""Drive the ASGI app in-process with the benchmark's requests: CPU per request, and a
cProfile of the calls (``python -m bench.inprocess --help``).

No server, socket or HTTP parser: the app is called with ASGI scopes built from the wrk
targets of a generated data set, one request at a time, so the numbers are the
application's own cost. Call counts stay comparable when the machine is busy; times
do not, so compare runs made back to back.
"""

from __future__ import annotations

import asyncio
import cProfile
import pstats
import random
import time
from pathlib import Path
from typing import Any

import click

from upnext.app import create_app
from upnext.settings import Settings

ADMIN_KEY = "KY100000000000000001:bench-admin-secret-0123456789"


def _targets(directory: Path) -> tuple[dict[int, str], dict[int, str], list[list[str]]]:
    """The platforms' and the apps' Basic headers, and the (session, context, ...) rows."""
    keys: dict[str, dict[int, str]] = {"platforms": {}, "apps": {}}
    for line in (directory / "auth.tsv").read_text().splitlines():
        kind, index, header = line.split("\t")
        keys[kind][int(index)] = header
    rows = [line.split("\t") for line in (directory / "targets.tsv").read_text().splitlines()]
    return keys["platforms"], keys["apps"], rows


def _scope(path: str, query: str, authorization: str, method: str = "GET") -> dict[str, Any]:
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
        "query_string": query.encode(), "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
        "headers": [(b"host", b"127.0.0.1:8000"), (b"authorization", authorization.encode())],
    }  # fmt: skip


def _item(context: str, n: int) -> bytes:
    """The body of the wrk ``put`` scenario (bench/lua/scenario.lua)."""
    return (
        f'{{"content_id":"content{n:06d}","media_type":"tv_episode","action":"up_next_continue",'
        f'"title":"Return Of The Storm King","description":"{"a quiet story " * 8}",'
        f'"season":2,"episode":{n % 24 + 1},"poster_art_uri":"https://images.example.com/'
        f'posters/{context}/{n}/poster-1280x720.jpg","poster_art_aspect_ratio":'
        f'"aspect_ratio_16_9","duration":3600,"position":{n % 3000 + 1}}}'
    ).encode()


async def _one(app: Any, scope: dict[str, Any], statuses: list[int]) -> None:
    body = scope.pop("body", b"")

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    await app(scope, receive, send)


async def _drive(app: Any, scopes: list[dict[str, Any]], concurrency: int = 1) -> list[int]:
    """Every request, ``concurrency`` at a time (writes share commits when they overlap)."""
    statuses: list[int] = []
    for start in range(0, len(scopes), concurrency):
        batch = scopes[start : start + concurrency]
        await asyncio.gather(*(_one(app, dict(scope), statuses) for scope in batch))
    return statuses


@click.command()
@click.option("--database-url", required=True, help="A database made by bench.generate.")
@click.option("--targets", required=True, type=click.Path(path_type=Path, exists=True))
@click.option(
    "--scenario",
    default="list",
    type=click.Choice(["list", "context", "contexts", "put"]),
    show_default=True,
)
@click.option("--concurrency", default=1, show_default=True, type=int)
@click.option("--requests", default=2000, show_default=True, type=int)
@click.option("--top", default=25, show_default=True, type=int, help="Rows of the profile.")
@click.option("--sort", default="tottime", show_default=True)
def main(
    database_url: str,
    targets: Path,
    scenario: str,
    concurrency: int,
    requests: int,
    top: int,
    sort: str,
) -> None:
    """Time and profile one scenario's requests against the app, in-process."""
    keys, apps, rows = _targets(targets)
    rng = random.Random(7)
    scopes = []
    for _ in range(requests):
        platform, session, context, app_index, count, _ = rng.choice(rows)
        if scenario == "put":
            scope = _scope(f"/v1/contexts/upnext/{context}", "", apps[int(app_index)], "PUT")
            scope["body"] = _item(context, rng.randrange(int(count)))
            scope["headers"] += [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(scope["body"])).encode()),
            ]
            scopes.append(scope)
            continue
        path = f"/v1/sessions/upnext/{session}"
        path += {"list": "", "context": f"/{context}", "contexts": "/contexts"}[scenario]
        scopes.append(_scope(path, "", keys[int(platform)]))
    settings = Settings(
        database_url=database_url,
        admin_key=ADMIN_KEY,
        public_url="https://upnext.example.com",
        log_level="warning",
        rate_limit_per_minute=1_000_000_000,
    )
    app = create_app(settings)

    async def run() -> None:
        async with app.router.lifespan_context(app):
            await _drive(app, scopes[:200], concurrency)  # warm-up: connections, compiled SQL
            started = time.process_time()
            statuses = await _drive(app, scopes, concurrency)
            cpu = time.process_time() - started
            click.echo(f"{requests} requests, {cpu / requests * 1e6:.0f} us CPU each")
            click.echo(f"statuses: { {s: statuses.count(s) for s in set(statuses)} }")
            profile = cProfile.Profile()
            profile.enable()
            await _drive(app, scopes, concurrency)
            profile.disable()
            pstats.Stats(profile).sort_stats(sort).print_stats(top)

    asyncio.run(run())


if __name__ == "__main__":
    main()
