"""Faults on demand: latency, rate limits, server errors, dropped connections, early expiry.

Every instance has one :class:`Faults`; all faults are off unless asked for. They can be set
at start (``sandbox.start(faults={"dev": {...}})``) or changed while running
(``sb.faults("dev", latency_ms=50)``).
"""

from __future__ import annotations

import math
import random
import threading
import time
from dataclasses import dataclass, field, fields, replace
from typing import Any

_STATUSES = (500, 502, 503, 504)

# The largest value of each numeric fault, and its unit. A minute of latency is already
# longer than any client's timeout; a Retry-After of more than 11 days, a rate limit of a
# million requests a second and tokens living 10 years are beyond anything worth simulating.
LIMITS: dict[str, tuple[int, str]] = {
    "latency_ms": (60_000, "ms"),
    "jitter_ms": (60_000, "ms"),
    "retry_after": (1_000_000, "s"),
    "rate_limit": (1_000_000, "requests a second"),
    "token_lifetime": (315_360_000, "s, 10 years"),
}


@dataclass(frozen=True)
class FaultSettings:
    """What to inject into every request of one instance.

    Attributes:
        latency_ms: added delay before answering, in milliseconds.
        jitter_ms: the delay varies uniformly by up to this much either way.
        rate_limit: requests per second allowed per client (``None``: unlimited); above it
            the answer is 429 with a ``Retry-After`` header.
        retry_after: seconds sent in ``Retry-After`` with each 429.
        error_rate: share of requests (0-1) answered with a server error.
        error_status: the status of those errors (500, 502, 503 or 504).
        drop_rate: share of requests (0-1) whose connection is closed without an answer.
        lose_rate: share of requests (0-1) that the server carries out, but whose answer is
            lost: the connection closes before it is sent (a create happened, the client
            cannot know).
        token_lifetime: seconds a new token really lives (``None``: as announced). Tokens
            still announce their normal ``expires_in``, as an early expiry would.

    Every number is bounded (see ``LIMITS``), so that no setting can hang the sandbox or
    overflow a clock: a value outside its range is a ``ValueError`` naming the fault, the
    value and the range.
    """

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    rate_limit: float | None = None
    retry_after: float = 1.0
    error_rate: float = 0.0
    error_status: int = 503
    drop_rate: float = 0.0
    lose_rate: float = 0.0
    token_lifetime: float | None = None

    def __post_init__(self) -> None:
        for name in ("latency_ms", "jitter_ms", "retry_after"):
            _check(name, getattr(self, name), "a number >= 0")
        for name in ("error_rate", "drop_rate", "lose_rate"):
            value = getattr(self, name)
            if not _is_number(value) or not 0 <= value <= 1:
                raise ValueError(f"fault {name} must be between 0 and 1, got {value!r}")
        if self.rate_limit is not None:
            _check("rate_limit", self.rate_limit, "> 0 or None", zero=False)
        status = self.error_status
        if not isinstance(status, int) or isinstance(status, bool) or status not in _STATUSES:
            raise ValueError(
                f"fault error_status must be 500, 502, 503 or 504, got {self.error_status!r}"
            )
        if self.token_lifetime is not None:
            _check("token_lifetime", self.token_lifetime, "a number of seconds >= 0 or None")

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


def _check(name: str, value: Any, rule: str, *, zero: bool = True) -> None:
    """Refuse anything but a number from 0 (above 0 without ``zero``) up to ``LIMITS[name]``."""
    high, unit = LIMITS[name]
    if not (_is_number(value) and (value >= 0 if zero else value > 0) and value <= high):
        raise ValueError(f"fault {name} must be {rule} (at most {high:,} {unit}), got {value!r}")


def _is_number(value: Any) -> bool:
    """A finite int or float (``True`` is not a number of milliseconds)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@dataclass
class Decision:
    """What the faults decided for one request."""

    delay: float = 0.0
    status: int | None = None  # an error status to answer with
    retry_after: float | None = None
    drop: bool = False
    lose: bool = False  # act, then drop the connection instead of answering


@dataclass
class Faults:
    """The live fault settings of one instance, safe to change from another thread."""

    settings: FaultSettings = field(default_factory=FaultSettings)
    base_latency_ms: float = 0.0  # the instance's own latency profile
    base_jitter_ms: float = 0.0
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _windows: dict[str, tuple[float, int]] = field(default_factory=dict, repr=False)

    def update(self, **changes: Any) -> FaultSettings:
        """Change some settings (unknown names are refused); returns the new settings."""
        known = FaultSettings.names()
        unknown = set(changes) - set(known)
        if unknown:
            raise ValueError(f"unknown fault(s) {sorted(unknown)}; expected some of {list(known)}")
        with self._lock:
            self.settings = replace(self.settings, **changes)
            return self.settings

    def reset(self) -> None:
        with self._lock:
            self.settings = FaultSettings()
            self._windows.clear()

    def decide(self, client: str) -> Decision:
        """Roll the dice for one request of ``client``."""
        s = self.settings
        decision = Decision()
        latency = self.base_latency_ms + s.latency_ms
        jitter = self.base_jitter_ms + s.jitter_ms
        if latency or jitter:
            decision.delay = max(0.0, latency + self.rng.uniform(-jitter, jitter)) / 1000
        if s.rate_limit is not None and not self._admit(client, s.rate_limit):
            decision.status, decision.retry_after = 429, s.retry_after
            return decision
        if s.drop_rate and self.rng.random() < s.drop_rate:
            decision.drop = True
        elif s.error_rate and self.rng.random() < s.error_rate:
            decision.status = s.error_status
        elif s.lose_rate and self.rng.random() < s.lose_rate:
            decision.lose = True
        return decision

    def _admit(self, client: str, limit: float) -> bool:
        """A fixed window per client: one second, or longer for less than one request a second
        (``0.5`` lets one request through every two seconds)."""
        now, window = time.monotonic(), max(1.0, 1.0 / limit)
        with self._lock:
            start, count = self._windows.get(client, (now, 0))
            if now - start >= window:
                start, count = now, 0
            self._windows[client] = (start, count + 1)
            # at least one request a window: 0.013 * (1 / 0.013) is 0.99999... in floats
            return count + 1 <= max(1.0, limit * window)
