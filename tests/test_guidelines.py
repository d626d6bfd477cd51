"""The Publisher Guidelines at every boundary, and properties over all inputs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from upnext.guidelines import (
    DEFAULT,
    Phase,
    Thresholds,
    decide,
    new_episode_action,
    phase_of,
)

LONG = 7200  # 3 % is 216 s: the 2-minute rule comes first
SHORT = 1000  # 3 % is 30 s: the 3 % rule comes first


@pytest.mark.parametrize(
    ("duration", "position", "credits", "expected"),
    [
        (LONG, 0, None, Phase.NOT_STARTED),
        (LONG, 119, None, Phase.NOT_STARTED),
        (LONG, 120, None, Phase.NOT_STARTED),  # "more than 2 min"
        (LONG, 121, None, Phase.WATCHING),
        (SHORT, 29, None, Phase.NOT_STARTED),  # 2.9 %
        (SHORT, 30, None, Phase.NOT_STARTED),  # exactly 3 %
        (SHORT, 31, None, Phase.WATCHING),  # 3.1 %
        (SHORT, 969, None, Phase.WATCHING),  # 3.1 % remains
        (SHORT, 970, None, Phase.FINISHED),  # exactly 3 % remains
        (SHORT, 971, None, Phase.FINISHED),  # 2.9 % remains
        (SHORT, SHORT, None, Phase.FINISHED),
        (LONG, 6983, None, Phase.WATCHING),  # 217 s left: more than 3 % (216 s)
        (LONG, 6984, None, Phase.FINISHED),
        (LONG, 6000, 6001, Phase.WATCHING),  # one second before the credits
        (LONG, 6001, 6001, Phase.FINISHED),  # credits begin
        (LONG, 6000, None, Phase.WATCHING),  # unknown credits: only the 3 % rule
        (LONG, 60, 50, Phase.FINISHED),  # credits are credits, even early
        (0, 0, None, Phase.UNKNOWN),  # zero-length
        (0, 10, 5, Phase.UNKNOWN),
        (-5, 1, None, Phase.UNKNOWN),
        (SHORT, -3, None, Phase.NOT_STARTED),  # a negative position counts as 0
        (SHORT, 5000, None, Phase.FINISHED),  # beyond the end counts as the end
    ],
)
def test_phase_boundaries(
    duration: int, position: int, credits: int | None, expected: Phase
) -> None:
    assert phase_of(duration, position, credits) is expected


@pytest.mark.parametrize(
    ("position", "previous", "next_available", "keep", "remove", "add_next"),
    [
        (10, None, False, False, False, False),  # barely started: nothing to write
        (10, "up_next_next", True, False, False, False),  # a stored item stays as it is
        (121, None, False, True, False, False),
        (121, "up_next_next", True, True, False, False),  # started the next episode
        (7000, "up_next_continue", True, False, True, True),
        (7000, "up_next_continue", False, False, True, False),
        (7000, None, True, False, False, True),  # finished in one go: only the next
        (7000, None, False, False, False, False),
    ],
)
def test_decisions(
    position: int,
    previous: str | None,
    next_available: bool,
    keep: bool,
    remove: bool,
    add_next: bool,
) -> None:
    decision = decide(LONG, position, previous=previous, next_available=next_available)  # type: ignore[arg-type]
    assert (decision.keep, decision.remove, decision.add_next) == (keep, remove, add_next)


def test_zero_length_changes_nothing() -> None:
    decision = decide(0, 0, previous="up_next_continue", next_available=True)
    assert decision.phase is Phase.UNKNOWN
    assert not (decision.keep or decision.remove or decision.add_next)


def test_thresholds_are_configurable() -> None:
    trakt = Thresholds(start_seconds=0, start_percent=0.0, end_percent=20.0)
    assert phase_of(100, 1, thresholds=trakt) is Phase.WATCHING
    assert phase_of(100, 80, thresholds=trakt) is Phase.FINISHED
    assert phase_of(100, 79, thresholds=trakt) is Phase.WATCHING


def test_thresholds_round_trip_through_json() -> None:
    custom = Thresholds(start_seconds=60, start_percent=5.0, end_percent=10.0)
    assert Thresholds.from_json(custom.to_json()) == custom
    assert Thresholds.from_json(None) is DEFAULT
    assert Thresholds.from_json("{}") == DEFAULT


@pytest.mark.parametrize(
    "bad", [{"start_seconds": -1}, {"start_percent": 101.0}, {"end_percent": -0.5}]
)
def test_thresholds_out_of_range_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r"must be|cannot be"):
        Thresholds(**bad)  # type: ignore[arg-type]


def test_new_episode_is_up_next_new_only_when_caught_up() -> None:
    assert new_episode_action(caught_up=True) == "up_next_new"
    assert new_episode_action(caught_up=False) is None


thresholds = st.builds(
    Thresholds,
    start_seconds=st.integers(0, 10_000),
    start_percent=st.floats(0, 100),
    end_percent=st.floats(0, 100),
)
previous = st.sampled_from([None, "up_next_continue", "up_next_next", "up_next_new"])


@given(
    duration=st.integers(-10, 10**7),
    position=st.integers(-10, 2 * 10**7),
    credits=st.none() | st.integers(0, 10**7),
    previous=previous,
    next_available=st.booleans(),
    limits=thresholds,
)
def test_never_both_finished_and_kept(
    duration: int,
    position: int,
    credits: int | None,
    previous: str | None,
    next_available: bool,
    limits: Thresholds,
) -> None:
    decision = decide(
        duration,
        position,
        credits_position=credits,
        previous=previous,  # type: ignore[arg-type]
        next_available=next_available,
        thresholds=limits,
    )
    assert not (decision.keep and (decision.remove or decision.phase is Phase.FINISHED))
    assert decision.keep == (decision.phase is Phase.WATCHING)
    assert not decision.add_next or decision.phase is Phase.FINISHED
    assert 0 <= decision.position <= max(duration, 0)


@given(duration=st.integers(1, 10**7), data=st.data())
def test_watching_further_never_unfinishes(duration: int, data: st.DataObject) -> None:
    earlier = data.draw(st.integers(0, duration))
    later = data.draw(st.integers(earlier, duration))
    order = [Phase.NOT_STARTED, Phase.WATCHING, Phase.FINISHED]
    assert order.index(phase_of(duration, earlier)) <= order.index(phase_of(duration, later))
