"""Wire format of sessions."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    ValidationInfo,
    WrapValidator,
    field_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from upnext.contexts.schemas import (
    ActionFilter,
    Instant,
    MaturityFilter,
    MediaTypeFilter,
    UnratedFilter,
    list_filters,
)
from upnext.identifiers import ClientIdField, ContentIdField, ContextIdField
from upnext.kit.models import RequestModel
from upnext.kit.pagination import MAX_OFFSET, Page
from upnext.kit.text import Storable
from upnext.kit.timestamps import iso, now_us, parse_iso
from upnext.readmodel import Filters

MAX_SNOOZE_US = 365 * 86_400_000_000


class AttachIn(RequestModel):
    """Attach the context named by the platform (the reference's form)."""

    app_id: ClientIdField = Field(examples=["AP463772054442217472"])
    context_id: ContextIdField = Field(examples=["CX5f0c6a3e9b2d4f718a6c0e2b9d4f7a13"])


class HandoffAttachIn(RequestModel):
    """Attach the context of a handoff token the app gave the platform (docs/handoffs.md)."""

    # Storable: a lone surrogate could not even be hashed.
    handoff_token: Annotated[str, Storable] = Field(
        min_length=1, max_length=256, examples=["HOq3M0bT6bq1l3cJ6n1o2Zr9i8Vd0nW5xK"]
    )


_NAMED = ("app_id", "context_id")


def _form(data: Any) -> str:
    return "handoff" if isinstance(data, dict) and "handoff_token" in data else "named"


def _validate_form(data: Any, _: Any) -> AttachIn | HandoffAttachIn:
    """Validate the body as the one form it is, so that the errors are that model's alone:
    a body without ``handoff_token`` gets exactly the reference's answers."""
    if not isinstance(data, dict):  # the error FastAPI gave for a lone model, word for word
        not_object = InitErrorDetails(type="model_attributes_type", loc=(), input=data)
        raise ValidationError.from_exception_data("AttachIn", [not_object])
    if _form(data) == "named":
        return AttachIn.model_validate(data)
    both = [name for name in _NAMED if name in data]
    if both:
        message = "not allowed with handoff_token: attach with one form or the other"
        errors = [
            InitErrorDetails(
                type=PydanticCustomError("handoff_exclusive", message),
                loc=(name,),
                input=data[name],
            )
            for name in both
        ]
        raise ValidationError.from_exception_data("HandoffAttachIn", errors)
    return HandoffAttachIn.model_validate(data)


AttachBody = Annotated[
    Annotated[AttachIn, Tag("named")] | Annotated[HandoffAttachIn, Tag("handoff")],
    Discriminator(_form),  # documents the body as oneOf the two models
    WrapValidator(_validate_form),
]
"""The body of ``PUT /v1/sessions/upnext/{session_id}``: one of the two forms."""


class SessionContextOut(BaseModel):
    """The Session Context Object; ``created_at`` is when the context was attached."""

    session_id: str
    context_id: str
    app_id: str
    created_at: str


PLATFORM_ID_DESCRIPTION = (
    "Operator keys: whose session to read (needed only when several platforms use the "
    "session id). A platform key may name its own platform, which changes nothing; "
    "another platform's is 403."
)


class ItemListQuery(BaseModel):
    """The query of a session's item lists, validated as one model: FastAPI resolves each
    separate parameter or dependency on its own, which on these hot reads cost more than
    the SQL. An unknown parameter is refused (400 naming it), as for every other list."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(50, ge=1, le=200, description="Items to return (1-200).")
    next_key: int = Field(0, ge=0, le=MAX_OFFSET, description="Index of the first item to return.")
    per_series: bool = Field(
        False,
        description="Extension: 1 keeps only the newest item of each series_id per app.",
        examples=[True],
    )
    per_app_limit: int | None = Field(
        None, ge=1, le=200, description="Extension: at most this many items per app.", examples=[3]
    )
    platform_id: str | None = Field(None, max_length=64, description=PLATFORM_ID_DESCRIPTION)
    action: ActionFilter
    media_type: MediaTypeFilter
    max_maturity: MaturityFilter
    unrated: UnratedFilter

    @property
    def page(self) -> Page:
        return Page(limit=self.limit, offset=self.next_key)

    @property
    def filters(self) -> Filters:
        return list_filters(self.action, self.media_type, self.max_maturity, self.unrated)


class HideIn(RequestModel):
    content_id: ContentIdField
    action: Literal["hide", "unhide"]
    scope: Literal["item", "series"] = Field(
        "item",
        examples=["series"],
        description="Extension: series applies the hide to every item of the context with "
        "the named item's series_id, episodes written later included, until unhidden.",
    )
    until: Instant | None = Field(
        None,
        examples=["2024-05-08T18:00:00Z"],
        description="Extension, with action hide: a snooze. Hidden until this moment (in the "
        "future, at most 1 year ahead), then shown again with no request needed.",
    )

    @field_validator("until")
    @classmethod
    def _snooze(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return value
        if info.data.get("action") != "hide":
            raise ValueError("only with action hide")
        moment, now = parse_iso(value), now_us()
        if moment <= now:
            raise ValueError("must be in the future")
        if moment > now + MAX_SNOOZE_US:
            raise ValueError("must be at most 1 year ahead")
        return value

    @property
    def until_us(self) -> int | None:
        return None if self.until is None else parse_iso(self.until)


def render_attachment(row: Any) -> dict[str, Any]:
    return {
        "session_id": row["session_id"],
        "context_id": row["context_id"],
        "app_id": row["app_id"],
        "created_at": iso(row["created_at"]),
    }
