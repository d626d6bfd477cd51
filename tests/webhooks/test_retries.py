"""The retry schedule, Retry-After and the final states of a delivery."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from upnext.settings import DEFAULT_RETRY_SCHEDULE, Settings
from upnext.webhooks.retries import Outcome, judge, parse_retry_after

SCHEDULE = (5.0, 300.0, 1800.0)


def test_2xx_is_delivered() -> None:
    assert judge(Outcome(status_code=204), 1, SCHEDULE).status == "delivered"


@pytest.mark.parametrize("outcome", [Outcome(status_code=500), Outcome(error="timeout")])
def test_failures_follow_the_schedule_with_jitter(outcome: Outcome) -> None:
    for attempt, wait in enumerate(SCHEDULE, start=1):
        verdict = judge(outcome, attempt, SCHEDULE)
        assert verdict.status == "pending"
        assert verdict.delay is not None and wait * 0.9 <= verdict.delay <= wait * 1.1
    assert judge(outcome, len(SCHEDULE) + 1, SCHEDULE).status == "failed"


def test_410_fails_at_once() -> None:
    assert judge(Outcome(status_code=410), 1, SCHEDULE).status == "failed"


def test_retry_after_extends_the_wait_but_is_capped() -> None:
    assert judge(Outcome(status_code=429, retry_after=60), 1, SCHEDULE).delay == 60
    short = judge(Outcome(status_code=503, retry_after=1), 2, SCHEDULE).delay
    assert short is not None and short >= 270
    capped = judge(Outcome(status_code=503, retry_after=10**9), 1, SCHEDULE).delay
    assert capped == 24 * 3600


def test_parse_retry_after() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_retry_after("120") == 120
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30
    assert parse_retry_after(format_datetime(now - timedelta(seconds=30), usegmt=True), now) == 0
    for unreadable in (None, "", "soon", "-5", "1.5"):
        assert parse_retry_after(unreadable, now) is None


def test_default_schedule_is_the_standard_webhooks_one() -> None:
    schedule = Settings(webhook_retry_schedule=DEFAULT_RETRY_SCHEDULE).retry_schedule
    assert schedule == (5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)
