"""The portal's rules: accounts, keys, avails, platform data and media."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import orjson
from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from upnext.callers import Caller, Role
from upnext.db.engine import Database
from upnext.db.statements import Executor
from upnext.guidelines import Thresholds
from upnext.kit import ids
from upnext.kit.hashing import hash_secret, secret_matches
from upnext.kit.pagination import Page
from upnext.kit.problems import Conflict, FieldError, Forbidden, Invalid, NotFound, Unauthorized
from upnext.kit.timestamps import iso, now_us
from upnext.portal import repository as repo
from upnext.portal.media import check_png, media_urls
from upnext.portal.schemas import MAX_PLATFORM_DATA_BYTES, MAX_PLATFORM_DATA_KEYS
from upnext.webhooks import owners, session_events
from upnext.webhooks import repository as webhooks_repo

# The audit log's "who" for actions taken by the server itself (start-up, demo data).
SYSTEM_ACTOR = "system"

# keys and callers


async def authenticate(conn: Executor, key_id: str, secret: str) -> Caller:
    """The caller a key identifies; ``Unauthorized`` for unknown, wrong or revoked keys."""
    key = await repo.get_key(conn, key_id)
    # Hash even for unknown ids so timing does not reveal which key ids exist.
    stored = key["secret_hash"] if key is not None else "0" * 64
    if not secret_matches(secret, stored) or key is None or key["revoked_at"] is not None:
        raise Unauthorized("The key is unknown, revoked, or its secret is wrong.")
    role: Role = key["role"]
    return Caller(key["key_id"], role, key["platform_id"], key["app_id"])


def signed_in_caller(session: Mapping[str, Any]) -> Caller:
    """The caller of a portal session read with its key (``repo.get_portal_session``).

    Checked on every request: ``Unauthorized`` once the key is revoked (revoking also
    deletes its sessions; this covers a session read just before that commit).
    """
    if session["key_id"] is None or session["role"] is None or session["revoked_at"] is not None:
        raise Unauthorized("The key of this session is revoked.")
    role: Role = session["role"]
    return Caller(session["key_id"], role, session["platform_id"], session["app_id"])


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


async def revoke_key(conn: AsyncConnection, caller: Caller, key_id: str) -> None:
    if await repo.get_key(conn, key_id) is None:
        raise NotFound(f"No key {key_id}.", code="key_not_found")
    if key_id == caller.key_id:
        raise Conflict("A key cannot revoke itself; use another admin key.", code="own_key")
    await repo.revoke_key(conn, key_id, now_us())
    # In the same transaction: no portal session outlives its key's revocation.
    await repo.delete_portal_sessions_of_key(conn, key_id)
    await audit(conn, caller, "key.revoke", key_id)


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


async def app_detail(conn: AsyncConnection, app_id: str, media_base: str) -> dict[str, Any]:
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


async def set_attach_requires_handoff(conn: AsyncConnection, app_id: str, required: bool) -> None:
    """Whether platforms must attach the app's contexts with a handoff token from now on;
    sessions that already hold one of its contexts keep it."""
    await get_app(conn, app_id)
    await repo.update_app(conn, app_id, {"attach_requires_handoff": required})


async def set_webhook_url(conn: AsyncConnection, app_id: str, url: str | None) -> None:
    await get_app(conn, app_id)
    # Setting a URL again re-enables an endpoint that a 410 Gone had disabled.
    await repo.update_app(conn, app_id, {"webhook_url": url, "webhook_disabled_at": None})
    if url is not None:  # events that waited for an endpoint are due now
        await webhooks_repo.unpark(conn, owners.app(app_id), now_us())


async def platform_detail(conn: AsyncConnection, platform_id: str) -> dict[str, Any]:
    platform = await get_platform(conn, platform_id)
    return {**render_platform(platform), "webhook_url": platform["webhook_url"]}


async def set_platform_webhook_url(
    conn: AsyncConnection, platform_id: str, url: str | None
) -> None:
    """Where the platform's session_changed events go; as ``set_webhook_url`` for apps."""
    await get_platform(conn, platform_id)
    values = {"webhook_url": url, "webhook_disabled_at": None}
    await repo.update_platform(conn, platform_id, values)
    if url is not None:
        await webhooks_repo.unpark(conn, owners.platform(platform_id), now_us())


# avails


async def set_avail(
    conn: AsyncConnection, app_id: str, platform_id: str, enabled: bool
) -> dict[str, Any]:
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
    conn: AsyncConnection, platform_id: str, page: Page, media_base: str
) -> tuple[list[dict[str, Any]], int]:
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
    conn: AsyncConnection, platform_id: str, app_id: str, data: dict[str, Any]
) -> dict[str, Any]:
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


async def upload_media(conn: AsyncConnection, app_id: str, file_name: str, body: bytes) -> str:
    """Store a checked PNG; returns its ETag."""
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


async def delete_media(conn: AsyncConnection, app_id: str, file_name: str) -> None:
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


async def get_guidelines(conn: AsyncConnection, app_id: str) -> dict[str, Any]:
    app = await get_app(conn, app_id)
    return render_guidelines(app_id, Thresholds.from_json(app["guidelines"]))


async def set_guidelines(
    conn: AsyncConnection, app_id: str, thresholds: Thresholds
) -> dict[str, Any]:
    await get_app(conn, app_id)
    await repo.update_app(conn, app_id, {"guidelines": thresholds.to_json()})
    return render_guidelines(app_id, thresholds)
