"""Wire format of the Portal API."""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints, WithJsonSchema

from upnext.guidelines import DEFAULT, Thresholds
from upnext.kit.models import RequestModel
from upnext.kit.text import HTTP_URI_PATTERN, HttpUri, Name, Storable

MAX_PLATFORM_DATA_KEYS = 32
MAX_PLATFORM_DATA_BYTES = 4096


class NameIn(RequestModel):
    name: Name = Field(examples=["Acme TV"])


class PlatformOut(BaseModel):
    platform_id: str = Field(examples=["PL463772054442217472"])
    name: str
    created_at: str = Field(examples=["2024-02-16T04:41:06.596Z"])


class AppOut(BaseModel):
    app_id: str = Field(examples=["AP463772054442217472"])
    name: str
    created_at: str


class KeyOut(BaseModel):
    """A new key. ``secret`` is shown only in this response."""

    key_id: str = Field(examples=["KY463772054442217472"])
    secret: str
    role: Literal["platform", "publisher"]
    platform_id: str | None = None
    app_id: str | None = None


class KeyInfo(BaseModel):
    key_id: str
    role: Literal["admin", "platform", "publisher"]
    platform_id: str | None = None
    app_id: str | None = None
    created_at: str
    revoked_at: str | None = None


class AvailIn(RequestModel):
    enabled: bool


class AvailOut(BaseModel):
    app_id: str
    platform_id: str
    enabled: bool
    updated_at: str


class AppMedia(BaseModel):
    """URLs of the uploaded files; a key is present only when its file was uploaded."""

    icon_1x: str | None = None
    icon_2x: str | None = None
    icon_3x: str | None = None
    tile_1x: str | None = None
    tile_2x: str | None = None
    logo_dark_1x: str | None = None
    logo_light_1x: str | None = None


class AppDetail(AppOut):
    webhook_url: str | None
    avails: list[AvailOut]
    app_media: AppMedia
    attach_requires_handoff: bool = Field(
        False,
        description="Extension, present once the app has set it: platforms attach the app's "
        "contexts only with a handoff token (docs/handoffs.md). Absent means false.",
        examples=[True],
    )


# A URI's port may be any digits (RFC 3986); a webhook is sent to one, so 0-65535. Stated
# in the schema only: the server's own check names the reason (422 webhook_url_refused).
_PORT = r"([0-9]{0,4}|[0-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
WEBHOOK_URL_PATTERN = HTTP_URI_PATTERN.replace("(:[0-9]*)?", f"(:{_PORT})?")


class AppPatch(RequestModel):
    """Only the fields given change."""

    webhook_url: HttpUri | None = Field(
        None,
        description="Where webhook events are sent; null stops them.",
        json_schema_extra={"pattern": WEBHOOK_URL_PATTERN},
    )
    attach_requires_handoff: bool = Field(
        False,
        description="Extension: true makes platforms attach the app's contexts only with a "
        "handoff token (POST /v1/contexts/upnext/{context_id}/handoffs); sessions already "
        "attached stay. Default false.",
        examples=[True],
    )


class PlatformDetail(PlatformOut):
    webhook_url: str | None = Field(
        description="Where session_changed events are sent (docs/webhooks.md); null: none."
    )


class PlatformPatch(RequestModel):
    webhook_url: HttpUri | None = Field(
        None, description="Where session_changed events are sent; null stops them."
    )


def _finite(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("numbers must be finite")
    return value


PlatformDataKey = Annotated[str, StringConstraints(min_length=1, max_length=128), Storable]
PlatformDataValue = Annotated[
    Annotated[str, Storable] | bool | int | float, AfterValidator(_finite)
]
_NO_NUL = "^[^\\x00]*$"
PlatformData = Annotated[
    dict[PlatformDataKey, PlatformDataValue],
    # What pydantic derives puts the key's pattern in patternProperties, which leaves a
    # key with a NUL unconstrained: say the rules on keys and values directly.
    WithJsonSchema(
        {
            "type": "object",
            "description": "A flat object: string keys, string, number or boolean values; at "
            f"most {MAX_PLATFORM_DATA_KEYS} keys and {MAX_PLATFORM_DATA_BYTES} bytes as JSON.",
            "maxProperties": MAX_PLATFORM_DATA_KEYS,
            "propertyNames": {"minLength": 1, "maxLength": 128, "pattern": _NO_NUL},
            "additionalProperties": {
                "anyOf": [
                    {"type": "string", "pattern": _NO_NUL},
                    {"type": "boolean"},
                    {"type": "number"},
                ]
            },
        }
    ),
]


class PlatformDataOut(BaseModel):
    platform_id: str
    app_id: str
    platform_data: dict[str, str | bool | int | float]


class PlatformApp(AppOut):
    """An app that made its data available to the platform, for review."""

    app_media: AppMedia
    platform_data: dict[str, str | bool | int | float]


class AuditEntry(BaseModel):
    """One admin action: who (key_id), what (action, target, detail) and when."""

    entry_id: int
    key_id: str
    action: str
    target: str
    detail: dict[str, str | None]
    created_at: str


class GuidelinesIn(RequestModel):
    """The app's Publisher Guidelines thresholds; an omitted field takes its default."""

    start_seconds: int = Field(
        DEFAULT.start_seconds, ge=0, le=86_400, description="Started after more than this."
    )
    start_percent: float = Field(
        DEFAULT.start_percent, ge=0, le=100, description="... or more than this % watched."
    )
    end_percent: float = Field(
        DEFAULT.end_percent, ge=0, le=100, description="Finished when at most this % remains."
    )

    def thresholds(self) -> Thresholds:
        return Thresholds(self.start_seconds, self.start_percent, self.end_percent)


class GuidelinesOut(BaseModel):
    """The thresholds the server applies to the app's progress reports."""

    app_id: str
    start_seconds: int
    start_percent: float
    end_percent: float
