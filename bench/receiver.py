"""A local webhook receiver: records when each event arrived, answers 204 at once."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import uvicorn

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class Receiver:
    """Runs in a thread of the benchmark process, so its clock is the runner's clock."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.arrivals: list[tuple[float, dict[str, Any]]] = []
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=port, log_level="warning", interface="asgi3"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    async def app(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        arrived = time.monotonic()
        with contextlib.suppress(orjson.JSONDecodeError):
            self.arrivals.append((arrived, orjson.loads(b"".join(chunks))))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    def __enter__(self) -> Receiver:
        self._thread.start()
        while not self._server.started:
            time.sleep(0.01)
        return self

    def __exit__(self, *_: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)

    def wait_for(self, predicate: Callable[[dict[str, Any]], bool], timeout: float) -> float | None:
        """The arrival time of the first event matching ``predicate``, or None."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for arrived, event in list(self.arrivals):
                if predicate(event):
                    return arrived
            time.sleep(0.002)
        return None
