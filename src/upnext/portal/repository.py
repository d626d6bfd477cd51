"""All SQL of the portal: platforms, apps, keys, portal sessions, avails, platform data, media."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    RowMapping,
    and_,
    bindparam,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from upnext.db.statements import Executor, Statement
from upnext.db.tables import (
    api_keys,
    app_media,
    apps,
    audit_log,
    avails,
    platform_data,
    platforms,
    portal_sessions,
)
from upnext.kit.pagination import Page
from upnext.kit.sql import upsert

# platforms and apps


async def insert_platform(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(platforms.insert().values(values))


async def get_platform(conn: AsyncConnection, platform_id: str) -> RowMapping | None:
    result = await conn.execute(select(platforms).where(platforms.c.platform_id == platform_id))
    return result.mappings().first()


async def update_platform(conn: AsyncConnection, platform_id: str, values: dict[str, Any]) -> None:
    await conn.execute(
        update(platforms).where(platforms.c.platform_id == platform_id).values(values)
    )


async def list_platforms(conn: AsyncConnection, page: Page) -> tuple[list[RowMapping], int]:
    total = await conn.scalar(select(func.count()).select_from(platforms))
    result = await conn.execute(
        select(platforms)
        .order_by(platforms.c.platform_id.desc())
        .limit(page.limit)
        .offset(page.offset)
    )
    return list(result.mappings()), int(total or 0)


async def insert_app(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(apps.insert().values(values))


_APP = Statement(select(apps).where(apps.c.app_id == bindparam("app_id")))
_AVAILABLE = Statement(
    select(avails.c.enabled).where(
        avails.c.app_id == bindparam("app_id"), avails.c.platform_id == bindparam("platform_id")
    )
)


async def get_app(conn: AsyncConnection, app_id: str) -> dict[str, Any] | None:
    return await _APP.first(conn, {"app_id": app_id})  # every hide and attach: on the driver


async def list_apps(conn: AsyncConnection, page: Page) -> tuple[list[RowMapping], int]:
    total = await conn.scalar(select(func.count()).select_from(apps))
    result = await conn.execute(
        select(apps).order_by(apps.c.app_id.desc()).limit(page.limit).offset(page.offset)
    )
    return list(result.mappings()), int(total or 0)


async def update_app(conn: AsyncConnection, app_id: str, values: dict[str, Any]) -> None:
    await conn.execute(update(apps).where(apps.c.app_id == app_id).values(values))


# keys


async def insert_key(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(api_keys.insert().values(values))


_KEY = Statement(select(api_keys).where(api_keys.c.key_id == bindparam("key_id")))


async def get_key(conn: Executor, key_id: str) -> dict[str, Any] | None:
    return await _KEY.first(conn, {"key_id": key_id})  # every request: on the driver


async def set_admin_key(conn: AsyncConnection, key_id: str, secret_hash: str, now: int) -> None:
    values = {"key_id": key_id, "role": "admin", "secret_hash": secret_hash, "created_at": now}
    await upsert(conn, api_keys, values, keys=["key_id"], update=["secret_hash"])


async def active_admin_key_exists(conn: AsyncConnection) -> bool:
    query = select(api_keys.c.key_id).where(
        api_keys.c.role == "admin", api_keys.c.revoked_at.is_(None)
    )
    return (await conn.execute(query.limit(1))).first() is not None


async def revoke_key(conn: AsyncConnection, key_id: str, now: int) -> None:
    await conn.execute(
        update(api_keys)
        .where(api_keys.c.key_id == key_id, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def list_keys(
    conn: AsyncConnection, page: Page, *, platform_id: str | None, app_id: str | None
) -> tuple[list[RowMapping], int]:
    conditions = []
    if platform_id is not None:
        conditions.append(api_keys.c.platform_id == platform_id)
    if app_id is not None:
        conditions.append(api_keys.c.app_id == app_id)
    where = and_(True, *conditions)
    total = await conn.scalar(select(func.count()).select_from(api_keys).where(where))
    result = await conn.execute(
        select(api_keys)
        .where(where)
        .order_by(api_keys.c.key_id.desc())
        .limit(page.limit)
        .offset(page.offset)
    )
    return list(result.mappings()), int(total or 0)


# portal sessions


async def get_portal_session(
    conn: AsyncConnection, token_hash: str, now: int
) -> dict[str, Any] | None:
    """The live session of a token hash, with its key's role, tenant and revocation."""
    query = (
        select(
            portal_sessions,
            api_keys.c.role,
            api_keys.c.platform_id,
            api_keys.c.app_id,
            api_keys.c.revoked_at,
        )
        .select_from(portal_sessions.outerjoin(api_keys))
        .where(portal_sessions.c.token_hash == token_hash, portal_sessions.c.expires_at > now)
    )
    row = (await conn.execute(query)).mappings().first()
    return dict(row) if row is not None else None


