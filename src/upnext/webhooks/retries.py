"""What an attempt's outcome means for its delivery: delivered, retried when, or failed."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

JITTER = 0.1  # each wait is scaled by a random factor in [0.9, 1.1]
MAX_RETRY_AFTER = 24 * 3600.0  # a receiver cannot park a delivery for longer than this


@dataclass(frozen=True)
class Outcome:
    """One attempt as the worker saw it: an HTTP status, or an error before one arrived."""

    status_code: int | None = None
    error: str | None = None
    retry_after: float | None = None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def gone(self) -> bool:
        """410 Gone: the receiver asks us to stop; its endpoint is disabled."""
        return self.status_code == 410


@dataclass(frozen=True)
class Verdict:
    status: str  # "delivered", "pending" (retry) or "failed"
    delay: float | None = None  # seconds until the retry, when pending


def judge(outcome: Outcome, attempts_made: int, schedule: tuple[float, ...]) -> Verdict:
    """The delivery's state after its ``attempts_made``-th attempt ended with ``outcome``.

    ``schedule`` holds the waits before the 2nd, 3rd, ... attempt; once it is used up the
    delivery is failed. A ``Retry-After`` longer than the scheduled wait is honoured.
    """
    if outcome.succeeded:
        return Verdict("delivered")
    if outcome.gone or attempts_made > len(schedule):
        return Verdict("failed")
    wait = schedule[attempts_made - 1] * random.uniform(1 - JITTER, 1 + JITTER)
    if outcome.retry_after is not None:
        wait = max(wait, min(outcome.retry_after, MAX_RETRY_AFTER))
    return Verdict("pending", wait)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date); ``None`` if
    absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())
