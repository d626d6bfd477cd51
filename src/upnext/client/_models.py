"""Pydantic models of what the SDK sends and receives.

Response models keep fields a newer server adds (``extra="allow"``) so an old client never
fails on them; request models refuse unknown fields, as the server does.
"""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from upnext.guidelines import Thresholds

Action = Literal["up_next_continue", "up_next_next", "up_next_new", "up_next_watchlist"]
MediaType = Literal["movie", "tv_episode"]
AspectRatio = Literal[
    "aspect_ratio_16_9", "aspect_ratio_4_3", "aspect_ratio_1_1", "aspect_ratio_2_3"
]
PlatformDataValue = str | bool | int | float
T = TypeVar("T")


class _Response(BaseModel):
    model_config = ConfigDict(extra="allow")


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


# requests


class Item(_Request):
    """An item as a publisher writes it (``PUT /v1/contexts/upnext/{context_id}``)."""

    content_id: str
    media_type: MediaType
    action: Action
    title: str
    description: str
    poster_art_uri: str
    poster_art_aspect_ratio: AspectRatio
    duration: int
    preview_video_uri: str | None = None
    season: int | None = None
    episode: int | None = None
    position: int | None = None
    hidden: bool | None = None
    event_time: str | None = None
    expires_at: str | None = None
    series_id: str | None = None
    series_title: str | None = None
    playback_uri: str | None = None
    playback_uris: dict[str, str] | None = None
    content_rating: str | None = None
    maturity_age: int | None = None
    available_from: str | None = None


class Progress(_Request):
    """A progress report: the item, the viewer's position, and what comes next."""

    content_id: str
    media_type: MediaType
    title: str
    description: str
    poster_art_uri: str
    poster_art_aspect_ratio: AspectRatio
    duration: int
    position: int
    action: Action | None = None
    preview_video_uri: str | None = None
    season: int | None = None
    episode: int | None = None
    hidden: bool | None = None
    event_time: str | None = None
    expires_at: str | None = None
    series_id: str | None = None
    series_title: str | None = None
    playback_uri: str | None = None
    playback_uris: dict[str, str] | None = None
    content_rating: str | None = None
    maturity_age: int | None = None
    available_from: str | None = None
    credits_position: int | None = None
    next: Item | None = None


# responses


class Page(_Response, Generic[T]):
    """One page of a List Object; ``next_key`` is set only when more entries follow."""

    total: int
    next_key: int | None = None
    items: list[T]


class ListItem(_Response):
    """The List Item Object."""

    content_id: str
    app_id: str
    context_id: str
    updated_at: str
    action: Action
    media_type: MediaType
    title: str
    description: str
    poster_art_uri: str
    poster_art_aspect_ratio: AspectRatio
    duration: int
    hidden: bool
    season: int | None = None
    episode: int | None = None
    preview_video_uri: str | None = None
    position: int | None = None
    event_time: str | None = None
    expires_at: str | None = None
    series_id: str | None = None
    series_title: str | None = None
    content_rating: str | None = None
    maturity_age: int | None = None
    available_from: str | None = None
    playback_uri: str | None = None  # the publisher's list: as written; sessions: the caller's
    playback_uris: dict[str, str] | None = None  # the publisher's own list only


class SessionItem(ListItem):
    """A List Item Object as a platform sees it."""

    platform_data: dict[str, PlatformDataValue] = Field(default_factory=dict)
    app_media: dict[str, str] = Field(default_factory=dict)


class Context(_Response):
    context_id: str
    app_id: str
    created_at: str


class Handoff(_Response):
    """A one-time token for a platform to attach ``context_id``; shown only once."""

    handoff_token: str
    context_id: str
    app_id: str
    expires_at: str


class SessionContext(_Response):
    session_id: str
    context_id: str
    app_id: str
    created_at: str


class ProgressResult(_Response):
    """What the server did with a progress report."""

    phase: Literal["not_started", "watching", "finished", "unknown"]
    result: list[Literal["added", "updated", "removed", "next_added", "ignored"]]


class Platform(_Response):
    platform_id: str
    name: str
    created_at: str


class PlatformDetail(Platform):
    """The platform with the URL its ``session_changed`` webhooks go to."""

    webhook_url: str | None = None


class App(_Response):
    app_id: str
    name: str
    created_at: str


class NewKey(_Response):
    """A key just created; ``secret`` is shown only once."""

    key_id: str
    secret: str
    role: Literal["platform", "publisher"]
    platform_id: str | None = None
    app_id: str | None = None

    @property
    def credentials(self) -> str:
        """``key_id:secret``, the form of ``UPNEXT_KEY``."""
        return f"{self.key_id}:{self.secret}"


class Key(_Response):
    key_id: str
    role: Literal["admin", "platform", "publisher"]
    created_at: str
    platform_id: str | None = None
    app_id: str | None = None
    revoked_at: str | None = None


class Avail(_Response):
    app_id: str
    platform_id: str
    enabled: bool
    updated_at: str


class AppDetail(App):
    webhook_url: str | None = None
    avails: list[Avail] = Field(default_factory=list)
    app_media: dict[str, str] = Field(default_factory=dict)
    attach_requires_handoff: bool = False


class Guidelines(_Response):
    """The app's Publisher Guidelines thresholds, as the server applies them."""

    app_id: str
    start_seconds: int
    start_percent: float
    end_percent: float

    def thresholds(self) -> Thresholds:
        """The same thresholds for a ``PlaybackReporter``."""
        return Thresholds(self.start_seconds, self.start_percent, self.end_percent)


class Media(_Response):
    app_id: str
    file_name: str
    etag: str


class PlatformApp(App):
    app_media: dict[str, str] = Field(default_factory=dict)
    platform_data: dict[str, PlatformDataValue] = Field(default_factory=dict)


class PlatformData(_Response):
    platform_id: str
    app_id: str
    platform_data: dict[str, PlatformDataValue]


class WebhookAttempt(_Response):
    """One HTTP call to the receiver; ``status_code`` is absent when none came back."""

    attempted_at: str
    status_code: int | None = None
    latency_ms: int | None = None
    error: str | None = None


class WebhookDelivery(_Response):
    """One event on its way to the app's (or platform's) endpoint, with every attempt."""

    delivery_id: str
    webhook_id: str
    event_type: str
    status: Literal["pending", "delivered", "failed"]
    created_at: str
    updated_at: str
    next_attempt_at: str | None = None
    payload: dict[str, Any] = Field(default_factory=dict)
    attempts: list[WebhookAttempt] = Field(default_factory=list)


class FieldError(_Response):
    field: str
    message: str
