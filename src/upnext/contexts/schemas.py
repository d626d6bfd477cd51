"""Wire format of items and contexts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

import orjson
from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from upnext.identifiers import ClientIdField, ContentIdField
from upnext.kit.models import RequestModel
from upnext.kit.text import AppUri, HttpUri, Storable
from upnext.kit.timestamps import check_iso, iso, now_us, parse_iso
from upnext.readmodel import NO_FILTERS, Filters

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
Instant = Annotated[str, StringConstraints(max_length=64), AfterValidator(check_iso)]
"""An ISO 8601 moment as sent; ``ItemIn.columns`` converts it to microseconds."""
CLOCK_SKEW_US = 86_400_000_000


def _not_far_ahead(value: str) -> str:
    # A device with a clock years ahead would otherwise freeze the item forever.
    if parse_iso(value) > now_us() + CLOCK_SKEW_US:
        raise ValueError("must not be more than 24 hours in the future")
    return value


EventTime = Annotated[Instant, AfterValidator(_not_far_ahead)]
MAX_BATCH = 500
MAX_PLAYBACK_URIS = 16
MAX_MATURITY = 21
PlatformKey = Annotated[str, StringConstraints(pattern=r"^PL[0-9]{18}$")]
SeriesTitle = Annotated[str, StringConstraints(min_length=1, max_length=512), Storable]
ContentRating = Annotated[str, StringConstraints(min_length=1, max_length=32), Storable]
MaturityAge = Annotated[int, Field(ge=0, le=MAX_MATURITY)]
_PLAYBACK_URI = (
    "Starts playback of this item in the publisher's app: an absolute URI of at most 2048 "
    "characters, the app's own scheme or https (javascript, data, file, vbscript and about "
    "are refused)."
)


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
    # Extensions beyond the reference (docs/extensions.md); omitted, nothing changes.
    event_time: EventTime | None = Field(
        None,
        examples=["2024-05-01T20:15:03.120Z"],
        description="When the device observed this state. A write older than the stored "
        "item's event_time is ignored (200 with ignored: stale).",
    )
    expires_at: Instant | None = Field(
        None,
        examples=["2024-06-30T00:00:00Z"],
        description="After this moment the item no longer appears in any list.",
    )
    series_id: ClientIdField | None = Field(
        None,
        examples=["show-colt"],
        description="tv_episode only: groups episodes of one show for per_series=1.",
    )
    # Items a TV can draw and start (docs/extensions.md).
    series_title: SeriesTitle | None = Field(
        None,
        examples=["Lassie"],
        description="tv_episode only (422 on a movie): the show's name; title stays the episode's.",
    )
    playback_uri: AppUri | None = Field(
        None, examples=["flix://play/1iwousk12i008d9"], description=_PLAYBACK_URI
    )
    playback_uris: (
        Annotated[dict[PlatformKey, AppUri], Field(max_length=MAX_PLAYBACK_URIS)] | None
    ) = Field(
        None,
        examples=[{"PL463772054442217472": "https://watch.example.com/play/1iwousk12i008d9"}],
        description="At most 16 platform_id -> URI (same rules as playback_uri): the link "
        "that platform's session lists show instead of playback_uri.",
    )
    content_rating: ContentRating | None = Field(
        None, examples=["TV-14"], description="The rating as the publisher shows it (1-32)."
    )
    maturity_age: MaturityAge | None = Field(
        None,
        examples=[14],
        description="0-21: the minimum viewer age the rating means; the max_maturity filter "
        "reads it.",
    )
    available_from: Instant | None = Field(
        None,
        examples=["2024-06-01T00:00:00Z"],
        description="Until this moment the item is left out of the session lists (the "
        "publisher's own list shows it). Must be before expires_at.",
    )

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

    @field_validator("series_title")
    @classmethod
    def _episodes_only(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("media_type") == "movie":
            raise ValueError("only for media_type tv_episode")
        return value

    @field_validator("available_from")
    @classmethod
    def _before_expiry(cls, value: str | None, info: ValidationInfo) -> str | None:
        expires_at = info.data.get("expires_at")
        if (
            value is not None
            and expires_at is not None
            and parse_iso(value) >= parse_iso(expires_at)
        ):
            raise ValueError("must be before expires_at")
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
            "event_time": _us(self.event_time),
            "expires_at": _us(self.expires_at),
            "series_id": self.series_id if episode else None,
            "series_title": self.series_title,
            "content_rating": self.content_rating,
            "maturity_age": self.maturity_age,
            "available_from": _us(self.available_from),
            "playback_uri": self.playback_uri,
            # An empty object is no override at all: stored as none, shown as none.
            "playback_uris": orjson.dumps(self.playback_uris).decode()
            if self.playback_uris
            else None,
        }


def _us(moment: str | None) -> int | None:
    return None if moment is None else parse_iso(moment)


class _ItemFields(BaseModel):
    """The List Item Object's fields common to both lists."""

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
    # Extensions (docs/extensions.md): present only on items written with them.
    event_time: str | None = Field(
        None, examples=["2024-05-01T20:15:03.120Z"], description="Extension: only when written."
    )
    expires_at: str | None = Field(
        None, examples=["2024-06-30T00:00:00.000Z"], description="Extension: only when written."
    )
    series_id: str | None = Field(
        None, examples=["show-colt"], description="Extension: only when written."
    )
    series_title: str | None = Field(
        None, examples=["Lassie"], description="Extension: only when written."
    )
    content_rating: str | None = Field(
        None, examples=["TV-14"], description="Extension: only when written."
    )
    maturity_age: int | None = Field(
        None, examples=[14], description="Extension: only when written."
    )
    available_from: str | None = Field(
        None, examples=["2024-06-01T00:00:00.000Z"], description="Extension: only when written."
    )


