"""Time as integer microseconds since the Unix epoch, rendered as ISO 8601 UTC with ms and Z."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def now_us() -> int:
    return time.time_ns() // 1000


def iso(us: int) -> str:
    """``2023-12-20T19:02:28.285Z`` for a microsecond timestamp."""
    # Integer arithmetic and gmtime: a third of the cost of a datetime, 50 times per list.
    seconds, micros = divmod(us, 1_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{micros // 1000:03d}Z"


# 9999-12-31T23:59:59Z: the last whole second ``iso`` can render.
MAX_US = 253_402_300_799_000_000


def parse_iso(value: str) -> int:
    """Microseconds of an ISO 8601 moment; one without a zone is taken as UTC."""
    moment = datetime.fromisoformat(value)
    return from_datetime(moment)


def check_iso(value: str) -> str:
    """``value`` unchanged if it is an ISO 8601 moment that microseconds can hold."""
    try:
        micros = parse_iso(value)
    except (ValueError, OverflowError, OSError):
        raise ValueError("must be an ISO 8601 date and time, e.g. 2024-05-01T20:15:03Z") from None
    if micros < 0:
        raise ValueError("must not be before 1970")
    if micros > MAX_US:
        raise ValueError("must be before the year 10000 in UTC")
    return value


def from_datetime(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1_000_000)
