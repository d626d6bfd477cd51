"""The reference's Publisher Guidelines as one pure function, shared by the server and the SDK.

An item becomes ``up_next_continue`` once more than 2 minutes or more than 3 % of it was
watched (whichever comes first); it is finished when the credits begin or at most 3 %
remains, and then it leaves the row and the next episode, if there is one, takes its place
as ``up_next_next``. A new episode of a series the user is caught up on is ``up_next_new``.
Nothing here does I/O, so every boundary is tested directly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

__all__ = [
    "DEFAULT",
    "Decision",
    "Phase",
    "Thresholds",
    "decide",
    "new_episode_action",
    "phase_of",
]

Action = Literal["up_next_continue", "up_next_next", "up_next_new", "up_next_watchlist"]


@dataclass(frozen=True)
class Thresholds:
    """When watching starts and ends; each app may tune these (``apps.guidelines``)."""

    start_seconds: int = 120
    start_percent: float = 3.0
    end_percent: float = 3.0

    def __post_init__(self) -> None:
        if self.start_seconds < 0:
            raise ValueError("start_seconds cannot be negative")
        for name in ("start_percent", "end_percent"):
            value = getattr(self, name)
            if not 0 <= value <= 100:
                raise ValueError(f"{name} must be between 0 and 100")

    @classmethod
    def from_json(cls, text: str | None) -> Thresholds:
        """Thresholds stored as a JSON object; ``None`` or ``{}`` means the defaults."""
        if not text:
            return DEFAULT
        data: dict[str, Any] = json.loads(text)
        return cls(**data)

    def to_json(self) -> str:
        return json.dumps(
            {
                "start_seconds": self.start_seconds,
                "start_percent": self.start_percent,
                "end_percent": self.end_percent,
            }
        )


DEFAULT = Thresholds()


class Phase(StrEnum):
    NOT_STARTED = "not_started"
    WATCHING = "watching"
    FINISHED = "finished"
    UNKNOWN = "unknown"
    """Zero or negative duration: nothing can be judged."""


@dataclass(frozen=True)
class Decision:
    """What the guidelines ask for after one progress report."""

    phase: Phase
    keep: bool
    """Write the item as ``up_next_continue`` at ``position``."""
    position: int
    remove: bool
    """Remove the stored item (it was finished)."""
    add_next: bool
    """Add the next episode as ``up_next_next``."""


def phase_of(
    duration: int,
    position: int,
    credits_position: int | None = None,
    thresholds: Thresholds = DEFAULT,
) -> Phase:
    """Where the viewer is: not started, watching, or finished."""
    if duration <= 0:
        return Phase.UNKNOWN
    position = min(max(position, 0), duration)
    remaining = duration - position
    # Compared as products so whole seconds meet exact percentages without rounding.
    if remaining * 100 <= thresholds.end_percent * duration:
        return Phase.FINISHED
    if credits_position is not None and 0 < credits_position <= position:
        return Phase.FINISHED
    started = (
        position > thresholds.start_seconds or position * 100 > thresholds.start_percent * duration
    )
    return Phase.WATCHING if started else Phase.NOT_STARTED


def decide(
    duration: int,
    position: int,
    *,
    credits_position: int | None = None,
    previous: Action | None = None,
    next_available: bool = False,
    thresholds: Thresholds = DEFAULT,
) -> Decision:
    """The changes to the row after the viewer reached ``position`` of ``duration`` seconds.

    ``previous`` is the action of the item as stored now (``None`` when absent). A viewer
    who has not really started leaves any stored item as it is.
    """
    phase = phase_of(duration, position, credits_position, thresholds)
    clamped = min(max(position, 0), max(duration, 0))
    if phase is Phase.WATCHING:
        return Decision(phase, keep=True, position=clamped, remove=False, add_next=False)
    if phase is Phase.FINISHED:
        return Decision(
            phase,
            keep=False,
            position=clamped,
            remove=previous is not None,
            add_next=next_available,
        )
    return Decision(phase, keep=False, position=clamped, remove=False, add_next=False)


def new_episode_action(*, caught_up: bool) -> Action | None:
    """The action for a newly released episode: ``up_next_new`` only for a caught-up viewer."""
    return "up_next_new" if caught_up else None
