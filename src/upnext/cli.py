"""The ``upnext`` command line: serve the API, run migrations."""

from __future__ import annotations

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
def serve(host: str, port: int) -> None:
    """Serve the API (webhook delivery included) on HOST:PORT."""
    from upnext.app import create_app

    settings = Settings()
    if settings.public_url is None:
        settings = settings.model_copy(update={"public_url": f"http://{host}:{port}"})
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level=settings.log_level,
        proxy_headers=False,
        server_header=False,
    )


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
