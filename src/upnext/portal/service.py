"""The portal's rules: accounts, keys, avails, platform data and media."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson
from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from upnext.callers import Caller, Role
from upnext.db.engine import Database
from upnext.guidelines import Thresholds
from upnext.kit import ids
from upnext.kit.hashing import hash_secret, secret_matches
from upnext.kit.pagination import Page
from upnext.kit.problems import Conflict, FieldError, Forbidden, Invalid, NotFound
from upnext.kit.timestamps import iso, now_us
from upnext.portal import repository as repo
from upnext.portal.media import check_png, media_urls, spec_for
from upnext.portal.schemas import (
    MAX_PLATFORM_DATA_BYTES,
    MAX_PLATFORM_DATA_KEYS,
    AppPatch,
    PlatformPatch,
)
from upnext.webhooks import owners, session_events
from upnext.webhooks import service as webhooks

# The audit log's "who" for actions taken by the server itself (start-up, demo data).
SYSTEM_ACTOR = "system"

# keys and callers


async def ensure_admin_key(conn: AsyncConnection, configured: str | None) -> str | None:
    """Install the configured admin key, or mint one if none exists.

    Returns ``key_id:secret`` when a key was minted, for printing once.
    """
    if configured:
        key_id, _, secret = configured.partition(":")
        existing = await repo.get_key(conn, key_id)
        if existing is not None and not secret_matches(secret, existing["secret_hash"]):
            # A new secret for the same key id: whoever signed in with the old one is out.
            await repo.delete_portal_sessions_of_key(conn, key_id)
        await repo.set_admin_key(conn, key_id, hash_secret(secret), now_us())
        return None
    if await repo.active_admin_key_exists(conn):
        return None
    key_id, secret = ids.mint("KY"), ids.token()
    await repo.set_admin_key(conn, key_id, hash_secret(secret), now_us())
    return f"{key_id}:{secret}"


async def create_key(
    conn: AsyncConnection,
    role: Role,
    *,
    platform_id: str | None = None,
    app_id: str | None = None,
    actor: Caller | None = None,
) -> dict[str, Any]:
    if platform_id is not None:
        await get_platform(conn, platform_id)
    if app_id is not None:
        await get_app(conn, app_id)
    key_id, secret = ids.mint("KY"), ids.token()
    await repo.insert_key(
        conn,
        {
            "key_id": key_id,
            "role": role,
            "platform_id": platform_id,
            "app_id": app_id,
            "secret_hash": hash_secret(secret),
            "created_at": now_us(),
        },
    )
    owner = {"platform_id": platform_id} if platform_id else {"app_id": app_id}
    await audit(conn, actor, "key.create", key_id, {"role": role, **owner})
    return {"key_id": key_id, "secret": secret, "role": role, **owner}


async def purge_sessions(db: Database, now: int) -> int:
    """Delete the portal sessions expired at ``now`` (they are refused already); how many."""
    async with db.write() as conn:
        return await repo.purge_portal_sessions(conn, now)


# portal sessions: the store behind web/session.py, named by the hash of their token


async def find_session(conn: AsyncConnection, token_hash: str, now: int) -> dict[str, Any] | None:
    """The live session of a token hash, with its key's role, tenant and revocation."""
    return await repo.get_portal_session(conn, token_hash, now)


