"""Jobs that run beside the HTTP server in every ``upnext serve`` process.

Each job is a coroutine started at start-up and cancelled at shutdown; add new ones to
``JOBS``. A job must survive database outages by itself (log, wait, retry).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from upnext.db.engine import Database
from upnext.retention import purge_job
from upnext.settings import Settings
from upnext.snoozes import snooze_job
from upnext.webhooks.worker import deliver_webhooks

log = logging.getLogger("upnext.background")

Job = Callable[[Database, Settings], Awaitable[None]]

JOBS: list[Job] = [deliver_webhooks, purge_job, snooze_job]


def start(db: Database, settings: Settings) -> list[asyncio.Task[None]]:
    return [asyncio.create_task(_guarded(job, db, settings)) for job in JOBS]


async def stop(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _guarded(job: Job, db: Database, settings: Settings) -> None:
    name = getattr(job, "__name__", repr(job))
    while True:
        try:
            await job(db, settings)
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background job %s failed; restarting in 1 s", name)
            await asyncio.sleep(1)
