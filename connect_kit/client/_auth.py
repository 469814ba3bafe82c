"""OAuth client-credentials tokens: one object attached to the session owns them.

Tokens are cached per (server, client id, scope) for the whole process, reused until
shortly before they expire, fetched once when many threads need one at the same moment (one
lock per key, checked again inside it), fetched again after a 401, and revoked when the
last session using them closes. A token is bound to its server's origin: :meth:`authorize`
attaches it to a request for that origin only, and the session calls it where requests are
sent, after its checks. Nothing here ever puts a token in a repr or a log line.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests

from ..errors import ConfigurationError

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
    """Tokens by key, shared by every session of the process."""

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


TOKENS = TokenCache()


class ClientCredentials(requests.auth.AuthBase):
    """Adds ``Authorization: Bearer <token>`` to each request, fetching tokens as needed.

    ``fetch`` gets a new token from the server (the session provides it, so the token call
    uses the session's TLS settings and shows in its history); ``revoke`` revokes one.
    """

    def __init__(
        self,
        key: Key,
        fetch: Callable[[], Token],
        revoke: Callable[[Token], None],
        *,
        cache: TokenCache = TOKENS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.key, self._fetch, self._revoke = key, fetch, revoke
        self.cache, self.clock = cache, clock
        self.fetches = 0  # how many tokens this object fetched
        cache.acquire(key)

    def __repr__(self) -> str:
        server, client_id, scope = self.key
        return f"<ClientCredentials {client_id} scope={scope or 'default'} at {server}>"

    def token(self) -> Token:
        """A usable token: the cached one, or one fetched now (once, however many ask)."""
        token = self.cache.get(self.key)
        if token is not None and token.usable(self.clock()):
            return token
        with self.cache.lock(self.key):
            token = self.cache.get(self.key)  # another thread may have fetched it meanwhile
            if token is None or not token.usable(self.clock()):
                token = self._fetch()
                self.fetches += 1
                self.cache.put(self.key, token)
            return token

    def refresh(self, refused: str) -> Token:
        """A new token after the server refused ``refused`` (401); fetched once for all the
        threads that met the same refusal."""
        with self.cache.lock(self.key):
            token = self.cache.get(self.key)
            if token is None or token.value == refused:
                token = self._fetch()
                self.fetches += 1
                self.cache.put(self.key, token)
            return token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        """What requests calls while preparing a request: nothing is attached yet (any other
        Authorization, from netrc or a header, is dropped). The session's ``send`` attaches
        the token with :meth:`authorize` once the request has passed its checks."""
        request.headers.pop("Authorization", None)
        return request

    def authorize(self, request: requests.PreparedRequest) -> Token:
        """Attach a usable token to ``request``, which must go to this token's own origin."""
        own, to = origin(self.key[0]), origin(request.url or "")
        if to != own:
            raise ConfigurationError(f"refused: the token of {own} may not go to {to}")
        token = self.token()
        request.headers["Authorization"] = f"Bearer {token.value}"
        return token

    @property
    def current(self) -> Token | None:
        return self.cache.get(self.key)

    def close(self) -> None:
        """Revoke the token if no other session uses it."""
        if self.cache.release(self.key):
            token = self.cache.drop(self.key)
            if token is not None:
                self._revoke(token)


def origin(url: str) -> str:
    """``scheme://host:port`` of a URL, the port made explicit: where a token may go.

    >>> origin("https://Connect.Instacart.com/v2/fulfillment/users")
    'https://connect.instacart.com:443'
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or {"https": 443, "http": 80}.get(scheme)
    except ValueError:  # a port that is not a number: the origin of no server
        port = None
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}"
