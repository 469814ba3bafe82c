"""When to retry, and how long to wait: a small, pure policy.

Whoever sends asks :meth:`RetryPolicy.next_delay` after every failed attempt (the client's
session, and the sandbox's callback sender); it answers a delay in seconds, or ``None`` to
stop. Sleep, clock and randomness are injectable so tests can fix them. This module imports
nothing else of the package, so that every part may use it.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header, or ``None`` when absent or not sane.

    Accepts delta-seconds (``"2"``, ``"0.5"``) and HTTP-dates; a date in the past means 0.
    Negative, NaN, infinite or unparseable values are ignored (``None``).
    """
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
    if math.isnan(seconds) or math.isinf(seconds) or seconds < 0:
        return None
    return seconds


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, an overall deadline, and a Retry-After ceiling.

    Attributes:
        max_attempts: attempts in all, the first included.
        backoff: base delay in seconds (doubled per attempt, then jittered).
        max_backoff: cap of one backoff delay.
        deadline: seconds all attempts and waits may take together.
        max_retry_after: a ``Retry-After`` above this is not waited for: the caller raises a
            rate-limit error carrying the wait instead of hanging a notebook cell.
    """

    max_attempts: int = 4
    backoff: float = 0.25
    max_backoff: float = 4.0
    deadline: float = 30.0
    max_retry_after: float = 20.0
    statuses: frozenset[int] = RETRY_STATUSES
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)
    random: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.max_attempts, int) or self.max_attempts < 1:
            raise ValueError(f"max_attempts must be an integer >= 1, got {self.max_attempts!r}")
        for name in ("backoff", "max_backoff", "deadline", "max_retry_after"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not value >= 0:
                raise ValueError(f"{name} must be a number of seconds >= 0, got {value!r}")

    def jitter(self, attempt: int) -> float:
        """Full jitter: uniform between 0 and the exponential backoff for this attempt."""
        return self.random() * min(self.max_backoff, self.backoff * 2 ** (attempt - 1))

    def retryable(
        self, *, status: int | None = None, sent: bool = False, idempotent: bool = True
    ) -> bool:
        """Whether a failure may be retried at all.

        A connection failure before sending is always safe. A 429 was refused unprocessed.
        Anything else that may have reached the server (a 5xx, a connection broken after
        sending) is retried only when repeating it cannot change state twice
        (``idempotent``: a read, or a create carrying the caller's own id).
        """
        if status is None:
            return not sent or idempotent
        if status == 429:
            return True
        return status in self.statuses and idempotent

    def next_delay(
        self,
        attempt: int,
        elapsed: float,
        *,
        status: int | None = None,
        sent: bool = False,
        idempotent: bool = True,
        retry_after: str | None = None,
    ) -> float | None:
        """The wait before the next attempt, or ``None`` to stop.

        ``attempt`` counts the attempts made so far; ``elapsed`` is the time they took.
        A sane ``Retry-After`` is honoured as it is; above ``max_retry_after`` the answer is
        ``None``, and the caller raises a rate-limit error carrying the wait.
        """
        if attempt >= self.max_attempts or not self.retryable(
            status=status, sent=sent, idempotent=idempotent
        ):
            return None
        asked = parse_retry_after(retry_after) if status is not None else None
        if asked is not None and asked > self.max_retry_after:
            return None
        delay = asked if asked is not None else self.jitter(attempt)
        if elapsed + delay > self.deadline:
            return None
        return delay
