"""Webhook timings: hide -> receipt latency, and deliveries/s to a local receiver."""

from __future__ import annotations

import asyncio
import json
import random
import time
from pathlib import Path
from typing import Any

import httpx

from bench.receiver import Receiver

SAMPLES = 100
BURST = 1_000


def _worker_present() -> bool:
    import upnext.app  # noqa: F401  (registers the background jobs)
    from upnext import background

    return bool(background.JOBS)


def _targets(directory: Path) -> tuple[dict[str, list[str]], list[list[str]]]:
    auth: dict[str, list[str]] = {"platforms": [], "apps": []}
    for line in (directory / "auth.tsv").read_text().splitlines():
        kind, _, header = line.split("\t")
        auth[kind].append(header)
    rows = [line.split("\t") for line in (directory / "targets.tsv").read_text().splitlines()]
    return auth, rows


def measure(url: str, directory: Path, port: int) -> dict[str, Any]:
    """Point every app at a local receiver, then time hides; None fields if unavailable."""
    if not _worker_present():
        return {
            "available": False,
            "why": "no webhook worker in this build (background.JOBS empty)",
        }
    auth, rows = _targets(directory)
    keys = json.loads((directory / "keys.json").read_text())
    rng = random.Random(11)
    with Receiver(port) as receiver, httpx.Client(base_url=url, timeout=30) as client:
        hook = f"http://127.0.0.1:{port}/hook"
        for i, key in enumerate(keys["apps"]):
            app_id = f"AP{100_000_000_000_000_000 + i}"
            key_id, _, secret = key.partition(":")
            client.patch(f"/v1/apps/{app_id}", json={"webhook_url": hook}, auth=(key_id, secret))
            client.post(f"/v1/apps/{app_id}/webhook-secret", auth=(key_id, secret))
        # The hide scenario queued events while no app had a URL; they go out now. Time the
        # hides on an idle queue, and report this drain as a delivery rate of its own.
        backlog = _drain(receiver)
        latencies, lost = [], 0
        for _ in range(SAMPLES):
            if lost >= 5 and not latencies:
                break  # nothing arrives: do not wait 5 s for every sample
            p, session, context, _, count, _ = rng.choice(rows)
            content = f"content{rng.randrange(int(count)):06d}"
            path = f"/v1/sessions/upnext/{session}/{context}"
            headers = {"Authorization": auth["platforms"][int(p)]}
            client.put(path, json={"content_id": content, "action": "unhide"}, headers=headers)
            time.sleep(0.02)
            sent = time.monotonic()
            client.put(path, json={"content_id": content, "action": "hide"}, headers=headers)

            def matches(event: dict[str, Any], c: str = content, s: str = session) -> bool:
                data = event.get("data", {})
                return (
                    event.get("type") == "item_hidden"
                    and data.get("content_id") == c
                    and data.get("session_id") == s
                )

            arrived = receiver.wait_for(matches, timeout=5)
            if arrived is None:
                lost += 1
            else:
                latencies.append((arrived - sent) * 1000)
        rate = asyncio.run(_burst(url, auth, rows, receiver, rng))
    latencies.sort()
    if not latencies:
        return {"available": True, "samples": SAMPLES, "lost": lost, **backlog, **rate}
    return {
        **backlog,
        "available": True,
        "samples": SAMPLES,
        "lost": lost,
        "p50_ms": latencies[len(latencies) // 2],
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        **rate,
    }


def _wait_until_quiet(
    receiver: Receiver, started: float, limit: float, quiet: float = 3.0
) -> float:
    """Block until no delivery arrived for ``quiet`` s (or ``limit`` s after ``started``);
    when the last one arrived. The receiver runs in its own thread."""
    last, seen = time.monotonic(), len(receiver.arrivals)
    while time.monotonic() - last < quiet and time.monotonic() - started < limit:
        time.sleep(0.2)
        if len(receiver.arrivals) != seen:
            last, seen = time.monotonic(), len(receiver.arrivals)
    return last


def _drain(receiver: Receiver) -> dict[str, Any]:
    """Wait for the deliveries already queued; how many arrived, and how fast."""
    started = time.monotonic()
    last = _wait_until_quiet(receiver, started, limit=180.0)
    count = len(receiver.arrivals)
    seconds = max(last - started, 1e-9)
    return {"backlog": count, "backlog_per_s": count / seconds if count else 0.0}


async def _burst(
    url: str,
    auth: dict[str, list[str]],
    rows: list[list[str]],
    receiver: Receiver,
    rng: random.Random,
) -> dict[str, Any]:
    """Toggle BURST items at 32 in flight; deliveries/s from the first hide to the last receipt."""
    before = len(receiver.arrivals)
    semaphore = asyncio.Semaphore(32)
    changed = 0

    async def toggle(client: httpx.AsyncClient, row: list[str], action: str) -> None:
        nonlocal changed
        p, session, context, _, count, _ = row
        content = f"content{rng.randrange(int(count)):06d}"
        async with semaphore:
            response = await client.put(
                f"/v1/sessions/upnext/{session}/{context}",
                json={"content_id": content, "action": action},
                headers={"Authorization": auth["platforms"][int(p)]},
            )
            changed += response.status_code == 200

    started = time.monotonic()
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        await asyncio.gather(
            *(
                toggle(client, rng.choice(rows), rng.choice(("hide", "unhide")))
                for _ in range(BURST)
            )
        )
    sent = time.monotonic() - started
    _wait_until_quiet(receiver, started, limit=120.0)  # nothing else runs on this loop now
    received = receiver.arrivals[before:]
    if not received:
        return {
            "burst_requests": BURST,
            "burst_seconds": sent,
            "delivered": 0,
            "deliveries_per_s": 0.0,
        }
    last = max(arrived for arrived, _ in received)
    return {
        "burst_requests": BURST,
        "burst_seconds": round(sent, 2),
        "delivered": len(received),
        "deliveries_per_s": len(received) / (last - started),
    }
