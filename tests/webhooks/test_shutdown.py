"""A stopping worker lets attempts in flight finish, and gives back what cannot finish."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from tests.webhooks.receiver import receiving
from tests.webhooks.scene import make_scene
from upnext.db.tables import webhook_deliveries
from upnext.settings import Settings
from upnext.webhooks.worker import Worker


async def _stop_during_attempt(
    app: FastAPI, settings: Settings, receiver: Any, drain_seconds: float
) -> dict[str, Any]:
    worker = Worker(app.state.db, settings, drain_seconds=drain_seconds)
    task = asyncio.create_task(worker.run())
    await receiver.wait_for(1)  # the attempt is waiting for the receiver's answer
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    async with app.state.db.read() as conn:
        row = (await conn.execute(select(webhook_deliveries))).mappings().one()
    return dict(row)


async def test_stop_waits_for_an_attempt_in_flight(
    quiet: tuple[FastAPI, httpx.AsyncClient], settings: Settings
) -> None:
    app, client = quiet
    with receiving(delay=1) as receiver:
        scene = await make_scene(client, receiver.url)
        await scene.hide()
        row = await _stop_during_attempt(app, settings, receiver, drain_seconds=10)
    assert (row["status"], row["attempt_count"], row["claimed_until"]) == ("delivered", 1, None)


async def test_stop_gives_back_the_lease_of_an_attempt_that_cannot_finish(
    quiet: tuple[FastAPI, httpx.AsyncClient], settings: Settings
) -> None:
    # Without this, the next worker would wait for the lease to run out.
    app, client = quiet
    with receiving(delay=5) as receiver:
        scene = await make_scene(client, receiver.url)
        await scene.hide()
        row = await _stop_during_attempt(app, settings, receiver, drain_seconds=0.2)
    assert (row["status"], row["attempt_count"], row["claimed_until"]) == ("pending", 0, None)
