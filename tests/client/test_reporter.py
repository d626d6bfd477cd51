"""PlaybackReporter: simulated viewing sessions produce exactly the expected calls.

The clock is fake (a true boundary); the calls go to the real app, whose row is checked.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import given
from hypothesis import strategies as st

from tests.client.conftest import ADMIN_KEY, Live
from tests.factories import make_item
from upnext.client import AsyncPlaybackReporter, AsyncUpNextClient, PlaybackReporter
from upnext.client._reporter import LONG_PAUSE, _Playback
from upnext.guidelines import DEFAULT, Phase, phase_of

DURATION, CREDITS = 2400, 2300
EPISODE = make_item(content_id="ep1", episode=1, duration=DURATION, action=None, position=None)
NEXT = make_item(content_id="ep2", episode=2, action="up_next_next", position=None)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def at(self, seconds: float) -> None:
        self.now = 1000.0 + seconds


class Recording(httpx.AsyncBaseTransport):
    """The app's transport, remembering each progress report sent through it."""

    def __init__(self, app: FastAPI) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.reports: list[int] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/progress"):
            self.reports.append(json.loads(request.content)["position"])
        return await self.inner.handle_async_request(request)


@pytest.fixture
async def publisher(
    app: FastAPI, admin: AsyncUpNextClient
) -> AsyncIterator[tuple[AsyncUpNextClient, Recording]]:
    account = await admin.create_app("Flix")
    key = await admin.create_app_key(account.app_id)
    recording = Recording(app)
    client = AsyncUpNextClient("http://testserver", key.credentials, transport=recording)
    yield client, recording
    await client.aclose()


async def row(client: AsyncUpNextClient) -> list[tuple[str, str, int | None]]:
    return [(i.content_id, i.action, i.position) async for i in client.iter_context("ctx")]


async def test_a_full_viewing_sends_two_calls(
    publisher: tuple[AsyncUpNextClient, Recording],
) -> None:
    client, recording = publisher
    clock = Clock()
    player = AsyncPlaybackReporter(
        client, "ctx", EPISODE, next_item=NEXT, credits_position=CREDITS, clock=clock
    )
    await player.start(0)
    clock.at(30)
    await player.progress(30)
    clock.at(180)
    await player.progress(180)  # watching now, but a tick alone sends nothing
    await player.pause(180)
    assert recording.reports == []

    clock.at(180 + 6 * 60)
    await player.resume(180)  # the pause lasted 6 minutes: report it
    assert recording.reports == [180]
    assert await row(client) == [("ep1", "up_next_continue", 180)]

    for second in range(190, CREDITS, 10):
        clock.at(360 + second)
        await player.progress(second)
    assert recording.reports == [180]

    await player.progress(CREDITS)  # the credits begin: finished
    await player.progress(CREDITS + 30)
    await player.exit(CREDITS + 40)
    assert recording.reports == [180, CREDITS]
    assert [r.result for r in player.results] == [["added"], ["removed", "next_added"]]
    assert await row(client) == [("ep2", "up_next_next", None)]


async def test_short_pauses_send_nothing_and_exit_reports_once(
    publisher: tuple[AsyncUpNextClient, Recording],
) -> None:
    client, recording = publisher
    clock = Clock()
    player = AsyncPlaybackReporter(client, "ctx", EPISODE, clock=clock)
    await player.start(0)
    await player.progress(900)
    await player.pause(900)
    clock.at(4 * 60)
    await player.resume(900)
    await player.progress(1000)
    await player.stop(1000)
    await player.exit(1000)  # same state as the stop: not sent again
    assert recording.reports == [1000]
    assert await row(client) == [("ep1", "up_next_continue", 1000)]


async def test_poll_reports_a_long_pause_once(
    publisher: tuple[AsyncUpNextClient, Recording],
) -> None:
    client, recording = publisher
    clock = Clock()
    player = AsyncPlaybackReporter(client, "ctx", EPISODE, clock=clock)
    await player.start(600)
    await player.pause(700)
    clock.at(299)
    await player.poll()
    assert recording.reports == []
    clock.at(300)
    await player.poll()
    clock.at(900)
    await player.poll()
    assert recording.reports == [700]


async def test_a_viewer_who_never_really_started_is_not_reported(
    publisher: tuple[AsyncUpNextClient, Recording],
) -> None:
    client, recording = publisher
    player = AsyncPlaybackReporter(client, "ctx", EPISODE, clock=Clock())
    await player.start(0)
    await player.progress(60)
    await player.exit(60)
    assert recording.reports == []
    assert player.results == []


async def test_finishing_in_one_go_adds_only_the_next(
    publisher: tuple[AsyncUpNextClient, Recording],
) -> None:
    client, recording = publisher
    player = AsyncPlaybackReporter(client, "ctx", EPISODE, next_item=NEXT, clock=Clock())
    await player.start(0)
    await player.progress(2328)  # exactly 3 % of 2400 remains
    await player.exit()
    assert recording.reports == [2328]
    assert await row(client) == [("ep2", "up_next_next", None)]


@pytest.mark.slow
def test_the_blocking_reporter_against_a_real_server(live: Live) -> None:
    admin = live.client(ADMIN_KEY)
    account = admin.create_app("Flix")
    client = live.client(admin.create_app_key(account.app_id).credentials)
    clock = Clock()
    player = PlaybackReporter(client, "ctx", EPISODE, next_item=NEXT, clock=clock)
    player.start(0)
    player.progress(500)
    player.pause(500)
    clock.at(301)
    player.poll()
    player.progress(2390)
    player.exit(2390)
    results: list[Any] = [r.result for r in player.results]
    assert results == [["added"], ["removed", "next_added"]]
    assert [i.content_id for i in client.iter_context("ctx")] == ["ep2"]


ticks = st.lists(st.integers(-100, 10_000), max_size=60)
# (event, seconds watched since the previous event, seconds of wall clock since it)
events = st.lists(
    st.tuples(
        st.sampled_from(["start", "progress", "pause", "resume", "stop", "exit", "poll"]),
        st.integers(0, 600),
        st.floats(0, 1000),
    ),
    max_size=60,
)


@given(duration=st.integers(0, 5000), positions=ticks)
def test_progress_ticks_alone_send_at_most_the_finish(duration: int, positions: list[int]) -> None:
    playback = _Playback(duration, None, DEFAULT, LONG_PAUSE)
    reports = [playback.event("progress", p, 0.0) for p in positions]
    sent = [r for r in reports if r is not None]
    assert len(sent) <= 1
    assert all(phase_of(duration, r) is Phase.FINISHED for r in sent)


@given(duration=st.integers(0, 5000), credits=st.none() | st.integers(0, 5000), script=events)
def test_a_viewing_sends_one_report_per_pause_or_ending_and_one_finish(
    duration: int, credits: int | None, script: list[tuple[str, int, float]]
) -> None:
    playback = _Playback(duration, credits, DEFAULT, LONG_PAUSE)
    now, position, sent = 0.0, 0, []
    for kind, watched, elapsed in script:
        now, position = now + elapsed, position + watched
        report = playback.event(kind, None if kind == "poll" else position, now)
        if report is not None:
            sent.append(report)
            assert 0 <= report <= duration
    pauses = sum(kind == "pause" for kind, _, _ in script)
    endings = sum(kind in ("stop", "exit") for kind, _, _ in script)
    assert len(sent) <= pauses + endings + 1
