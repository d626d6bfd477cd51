"""``PlaybackReporter``: feed it the player's events; it reports only what the guidelines need.

A report is sent on exit (or stop), when a pause has lasted 5 minutes, and once when the
viewer finishes (credits or the last 3 %); progress ticks alone never send anything, and a
viewer who has not really started (2 minutes or 3 %) is not reported at all. Each report
is one ``POST .../progress``: the server applies the same guidelines to the stored row.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from upnext.client._async_client import AsyncUpNextClient
from upnext.client._client import UpNextClient
from upnext.client._models import Item, ProgressResult
from upnext.guidelines import DEFAULT, Phase, Thresholds, phase_of

LONG_PAUSE = 300.0


class _Playback:
    """The pure part: which event makes a report due, and at what position."""

    def __init__(
        self, duration: int, credits_position: int | None, thresholds: Thresholds, long_pause: float
    ) -> None:
        self.duration = duration
        self.credits_position = credits_position
        self.thresholds = thresholds
        self.long_pause = long_pause
        self.position = 0
        self.paused_at: float | None = None
        self.pause_reported = False
        self.last: tuple[Phase, int] | None = None

    def event(self, kind: str, position: int | None, now: float) -> int | None:
        """The position to report after this event, or None when nothing is due."""
        if position is not None:
            self.position = max(0, min(position, max(self.duration, 0)))
        due = kind in ("stop", "exit") or self._pause_expired(now)
        if kind in ("start", "progress", "resume"):
            self.paused_at = None
        elif kind == "pause" and self.paused_at is None:
            self.paused_at, self.pause_reported = now, False
        phase = phase_of(self.duration, self.position, self.credits_position, self.thresholds)
        due = due or phase is Phase.FINISHED
        if not due or phase in (Phase.NOT_STARTED, Phase.UNKNOWN):
            return None
        # The same state twice is one report; "finished" is reported once whatever the position.
        state = (phase, self.position if phase is Phase.WATCHING else -1)
        if state == self.last:
            return None
        self.last = state
        return self.position

    def _pause_expired(self, now: float) -> bool:
        if self.paused_at is None or self.pause_reported:
            return False
        if now - self.paused_at < self.long_pause:
            return False
        self.pause_reported = True
        return True


def _progress_body(
    item: Item | Mapping[str, Any],
    position: int,
    credits_position: int | None,
    next_item: Item | Mapping[str, Any] | None,
) -> dict[str, Any]:
    fields = item.model_dump(exclude_none=True) if isinstance(item, BaseModel) else dict(item)
    for dropped in ("action", "position"):
        fields.pop(dropped, None)
    body: dict[str, Any] = {**fields, "position": position}
    if credits_position is not None:
        body["credits_position"] = credits_position
    if next_item is not None:
        body["next"] = next_item
    return body


C = TypeVar("C", UpNextClient, AsyncUpNextClient)


class _Reporter(Generic[C]):
    def __init__(
        self,
        client: C,
        context_id: str,
        item: Item | Mapping[str, Any],
        *,
        next_item: Item | Mapping[str, Any] | None = None,
        credits_position: int | None = None,
        thresholds: Thresholds = DEFAULT,
        long_pause: float = LONG_PAUSE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        duration = item.duration if isinstance(item, Item) else int(item["duration"])
        self._client: C = client
        self.context_id = context_id
        self.item = item
        self.next_item = next_item
        self.credits_position = credits_position
        self.results: list[ProgressResult] = []
        """The server's answer to each report sent, in order."""
        self._playback = _Playback(duration, credits_position, thresholds, long_pause)
        self._clock = clock

    def _due(self, kind: str, position: int | None) -> dict[str, Any] | None:
        report = self._playback.event(kind, position, self._clock())
        if report is None:
            return None
        return _progress_body(self.item, report, self.credits_position, self.next_item)


class PlaybackReporter(_Reporter[UpNextClient]):
    """Reports one viewing of ``item`` to ``context_id`` through an ``UpNextClient``.

    Call ``poll()`` from a timer while the player is paused so that a long pause is
    reported even if no other event follows.
    """

    def _on(self, kind: str, position: int | None) -> None:
        body = self._due(kind, position)
        if body is not None:
            self.results.append(self._client.report_progress(self.context_id, body))

    def start(self, position: int = 0) -> None:
        self._on("start", position)

    def progress(self, position: int) -> None:
        self._on("progress", position)

    def pause(self, position: int) -> None:
        self._on("pause", position)

    def resume(self, position: int) -> None:
        self._on("resume", position)

    def stop(self, position: int) -> None:
        self._on("stop", position)

    def exit(self, position: int | None = None) -> None:
        self._on("exit", position)

    def poll(self) -> None:
        self._on("poll", None)


class AsyncPlaybackReporter(_Reporter[AsyncUpNextClient]):
    """``PlaybackReporter`` for an ``AsyncUpNextClient``."""

    async def _on(self, kind: str, position: int | None) -> None:
        body = self._due(kind, position)
        if body is not None:
            self.results.append(await self._client.report_progress(self.context_id, body))

    async def start(self, position: int = 0) -> None:
        await self._on("start", position)

    async def progress(self, position: int) -> None:
        await self._on("progress", position)

    async def pause(self, position: int) -> None:
        await self._on("pause", position)

    async def resume(self, position: int) -> None:
        await self._on("resume", position)

    async def stop(self, position: int) -> None:
        await self._on("stop", position)

    async def exit(self, position: int | None = None) -> None:
        await self._on("exit", position)

    async def poll(self) -> None:
        await self._on("poll", None)
