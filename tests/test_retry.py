"""The retry policy as a pure function: tables of cases, with fixed randomness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from connect_kit.client._retry import RetryPolicy, parse_retry_after

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (None, None),
        ("", None),
        ("2", 2.0),
        ("0.5", 0.5),
        ("0", 0.0),
        ("-1", None),  # hostile: negative
        ("NaN", None),
        ("nan", None),
        ("inf", None),
        ("1e400", None),  # overflows to inf
        ("soon", None),
        ("86400", 86400.0),  # huge but sane: the caller decides
        (format_datetime(NOW + timedelta(seconds=30), usegmt=True), 30.0),
        (format_datetime(NOW - timedelta(seconds=30), usegmt=True), 0.0),  # in the past
        ("Wed, 99 Foo 2026 99:99:99 GMT", None),
    ],
)
def test_parse_retry_after(header, seconds):
    assert parse_retry_after(header, now=NOW) == seconds


def policy(**kw) -> RetryPolicy:
    return RetryPolicy(random=lambda: 1.0, **kw)  # the jitter's upper bound, for exact numbers


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        # connection failures before sending: always safe
        ({"sent": False, "idempotent": False}, 0.25),
        # after sending: only when repeating cannot change state twice
        ({"sent": True, "idempotent": True}, 0.25),
        ({"sent": True, "idempotent": False}, None),
        # 429 was refused unprocessed: retried even for writes
        ({"status": 429, "idempotent": False}, 0.25),
        ({"status": 429, "retry_after": "3", "idempotent": False}, 3.0),
        ({"status": 429, "retry_after": "-5"}, 0.25),  # not sane: backoff instead
        ({"status": 429, "retry_after": "3600"}, None),  # above the ceiling: stop
        ({"status": 503, "idempotent": True}, 0.25),
        ({"status": 503, "idempotent": False}, None),
        ({"status": 502}, 0.25),
        ({"status": 504}, 0.25),
        ({"status": 500}, 0.25),  # a read's 500 is retried...
        ({"status": 500, "idempotent": False}, None),  # ...a write's is not
        ({"status": 400}, None),
        ({"status": 401}, None),
    ],
)
def test_what_is_retried(case, expected):
    assert policy().next_delay(1, 0.0, **case) == expected


def test_backoff_doubles_up_to_its_cap_with_full_jitter():
    p = policy(max_attempts=10, backoff=0.5, max_backoff=3.0, deadline=100)
    assert [p.next_delay(n, 0.0) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    low = RetryPolicy(random=lambda: 0.0, max_attempts=10)
    assert low.next_delay(3, 0.0) == 0.0  # full jitter reaches zero


def test_attempts_and_the_deadline_bound_everything():
    p = policy(max_attempts=3, backoff=1.0, deadline=5.0)
    assert p.next_delay(2, 0.0) == 2.0
    assert p.next_delay(3, 0.0) is None  # third attempt was the last
    assert p.next_delay(1, 4.5) is None  # the wait would cross the deadline
    assert p.next_delay(1, 0.0, status=429, retry_after="6") is None  # same for Retry-After


@pytest.mark.parametrize(
    ("field", "value"),
    [("max_attempts", 0), ("max_attempts", 1.5), ("backoff", -1), ("deadline", float("nan"))],
)
def test_a_wrong_policy_is_refused(field, value):
    with pytest.raises(ValueError, match=field):
        RetryPolicy(**{field: value})
