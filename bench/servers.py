"""Start and stop the servers under test (UpNext and the ceiling) and run wrk against them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

LUA = Path(__file__).parent / "lua" / "scenario.lua"
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ServerSettings:
    """What UpNext and the ceiling share, so that the ratio compares like with like."""

    workers: int = 2
    loop: str = "uvloop"
    http: str = "httptools"

    def uvicorn_args(self, port: int) -> list[str]:
        return [
            "--host", "127.0.0.1", "--port", str(port), "--workers", str(self.workers),
            "--loop", self.loop, "--http", self.http, "--no-access-log",
            "--log-level", "warning", "--no-server-header",
        ]  # fmt: skip

    def upnext_command(self, port: int) -> list[str]:
        """UpNext as an operator runs it; uvicorn picks uvloop and httptools when installed."""
        serve = [
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(self.workers),
        ]
        return [sys.executable, "-m", "upnext", *serve]

    def ceiling_command(self, port: int) -> list[str]:
        return [sys.executable, "-m", "uvicorn", "bench.ceiling:app", *self.uvicorn_args(port)]

    def describe(self) -> str:
        return (
            f"{self.workers} uvicorn workers, {self.loop}, {self.http}, no access log "
            "(UpNext: `upnext serve --workers`, UPNEXT_LOG_LEVEL=warning)"
        )


@dataclass
class Server:
    """A uvicorn process tree; ``workers`` are the processes that answer requests."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path
    workers: list[int] = field(default_factory=list)
    settled_s: float = 0.0  # how long start-up work (e.g. the purge job's first scan) ran

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def peak_rss_mb(self) -> list[float]:
        """Peak resident memory (VmHWM) of each worker, in MB."""
        peaks = []
        for pid in self.workers or [self.process.pid]:
            status = Path(f"/proc/{pid}/status")
            for line in status.read_text().splitlines() if status.exists() else []:
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        return peaks

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _children(pid: int) -> list[int]:
    """The worker processes of a uvicorn master (not multiprocessing's resource tracker)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    children = [int(p) for p in path.read_text().split()] if path.exists() else []
    return [c for c in children if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]


def start(
    command: list[str], port: int, settings: ServerSettings, env: dict[str, str], log: Path
) -> Server:
    """Start a server process and wait until every worker answers."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT
        )
    server = Server(process, port, log)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: see {log}")
        try:
            httpx.get(f"{server.url}/healthz", timeout=2)
            if settings.workers == 1:
                break
            server.workers = _children(process.pid)
            if len(server.workers) >= settings.workers:
                time.sleep(1.0)  # let every worker finish its start-up
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    else:
        server.stop()
        raise RuntimeError(f"server did not start: see {log}")
    server.settled_s = _settle(server.workers or [process.pid])
    return server


def _cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


def _settle(pids: list[int], limit: float = 180.0) -> float:
    """Wait until the idle server uses under 5 % of a core for 2 s: measure steady state.

    Start-up jobs (the purge job scans every item at start) are real work, but a one-off;
    the time they took is reported beside the results instead of mixed into them.
    """
    started = last_busy = time.monotonic()
    before = _cpu_seconds(pids)
    while time.monotonic() - started < limit:
        time.sleep(0.5)
        now = _cpu_seconds(pids)
        if now - before > 0.05 * 0.5 * len(pids):
            last_busy = time.monotonic()
        before = now
        if time.monotonic() - last_busy >= 2.0:
            break
    return round(last_busy - started, 1)


def wrk(
    url: str, targets: Path, scenario: str, *, seconds: int, connections: int, size: int = 0
) -> dict[str, Any]:
    """One wrk run; its summary with req/s and latencies in milliseconds."""
    command = [
        "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
        "-s", str(LUA), url, "--", str(targets), scenario, str(size),
    ]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(x for x in reversed(output.splitlines()) if x.startswith("{"))
    raw = json.loads(line)
    seconds_run = raw["duration_us"] / 1e6
    return {
        "rps": raw["requests"] / seconds_run,
        "p50_ms": raw["p50_us"] / 1000,
        "p90_ms": raw["p90_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "requests": raw["requests"],
        "bytes_per_response": raw["bytes"] / max(raw["requests"], 1),
        "errors": raw["non2xx"] + raw["connect_errors"] + raw["read_errors"] + raw["timeouts"],
    }
