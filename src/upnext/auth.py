"""Authentication: the caller an API key or a portal session identifies.

Its own module, below ``deps`` and the portal pages, so that the packages whose routes
take a caller (``portal`` among them) never import the module that authenticates them
back. Which role and which tenant may do what is decided in ``callers`` and the services.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from upnext.callers import Caller, Role
from upnext.db.statements import Executor
from upnext.kit.hashing import secret_matches
from upnext.kit.problems import Unauthorized
from upnext.portal import repository as keys


async def authenticate(conn: Executor, key_id: str, secret: str) -> Caller:
    """The caller a key identifies; ``Unauthorized`` for unknown, wrong or revoked keys."""
    key = await keys.get_key(conn, key_id)
    # Hash even for unknown ids so timing does not reveal which key ids exist.
    stored = key["secret_hash"] if key is not None else "0" * 64
    if not secret_matches(secret, stored) or key is None or key["revoked_at"] is not None:
        raise Unauthorized("The key is unknown, revoked, or its secret is wrong.")
    role: Role = key["role"]
    return Caller(key["key_id"], role, key["platform_id"], key["app_id"])


def signed_in_caller(session: Mapping[str, Any]) -> Caller:
    """The caller of a portal session read with its key (``portal.service.find_session``).

    Checked on every request: ``Unauthorized`` once the key is revoked (revoking also
    deletes its sessions; this covers a session read just before that commit).
    """
    if session["key_id"] is None or session["role"] is None or session["revoked_at"] is not None:
        raise Unauthorized("The key of this session is revoked.")
    role: Role = session["role"]
    return Caller(session["key_id"], role, session["platform_id"], session["app_id"])
