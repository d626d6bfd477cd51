"""Real ``upnext`` processes for tests: start on a free port, wait until ready, stop or kill.

Generic on purpose: any test that needs a server process (webhooks, hardening, the SDK)
starts one with ``start(env)`` and gets its base URL, its captured output and a way to end
it gracefully (``terminate``) or abruptly (``kill``, SIGKILL).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

READY_TIMEOUT = 30.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """One child process running an ``upnext`` command; its output goes to a file."""

    def __init__(self, process: subprocess.Popen[bytes], port: int | None, log: Path) -> None:
        self.process = process
        self.port = port
        self.log = log

    @property
    def base_url(self) -> str:
        assert self.port is not None, "this process serves no HTTP"
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def stdout(self) -> str:
        """Everything the process wrote to stdout and stderr so far."""
        return self.log.read_text(errors="replace")

    def is_running(self) -> bool:
        return self.process.poll() is None

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        """Block until ``GET /healthz`` answers 200; fail with the output if it never does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.is_running():
                raise RuntimeError(
                    f"server exited with {self.process.returncode}:\n{self.stdout()}"
                )
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.kill()
        raise TimeoutError(f"server not ready after {timeout} s:\n{self.stdout()}")

    def kill(self) -> int:
        """SIGKILL: no shutdown code runs, as in a crash or an OOM kill."""
        return self._end(signal.SIGKILL)

    def terminate(self, timeout: float = 15.0) -> int:
        """SIGTERM, then wait for a graceful exit (SIGKILL if it takes longer than timeout)."""
        return self._end(signal.SIGTERM, timeout)

    def _end(self, sig: signal.Signals, timeout: float = 10.0) -> int:
        if self.is_running():
            self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        # `serve --workers N` forks worker processes that outlive a SIGKILLed supervisor;
        # left running, they would keep serving and delivering webhooks from the shared
        # test database into later tests. Each server runs in a process group of its own.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        return code


def start(
    env: Mapping[str, str],
    port: int | None = None,
    *,
    command: Sequence[str] = ("serve",),
    wait: bool = True,
) -> Server:
    """Start ``upnext <command>`` (default ``serve`` on ``port``, a free one if omitted).

    ``env`` is added to this process's environment (``UPNEXT_DATABASE_URL`` and friends).
    Pass ``command=("worker",)`` for a process without HTTP; ``wait=False`` returns
    before the server answers.
    """
    args = [sys.executable, "-m", "upnext", *command]
    serving = tuple(command[:1]) == ("serve",)
    if serving:
        port = port or free_port()
        args += ["--host", "127.0.0.1", "--port", str(port)]
    fd, name = tempfile.mkstemp(prefix="upnext-server-", suffix=".log")
    log = Path(name)
    with os.fdopen(fd, "wb") as out:
        process = subprocess.Popen(
            args,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    server = Server(process, port if serving else None, log)
    if serving and wait:
        server.wait_ready()
    return server


@contextmanager
def running(
    env: Mapping[str, str], port: int | None = None, *, command: Sequence[str] = ("serve",)
) -> Iterator[Server]:
    """``start`` as a context manager that always ends the process (SIGKILL if needed)."""
    server = start(env, port, command=command)
    try:
        yield server
    finally:
        server.kill()
        server.log.unlink(missing_ok=True)
