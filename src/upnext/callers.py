"""Who is calling: the authenticated key's role and the tenant it is bound to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from upnext.kit.problems import Forbidden

Role = Literal["admin", "platform", "publisher"]


@dataclass(frozen=True)
class Caller:
    key_id: str
    role: Role
    platform_id: str | None = None
    app_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def require_app(self, app_id: str) -> None:
        """Admins read any app; a publisher only its own."""
        if not self.is_admin and self.app_id != app_id:
            raise Forbidden("This key belongs to another app.", code="wrong_app")

    def require_platform(self, platform_id: str) -> None:
        """Admins read any platform; a platform key only its own."""
        if not self.is_admin and self.platform_id != platform_id:
            raise Forbidden("This key belongs to another platform.", code="wrong_platform")


def require_role(caller: Caller, *roles: Role, needed_by: str = "This") -> Caller:
    """``caller`` if its role is one of ``roles``; ``Forbidden`` (``wrong_role``) if not.

    The one role check of the API (``deps``) and the portal (``web/access``), which only
    names what needs the key differently (``needed_by="This page"``).
    """
    if caller.role not in roles:
        allowed = " or ".join(roles)
        raise Forbidden(f"{needed_by} needs a {allowed} key.", code="wrong_role")
    return caller
