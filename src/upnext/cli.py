"""The ``upnext`` command line: serve the API, run migrations, operate a server remotely."""

from __future__ import annotations

import functools
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from typing import Any

import click
import uvicorn

from upnext.client import APIStatusError, UpNextClient, UpNextError
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
    from upnext.observability import configure_logging

    settings = Settings()  # fails here, once, on a bad setting
    # This process's own lines (with --workers N, the supervisor's); each worker process
    # sets up its own logging the same way when it builds the app (upnext.app:main_app).
    configure_logging(settings.log_level, settings.log_format)
    # Worker processes build the app from the environment (upnext.app:main_app).
    os.environ.setdefault("UPNEXT_PUBLIC_URL", f"http://{host}:{port}")
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

    from upnext.observability import configure_logging
    from upnext.webhooks.worker import run_alone

    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)  # like the server's
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


# Remote commands: operate a running server through the SDK (upnext.client).

_url = click.option(
    "--url",
    envvar="UPNEXT_URL",
    default="http://127.0.0.1:8000",
    show_default=True,
    help="Base URL of the server [env: UPNEXT_URL].",
)
_key = click.option(
    "--key",
    envvar="UPNEXT_KEY",
    metavar="KEY_ID:SECRET",
    help="The key to call with [env: UPNEXT_KEY].",
)
_json = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


def _remote(command: Callable[..., None]) -> Callable[..., None]:
    """Add --url, --key and --json; call with a client; turn API errors into messages."""

    @_url
    @_key
    @_json
    @functools.wraps(command)
    def run(url: str, key: str | None, as_json: bool, **arguments: Any) -> None:
        try:
            with UpNextClient(url, key) as client:
                command(client, as_json, **arguments)
        except APIStatusError as error:
            lines = [f"{error.status} {error.code}: {error.detail or error.title}"]
            lines += [f"  {e.field}: {e.message}" for e in error.errors]
            raise click.ClickException("\n".join(lines)) from None
        except (UpNextError, ValueError) as error:
            raise click.ClickException(str(error)) from None

    return run


def _emit(as_json: bool, data: Any, table: Callable[[], str]) -> None:
    if as_json:
        click.echo(json.dumps(_plain(data), indent=2))
    else:
        click.echo(table())