class ItemOut(_ItemFields):
    """The List Item Object. Optional fields are omitted, never null."""

    playback_uri: str | None = Field(
        None, examples=["flix://play/1iwousk12i008d9"], description="Extension: as written."
    )
    playback_uris: dict[str, str] | None = Field(
        None,
        examples=[{"PL463772054442217472": "https://watch.example.com/play/1iwousk12i008d9"}],
        description="Extension: as written.",
    )


class SessionItemOut(_ItemFields):
    """A List Item Object as a platform sees it, with its platform data and app media."""

    playback_uri: str | None = Field(
        None,
        examples=["flix://play/1iwousk12i008d9"],
        description="Extension: the link written for the calling platform, else the item's "
        "playback_uri; omitted when neither was written. Other platforms' links never appear.",
    )
    platform_data: dict[str, str | bool | int | float]
    app_media: dict[str, str]


class ContextOut(BaseModel):
    context_id: str = Field(examples=["CX5f0c6a3e9b2d4f718a6c0e2b9d4f7a13"])
    app_id: str
    created_at: str


def render_item(values: Mapping[str, Any]) -> bytes:
    """The List Item Object of an item's stored columns as JSON, keys in the
    reference's order. Run once per write: lists splice the stored text (upnext.readmodel)."""
    media_type, action = values["media_type"], values["action"]
    body: dict[str, Any] = {
        "content_id": values["content_id"],
        "app_id": values["app_id"],
        "context_id": values["context_id"],
        "updated_at": iso(values["updated_at"]),
        "action": action,
        "media_type": media_type,
        "title": values["title"],
        "description": values["description"],
    }
    if media_type == "tv_episode":
        body["season"] = values.get("season")
        body["episode"] = values.get("episode")
    body["poster_art_uri"] = values["poster_art_uri"]
    body["poster_art_aspect_ratio"] = values["poster_art_aspect_ratio"]
    if values.get("preview_video_uri") is not None:
        body["preview_video_uri"] = values["preview_video_uri"]
    if action == "up_next_continue":
        body["position"] = values.get("position")
    body["duration"] = values["duration"]
    body["hidden"] = bool(values["hidden"])
    # Extensions appear only on items written with them, so reference clients see no change.
    if values.get("event_time") is not None:
        body["event_time"] = iso(values["event_time"])
    if values.get("expires_at") is not None:
        body["expires_at"] = iso(values["expires_at"])
    if values.get("series_id") is not None:
        body["series_id"] = values["series_id"]
    for name in ("series_title", "content_rating", "maturity_age"):
        if values.get(name) is not None:
            body[name] = values[name]
    if values.get("available_from") is not None:
        body["available_from"] = iso(values["available_from"])
    # playback_uri(s) are per platform: spliced by the read model, never stored here.
    return orjson.dumps(body)


