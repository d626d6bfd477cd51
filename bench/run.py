"""Run the whole benchmark and append its table to bench/RESULTS.md (``make bench``).

For each database: generate the data set, start UpNext and the raw-ASGI ceiling under the
same uvicorn settings, and run every scenario with wrk, each followed by a ceiling run
that serves a body of the size UpNext answered with. Then the growth runs (aggregated
list at other scales, SQLite), the webhook timings, and the report with its plot.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import psycopg

from bench import report, webhooks
from bench.generate import generate, parse_scale, scale_name
from bench.servers import ROOT, Server, ServerSettings, start, wrk

DATA = ROOT / "bench" / "data"
ADMIN_KEY = "KY100000000000000001:bench-admin-secret-0123456789"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
UPNEXT_PORT, CEILING_PORT, RECEIVER_PORT, PLATFORM_RECEIVER_PORT = 8701, 8702, 8703, 8704
SOURCE: list[str] = []  # the src/ directory to serve instead of the installed package
BEFORE = DATA / "before"  # git worktrees of --before commits

# (name, wrk scenario, what it is); reads first, so they see the generated data unchanged.
SCENARIOS = [
    ("aggregated list", "list", "GET /v1/sessions/upnext/{s} (limit 50)"),
    ("second page", "page2", "GET /v1/sessions/upnext/{s}?next_key=50"),
    ("per-context list", "context", "GET /v1/sessions/upnext/{s}/{c}"),
    ("contexts listing", "contexts", "GET /v1/sessions/upnext/{s}/contexts"),
    ("item PUT", "put", "PUT /v1/contexts/upnext/{c}"),
    ("hide", "hide", "PUT /v1/sessions/upnext/{s}/{c} hide/unhide"),
]


def _database(
    kind: str, items: int, seed: int, reuse: bool, tag: str = ""
) -> tuple[str, Path, bool]:
    """The URL of a database with the data set, its wrk targets, and whether it is new."""
    name = f"{scale_name(items)}-seed{seed}{tag}"
    targets = DATA / f"{kind}-{name}"
    if kind == "sqlite":
        path = DATA / f"{name}.db"
        url = f"sqlite:///{path}"
        if reuse and path.exists() and (targets / "targets.tsv").exists():
            return url, targets, False
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return url, targets, True
    database = f"upnext_bench_{name.lower().replace('-', '_')}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
        ).fetchone()
        if reuse and exists and (targets / "targets.tsv").exists():
            return f"postgresql://postgres@127.0.0.1:5432/{database}", targets, False
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}"')
    return f"postgresql://postgres@127.0.0.1:5432/{database}", targets, True


def _prepare(
    kind: str, items: int, seed: int, reuse: bool, checkout: Path | None = None
) -> tuple[str, Path, dict[str, Any]]:
    """The data set; for a ``checkout`` (--before), made by that checkout's own generator
    and migrations, so that its code serves the schema it knows."""
    tag = f"-{checkout.name}" if checkout else ""
    url, targets, fresh = _database(kind, items, seed, reuse, tag)
    info: dict[str, Any] = {"items": items, "generated": fresh}
    if fresh:
        click.echo(f"  generating {scale_name(items)} items on {kind}{tag} ...")
        if checkout is None:
            info.update(generate(url, items, seed, targets))
        else:
            info.update(_generate_in(checkout, url, items, seed, targets))
        click.echo(f"  generated in {info['seconds']} s")
    return url, targets, info


def _generate_in(checkout: Path, url: str, items: int, seed: int, targets: Path) -> Any:
    script = (
        "import json, sys; from pathlib import Path; from bench.generate import generate; "
        "print(json.dumps(generate(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), "
        "Path(sys.argv[4]))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, url, str(items), str(seed), str(targets.resolve())],
        cwd=checkout,
        env={**os.environ, "PYTHONPATH": f"{checkout / 'src'}:{checkout}"},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _checkout(revision: str) -> Path:
    """A git worktree of ``revision`` under bench/data/before (made once)."""
    sha = subprocess.run(
        ["git", "rev-parse", "--short", revision], cwd=ROOT, capture_output=True, text=True,
        check=True,
    ).stdout.strip()  # fmt: skip
    path = BEFORE / sha
    if not path.exists():
        BEFORE.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "worktree", "add", "--detach", str(path), sha], cwd=ROOT, check=True)
    return path


def _upnext(url: str, settings: ServerSettings, log: Path, source: str = "") -> Server:
    source = source or (SOURCE[0] if SOURCE else "")
    env = {
        # --source / --before: serve another checkout (a git worktree of older code).
        **({"PYTHONPATH": source} if source else {}),
        "UPNEXT_DATABASE_URL": url,
        "UPNEXT_ADMIN_KEY": ADMIN_KEY,
        "UPNEXT_PUBLIC_URL": "https://upnext.example.com",
        "UPNEXT_WEBHOOK_ALLOW_PRIVATE": "1",
        "UPNEXT_LOG_LEVEL": "warning",
        # A quota per key is policy, not read-path cost: set out of reach so the limiter
        # still runs on every request but never answers 429 to the two platform keys.
        "UPNEXT_RATE_LIMIT_PER_MINUTE": "1000000000",
    }
    return start(settings.upnext_command(UPNEXT_PORT), UPNEXT_PORT, settings, env, log)


def _scenario_runs(
    app: Server, ceiling: Server, targets: Path, names: list[str], seconds: int, connections: int
) -> list[dict[str, Any]]:
    rows = []
    header = 0
    for title, scenario, what in SCENARIOS:
        if scenario not in names:
            continue
        wrk(app.url, targets, scenario, seconds=2, connections=connections)  # warm-up
        result = wrk(app.url, targets, scenario, seconds=seconds, connections=connections)
        if not header:
            header = round(
                wrk(ceiling.url, targets, "ceiling", seconds=1, connections=1)["bytes_per_response"]
            )
        size = max(round(result["bytes_per_response"]) - header, 0)
        wrk(ceiling.url, targets, "ceiling", seconds=1, connections=connections, size=size)
        top = wrk(
            ceiling.url, targets, "ceiling", seconds=seconds, connections=connections, size=size
        )
        result.update(
            scenario=title, request=what, body_bytes=size, ceiling_rps=top["rps"],
            ceiling_p50_ms=top["p50_ms"], ceiling_p99_ms=top["p99_ms"],
            ratio=result["rps"] / top["rps"],
        )  # fmt: skip
        click.echo(
            f"    {title:18} {result['rps']:8.0f} req/s  p50 {result['p50_ms']:6.2f} ms  "
            f"p99 {result['p99_ms']:6.2f} ms  ceiling {top['rps']:8.0f}  "
            f"ratio {result['ratio']:.3f}  errors {result['errors']}"
        )
        rows.append(result)
    return rows


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    names = ["upnext", "fastapi", "starlette", "uvicorn", "sqlalchemy", "aiosqlite", "psycopg"]
    found = {name: version(name) for name in names}
    found["python"] = platform.python_version()
    found["wrk"] = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split()[1]
    return found


def _machine() -> str:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor(),
    )  # fmt: skip
    mem = int(Path("/proc/meminfo").read_text().split()[1]) // 1024 // 1024
    cores = len(
        [x for x in Path("/proc/cpuinfo").read_text().splitlines() if x.startswith("processor")]
    )
    return f"{cores} cores ({cpu}), {mem} GB RAM, {platform.system()} {platform.release()}"


def _before(
    kind: str, items: int, options: dict[str, Any], settings: ServerSettings, logs: Path
) -> list[dict[str, Any]]:
    """The scenario rows of the --before checkout, on a data set its own code made."""
    checkout = options["checkout"]
    click.echo(f"{kind}, {scale_name(items)} items: before ({checkout.name})")
    url, targets, _ = _prepare(kind, items, options["seed"], options["reuse"], checkout)
    app = _upnext(url, settings, logs / f"upnext-{kind}-before.log", str(checkout / "src"))
    ceiling = start(settings.ceiling_command(CEILING_PORT), CEILING_PORT, settings, {},
                    logs / "ceiling.log")  # fmt: skip
    try:
        return _scenario_runs(
            app, ceiling, targets, options["scenarios"], options["seconds"], options["connections"]
        )
    finally:
        app.stop()
        ceiling.stop()


def _one_database(
    kind: str, items: int, options: dict[str, Any], settings: ServerSettings, logs: Path
) -> dict[str, Any]:
    before = _before(kind, items, options, settings, logs) if options["checkout"] else None
    click.echo(f"{kind}, {scale_name(items)} items" + (": after" if before else ""))
    url, targets, info = _prepare(kind, items, options["seed"], options["reuse"])
    app = _upnext(url, settings, logs / f"upnext-{kind}.log")
    click.echo(f"  start-up work settled after {app.settled_s} s")
    ceiling_command = settings.ceiling_command(CEILING_PORT)
    ceiling = start(ceiling_command, CEILING_PORT, settings, {}, logs / "ceiling.log")
    try:
        rows = _scenario_runs(
            app, ceiling, targets, options["scenarios"], options["seconds"], options["connections"]
        )
        hooks = platform_hooks = None
        if options["webhooks"]:  # platform webhooks first: PUT off/on right after the scenarios
            platform_hooks = webhooks.measure_platforms(
                app.url, targets, PLATFORM_RECEIVER_PORT, options["seconds"], options["connections"]
            )
            hooks = webhooks.measure(app.url, targets, RECEIVER_PORT)
        rss = app.peak_rss_mb()
    finally:
        app.stop()
        ceiling.stop()
    return {
        "database": kind, "data": info, "rows": rows, "peak_rss_mb": rss, "webhooks": hooks,
        "platform_webhooks": platform_hooks,
        "settled_s": app.settled_s, "before": before,
    }  # fmt: skip


def _growth(
    scales: list[int],
    main: dict[str, Any] | None,
    options: dict[str, Any],
    settings: ServerSettings,
    logs: Path,
) -> list[dict[str, Any]]:
    """Aggregated-list latency against stored items, on SQLite."""
    points = []
    for items in scales:
        if main is not None and main["data"]["items"] == items:
            row = next(r for r in main["rows"] if r["scenario"] == "aggregated list")
            settled = main["settled_s"]
        else:
            click.echo(f"growth: sqlite, {scale_name(items)} items")
            url, targets, _ = _prepare("sqlite", items, options["seed"], options["reuse"])
            app = _upnext(url, settings, logs / "upnext-growth.log")
            settled = app.settled_s
            click.echo(f"    start-up work settled after {settled} s")
            try:
                wrk(app.url, targets, "list", seconds=2, connections=options["connections"])
                row = wrk(
                    app.url,
                    targets,
                    "list",
                    seconds=options["seconds"],
                    connections=options["connections"],
                )
            finally:
                app.stop()
        click.echo(
            f"    {scale_name(items):>5} items: "
            f"p50 {row['p50_ms']:.2f} ms, p99 {row['p99_ms']:.2f} ms"
        )
        points.append(
            {
                "items": items,
                "settled_s": settled,
                **{k: row[k] for k in ("rps", "p50_ms", "p90_ms", "p99_ms")},
            }
        )
    return points


@click.command()
@click.option(
    "--scale", default="1M", show_default=True, help="Items stored for the scenario runs."
)
@click.option(
    "--growth",
    default="10k,100k,1M",
    show_default=True,
    help="Scales of the growth curve (SQLite).",
)
@click.option("--databases", default="sqlite,postgresql", show_default=True)
@click.option("--scenarios", default=",".join(s for _, s, _ in SCENARIOS), show_default=True)
@click.option("--seconds", default=10, show_default=True, type=int, help="Length of each wrk run.")
@click.option("--connections", default=32, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@click.option("--seed", default=7, show_default=True, type=int)
@click.option("--reuse/--fresh", default=False, help="Reuse a data set generated earlier.")
@click.option("--webhooks/--no-webhooks", default=True, help="Measure app and platform webhooks.")
@click.option("--label", default="", help="A note for the results table (e.g. 'before').")
@click.option("--results", default=str(ROOT / "bench" / "RESULTS.md"), show_default=True)
@click.option("--source", default="", help="Serve upnext from this src/ directory instead.")
@click.option(
    "--before",
    default="",
    help="Also measure this commit (a git worktree, on a data set its own code makes) and "
    "report its rows beside this checkout's, in the same section.",
)
def main(**options: Any) -> None:
    """Benchmark UpNext against the raw-ASGI ceiling and append the results."""
    if shutil.which("wrk") is None:
        raise click.ClickException("wrk is not installed: apt-get install wrk")
    settings = ServerSettings(workers=options["workers"])
    if options["source"]:
        SOURCE.append(str(Path(options["source"]).resolve()))
    options["scenarios"] = options["scenarios"].split(",")
    options["checkout"] = _checkout(options["before"]) if options["before"] else None
    logs = DATA / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    run: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "label": options["label"]
        + (f" (source: {options['source']})" if options["source"] else "")
        + (f" (before: {options['checkout'].name})" if options["checkout"] else ""),
        "machine": _machine(),
        "versions": _versions(),
        "settings": {
            "server": settings.describe(),
            "load": f"wrk -t1 -c{options['connections']}, "
            f"{options['seconds']} s per run after a 2 s warm-up",
            "seed": options["seed"],
        },
        "databases": [],
    }
    items = parse_scale(options["scale"])
    for kind in filter(None, options["databases"].split(",")):
        run["databases"].append(_one_database(kind, items, options, settings, logs))
    sqlite_main = next((d for d in run["databases"] if d["database"] == "sqlite"), None)
    scales = [parse_scale(s) for s in options["growth"].split(",") if s]
    run["growth"] = _growth(scales, sqlite_main, options, settings, logs)
    run["minutes"] = round((time.monotonic() - started) / 60, 1)
    report.write(run, Path(options["results"]))
    click.echo(f"done in {run['minutes']} min; appended to {options['results']}")
    (DATA / "last-run.json").write_text(json.dumps(run, indent=1))


if __name__ == "__main__":
    main()
