"""What a receiver holds: the tokens it issued and the events it took, under one lock.

The receiver's HTTP app (:mod:`._app`) writes here from the server's thread; the
:class:`~connect_kit.callbacks.Receiver` reads from the notebook's. Each event is kept once
by ``event_id`` (callbacks may come twice, and in any order); every arrival is counted.
"""

from __future__ import annotations

import contextlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from ._events import order_key


class Inbox:
    """Tokens and events of one receiver.

    Attributes:
        received: callbacks accepted, duplicates included.
        duplicates: callbacks whose ``event_id`` had already been received.
        refused: callbacks answered with an error status (no or bad token, simulated
            failure, a body that is not an envelope).
    """

    def __init__(self, client_id: str, client_secret: str, token_ttl: int) -> None:
        self.client_id, self._client_secret, self.token_ttl = client_id, client_secret, token_ttl
        self._lock = threading.Condition(threading.RLock())
        self._events: dict[int, dict[str, Any]] = {}
        self._arrivals: list[int] = []  # event ids as they came, duplicates included
        self._tokens: dict[str, float] = {}  # access token -> monotonic expiry
        self._fail_next: list[int] = []
        self._listeners: list[Callable[[], None]] = []
        self.received = 0
        self.duplicates = 0
        self.refused = 0

    def __repr__(self) -> str:  # never the secret, nor a token
        return f"<Inbox of {self.client_id}: {len(self)} events>"

    # tokens --------------------------------------------------------------------------------

    def knows(self, client_id: str, client_secret: str) -> bool:
        """Whether these are the receiver's own credentials (compared in constant time)."""
        good_id = hmac.compare_digest(client_id.encode(), self.client_id.encode())
        good_secret = hmac.compare_digest(client_secret.encode(), self._client_secret.encode())
        return good_id and good_secret

    def issue_token(self) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = time.monotonic() + self.token_ttl
        return token

    def expire_tokens(self) -> int:
        """Expire every token issued so far; returns how many were live."""
        with self._lock:
            now = time.monotonic()
            live = sum(1 for expiry in self._tokens.values() if expiry > now)
            self._tokens.clear()
            return live

    # callbacks -----------------------------------------------------------------------------

    def fail_next(self, count: int, status: int) -> None:
        with self._lock:
            self._fail_next.extend([status] * count)

    def refusal(self, scheme: str, token: str) -> int | None:
        """The status a callback carrying ``<scheme> <token>`` is refused with, else None:
        401 without a live bearer token, then any simulated failure (:meth:`fail_next`)."""
        with self._lock:
            expiry = self._tokens.get(token.strip()) if scheme.lower() == "bearer" else None
            if expiry is None or expiry <= time.monotonic():
                self.refused += 1
                return 401
            if self._fail_next:
                self.refused += 1
                return self._fail_next.pop(0)
        return None

    def refuse(self) -> None:
        """Count a callback refused for its body."""
        with self._lock:
            self.refused += 1

    def take(self, event: dict[str, Any]) -> None:
        """Count an accepted event, and keep it unless its ``event_id`` came before."""
        with self._lock:
            self.received += 1
            self._arrivals.append(event["event_id"])
            if event["event_id"] in self._events:
                self.duplicates += 1
            else:
                self._events[event["event_id"]] = event
            self._lock.notify_all()

    def clear(self) -> None:
        with self._lock:
            self._events.clear()
            self._arrivals.clear()
            self.received = self.duplicates = self.refused = 0

    # reading -------------------------------------------------------------------------------

    def __len__(self) -> int:
        with self._lock:
            return len(self._events)

    def counts(self) -> tuple[int, int, int]:
        """``(kept, received, duplicates)``, read together."""
        with self._lock:
            return len(self._events), self.received, self.duplicates

    def wait_for(self, n: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self._events) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(left)
            return True

    def arrivals(self) -> list[int]:
        with self._lock:
            return list(self._arrivals)

    def event_list(self) -> list[dict[str, Any]]:
        with self._lock:
            events = list(self._events.values())
        return sorted(events, key=order_key)

    # listeners (a live widget) -------------------------------------------------------------

    def follow(self, listener: Callable[[], None]) -> None:
        with self._lock:
            self._listeners.append(listener)

    def unfollow(self, listener: Callable[[], None]) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def notify(self) -> None:
        """Call every listener (after an event was taken and answered)."""
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            with contextlib.suppress(Exception):  # a broken widget never breaks the receiver
                listener()
