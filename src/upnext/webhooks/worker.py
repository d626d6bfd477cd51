"""The delivery worker: claims due deliveries, sends them outside any transaction, records
each attempt. Runs inside every ``upnext serve`` and alone as ``upnext worker``.

Several workers (processes) share the queue safely: a claim is a lease (``claimed_until``)
taken with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL or under SQLite's single writer, and
an outcome is recorded only while the worker's own lease still holds it. The lease is
short (10 s) and renewed every 3 s while its attempt runs (up to 15 s), so a lease that
has run out means its worker died (or lost the database for longer than a lease): another
worker then sends the delivery again, soon, with the same ``webhook-id`` (at-least-once).

The value of ``claimed_until`` is also the lease's fencing token: every write of a lease
holder (renew, record, release) is conditional on the row still holding the token it last
wrote, and each new value is later than the one before, so a worker that lost its lease
can never write over another's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
import time
import weakref
from collections import Counter
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import RowMapping

from upnext import metrics
from upnext.db.engine import Database
from upnext.kit.timestamps import now_us
from upnext.settings import Settings
from upnext.webhooks import repository as repo
from upnext.webhooks import sender, signing
from upnext.webhooks.retries import Outcome, judge

log = logging.getLogger("upnext.webhooks")

# How often an idle worker looks for due deliveries (one indexed read). Events queued in
# its own process wake it as soon as they commit (``queued``), so polling only finds those
# of other processes and retries coming due.
POLL_SECONDS = 0.25
PARK_SECONDS = 1.0  # how often it parks the deliveries of owners that cannot receive
# A claim's lease, renewed while its attempt runs: after a crash, another worker may send
# the delivery again this long after the last renewal. A renewal every 3 s gives three
# chances to extend a lease before it runs out, one commit per period for all of them.
LEASE_SECONDS = 10.0
RENEW_SECONDS = 3.0
MAX_IN_FLIGHT = 32  # attempts at once in this process, over all endpoints
MAX_PER_ENDPOINT = 4  # attempts at once to one owner's endpoint: a slow one cannot stall others
CANDIDATES = 200  # due deliveries read per poll, to choose from with room per endpoint
# On shutdown (SIGTERM), attempts in flight get this long to finish and be recorded: more
# than the 15 s an attempt may take, so a graceful stop never interrupts a sound attempt.
DRAIN_SECONDS = 20.0
STOP_RENEWING_SECONDS = 5.0  # for a renewal under way when the drain ends
METRIC_OUTCOMES = {"delivered": "delivered", "pending": "retry", "failed": "failed"}


_running: weakref.WeakSet[Worker] = weakref.WeakSet()


@dataclass
class _Lease:
    """Our claim on one delivery whose attempt is running."""

    claim: int  # the claimed_until we last wrote and saw committed: our fencing token
    recording: bool = False  # its outcome is being written: renewals leave it alone
    lost: bool = False  # a renewal found another claim (or none): the lease is gone


def queued() -> None:
    """Wake this process's workers: a webhook event has just been committed."""
    for worker in _running:
        worker.wake.set()


