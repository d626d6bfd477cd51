"""The ``upnext`` command line: serve the API, run migrations."""

from __future__ import annotations

import os
import secrets
import tempfile

import click
import uvicorn

from upnext.settings import Settings


@click.group()
@click.version_option(package_name="upnext")
def main() -> None:
    """UpNext: one Continue Watching row across every streaming app."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes sharing the port (use PostgreSQL for more than one).",
)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the API (webhook delivery included) on HOST:PORT."""
    _serve(host, port, workers)


def _serve(host: str, port: int, workers: int = 1) -> None:
    settings = Settings()  # fails here, once, on a bad setting
    # Worker processes build the app from the environment (upnext.app:main_app).
    os.environ.setdefault("UPNEXT_PUBLIC_URL", f"http://{host}:{port}")
    # One portal cookie key for all workers, else a sign-in would hold on one worker only.
    os.environ.setdefault("UPNEXT_PORTAL_SECRET", secrets.token_urlsafe(32))
    if workers > 1 and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        # /metrics then adds up every worker's counters, whichever worker is scraped.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="upnext-metrics-")
    uvicorn.run(
        "upnext.app:main_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level,
        log_config=None,
        access_log=False,
        proxy_headers=False,
        server_header=False,
    )


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--database-url",
    default=None,
    help="Seed this empty database instead of a new SQLite file in a temporary directory.",
)
def demo(host: str, port: int, database_url: str | None) -> None:
    """Seed a demo world (one platform, three apps, a filled session), then serve it."""
    import asyncio

    from upnext import demo as demo_world

    os.environ["UPNEXT_DATABASE_URL"] = database_url or demo_world.fresh_sqlite_url()
    os.environ["UPNEXT_ADMIN_KEY"] = demo_world.new_admin_key()
    os.environ.setdefault("UPNEXT_PUBLIC_URL", f"http://{host}:{port}")
    settings = Settings()
    try:
        world = asyncio.run(demo_world.prepare(settings))
    except demo_world.NotEmpty as error:
        raise click.ClickException(str(error)) from None
    click.echo(demo_world.welcome(world, settings.media_base))
    _serve(host, port)


@main.command()
def worker() -> None:
    """Deliver webhooks only, without serving HTTP (`serve` delivers them too)."""
    import asyncio
    import logging

    from upnext.webhooks.worker import run_alone

    settings = Settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s %(message)s")
    asyncio.run(run_alone(settings))


@main.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from upnext.db.migrate import upgrade

    upgrade(Settings().database_url, revision)
    click.echo(f"database at {revision}")
