"""Log lines a person can read at a terminal, JSON otherwise, or as UPNEXT_LOG_FORMAT says."""

from __future__ import annotations

import logging
import os
import pty
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import httpx
import orjson
import pytest
from pydantic import ValidationError

from tests import servers
from tests.factories import ADMIN_KEY_ID, ADMIN_SECRET, World
from upnext.observability import JsonFormatter, TextFormatter, configure_logging, request_id
from upnext.settings import Settings

STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z"
TEXT_LINE = re.compile(rf"^{STAMP} (DEBUG|INFO|WARNING|ERROR|CRITICAL) +[\w.]+  \S")


def _record(
    message: str, *args: object, name: str = "upnext", level: int = logging.INFO
) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, message, args, None)


# the text line


async def test_an_access_line_shows_method_path_status_duration_and_request_id(
    client: httpx.AsyncClient, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    app = await world.app()
    caplog.set_level(logging.INFO)
    caplog.clear()
    r = await client.get(
        "/v1/contexts/upnext/nothing-here", auth=app.auth, headers={"X-Request-ID": "log-7"}
    )
    assert r.status_code == 404
    [record] = [rec for rec in caplog.records if rec.name == "upnext.access"]
    line = TextFormatter().format(record)
    match = re.fullmatch(
        rf"({STAMP}) INFO     upnext\.access  GET /v1/contexts/upnext/nothing-here 404 "
        r"(\d+\.\d) ms  request_id=log-7",
        line,
    )
    assert match, line
    assert float(match.group(2)) == pytest.approx(record.http["duration_ms"], abs=0.05)  # type: ignore[attr-defined]
    # The same moment as the JSON line's, in UTC.
    json_time = str(orjson.loads(JsonFormatter().format(record))["time"])
    assert match.group(1) == json_time.replace("T", " ")
    assert app.secret not in line


def test_a_plain_line_carries_the_request_id_of_the_request_it_runs_in() -> None:
    record = _record("queued %d events", 3, name="upnext.webhooks", level=logging.WARNING)
    assert TextFormatter().format(record).endswith("WARNING  upnext.webhooks  queued 3 events")
    token = request_id.set("req-9")
    try:
        line = TextFormatter().format(record)
    finally:
        request_id.reset(token)
    assert re.fullmatch(
        rf"{STAMP} WARNING  upnext\.webhooks  queued 3 events  request_id=req-9", line
    )


def test_a_stack_trace_follows_its_line() -> None:
    record = _record("failed", level=logging.ERROR)
    try:
        raise ValueError("boom")
    except ValueError:
        record.exc_info = sys.exc_info()
    first, *trace = TextFormatter().format(record).splitlines()
    assert TEXT_LINE.match(first) and first.endswith("ERROR    upnext  failed")
    assert trace[0] == "Traceback (most recent call last):"
    assert trace[-1] == "ValueError: boom"


def test_control_characters_cannot_forge_a_line_or_reach_the_terminal() -> None:
    record = _record("GET %s", "/x\n2026-01-01 00:00:00.000Z ERROR fake\x1b[31m\x9b")
    [line] = TextFormatter().format(record).splitlines()
    assert "\x1b" not in line and "\x9b" not in line
    assert line.endswith(r"GET /x\x0a2026-01-01 00:00:00.000Z ERROR fake\x1b[31m\x9b")


# choosing the format


@pytest.fixture
def logging_state() -> Iterator[None]:
    """configure_logging changes the process's logging: put it back afterwards."""
    root = logging.getLogger()
    names = ("uvicorn", "uvicorn.error", "uvicorn.access")
    saved = (
        root.handlers[:],
        root.level,
        [(logging.getLogger(n).handlers[:], logging.getLogger(n).propagate) for n in names],
        logging.getLogger("uvicorn.access").disabled,
    )
    yield
    root.handlers[:], level, loggers, disabled = saved
    root.setLevel(level)
    for name, (handlers, propagate) in zip(names, loggers, strict=True):
        logging.getLogger(name).handlers[:] = handlers
        logging.getLogger(name).propagate = propagate
    logging.getLogger("uvicorn.access").disabled = disabled


@pytest.fixture
def terminal() -> Iterator[tuple[IO[str], int]]:
    """A real terminal (a pty): the stream a process would write to, and its other end."""
    master, slave = pty.openpty()
    stream = os.fdopen(slave, "w", buffering=1)
    try:
        yield stream, master
    finally:
        stream.close()
        os.close(master)


def _log_one_line(monkeypatch: pytest.MonkeyPatch, stream: IO[str], log_format: str | None) -> None:
    monkeypatch.setattr(sys, "stderr", stream)
    configure_logging("info", log_format)
    logging.getLogger("upnext.test").info("hello %s", "there")
    stream.flush()


def _read_line(master: int) -> str:
    data = b""
    while not data.endswith(b"\n"):
        data += os.read(master, 4096)
    return data.decode().replace("\r\n", "\n").strip()


@pytest.mark.parametrize("log_format", [None, "text"])
def test_text_on_a_terminal_when_unset_or_asked(
    logging_state: None,
    terminal: tuple[IO[str], int],
    monkeypatch: pytest.MonkeyPatch,
    log_format: str | None,
) -> None:
    stream, master = terminal
    assert stream.isatty()
    _log_one_line(monkeypatch, stream, log_format)
    line = _read_line(master)
    assert re.fullmatch(rf"{STAMP} INFO     upnext\.test  hello there", line), line


def test_json_on_a_terminal_when_asked(
    logging_state: None, terminal: tuple[IO[str], int], monkeypatch: pytest.MonkeyPatch
) -> None:
    stream, master = terminal
    _log_one_line(monkeypatch, stream, "json")
    entry = orjson.loads(_read_line(master))
    assert (entry["logger"], entry["message"], entry["level"]) == (
        "upnext.test",
        "hello there",
        "info",
    )


@pytest.mark.parametrize(("log_format", "is_json"), [(None, True), ("json", True), ("text", False)])
def test_json_when_not_a_terminal_unless_text_is_asked(
    logging_state: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    log_format: str | None,
    is_json: bool,
) -> None:
    with (tmp_path / "log").open("w") as stream:
        assert not stream.isatty()
        _log_one_line(monkeypatch, stream, log_format)
    line = (tmp_path / "log").read_text().strip()
    if is_json:
        assert orjson.loads(line)["message"] == "hello there"
    else:
        assert re.fullmatch(rf"{STAMP} INFO     upnext\.test  hello there", line), line


@pytest.mark.parametrize(
    ("value", "expected"), [("text", "text"), ("JSON", "json"), (" json ", "json"), ("", None)]
)
def test_the_setting(monkeypatch: pytest.MonkeyPatch, value: str, expected: str | None) -> None:
    monkeypatch.setenv("UPNEXT_LOG_FORMAT", value)
    assert Settings().log_format == expected


def test_an_unknown_format_is_refused_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UPNEXT_LOG_FORMAT", "xml")
    with pytest.raises(ValidationError, match="log_format"):
        Settings()


# real processes


def _env(database_url: str) -> dict[str, str]:
    return {
        "UPNEXT_DATABASE_URL": database_url,
        "UPNEXT_ADMIN_KEY": f"{ADMIN_KEY_ID}:{ADMIN_SECRET}",
        "UPNEXT_LOG_LEVEL": "info",
    }


@pytest.mark.slow
def test_serve_logs_text_when_asked_although_its_output_is_a_file(database_url: str) -> None:
    env = {**_env(database_url), "UPNEXT_LOG_FORMAT": "text"}
    with servers.running(env) as server:
        assert (
            httpx.get(f"{server.base_url}/healthz", headers={"X-Request-ID": "t-1"}).status_code
            == 200
        )
        _until(lambda: "request_id=t-1" in server.stdout())
        lines = [line for line in server.stdout().splitlines() if line.strip()]
    assert all(TEXT_LINE.match(line) for line in lines), lines
    [access] = [line for line in lines if "request_id=t-1" in line]
    assert re.fullmatch(
        rf"{STAMP} INFO     upnext\.access  GET /healthz 200 \d+\.\d ms  request_id=t-1", access
    )


@pytest.mark.slow
def test_serve_with_workers_on_a_terminal_logs_text_from_every_process(database_url: str) -> None:
    # Auto: nothing set, and standard output and error are a terminal, as under `make run`.
    master, slave = pty.openpty()
    port = servers.free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "upnext", "serve", "--port", str(port), "--workers", "2"],
        env={**os.environ, "PYTHONUNBUFFERED": "1", **_env(database_url)},
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
    )
    os.close(slave)
    output = bytearray()
    reader = threading.Thread(target=_drain, args=(master, output), daemon=True)
    reader.start()
    server = servers.Server(process, port, Path(os.devnull))
    try:
        server.wait_ready()
        r = httpx.get(f"{server.base_url}/healthz", headers={"X-Request-ID": "tty-1"})
        assert r.status_code == 200
        _until(
            lambda: b"request_id=tty-1" in output and output.count(b"Started server process") == 2
        )
    finally:
        server.kill()
        reader.join(10)
        os.close(master)
    lines = [line for line in output.decode().replace("\r\n", "\n").splitlines() if line.strip()]
    assert all(TEXT_LINE.match(line) for line in lines), lines
    # The supervisor's lines and each of the two worker processes' lines.
    assert any("uvicorn.error  Started parent process" in line for line in lines), lines
    assert sum("uvicorn.error  Started server process" in line for line in lines) == 2
    assert any(
        re.search(r"upnext\.access  GET /healthz 200 .* request_id=tty-1$", line) for line in lines
    )


def _drain(master: int, into: bytearray) -> None:
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: every process holding the terminal has ended
            return
        if not chunk:
            return
        into.extend(chunk)


def _until(condition: object, within: float = 15.0) -> None:
    assert callable(condition)
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)