class Worker:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        drain_seconds: float = DRAIN_SECONDS,
        lease_seconds: float = LEASE_SECONDS,
        renew_seconds: float = RENEW_SECONDS,
    ) -> None:
        self.db = db
        self.drain_seconds = drain_seconds
        self.lease_us = int(lease_seconds * 1_000_000)
        self.renew_seconds = renew_seconds
        self.schedule = settings.retry_schedule
        self.allow_private = settings.webhook_allow_private
        self.in_flight: Counter[str] = Counter()  # owner id -> attempts running
        self.claims: dict[str, _Lease] = {}  # delivery_id -> our lease on it
        self.tasks: set[asyncio.Task[None]] = set()
        self.wake = asyncio.Event()  # set when an attempt ends or an event is queued
        # Held while a renewal is written: an outcome waits for it, so that it is written
        # with the token the renewal left (not one the renewal has just replaced).
        self.renewing = asyncio.Lock()
        self.stopping = asyncio.Event()  # set on shutdown, once the drain is over

    async def run(self) -> None:
        """Deliver until cancelled; then let attempts in flight finish (up to
        ``drain_seconds``) and give back the leases of any that did not."""
        _running.add(self)
        async with sender.new_client() as client:
            renewer = asyncio.create_task(self._keep_leases())
            try:
                parked_at = 0.0
                while True:
                    try:
                        if time.monotonic() - parked_at > PARK_SECONDS:
                            await self._park()
                            parked_at = time.monotonic()
                        started = await self.tick(client)
                    except Exception:
                        # The database is away: keep the attempts in flight, try again soon.
                        log.exception("webhook worker could not claim; retrying in 1 s")
                        await asyncio.sleep(1)
                        continue
                    if not started:
                        await self._idle()
            finally:
                _running.discard(self)
                try:
                    await self._stop(renewer)
                finally:
                    renewer.cancel()  # if the stop itself was interrupted

    async def tick(self, client: httpx.AsyncClient) -> int:
        """Claim what is due and has room, and start sending it; how many were started."""
        free = MAX_IN_FLIGHT - len(self.tasks)
        if free <= 0:
            return 0
        rows, claim = await self._claim(free)
        if not rows:
            return 0
        owner_ids = {row["owner_id"] for row in rows}
        async with self.db.read() as conn:
            urls = await repo.endpoints_of(conn, owner_ids)
            keys = await repo.active_secrets(conn, owner_ids, now_us())
        unsent = []
        for row in rows:
            owner_id = row["owner_id"]
            if owner_id not in urls or not keys.get(owner_id):
                unsent.append(row["delivery_id"])  # its configuration changed meanwhile
                continue
            self._start(client, row, urls[owner_id], keys[owner_id], claim)
        if unsent:
            async with self.db.write() as conn:
                await repo.release(conn, unsent, claim)
        return len(rows) - len(unsent)

    async def _claim(self, free: int) -> tuple[list[RowMapping], int]:
        now = now_us()
        busy = [owner for owner in self.in_flight if self._room(owner) <= 0]
        async with self.db.read() as conn:
            candidates = await repo.due(conn, now, CANDIDATES, busy)
        chosen = self._choose(candidates, free)
        if not chosen:
            return [], 0
        claim = self._new_claim(now)
        async with self.db.write() as conn:
            return await repo.claim_due(conn, chosen, now, claim), claim

    def _new_claim(self, now: int) -> int:
        """A lease's end, and its token: later than any lease this row had before (the row
        was due, so its last lease ended before ``now``; a renewal comes a period after
        the claim it replaces), so never one another worker holds."""
        return now + self.lease_us + secrets.randbelow(1_000)

    async def _keep_leases(self) -> None:
        """Renew the leases of the attempts in flight every ``renew_seconds``."""
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.renew_seconds):
                    await self.stopping.wait()
            if self.stopping.is_set():
                return
            try:
                await self._renew()
            except Exception:
                # Tried again next period; the lease runs out if the database stays away.
                log.exception("could not renew the webhook leases")

    async def _renew(self) -> None:
        async with self.renewing:
            leases = {
                delivery_id: lease
                for delivery_id, lease in self.claims.items()
                if not lease.recording and not lease.lost
            }
            if not leases:
                return
            claim = self._new_claim(now_us())
            async with self.db.write() as conn:
                renewed = await repo.renew(
                    conn, {delivery_id: lease.claim for delivery_id, lease in leases.items()}, claim
                )
            # Only now, committed: a renewal that failed leaves the token as it was.
            for delivery_id, lease in leases.items():
                if delivery_id in renewed:
                    lease.claim = claim
                else:
                    lease.lost = True
                    log.warning("webhook %s: lease lost while its attempt runs", delivery_id)

    def _choose(self, candidates: list[RowMapping], free: int) -> list[str]:
        """Oldest due first, no more per endpoint than it has room for."""
        room = {row["owner_id"]: self._room(row["owner_id"]) for row in candidates}
        chosen: list[str] = []
        for row in candidates:
            if len(chosen) == free:
                break
            if room[row["owner_id"]] > 0:
                room[row["owner_id"]] -= 1
                chosen.append(row["delivery_id"])
        return chosen

    async def _park(self) -> None:
        async with self.db.read() as conn:
            owner_ids = await repo.owners_to_park(conn, now_us())
        if not owner_ids:
            return
        async with self.db.write() as conn:
            await repo.lock_owners(conn, owner_ids)
            await repo.park(conn, owner_ids, now_us())

    def _room(self, owner_id: str) -> int:
        return MAX_PER_ENDPOINT - self.in_flight[owner_id]

    async def _idle(self) -> None:
        """Wait for the next poll, or less if an attempt ends and frees room."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(POLL_SECONDS):
                await self.wake.wait()
        self.wake.clear()

    def _start(
        self, client: httpx.AsyncClient, row: RowMapping, url: str, keys: list[str], claim: int
    ) -> None:
        delivery_id, owner_id = row["delivery_id"], row["owner_id"]
        self.in_flight[owner_id] += 1
        lease = self.claims[delivery_id] = _Lease(claim)
        task = asyncio.create_task(self._attempt(client, dict(row), url, keys, lease))
        self.tasks.add(task)

        def done(finished: asyncio.Task[None]) -> None:
            self.tasks.discard(finished)
            self.claims.pop(delivery_id, None)
            self.in_flight[owner_id] -= 1
            if self.in_flight[owner_id] <= 0:
                del self.in_flight[owner_id]
            self.wake.set()

        task.add_done_callback(done)

    async def _attempt(
        self,
        client: httpx.AsyncClient,
        row: dict[str, Any],
        url: str,
        keys: list[str],
        lease: _Lease,
    ) -> None:
        delivery_id = row["delivery_id"]
        body = row["payload"]
        attempted_at = now_us()
        try:
            headers = signing.headers(keys, delivery_id, int(time.time()), body)
            attempt = await sender.post(
                client, url, headers, body, allow_private=self.allow_private
            )
        except Exception as error:
            # Recorded like any failure, so the delivery still moves through its schedule
            # instead of being claimed again and again with nothing in its log.
            log.exception("webhook %s: attempt failed unexpectedly", delivery_id)
            attempt = sender.Attempt(Outcome(error=f"internal error: {type(error).__name__}"), None)
        try:
            await self._record(row, url, lease, attempted_at, attempt)
        except Exception:
            # The lease runs out and the delivery is sent again: at-least-once holds.
            log.exception("could not record the attempt of webhook %s", delivery_id)

    async def _record(
        self,
        row: dict[str, Any],
        url: str,
        lease: _Lease,
        attempted_at: int,
        attempt: sender.Attempt,
    ) -> None:
        lease.recording = True  # no renewal starts for it from now on
        async with self.renewing:  # and one under way has ended: lease.claim is current
            pass
        outcome = attempt.outcome
        attempts_made = row["attempt_count"] + 1
        verdict = judge(outcome, attempts_made, self.schedule)
        now = now_us()
        next_at = now + int(verdict.delay * 1_000_000) if verdict.delay is not None else None
        values = {
            "status": verdict.status,
            "attempt_count": attempts_made,
            "next_attempt_at": next_at,
            "claimed_until": None,
            "updated_at": now,
        }
        async with self.db.write() as conn:
            if not await repo.update_delivery(conn, row["delivery_id"], values, claim=lease.claim):
                log.warning("webhook %s: lease lost; outcome not recorded", row["delivery_id"])
                return
            await repo.insert_attempt(
                conn,
                {
                    "delivery_id": row["delivery_id"],
                    "attempted_at": attempted_at,
                    "status_code": outcome.status_code,
                    "latency_ms": attempt.latency_ms,
                    "error": outcome.error,
                },
            )
            if outcome.gone:
                await repo.disable_endpoint(conn, row["owner_id"], url, now)
        seconds = attempt.latency_ms / 1000 if attempt.latency_ms is not None else None
        if outcome.status_code is None:
            metrics.record_webhook_attempt("error")
        else:
            metrics.record_webhook_attempt(METRIC_OUTCOMES[verdict.status], seconds)

    async def _stop(self, renewer: asyncio.Task[None]) -> None:
        if self.tasks:  # their leases are still renewed meanwhile
            await asyncio.wait(set(self.tasks), timeout=self.drain_seconds)
        # Renewing ends between two renewals, so the token of each lease is known; a
        # renewal that the database holds up is cut short after a while.
        self.stopping.set()
        await asyncio.wait({renewer}, timeout=STOP_RENEWING_SECONDS)
        renewer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewer
        # Finished tasks remove their claims from self.claims.
        unfinished = {delivery_id: lease.claim for delivery_id, lease in self.claims.items()}
        for task in self.tasks:
            task.cancel()
        for task in list(self.tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if unfinished:
            # Interrupted attempts are sent again at once by whichever worker runs next,
            # rather than after their lease would have run out.
            by_claim: dict[int, list[str]] = {}
            for delivery_id, claim in unfinished.items():
                by_claim.setdefault(claim, []).append(delivery_id)
            with contextlib.suppress(Exception):
                async with self.db.write() as conn:
                    for claim, delivery_ids in by_claim.items():
                        await repo.release(conn, delivery_ids, claim)


async def deliver_webhooks(db: Database, settings: Settings) -> None:
    """The background job: one worker per process, until the process stops."""
    await Worker(db, settings).run()


async def run_alone(settings: Settings) -> None:
    """``upnext worker``: migrate, then deliver until SIGTERM or Ctrl-C."""
    from upnext.db.migrate import upgrade

    await asyncio.to_thread(upgrade, settings.database_url)
    db = Database(settings.database_url, pool_size=settings.db_pool_size)
    current = asyncio.current_task()
    assert current is not None
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, current.cancel)
    log.info("webhook worker started")
    try:
        await Worker(db, settings).run()
    except asyncio.CancelledError:
        log.info("webhook worker stopped")
    finally:
        await db.dispose()
