"""Webhook timings to a local receiver: publisher webhooks (hide -> receipt latency,
deliveries/s) and platform webhooks (item PUT/s with them off and on, session_changed
write -> receipt latency, deliveries/s)."""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import time
from pathlib import Path
from typing import Any

import click
import httpx

from bench.generate import platform_id
from bench.receiver import Receiver
from bench.servers import wrk
from upnext.webhooks import session_events

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


# Platform webhooks (session_changed). Events are coalesced per session, and a session's
# next event is due no sooner than INTERVAL_US after its previous one last changed: so a
# timed write goes to a session that heard nothing for longer than that.
QUIET_SESSION_S = session_events.INTERVAL_US / 1e6 + 0.2
DRAIN_LIMIT_S = 600.0  # the on run's events, at most one open per session, before timing


def _wrk(url: str, directory: Path, scenario: str, seconds: int, connections: int) -> Any:
    """A wrk run, tried again once if wrk fails (it rarely exits 1 on a loaded machine);
    the failure's output is shown."""
    try:
        return wrk(url, directory, scenario, seconds=seconds, connections=connections)
    except subprocess.CalledProcessError as failed:
        click.echo(
            f"    wrk exited {failed.returncode}, once more: {failed.stderr or failed.stdout}"
        )
        return wrk(url, directory, scenario, seconds=seconds, connections=connections)


def _platform_hooks(
    client: httpx.Client, keys: dict[str, Any], hook: str | None, secret: bool = True
) -> None:
    """Point every platform's webhook at ``hook`` (with a fresh secret), or clear it."""
    for p, key in enumerate(keys["platforms"]):
        key_id, _, password = key.partition(":")
        auth = (key_id, password)
        path = f"/v1/platforms/{platform_id(p)}"
        answers = [client.patch(path, json={"webhook_url": hook}, auth=auth)]
        if hook is not None and secret:
            answers.append(client.post(f"{path}/webhook-secret", auth=auth))
        for answer in answers:
            if answer.status_code != 200:
                raise RuntimeError(f"{answer.request.url}: {answer.status_code} {answer.text}")


def _item(row: list[str], rng: random.Random) -> tuple[str, dict[str, Any]]:
    """A publisher's replacement of an existing item of the row's context (as put does)."""
    _, _, context, _, count, _ = row
    n = rng.randrange(int(count))
    body = {
        "content_id": f"content{n:06d}", "media_type": "tv_episode",
        "action": "up_next_continue", "title": "Return Of The Storm King",
        "description": "a quiet story of the river and the night " * 8, "season": 2,
        "episode": n % 24 + 1,
        "poster_art_uri": f"https://images.example.com/posters/{context}/{n}/poster-1280x720.jpg",
        "poster_art_aspect_ratio": "aspect_ratio_16_9", "duration": 3600,
        "position": rng.randrange(1, 3000),
    }  # fmt: skip
    return f"/v1/contexts/upnext/{context}", body


