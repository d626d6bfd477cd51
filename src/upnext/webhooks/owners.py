"""Whose webhooks: an app (item events, CONTRACT 7) or a platform (session_changed).

Both own the same things, a URL, signing secrets and a delivery log, in the same tables:
each row names its owner in ``app_id`` or in ``platform_id``, never both. App and platform
ids have distinct prefixes (``AP``, ``PL``), so the id alone keys an endpoint in the worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Table

from upnext.db.tables import apps, platforms

Kind = Literal["app", "platform"]
KINDS: tuple[Kind, ...] = ("app", "platform")


def column_of(kind: Kind) -> str:
    """The column that names an owner of this kind in secrets and deliveries."""
    return "app_id" if kind == "app" else "platform_id"


def table_of(kind: Kind) -> Table:
    """The owners' own table, which holds their ``webhook_url``."""
    return apps if kind == "app" else platforms


@dataclass(frozen=True)
class Owner:
    kind: Kind
    id: str

    @property
    def column(self) -> str:
        return column_of(self.kind)

    @property
    def table(self) -> Table:
        return table_of(self.kind)

    @property
    def label(self) -> str:
        return "App" if self.kind == "app" else "Platform"


def app(app_id: str) -> Owner:
    return Owner("app", app_id)


def platform(platform_id: str) -> Owner:
    return Owner("platform", platform_id)
