"""OAuth client-credentials tokens: one object attached to the session owns them.

Tokens are cached per (server, client id, scope) for the whole process, reused until
shortly before they expire, fetched once when many threads need one at the same moment (one
lock per key, checked again inside it), fetched again after a 401, and revoked when the
last session using them closes (the snapshots and their cache: :mod:`connect_kit._tokens`).
A token is bound to its server's origin: :meth:`authorize` attaches it to a request for that
origin only, and the session calls it where requests are sent, after its checks. Nothing
here ever puts a token in a repr or a log line.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests

from .._tokens import Key, Token, TokenCache
from ..errors import APIError, ConfigurationError

__all__ = ["TOKENS", "ClientCredentials", "Key", "NoAuth", "Token", "TokenCache", "origin"]

TOKENS = TokenCache()  # shared by every session of the process


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
        return self.cache.token(self.key, self._counted_fetch, self.clock)

    def refresh(self, refused: str) -> Token:
        """A new token after the server refused ``refused`` (401); fetched once for all the
        threads that met the same refusal."""
        return self.cache.refresh(self.key, refused, self._counted_fetch)

    def _counted_fetch(self) -> Token:
        token = self._fetch()
        self.fetches += 1
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


USER_SCOPE = "connect:post_checkout"  # what a user token (Post-checkout) asks for
# the APIs a user's token may reach; an app's token reaches the others
# (connect/api/permissions_scopes)
USER_SCOPES = frozenset({USER_SCOPE, "connect:recommendations", "Connect::Orders::RatingService"})
APP_ONLY = frozenset({USER_SCOPE, "account_linking"})


class Tokens:
    """A session's tokens: its own scope's, and, on demand, one per other API's scope its own
    does not reach (``connect:recommendations`` on a session set to ``connect:fulfillment``),
    for the same app or the same user. An empty scope setting asks for every API of the app.
    """

    def __init__(
        self,
        who: tuple[str, str, str | None],  # (server, client id, Connect user or None)
        scope: str,
        fetch: Callable[[str], Token],
        revoke: Callable[[Token], None],
    ) -> None:
        self._who, self._scope, self._fetch, self._revoke = who, scope, fetch, revoke
        self._reached = set(scope.replace(",", " ").split())
        self.default = self._credentials(scope)
        self._others: dict[str, ClientCredentials] = {}
        self._lock = threading.Lock()

    def _credentials(self, scope: str) -> ClientCredentials:
        server, client_id, user_id = self._who
        key = (server, client_id, scope + (f"@{user_id}" if user_id else ""))
        return ClientCredentials(key, lambda: self._fetch(scope), self._revoke)

    def for_scope(self, wanted: str | None) -> ClientCredentials:
        """The tokens for a request to an API of scope ``wanted`` (``None``: the session's)."""
        user = self._who[2] is not None
        if not wanted or not self._reached or wanted in self._reached:
            return self.default
        if (user and wanted not in USER_SCOPES) or (not user and wanted in APP_ONLY):
            return self.default  # no token of this grant reaches it: the server says so
        with self._lock:
            if wanted not in self._others:
                self._others[wanted] = self._credentials(wanted)
            return self._others[wanted]

    @property
    def user_id(self) -> str | None:
        """The Connect user the tokens speak for (None: the app's own tokens)."""
        return self._who[2]

    def granted(self, wanted: str | None) -> frozenset[str] | None:
        """The scopes of the current token for a request to an API of scope ``wanted``, as
        the server granted them (or as asked, when its answer did not say); None when no
        token is held."""
        token = self.for_scope(wanted).current
        if token is None:
            return None
        return frozenset((token.scope or "").replace(",", " ").split())

    def close(self) -> None:
        for credentials in (self.default, *self._others.values()):
            credentials.close()


class NoAuth(requests.auth.AuthBase):
    """Token calls carry their credentials in the body, never a bearer token."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers.pop("Authorization", None)
        return request


def token_request(
    client_id: str | None, client_secret: str | None, scope: str | None, user_id: str | None
) -> dict[str, Any]:
    """The JSON body of a token request: client credentials, or a user assertion naming the
    Connect user a token speaks for (Post-checkout by default; the frontend Recommendations and
    Order Feedback APIs with their own scopes)."""
    body: dict[str, Any] = {"client_id": client_id, "client_secret": client_secret}
    if user_id is not None:
        assertion = base64.b64encode(json.dumps({"user_id": user_id}).encode()).decode()
        return {
            **body,
            "grant_type": "fulfillment_user_assertion",
            "assertion": assertion,
            "scope": scope or USER_SCOPE,
        }
    body["grant_type"] = "client_credentials"
    if scope:
        body["scope"] = scope
    return body


def token_from(response: requests.Response, scope: str | None) -> Token:
    """The token of a 200 answer of the token endpoint; an answer without a usable one is an
    error that says so (never a KeyError from inside)."""
    try:
        data = response.json()
        value, lifetime = data["access_token"], float(data.get("expires_in", 86400))
        usable = isinstance(value, str) and bool(value) and lifetime > 0
    except (ValueError, TypeError, KeyError, AttributeError):
        usable = False
    if not usable:
        raise APIError(
            "the token endpoint answered 200 without a usable access_token and expires_in",
            status=response.status_code,
            method="POST",
            path=urlsplit(response.url or "").path,
        )
    now = time.time()
    return Token(value, data.get("scope", scope), now + lifetime, now)