def _session_changed(
    receiver: Receiver, start: int, session: str, context: str, timeout: float
) -> float | None:
    """The arrival time of the first session_changed for ``session`` naming ``context``
    among the deliveries from index ``start`` on, or None after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    seen = start
    while True:
        arrivals = receiver.arrivals[seen:]
        for arrived, event in arrivals:
            data = event.get("data", {})
            if (
                event.get("type") == session_events.EVENT
                and data.get("session_id") == session
                and context in data.get("context_ids", ())
            ):
                return arrived
        seen += len(arrivals)
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.002)


def _heard(receiver: Receiver, last: dict[str, float], start: int) -> int:
    """Record in ``last`` when each session last heard a session_changed, from the
    delivery at index ``start`` on; the index to start from next time."""
    arrivals = receiver.arrivals[start:]
    for arrived, event in arrivals:
        if event.get("type") == session_events.EVENT:
            session = event.get("data", {}).get("session_id")
            if isinstance(session, str):
                last[session] = max(arrived, last.get(session, 0.0))
    return start + len(arrivals)


def _percentiles(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    if not values:
        return {}
    return {
        "p50_ms": values[len(values) // 2],
        "p99_ms": values[min(len(values) - 1, int(len(values) * 0.99))],
    }


def measure_platforms(
    url: str, directory: Path, port: int, seconds: int, connections: int
) -> dict[str, Any]:
    """Item PUT/s with platform webhooks off, queued only, then on; session_changed write ->
    receipt on an idle queue; deliveries/s of a burst. Leaves every platform without a
    webhook URL."""
    if not _worker_present():
        return {
            "available": False,
            "why": "no webhook worker in this build (background.JOBS empty)",
        }
    auth, rows = _targets(directory)
    keys = json.loads((directory / "keys.json").read_text())
    rng = random.Random(13)
    result: dict[str, Any] = {"available": True}
    with Receiver(port) as receiver, httpx.Client(base_url=url, timeout=30) as client:
        # Back to back on the same data (PUT replaces existing items), each after its own
        # warm-up: no URL; a URL but no secret yet, so events are queued and coalesced but
        # wait unsent (the write path's own cost); the URL and a secret (everything).
        hook = f"http://127.0.0.1:{port}/hook"
        for state in ("off", "queued", "on"):
            if state == "queued":
                _platform_hooks(client, keys, hook, secret=False)
            if state == "on":
                result["queued_sent"] = len(receiver.arrivals)  # 0 unless --reuse kept a secret
                _platform_hooks(client, keys, hook)
            _wrk(url, directory, "put", 2, connections)  # warm-up
            row = _wrk(url, directory, "put", seconds, connections)
            result[f"put_{state}"] = row
            click.echo(
                f"    item PUT, platform webhooks {state:6} {row['rps']:8.0f} req/s  "
                f"p50 {row['p50_ms']:6.2f} ms  p99 {row['p99_ms']:6.2f} ms  "
                f"errors {row['errors']}"
            )
        for state in ("queued", "on"):
            ratio = result[f"put_{state}"]["rps"] / max(result["put_off"]["rps"], 1e-9)
            result[f"put_{state}_ratio" if state == "queued" else "put_ratio"] = ratio
        # The on run queued (coalesced) events; the timings below need an idle queue.
        started = time.monotonic()
        last = _wait_until_quiet(receiver, started, limit=DRAIN_LIMIT_S)
        result["put_on_deliveries"] = len(receiver.arrivals) - result["queued_sent"]
        result["drain_s"] = round(last - started, 1)
        result["drained"] = time.monotonic() - last >= 3.0  # else the queue was not idle
        result.update(_platform_latency(client, auth, rows, receiver, rng))
        result.update(asyncio.run(_platform_burst(url, auth, rows, receiver, rng)))
        _platform_hooks(client, keys, None)  # the publisher timings that follow hear alone
    click.echo(
        f"    session_changed: PUT on/off {result['put_ratio']:.2f}, write -> receipt p50 "
        f"{result.get('p50_ms', float('nan')):.1f} ms p99 {result.get('p99_ms', float('nan')):.1f}"
        f" ms ({result['lost']} lost), {result['deliveries_per_s']:.0f} deliveries/s"
    )
    return result


def _platform_latency(
    client: httpx.Client,
    auth: dict[str, list[str]],
    rows: list[list[str]],
    receiver: Receiver,
    rng: random.Random,
) -> dict[str, Any]:
    """SAMPLES sequential item PUTs, each to a context of a session that has heard nothing
    for QUIET_SESSION_S, round-robin over the sessions: PUT's answer -> receipt."""
    order = rows[:]
    rng.shuffle(order)
    heard: dict[str, float] = {}
    scanned = _heard(receiver, heard, 0)
    timed_sessions: set[str] = set()
    latencies, from_request, lost, skipped, i = [], [], 0, 0, 0
    while len(latencies) + lost < SAMPLES and skipped < len(order):
        if lost >= 5 and not latencies:
            break  # nothing arrives: do not wait 5 s for every sample
        row = order[i % len(order)]
        i += 1
        session, context, app = row[1], row[2], int(row[3])
        if time.monotonic() - heard.get(session, 0.0) < QUIET_SESSION_S:
            skipped += 1  # heard too recently: its next event would wait for the interval
            time.sleep(0.01)
            continue
        skipped = 0
        path, body = _item(row, rng)
        start = len(receiver.arrivals)
        sent = time.monotonic()
        response = client.put(path, json=body, headers={"Authorization": auth["apps"][app]})
        answered = time.monotonic()
        if response.status_code != 200:
            raise RuntimeError(f"PUT {path}: {response.status_code} {response.text}")
        arrived = _session_changed(receiver, start, session, context, timeout=5)
        if arrived is None:
            lost += 1
        else:
            latencies.append((arrived - answered) * 1000)
            from_request.append((arrived - sent) * 1000)
        timed_sessions.add(session)
        scanned = _heard(receiver, heard, scanned)
        time.sleep(0.02)
    timed = _percentiles(latencies)
    return {
        "samples": len(latencies) + lost,
        "lost": lost,
        "sessions_timed": len(timed_sessions),
        **timed,
        **{f"{k}_from_request": v for k, v in _percentiles(from_request).items()},
    }


async def _platform_burst(
    url: str,
    auth: dict[str, list[str]],
    rows: list[list[str]],
    receiver: Receiver,
    rng: random.Random,
) -> dict[str, Any]:
    """Item PUTs to BURST distinct contexts of distinct sessions at 32 in flight, once every
    session has been quiet for 3 s; deliveries/s from the first PUT to the last receipt."""
    _wait_until_quiet(receiver, time.monotonic(), limit=60.0)
    chosen: list[list[str]] = []
    contexts: set[str] = set()
    for row in rng.sample(rows, len(rows)):
        if row[2] not in contexts:
            contexts.add(row[2])
            chosen.append(row)
        if len(chosen) >= BURST:
            break
    before = len(receiver.arrivals)
    semaphore = asyncio.Semaphore(32)
    written = 0

    async def put(client: httpx.AsyncClient, row: list[str]) -> None:
        nonlocal written
        path, body = _item(row, rng)
        async with semaphore:
            response = await client.put(
                path, json=body, headers={"Authorization": auth["apps"][int(row[3])]}
            )
            written += response.status_code == 200

    started = time.monotonic()
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        await asyncio.gather(*(put(client, row) for row in chosen))
    sent = time.monotonic() - started
    _wait_until_quiet(receiver, started, limit=120.0)
    received = receiver.arrivals[before:]
    sessions = {event.get("data", {}).get("session_id") for _, event in received}
    last = max((arrived for arrived, _ in received), default=started)
    return {
        "burst_writes": len(chosen),
        "burst_written": written,
        "burst_seconds": round(sent, 2),
        "delivered": len(received),
        "delivered_sessions": len(sessions),
        "deliveries_per_s": len(received) / (last - started) if received else 0.0,
    }
