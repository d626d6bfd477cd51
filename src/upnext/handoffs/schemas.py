"""Wire format of handoffs."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from upnext.kit.models import RequestModel
from upnext.kit.text import Storable


class HandoffIn(RequestModel):
    platform_id: Annotated[str, Storable] | None = Field(
        None,
        max_length=64,
        description="Only this platform may redeem the token; omitted or null: any platform "
        "the app has made its data available to.",
        examples=["PL463772054442217472"],
    )


class HandoffOut(BaseModel):
    """A new handoff. ``handoff_token`` is shown only in this response and works once."""

    handoff_token: str = Field(examples=["HOq3M0bT6bq1l3cJ6n1o2Zr9i8Vd0nW5xK"])
    context_id: str
    app_id: str
    expires_at: str = Field(examples=["2024-02-16T04:51:06.596Z"])
