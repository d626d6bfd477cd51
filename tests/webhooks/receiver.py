"""A real webhook receiver for tests: an HTTP server on 127.0.0.1 in a thread.

It records every request and answers from a script (``answers``: status codes, or
``(status, headers)``, used in order, then ``default``), after ``delay`` seconds. Between
``hold()`` and ``release()`` requests are received but not answered: they stay open.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Answer = int | tuple[int, dict[str, str]]
HOLD_LIMIT = 120.0  # a held request is answered after this long even if never released


class _Server(ThreadingHTTPServer):
    # The default backlog of 5 drops connections when many attempts arrive at once, and
    # the dropped ones wait a second for the TCP retry: that would measure the receiver.
    request_queue_size = 128


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    at: float  # time.monotonic()

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


class Receiver:
    def __init__(
        self, answers: Iterable[Answer] = (), default: int = 200, port: int = 0, delay: float = 0
    ) -> None:
        self.answers = list(answers)
        self.default = default
        self.delay = delay
        self.received: list[Received] = []
        self.body = b"ok"  # what every answer carries
        self.answered = 0
        self.cut_short = 0  # answers whose body the client did not read to the end
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._open = threading.Event()
        self._open.set()
        self._server = _Server(("127.0.0.1", port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks"

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._open.set()
        self._server.shutdown()
        self._server.server_close()

    def hold(self) -> None:
        """Keep the requests that arrive from now on open, unanswered, until ``release``."""
        self._open.clear()

    def release(self) -> None:
        """Answer the held requests, and those to come, as usual."""
        self._open.set()

    def _next_answer(self) -> tuple[int, dict[str, str]]:
        with self._lock:
            answer = self.answers.pop(0) if self.answers else self.default
        return answer if isinstance(answer, tuple) else (answer, {})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {name.lower(): value for name, value in self.headers.items()}
                with receiver._lock:
                    receiver.received.append(Received(self.path, headers, body, time.monotonic()))
                    receiver.in_flight += 1
                    receiver.max_in_flight = max(receiver.max_in_flight, receiver.in_flight)
                receiver._open.wait(HOLD_LIMIT)
                time.sleep(receiver.delay)
                status, extra = receiver._next_answer()
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(receiver.body)))
                self.end_headers()
                try:
                    self.wfile.write(receiver.body)
                    self.wfile.flush()
                except OSError:  # UpNext hangs up after a few KiB of a long answer
                    with receiver._lock:
                        receiver.cut_short += 1
                with receiver._lock:
                    receiver.in_flight -= 1
                    receiver.answered += 1

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler

    async def wait_for(self, count: int, within: float = 15.0) -> list[Received]:
        """The first ``count`` requests, waiting (and letting the app's worker run) for them."""
        deadline = time.monotonic() + within
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"got {len(self.received)} of {count} webhooks in {within} s")
            await asyncio.sleep(0.02)
        return self.received[:count]


@contextmanager
def receiving(
    answers: Iterable[Answer] = (), default: int = 200, port: int = 0, delay: float = 0
) -> Iterator[Receiver]:
    receiver = Receiver(answers, default, port, delay).start()
    try:
        yield receiver
    finally:
        receiver.stop()