def _plain(data: Any) -> Any:
    if isinstance(data, list):
        return [_plain(entry) for entry in data]
    if hasattr(data, "model_dump"):
        return data.model_dump(mode="json", exclude_none=True)
    return data


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Columns padded to their widest cell, for people; --json is for programs."""
    cells = [list(headers)] + [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(line.rstrip() for line in lines)


def _fields(model: Any) -> str:
    return _table(("field", "value"), list(_plain(model).items()))


@main.group()
def admin() -> None:
    """Operator tasks: platforms, apps and keys (needs the admin key)."""


@admin.group("platform")
def admin_platform() -> None:
    """Platforms (TV makers)."""


@admin_platform.command("create")
@click.argument("name")
@_remote
def admin_platform_create(client: UpNextClient, as_json: bool, name: str) -> None:
    """Create a platform called NAME."""
    platform = client.create_platform(name)
    _emit(as_json, platform, lambda: _fields(platform))


@admin_platform.command("list")
@_remote
def admin_platform_list(client: UpNextClient, as_json: bool) -> None:
    """List every platform, newest first."""
    entries = list(client.iter_platforms())
    rows = [[p.platform_id, p.name, p.created_at] for p in entries]
    _emit(as_json, entries, lambda: _table(("platform_id", "name", "created_at"), rows))


@admin.group("app")
def admin_app() -> None:
    """Apps (publishers' streaming services)."""


@admin_app.command("create")
@click.argument("name")
@_remote
def admin_app_create(client: UpNextClient, as_json: bool, name: str) -> None:
    """Create an app called NAME."""
    app = client.create_app(name)
    _emit(as_json, app, lambda: _fields(app))


@admin_app.command("list")
@_remote
def admin_app_list(client: UpNextClient, as_json: bool) -> None:
    """List every app, newest first."""
    entries = list(client.iter_apps())
    rows = [[a.app_id, a.name, a.created_at] for a in entries]
    _emit(as_json, entries, lambda: _table(("app_id", "name", "created_at"), rows))


@admin.group("key")
def admin_key() -> None:
    """API keys of platforms and apps."""


@admin_key.command("create")
@click.option("--platform", "platform_id", metavar="PLATFORM_ID", help="A key for this platform.")
@click.option("--app", "app_id", metavar="APP_ID", help="A publisher key for this app.")
@_remote
def admin_key_create(
    client: UpNextClient, as_json: bool, platform_id: str | None, app_id: str | None
) -> None:
    """Create a key for a platform or an app; its secret is shown only this once."""
    if (platform_id is None) == (app_id is None):
        raise click.UsageError("give exactly one of --platform or --app")
    key = (
        client.create_platform_key(platform_id)
        if platform_id
        else client.create_app_key(str(app_id))
    )
    _emit(
        as_json,
        key,
        lambda: f"{_fields(key)}\n\nUPNEXT_KEY={key.credentials}  (the secret is not shown again)",
    )


@admin_key.command("list")
@click.option("--platform", "platform_id", metavar="PLATFORM_ID", help="Only this platform's.")
@click.option("--app", "app_id", metavar="APP_ID", help="Only this app's.")
@_remote
def admin_key_list(
    client: UpNextClient, as_json: bool, platform_id: str | None, app_id: str | None
) -> None:
    """List keys (never their secrets), newest first."""
    entries = list(client.iter_keys(platform_id=platform_id, app_id=app_id))
    columns = ("key_id", "role", "owner", "created_at", "revoked_at")
    rows = [
        [k.key_id, k.role, k.platform_id or k.app_id or "", k.created_at, k.revoked_at]
        for k in entries
    ]
    _emit(as_json, entries, lambda: _table(columns, rows))


@admin_key.command("revoke")
@click.argument("key_id")
@_remote
def admin_key_revoke(client: UpNextClient, as_json: bool, key_id: str) -> None:
    """Revoke KEY_ID: it stops working at once."""
    client.revoke_key(key_id)
    _emit(as_json, {"key_id": key_id, "revoked": True}, lambda: f"revoked {key_id}")


@main.group()
def items() -> None:
    """A context's items (needs a publisher key)."""


_ITEM_COLUMNS = ("updated_at", "content_id", "action", "title", "episode", "watched", "hidden")


def _item_row(item: Any) -> list[object]:
    episode = f"S{item.season}E{item.episode}" if item.season is not None else ""
    watched = f"{item.position}/{item.duration}s" if item.position is not None else ""
    hidden = "hidden" if item.hidden else ""
    return [item.updated_at, item.content_id, item.action, item.title, episode, watched, hidden]


@items.command("list")
@click.argument("context_id")
@_remote
def items_list(client: UpNextClient, as_json: bool, context_id: str) -> None:
    """List every item of CONTEXT_ID, newest first."""
    entries = list(client.iter_context(context_id))
    _emit(as_json, entries, lambda: _table(_ITEM_COLUMNS, [_item_row(i) for i in entries]))


def _read(path: str) -> str:
    with click.open_file(path) as file:
        return str(file.read())


@items.command("put")
@click.argument("context_id")
@click.argument("item", metavar="ITEM_JSON")
@_remote
def items_put(client: UpNextClient, as_json: bool, context_id: str, item: str) -> None:
    """Add or replace an item of CONTEXT_ID.

    ITEM_JSON is the item as JSON, a file holding it, or - to read it from standard input.
    """
    try:
        text = item if item.lstrip().startswith("{") else _read(item)
    except OSError as error:
        raise click.BadParameter(str(error), param_hint="ITEM_JSON") from None
    try:
        body = json.loads(text)
    except json.JSONDecodeError as error:
        raise click.BadParameter(f"not JSON: {error}", param_hint="ITEM_JSON") from None
    if not isinstance(body, dict):
        raise click.BadParameter("must be a JSON object", param_hint="ITEM_JSON")
    applied = client.put_item(context_id, body)
    content_id = body.get("content_id")
    done = {"context_id": context_id, "content_id": content_id, "applied": applied}
    message = (
        f"put {content_id} in {context_id}"
        if applied
        else (f"ignored {content_id}: older than the stored event_time")
    )
    _emit(as_json, done, lambda: message)


@items.command("delete")
@click.argument("context_id")
@click.argument("content_id")
@_remote
def items_delete(client: UpNextClient, as_json: bool, context_id: str, content_id: str) -> None:
    """Remove CONTENT_ID from CONTEXT_ID."""
    client.delete_item(context_id, content_id)
    done = {"context_id": context_id, "content_id": content_id, "deleted": True}
    _emit(as_json, done, lambda: f"deleted {content_id} from {context_id}")


@main.group()
def session() -> None:
    """Sessions as a platform sees them (needs a platform key, or the admin key)."""


@session.command("show")
@click.argument("session_id")
@click.option(
    "--platform", "platform_id", metavar="PLATFORM_ID", help="Whose session (admin key only)."
)
@_remote
def session_show(
    client: UpNextClient, as_json: bool, session_id: str, platform_id: str | None
) -> None:
    """Show the aggregated list of SESSION_ID as a table, newest first."""
    entries = list(client.iter_session(session_id, platform_id=platform_id))
    columns = ("app_id", *_ITEM_COLUMNS)
    rows = [[i.app_id, *_item_row(i)] for i in entries]
    _emit(as_json, entries, lambda: f"{_table(columns, rows)}\n\n{len(entries)} items")
