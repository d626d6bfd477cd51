"""Wire format of items and contexts."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, ValidationInfo, field_validator

from upnext.identifiers import ContentIdField
from upnext.kit.models import RequestModel
from upnext.kit.text import HttpUri, Storable
from upnext.kit.timestamps import iso

MAX_INT = 2**31 - 1

Action = Literal["up_next_continue", "up_next_next", "up_next_new", "up_next_watchlist"]
MediaType = Literal["movie", "tv_episode"]
AspectRatio = Literal[
    "aspect_ratio_16_9", "aspect_ratio_4_3", "aspect_ratio_1_1", "aspect_ratio_2_3"
]
Title = Annotated[str, StringConstraints(min_length=1, max_length=512), Storable]
Description = Annotated[str, StringConstraints(max_length=4096), Storable]
Seconds = Annotated[int, Field(ge=0, le=MAX_INT)]
Number = Annotated[int, Field(ge=0, le=MAX_INT)]


class ItemIn(RequestModel):
    """An item as a publisher writes it. ``updated_at`` is set by the server."""

    content_id: ContentIdField = Field(examples=["1iwousk12i008d9"])
    media_type: MediaType
    action: Action
    title: Title = Field(examples=["The Colt"])
    description: Description
    poster_art_uri: HttpUri = Field(examples=["https://media.example.com/thumb.png"])
    poster_art_aspect_ratio: AspectRatio
    preview_video_uri: HttpUri | None = None
    duration: Annotated[int, Field(ge=1, le=MAX_INT, description="Running time in seconds.")]
    # Declared after media_type, action and duration: their validators read those fields.
    season: Number | None = Field(
        None, validate_default=True, description="Required for tv_episode."
    )
    episode: Number | None = Field(
        None, validate_default=True, description="Required for tv_episode."
    )
    position: Seconds | None = Field(
        None,
        validate_default=True,
        description="Seconds watched; required for up_next_continue, at most duration.",
    )
    hidden: bool | None = Field(None, description="Omitted keeps the stored value.")

    @field_validator("season", "episode")
    @classmethod
    def _needed_for_episodes(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is None and info.data.get("media_type") == "tv_episode":
            raise ValueError("required when media_type is tv_episode")
        return value

    @field_validator("position")
    @classmethod
    def _within_duration(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is None and info.data.get("action") == "up_next_continue":
            raise ValueError("required when action is up_next_continue")
        duration = info.data.get("duration")
        if value is not None and duration is not None and value > duration:
            raise ValueError("must not exceed duration")
        return value

    def columns(self) -> dict[str, Any]:
        """The stored columns; fields that do not apply to this kind of item are dropped."""
        episode = self.media_type == "tv_episode"
        return {
            "content_id": self.content_id,
            "action": self.action,
            "media_type": self.media_type,
            "title": self.title,
            "description": self.description,
            "season": self.season if episode else None,
            "episode": self.episode if episode else None,
            "poster_art_uri": self.poster_art_uri,
            "poster_art_aspect_ratio": self.poster_art_aspect_ratio,
            "preview_video_uri": self.preview_video_uri,
            "position": self.position if self.action == "up_next_continue" else None,
            "duration": self.duration,
        }


class ItemOut(BaseModel):
    """The List Item Object. Optional fields are omitted, never null."""

    content_id: str
    app_id: str
    context_id: str
    updated_at: str = Field(examples=["2023-12-20T19:02:28.285Z"])
    action: Action
    media_type: MediaType
    title: str
    description: str
    season: int | None = None
    episode: int | None = None
    poster_art_uri: str
    poster_art_aspect_ratio: AspectRatio
    preview_video_uri: str | None = None
    position: int | None = None
    duration: int
    hidden: bool


class SessionItemOut(ItemOut):
    """A List Item Object as a platform sees it, with its platform data and app media."""

    platform_data: dict[str, str | bool | int | float]
    app_media: dict[str, str]


class ContextOut(BaseModel):
    context_id: str = Field(examples=["CX5f0c6a3e9b2d4f718a6c0e2b9d4f7a13"])
    app_id: str
    created_at: str


def render_item(row: Any) -> dict[str, Any]:
    """The List Item Object of a stored row, keys in the reference's order."""
    body: dict[str, Any] = {
        "content_id": row.content_id,
        "app_id": row.app_id,
        "context_id": row.context_id,
        "updated_at": iso(row.updated_at),
        "action": row.action,
        "media_type": row.media_type,
        "title": row.title,
        "description": row.description,
    }
    if row.media_type == "tv_episode":
        body["season"] = row.season
        body["episode"] = row.episode
    body["poster_art_uri"] = row.poster_art_uri
    body["poster_art_aspect_ratio"] = row.poster_art_aspect_ratio
    if row.preview_video_uri is not None:
        body["preview_video_uri"] = row.preview_video_uri
    if row.action == "up_next_continue":
        body["position"] = row.position
    body["duration"] = row.duration
    body["hidden"] = bool(row.hidden)
    return body


# Progress reports (POST /v1/contexts/upnext/{context_id}/progress): the server applies
# the Publisher Guidelines (upnext.guidelines) instead of the publisher.


class NextItemIn(ItemIn):
    """The next episode, written when the reported one is finished."""

    action: Literal["up_next_next", "up_next_new"] = "up_next_next"


class ProgressIn(ItemIn):
    """An item as for PUT, with the viewer's position; the guidelines choose the action."""

    action: Action | None = Field(  # type: ignore[assignment]
        None, description="Accepted for symmetry with PUT; the guidelines choose the action."
    )
    position: Seconds = Field(description="Seconds watched, at most duration.")
    credits_position: Seconds | None = Field(
        None, description="Where the credits begin, if known: reaching it finishes the item."
    )
    next: NextItemIn | None = Field(None, description="The next episode, if there is one.")

    @field_validator("credits_position")
    @classmethod
    def _credits_within_duration(cls, value: int | None, info: ValidationInfo) -> int | None:
        duration = info.data.get("duration")
        if value is not None and duration is not None and value > duration:
            raise ValueError("must not exceed duration")
        return value

    def as_continue(self, position: int) -> ItemIn:
        """The item to store while the viewer is part-way through."""
        fields = self.model_dump(exclude={"credits_position", "next"}, exclude_none=True)
        return ItemIn.model_validate({**fields, "action": "up_next_continue", "position": position})


ProgressResult = Literal["added", "updated", "removed", "next_added", "ignored"]


class ProgressOut(BaseModel):
    """What the server did: ``ignored`` alone when the guidelines asked for nothing."""

    phase: Literal["not_started", "watching", "finished", "unknown"]
    result: list[ProgressResult] = Field(examples=[["removed", "next_added"]])
