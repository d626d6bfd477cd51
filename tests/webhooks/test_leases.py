"""Claim leases are short and renewed while their attempt runs: a slow attempt is never
taken over, and a worker that stops renewing loses its lease without recording twice."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from tests.webhooks.receiver import Receiver, receiving
from tests.webhooks.scene import make_scene
from upnext.db.engine import Database
from upnext.db.tables import webhook_deliveries
from upnext.kit.timestamps import now_us
from upnext.settings import Settings
from upnext.webhooks.worker import Worker

LEASE = 1.0  # seconds: short, so that a lease that is not renewed runs out soon


@asynccontextmanager
async def _running(workers: Sequence[Worker]) -> AsyncIterator[None]:
    tasks = [asyncio.create_task(worker.run()) for worker in workers]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _claimed_until(db: Database) -> int | None:
    async with db.read() as conn:
        value: int | None = await conn.scalar(select(webhook_deliveries.c.claimed_until))
    return value


async def _renewals(db: Database, first: int, within: float = 15.0) -> list[int]:
    """The row's leases after ``first``, watched until ``first`` ended a whole lease ago
    (so that any worker has had many polls to take the delivery over, had it been due)."""
    seen = [first]
    deadline = time.monotonic() + within
    while now_us() < first + LEASE * 1_000_000:
        assert time.monotonic() < deadline, f"still watching: {seen}"
        value = await _claimed_until(db)
        assert value is not None, "the lease was given up while the attempt runs"
        if value != seen[-1]:
            seen.append(value)
        await asyncio.sleep(0.02)
    return seen[1:]


async def test_a_lease_renewed_during_a_slow_attempt_is_not_taken_by_another_worker(
    quiet: tuple[FastAPI, httpx.AsyncClient], settings: Settings
) -> None:
    app, client = quiet
    db: Database = app.state.db
    workers = [Worker(db, settings, lease_seconds=LEASE, renew_seconds=0.2) for _ in range(2)]
    receiver: Receiver
    with receiving() as receiver:
        receiver.hold()  # the attempt outlives its lease many times over
        scene = await make_scene(client, receiver.url)
        await scene.hide()
        async with _running(workers):
            await receiver.wait_for(1)
            first = await _claimed_until(db)
            assert first is not None
            renewals = await _renewals(db, first)
            assert len(renewals) >= 5  # every 0.2 s
            now = await _claimed_until(db)
            holders = [w for w in workers if any(c.claim == now for c in w.claims.values())]
            assert len(holders) == 1  # the worker that made the attempt holds it still
            receiver.release()
            (delivery,) = await scene.wait_until("delivered")
        assert await _claimed_until(db) is None
    assert renewals == sorted(renewals)  # each lease ends later than the one before
    assert len(receiver.received) == 1  # never sent twice
    assert [a["status_code"] for a in delivery["attempts"]] == [200]


async def test_a_worker_that_stops_renewing_loses_its_lease_and_records_nothing(
    quiet: tuple[FastAPI, httpx.AsyncClient], settings: Settings
) -> None:
    # The first worker never renews (as if its database writes stalled): its lease runs
    # out mid-attempt, the second worker sends the delivery again, and of the two
    # attempts only the second one's outcome is recorded.
    app, client = quiet
    db: Database = app.state.db
    stalled = Worker(db, settings, lease_seconds=LEASE, renew_seconds=3600)
    healthy = Worker(db, settings, lease_seconds=LEASE, renew_seconds=0.2)
    with receiving() as receiver:
        receiver.hold()
        scene = await make_scene(client, receiver.url)
        await scene.hide()
        async with _running([stalled]):
            await receiver.wait_for(1)
            async with _running([healthy]):
                await receiver.wait_for(2)  # the lease ran out: sent again, same webhook-id
                receiver.release()
                (delivery,) = await scene.wait_until("delivered")
                await _until(lambda: not stalled.tasks and not healthy.tasks)
    first, second = receiver.received
    assert first.webhook_id == second.webhook_id == delivery["webhook_id"]
    assert [a["status_code"] for a in delivery["attempts"]] == [200]  # one outcome only


async def _until(condition: object, within: float = 15.0) -> None:
    assert callable(condition)
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def test_leases_are_renewed_while_a_stopping_worker_drains(
    quiet: tuple[FastAPI, httpx.AsyncClient], settings: Settings
) -> None:
    app, client = quiet
    db: Database = app.state.db
    stopping = Worker(db, settings, lease_seconds=LEASE, renew_seconds=0.2, drain_seconds=10)
    other = Worker(db, settings, lease_seconds=LEASE, renew_seconds=0.2)
    with receiving() as receiver:
        receiver.hold()
        scene = await make_scene(client, receiver.url)
        await scene.hide()
        task = asyncio.create_task(stopping.run())
        await receiver.wait_for(1)
        task.cancel()  # SIGTERM: the attempt in flight may finish
        async with _running([other]):
            first = await _claimed_until(db)
            assert first is not None
            assert await _renewals(db, first)  # past the lease it had when the stop began
            receiver.release()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            (delivery,) = await scene.wait_until("delivered")
    assert len(receiver.received) == 1
    assert [a["status_code"] for a in delivery["attempts"]] == [200]