async def start_session(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await repo.insert_portal_session(conn, values)


async def save_session(conn: AsyncConnection, token_hash: str, values: dict[str, Any]) -> None:
    await repo.update_portal_session(conn, token_hash, values)


async def end_session(conn: AsyncConnection, token_hash: str) -> None:
    await repo.delete_portal_session(conn, token_hash)


async def revoke_key(conn: AsyncConnection, caller: Caller, key_id: str) -> None:
    if await repo.get_key(conn, key_id) is None:
        raise NotFound(f"No key {key_id}.", code="key_not_found")
    if key_id == caller.key_id:
        raise Conflict("A key cannot revoke itself; use another admin key.", code="own_key")
    await repo.revoke_key(conn, key_id, now_us())
    # In the same transaction: no portal session outlives its key's revocation.
    await repo.delete_portal_sessions_of_key(conn, key_id)
    await audit(conn, caller, "key.revoke", key_id)


async def list_keys(
    conn: AsyncConnection, page: Page, *, platform_id: str | None, app_id: str | None
) -> tuple[list[dict[str, Any]], int]:
    rows, total = await repo.list_keys(conn, page, platform_id=platform_id, app_id=app_id)
    return [render_key(r) for r in rows], total


def render_key(row: RowMapping) -> dict[str, Any]:
    body: dict[str, Any] = {"key_id": row["key_id"], "role": row["role"]}
    for owner in ("platform_id", "app_id"):
        if row[owner] is not None:
            body[owner] = row[owner]
    body["created_at"] = iso(row["created_at"])
    if row["revoked_at"] is not None:
        body["revoked_at"] = iso(row["revoked_at"])
    return body


# platforms and apps


async def create_platform(
    conn: AsyncConnection, name: str, *, actor: Caller | None = None
) -> dict[str, Any]:
    values = {"platform_id": ids.mint("PL"), "name": name, "created_at": now_us()}
    await repo.insert_platform(conn, values)
    await audit(conn, actor, "platform.create", str(values["platform_id"]), {"name": name})
    return render_platform(values)


async def create_app(
    conn: AsyncConnection, name: str, *, actor: Caller | None = None
) -> dict[str, Any]:
    values = {"app_id": ids.mint("AP"), "name": name, "created_at": now_us()}
    await repo.insert_app(conn, values)
    await audit(conn, actor, "app.create", str(values["app_id"]), {"name": name})
    return render_app(values)


async def list_platforms(conn: AsyncConnection, page: Page) -> tuple[list[dict[str, Any]], int]:
    rows, total = await repo.list_platforms(conn, page)
    return [render_platform(r) for r in rows], total


async def list_apps(conn: AsyncConnection, page: Page) -> tuple[list[dict[str, Any]], int]:
    rows, total = await repo.list_apps(conn, page)
    return [render_app(r) for r in rows], total


def render_platform(row: Any) -> dict[str, Any]:
    return {
        "platform_id": row["platform_id"],
        "name": row["name"],
        "created_at": iso(row["created_at"]),
    }


def render_app(row: Any) -> dict[str, Any]:
    return {"app_id": row["app_id"], "name": row["name"], "created_at": iso(row["created_at"])}


async def get_platform(conn: AsyncConnection, platform_id: str) -> RowMapping:
    row = await repo.get_platform(conn, platform_id)
    if row is None:
        raise NotFound(f"No platform {platform_id}.", code="platform_not_found")
    return row


async def get_app(conn: AsyncConnection, app_id: str) -> Mapping[str, Any]:
    row = await repo.get_app(conn, app_id)
    if row is None:
        raise NotFound(f"No app {app_id}.", code="app_not_found")
    return row


async def app_detail(
    conn: AsyncConnection, caller: Caller, app_id: str, media_base: str
) -> dict[str, Any]:
    caller.require_app(app_id)
    app = await get_app(conn, app_id)
    avails = await repo.avails_of_app(conn, app_id)
    names = await repo.media_names(conn, [app_id])
    return {
        **render_app(app),
        "webhook_url": app["webhook_url"],
        "avails": [render_avail(a) for a in avails],
        "app_media": media_urls(media_base, app_id, names.get(app_id, set())),
        # Shown once the app has chosen (docs/handoffs.md): never set, the app reads as before.
        **_handoff_choice(app),
    }


def _handoff_choice(app: Mapping[str, Any]) -> dict[str, bool]:
    chosen = app["attach_requires_handoff"]
    return {} if chosen is None else {"attach_requires_handoff": bool(chosen)}


async def update_app(
    conn: AsyncConnection,
    caller: Caller,
    app_id: str,
    patch: AppPatch,
    *,
    allow_private: bool,
    media_base: str,
) -> dict[str, Any]:
    """Apply the fields ``patch`` sets, in this order; the app as it is then."""
    caller.require_app(app_id)
    if "attach_requires_handoff" in patch.model_fields_set:
        await set_attach_requires_handoff(conn, caller, app_id, patch.attach_requires_handoff)
    if "webhook_url" in patch.model_fields_set:
        owner = owners.app(app_id)
        await webhooks.set_url(conn, caller, owner, patch.webhook_url, allow_private=allow_private)
    return await app_detail(conn, caller, app_id, media_base)


async def set_attach_requires_handoff(
    conn: AsyncConnection, caller: Caller, app_id: str, required: bool
) -> None:
    """Whether platforms must attach the app's contexts with a handoff token from now on;
    sessions that already hold one of its contexts keep it."""
    caller.require_app(app_id)
    await get_app(conn, app_id)
    await repo.update_app(conn, app_id, {"attach_requires_handoff": required})


async def platform_detail(
    conn: AsyncConnection, caller: Caller, platform_id: str
) -> dict[str, Any]:
    caller.require_platform(platform_id)
    platform = await get_platform(conn, platform_id)
    return {**render_platform(platform), "webhook_url": platform["webhook_url"]}


async def update_platform(
    conn: AsyncConnection,
    caller: Caller,
    platform_id: str,
    patch: PlatformPatch,
    *,
    allow_private: bool,
) -> dict[str, Any]:
    """Set or clear the platform's webhook URL (session_changed events) if ``patch`` does."""
    caller.require_platform(platform_id)
    if "webhook_url" in patch.model_fields_set:
        owner = owners.platform(platform_id)
        await webhooks.set_url(conn, caller, owner, patch.webhook_url, allow_private=allow_private)
    return await platform_detail(conn, caller, platform_id)


# avails


async def set_avail(
    conn: AsyncConnection, caller: Caller, app_id: str, platform_id: str, enabled: bool
) -> dict[str, Any]:
    caller.require_app(app_id)
    await get_app(conn, app_id)
    await get_platform(conn, platform_id)
    values = {
        "app_id": app_id,
        "platform_id": platform_id,
        "enabled": enabled,
        "updated_at": now_us(),
    }
    await session_events.avail_switching(conn, app_id, platform_id, enabled)
    await repo.set_avail(conn, values)
    return render_avail(values)


def render_avail(row: Any) -> dict[str, Any]:
    return {
        "app_id": row["app_id"],
        "platform_id": row["platform_id"],
        "enabled": bool(row["enabled"]),
        "updated_at": iso(row["updated_at"]),
    }


async def require_available(
    conn: AsyncConnection, app_id: str, platform_id: str
) -> Mapping[str, Any]:
    """The app; ``NotFound`` if unknown, ``Forbidden`` if it has not enabled the platform."""
    app = await get_app(conn, app_id)
    if not await repo.is_available(conn, app_id, platform_id):
        raise Forbidden(
            f"App {app_id} has not made its data available to this platform.",
            code="app_not_available",
        )
    return app


async def platform_apps(
    conn: AsyncConnection, caller: Caller, platform_id: str, page: Page, media_base: str
) -> tuple[list[dict[str, Any]], int]:
    """Apps that made their data available to the platform, with media and platform data."""
    caller.require_platform(platform_id)
    await get_platform(conn, platform_id)
    rows, total = await repo.apps_for_platform(conn, platform_id, page)
    app_ids = [row["app_id"] for row in rows]
    names = await repo.media_names(conn, app_ids)
    data = await repo.platform_data_for(conn, platform_id, app_ids)
    apps = [
        {
            **render_app(row),
            "app_media": media_urls(media_base, row["app_id"], names.get(row["app_id"], set())),
            "platform_data": orjson.loads(data.get(row["app_id"], "{}")),
        }
        for row in rows
    ]
    return apps, total


# platform data


async def set_platform_data(
    conn: AsyncConnection, caller: Caller, platform_id: str, app_id: str, data: dict[str, Any]
) -> dict[str, Any]:
    caller.require_platform(platform_id)
    await require_available(conn, app_id, platform_id)
    encoded = orjson.dumps(data)
    if len(data) > MAX_PLATFORM_DATA_KEYS:
        raise Invalid(
            f"platform_data has {len(data)} keys; at most {MAX_PLATFORM_DATA_KEYS} are allowed.",
            errors=[FieldError("platform_data", f"at most {MAX_PLATFORM_DATA_KEYS} keys")],
        )
    if len(encoded) > MAX_PLATFORM_DATA_BYTES:
        raise Invalid(
            f"platform_data is {len(encoded)} bytes as JSON; at most "
            f"{MAX_PLATFORM_DATA_BYTES} are allowed.",
            errors=[FieldError("platform_data", f"at most {MAX_PLATFORM_DATA_BYTES} bytes")],
        )
    values = {
        "platform_id": platform_id,
        "app_id": app_id,
        "data": encoded.decode(),
        "updated_at": now_us(),
    }
    await repo.set_platform_data(conn, values)
    return {"platform_id": platform_id, "app_id": app_id, "platform_data": data}


# media


async def upload_media(
    conn: AsyncConnection,
    caller: Caller,
    app_id: str,
    file_name: str,
    read: Callable[[], Awaitable[bytes]],
    *,
    content_type: str | None,
) -> str:
    """Store a checked PNG; returns its ETag. ``content_type`` is the API's declared type
    (``None`` for the portal's form upload, whose type is the browser's guess). The body
    is read (``read``) only once the caller and the name are known to be right."""
    caller.require_app(app_id)
    if content_type is not None:
        spec_for(file_name)
        if content_type != "image/png":
            raise Invalid("Send the file as Content-Type: image/png.", code="not_png")
    body = await read()
    await get_app(conn, app_id)
    check_png(file_name, body)
    etag = hashlib.sha256(body).hexdigest()
    await repo.set_media(
        conn,
        {
            "app_id": app_id,
            "file_name": file_name,
            "content": body,
            "etag": etag,
            "updated_at": now_us(),
        },
    )
    return etag


async def delete_media(conn: AsyncConnection, caller: Caller, app_id: str, file_name: str) -> None:
    caller.require_app(app_id)
    await get_app(conn, app_id)
    if not await repo.delete_media(conn, app_id, file_name):
        raise NotFound(f"App {app_id} has no {file_name}.", code="media_not_found")


async def get_media(conn: AsyncConnection, app_id: str, file_name: str) -> RowMapping:
    row = await repo.get_media(conn, app_id, file_name)
    if row is None:
        raise NotFound(f"App {app_id} has no {file_name}.", code="media_not_found")
    return row


# audit log


async def audit(
    conn: AsyncConnection,
    actor: Caller | None,
    action: str,
    target: str,
    detail: dict[str, str | None] | None = None,
) -> None:
    """Record an admin action in the same transaction as the action itself."""
    await repo.insert_audit(
        conn,
        {
            "key_id": actor.key_id if actor else SYSTEM_ACTOR,
            "action": action,
            "target": target,
            "detail": orjson.dumps(detail or {}).decode(),
            "created_at": now_us(),
        },
    )


async def list_audit(conn: AsyncConnection, page: Page) -> tuple[list[dict[str, Any]], int]:
    rows, total = await repo.list_audit(conn, page)
    return [render_audit(r) for r in rows], total


def render_audit(row: RowMapping) -> dict[str, Any]:
    return {
        "entry_id": row["entry_id"],
        "key_id": row["key_id"],
        "action": row["action"],
        "target": row["target"],
        "detail": orjson.loads(row["detail"] or "{}"),
        "created_at": iso(row["created_at"]),
    }


# Publisher Guidelines thresholds (applied by POST /v1/contexts/upnext/{id}/progress)


def render_guidelines(app_id: str, thresholds: Thresholds) -> dict[str, Any]:
    return {
        "app_id": app_id,
        "start_seconds": thresholds.start_seconds,
        "start_percent": thresholds.start_percent,
        "end_percent": thresholds.end_percent,
    }


async def get_guidelines(conn: AsyncConnection, caller: Caller, app_id: str) -> dict[str, Any]:
    caller.require_app(app_id)
    app = await get_app(conn, app_id)
    return render_guidelines(app_id, Thresholds.from_json(app["guidelines"]))


async def set_guidelines(
    conn: AsyncConnection, caller: Caller, app_id: str, thresholds: Thresholds
) -> dict[str, Any]:
    caller.require_app(app_id)
    await get_app(conn, app_id)
    await repo.update_app(conn, app_id, {"guidelines": thresholds.to_json()})
    return render_guidelines(app_id, thresholds)
