"""Request ids, log lines (JSON, or text for a person) and the HTTP metrics of every
request (recorded by the edge layer, ``upnext.edge``)."""

from __future__ import annotations

import logging
import re
import secrets
import sys
import time
from contextvars import ContextVar
from typing import Any, TextIO

import orjson
from starlette.types import Scope

from upnext import metrics

# A caller's id is kept only if it is short and plain, so it cannot forge log lines.
_CALLER_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
access = logging.getLogger("upnext.access")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None) or request_id.get()
        if rid:
            entry["request_id"] = rid
        http = getattr(record, "http", None)
        if http:
            entry["http"] = http
        if record.exc_info:
            # Stack traces go to the operator's log only, never to a client.
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


JsonFormatter.converter = time.gmtime

# Control characters (C0, DEL, C1) are shown escaped in text lines: a path or a message
# cannot start a line of its own or send a terminal an escape sequence.
_UNPRINTABLE = {code: f"\\x{code:02x}" for code in [*range(0x20), *range(0x7F, 0xA0)]}


class TextFormatter(logging.Formatter):
    """One line for a person at a terminal: time (UTC), level, logger, message and the
    request id; an access line shows method, path, status and duration instead of its
    message. A stack trace follows on the next lines."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = self.formatTime(record, "%Y-%m-%d %H:%M:%S") + f".{int(record.msecs):03d}Z"
        message = _access_line(getattr(record, "http", None)) or record.getMessage()
        line = f"{stamp} {record.levelname:<8} {record.name}  {message.translate(_UNPRINTABLE)}"
        rid = getattr(record, "request_id", None) or request_id.get()
        if rid:
            line += f"  request_id={str(rid).translate(_UNPRINTABLE)}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


TextFormatter.converter = time.gmtime


def _access_line(http: Any) -> str | None:
    if not isinstance(http, dict) or "status" not in http:
        return None
    duration = http.get("duration_ms")
    took = f" {duration:.1f} ms" if isinstance(duration, int | float) else ""
    return f"{http.get('method')} {http.get('path')} {http['status']}{took}"


def formatter_for(log_format: str | None, stream: TextIO) -> logging.Formatter:
    """``text`` or ``json``; unset: text if ``stream`` is a terminal, JSON otherwise."""
    if log_format is None:
        try:
            log_format = "text" if stream.isatty() else "json"
        except (AttributeError, ValueError):  # no isatty, or closed
            log_format = "json"
    return TextFormatter() if log_format == "text" else JsonFormatter()


def configure_logging(level: str, log_format: str | None = None) -> None:
    """Send every log record, uvicorn's included, to stderr: JSON lines, or text lines
    for a person (``log_format``, by default text when stderr is a terminal)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter_for(log_format, sys.stderr))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # Our own access line replaces uvicorn's: it carries the request id and the route.
    logging.getLogger("uvicorn.access").disabled = True


def route_template(scope: Scope) -> str:
    """The route's path template, the label of the HTTP metrics (ids would make the series
    unbounded); the lean reads name theirs in ``upnext.route``."""
    named = scope.get("upnext.route")
    if named is not None:
        return str(named)
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return str(path) if path else "unmatched"


def caller_request_id(scope: Scope) -> str:
    """The caller's ``X-Request-ID`` if it is short and plain, else a new one."""
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            given = value.decode("latin-1")
            return given if _CALLER_ID.match(given) else secrets.token_hex(16)
    return secrets.token_hex(16)  # 128 random bits, as a uuid4's hex but a tenth the cost


def record_request(scope: Scope, rid: str, status: int, seconds: float) -> None:
    """Count the request in the HTTP metrics and write its access line."""
    route = route_template(scope)
    metrics.record_request(scope["method"], route, status, seconds)
    if not access.isEnabledFor(logging.INFO):
        return
    access.info(
        "%s %s %s",
        scope["method"],
        route,
        status,
        extra={
            "request_id": rid,
            "http": {
                "method": scope["method"],
                "path": scope["path"],
                "route": route,
                "status": status,
                "duration_ms": round(seconds * 1000, 2),
            },
        },
    )
