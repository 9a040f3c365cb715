"""The outbox's pure rules: backoff with jitter and Retry-After, and delivery status that moves forward only."""

from __future__ import annotations

import time
from email.utils import formatdate

from handoff.delivery.outbox import MAX_RETRY_AFTER_SECONDS, RetryPolicy, advances, retry_after_seconds


def test_retry_policy_doubles_caps_jitters_and_honours_retry_after() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=60.0, max_attempts=5)
    for attempts, ceiling in ((1, 1.0), (2, 2.0), (3, 4.0), (7, 60.0), (30, 60.0)):
        delays = [policy.delay(attempts) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1  # jittered
    assert policy.delay(1, retry_after=30) == 30
    assert policy.delay(1, retry_after=10**9) == 3600  # a silly Retry-After is capped
    assert retry_after_seconds("7") == 7
    assert 50 < (retry_after_seconds(formatdate(time.time() + 60, usegmt=True)) or 0) <= 60
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_retry_after_never_shortens_the_backoff_and_never_goes_negative() -> None:
    policy = RetryPolicy(base_delay=10.0, max_delay=60.0, max_attempts=5)
    assert all(5.0 <= policy.delay(1, retry_after=1) <= 10.0 for _ in range(50))  # the backoff is longer: kept
    assert policy.delay(1, retry_after=MAX_RETRY_AFTER_SECONDS + 1) == MAX_RETRY_AFTER_SECONDS
    assert retry_after_seconds("-5") == 0 and retry_after_seconds(" 2.5 ") == 2.5
    assert retry_after_seconds(formatdate(time.time() - 60, usegmt=True)) == 0  # a date in the past: now
    assert retry_after_seconds("") is None


def test_status_moves_forward_only() -> None:
    assert advances("queued", "sent") and advances("sent", "delivered") and advances("delivered", "read")
    assert advances("sent", "failed") and advances("queued", "failed")
    assert not advances("delivered", "sent") and not advances("read", "delivered") and not advances("sent", "queued")
    assert not advances("delivered", "failed")  # the platform already confirmed it arrived
    assert not advances("failed", "delivered") and not advances("failed", "sent")  # failure is final
    assert not advances("received", "read") and not advances(None, "sent")  # not an outbound message