async def insert_portal_session(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(portal_sessions.insert().values(values))


async def update_portal_session(
    conn: AsyncConnection, token_hash: str, values: dict[str, Any]
) -> None:
    await conn.execute(
        update(portal_sessions).where(portal_sessions.c.token_hash == token_hash).values(values)
    )


async def delete_portal_session(conn: AsyncConnection, token_hash: str) -> None:
    await conn.execute(delete(portal_sessions).where(portal_sessions.c.token_hash == token_hash))


async def delete_portal_sessions_of_key(conn: AsyncConnection, key_id: str) -> int:
    result = await conn.execute(delete(portal_sessions).where(portal_sessions.c.key_id == key_id))
    return int(result.rowcount)


async def purge_portal_sessions(conn: AsyncConnection, now: int) -> int:
    """Delete the sessions expired at ``now`` (indexed on expires_at); how many."""
    result = await conn.execute(delete(portal_sessions).where(portal_sessions.c.expires_at <= now))
    return int(result.rowcount)


# avails


async def set_avail(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await upsert(conn, avails, values, keys=["app_id", "platform_id"])


async def avails_of_app(conn: AsyncConnection, app_id: str) -> list[RowMapping]:
    result = await conn.execute(
        select(avails).where(avails.c.app_id == app_id).order_by(avails.c.platform_id)
    )
    return list(result.mappings())


async def is_available(conn: AsyncConnection, app_id: str, platform_id: str) -> bool:
    rows = await _AVAILABLE.rows(conn, {"app_id": app_id, "platform_id": platform_id})
    return bool(rows and rows[0][0])


async def apps_for_platform(
    conn: AsyncConnection, platform_id: str, page: Page
) -> tuple[list[RowMapping], int]:
    enabled = and_(avails.c.platform_id == platform_id, avails.c.enabled.is_(True))
    joined = apps.join(avails, avails.c.app_id == apps.c.app_id)
    total = await conn.scalar(select(func.count()).select_from(joined).where(enabled))
    result = await conn.execute(
        select(apps)
        .select_from(joined)
        .where(enabled)
        .order_by(apps.c.app_id.desc())
        .limit(page.limit)
        .offset(page.offset)
    )
    return list(result.mappings()), int(total or 0)


# platform data


async def set_platform_data(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await upsert(conn, platform_data, values, keys=["platform_id", "app_id"])


async def platform_data_for(
    conn: AsyncConnection, platform_id: str, app_ids: Iterable[str]
) -> dict[str, str]:
    """The stored JSON text of ``platform_id``'s object for each of ``app_ids`` that has one."""
    result = await conn.execute(
        select(platform_data.c.app_id, platform_data.c.data).where(
            platform_data.c.platform_id == platform_id,
            platform_data.c.app_id.in_(list(app_ids)),
        )
    )
    return {row.app_id: row.data for row in result}


# media


async def set_media(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await upsert(conn, app_media, values, keys=["app_id", "file_name"])


async def delete_media(conn: AsyncConnection, app_id: str, file_name: str) -> bool:
    result = await conn.execute(
        app_media.delete().where(app_media.c.app_id == app_id, app_media.c.file_name == file_name)
    )
    return bool(result.rowcount)


async def get_media(conn: AsyncConnection, app_id: str, file_name: str) -> RowMapping | None:
    result = await conn.execute(
        select(app_media).where(app_media.c.app_id == app_id, app_media.c.file_name == file_name)
    )
    return result.mappings().first()


async def media_names(conn: AsyncConnection, app_ids: Iterable[str]) -> dict[str, set[str]]:
    """The uploaded file names of each app."""
    result = await conn.execute(
        select(app_media.c.app_id, app_media.c.file_name).where(
            app_media.c.app_id.in_(list(app_ids))
        )
    )
    names: dict[str, set[str]] = defaultdict(set)
    for row in result:
        names[row.app_id].add(row.file_name)
    return names


# audit log


async def insert_audit(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(audit_log.insert().values(values))


async def list_audit(conn: AsyncConnection, page: Page) -> tuple[list[RowMapping], int]:
    total = await conn.scalar(select(func.count()).select_from(audit_log))
    result = await conn.execute(
        select(audit_log)
        .order_by(audit_log.c.entry_id.desc())
        .limit(page.limit)
        .offset(page.offset)
    )
    return list(result.mappings()), int(total or 0)
