"""Access tokens: immutable snapshots, and a cache that fetches each one once.

Shared by the client's OAuth object (:mod:`connect_kit.client._auth`) and the sandbox's
callback sender, which each say how a token is fetched; the cache says when. A token is
reused until shortly before it expires; when many threads need one at the same moment it is
fetched once (one lock per key, checked again inside it); after a refusal it is fetched
again, once for all the threads that met the same refusal. This module imports nothing else
of the package, and never puts a token's value in a repr.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

Key = tuple[str, str, str]  # (server, client id, scope)


@dataclass(frozen=True)
class Token:
    """An immutable snapshot of one access token. Its value never shows in a repr."""

    value: str = field(repr=False)
    scope: str | None
    expires_at: float  # epoch seconds
    obtained_at: float

    @property
    def lifetime(self) -> float:
        return self.expires_at - self.obtained_at

    def usable(self, now: float) -> bool:
        """Valid for a while yet: refreshed a little early (10% of its life, at most 5 min)."""
        margin = min(300.0, 0.1 * self.lifetime)
        return now < self.expires_at - margin

    def info(self) -> dict[str, object]:
        return {
            "scope": self.scope,
            "obtained_at": datetime.fromtimestamp(self.obtained_at, UTC),
            "expires_at": datetime.fromtimestamp(self.expires_at, UTC),
            "expires_in_s": round(self.expires_at - time.time()),
        }


class TokenCache:
    """Tokens by key, with the users of each key counted (the last one may revoke it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[Key, Token] = {}
        self._locks: dict[Key, threading.Lock] = {}
        self._users: dict[Key, int] = {}

    def lock(self, key: Key) -> threading.Lock:
        with self._lock:
            return self._locks.setdefault(key, threading.Lock())

    def get(self, key: Key) -> Token | None:
        return self._tokens.get(key)

    def put(self, key: Key, token: Token) -> None:
        self._tokens[key] = token

    def drop(self, key: Key) -> Token | None:
        return self._tokens.pop(key, None)

    def acquire(self, key: Key) -> None:
        with self._lock:
            self._users[key] = self._users.get(key, 0) + 1

    def release(self, key: Key) -> bool:
        """One user fewer; True when it was the last one."""
        with self._lock:
            left = self._users.get(key, 0) - 1
            self._users[key] = max(left, 0)
            return left <= 0

    def token(self, key: Key, fetch: Callable[[], Token], clock: Callable[[], float]) -> Token:
        """A usable token: the cached one, or one ``fetch``-ed now (once, however many ask).

        ``clock`` tells the time in epoch seconds, like :attr:`Token.expires_at`.
        """
        token = self.get(key)
        if token is not None and token.usable(clock()):
            return token
        with self.lock(key):
            token = self.get(key)  # another thread may have fetched it meanwhile
            if token is None or not token.usable(clock()):
                token = fetch()
                self.put(key, token)
            return token

    def refresh(self, key: Key, refused: str, fetch: Callable[[], Token]) -> Token:
        """A new token after the server refused the token ``refused`` (a 401); fetched once
        for all the threads that met the same refusal."""
        with self.lock(key):
            token = self.get(key)
            if token is None or token.value == refused:
                token = fetch()
                self.put(key, token)
            return token