# The list filters (docs/extensions.md), one definition for the session lists' query
# model and the publisher's list.
_ACTION = "(up_next_continue|up_next_next|up_next_new|up_next_watchlist)"
ACTION_FILTER_PATTERN = f"^{_ACTION}(,{_ACTION})*$"
ActionFilter = Annotated[
    str | None,
    Field(
        None,
        pattern=ACTION_FILTER_PATTERN,
        description="Extension: a comma-separated subset of the four actions; only those "
        "are listed.",
        examples=["up_next_continue,up_next_next"],
    ),
]
MediaTypeFilter = Annotated[
    MediaType | None,
    Field(None, description="Extension: only items of this media_type.", examples=["movie"]),
]
MaturityFilter = Annotated[
    int | None,
    Field(
        None,
        ge=0,
        le=MAX_MATURITY,
        description="Extension (0-21): leaves out items whose maturity_age is above it.",
        examples=[7],
    ),
]
UnratedFilter = Annotated[
    Literal["include", "exclude"],
    Field(
        "include",
        description="Extension: whether items without maturity_age are listed "
        "(a kids profile reads max_maturity=7&unrated=exclude).",
        examples=["exclude"],
    ),
]


def list_filters(
    action: str | None, media_type: str | None, max_maturity: int | None, unrated: str
) -> Filters:
    """The read model's filters of validated query values."""
    actions = tuple(sorted(set(action.split(",")))) if action else ()
    found = Filters(actions, media_type, max_maturity, unrated == "include")
    return NO_FILTERS if found == NO_FILTERS else found  # the unfiltered list's fast shape


_ITEMS_EXAMPLE = [
    {
        "content_id": "1iwousk12i008d9",
        "media_type": "movie",
        "action": "up_next_next",
        "title": "The Colt",
        "description": "Jeff ignores Lassie when Gramps brings home a new colt.",
        "poster_art_uri": "https://media.example.com/thumb.png",
        "poster_art_aspect_ratio": "aspect_ratio_16_9",
        "duration": 1308,
    }
]


class ReplaceIn(RequestModel):
    """The whole list of a context: stored items absent from it are removed."""

    items: list[ItemIn] = Field(
        max_length=MAX_BATCH, examples=[_ITEMS_EXAMPLE], description="At most 500 items."
    )


class BatchIn(RequestModel):
    """Up to 500 changes applied in one transaction."""

    upsert: list[ItemIn] = Field(default_factory=list, examples=[_ITEMS_EXAMPLE])
    delete: list[ContentIdField] = Field(default_factory=list, examples=[["old-episode-3"]])


STALE = {"message": "Success", "ignored": "stale"}


def bulk_result(stale: list[str]) -> dict[str, Any]:
    """``Success``, naming the items ignored as stale when there are any."""
    return {"message": "Success", "stale": stale} if stale else {"message": "Success"}


class WriteResult(BaseModel):
    """``Success``; ``ignored``/``stale`` name writes older than the stored event_time."""

    message: str = "Success"
    ignored: Literal["stale"] | None = Field(None, examples=["stale"])
    stale: list[str] | None = Field(None, examples=[["1iwousk12i008d9"]])


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
