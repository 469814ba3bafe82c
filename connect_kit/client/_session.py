"""ConnectSession: a ``requests.Session`` bound to one environment.

>>> import connect_kit as ck
>>> dev = ck.connect("dev")                                   # doctest: +SKIP
>>> res = dev.call("find_delivery_stores",                     # doctest: +SKIP
...                find_by={"address_line_1": "50 Beale St", "postal_code": "94105"})
>>> res.frame                                                 # doctest: +SKIP

Paths are relative to the environment's server; tokens come and go by themselves; failures
that are safe to retry are retried by :class:`~connect_kit.client._retry.RetryPolicy`; every call
lands in :attr:`ConnectSession.history`. Every request, whatever path it takes, ends in
:meth:`ConnectSession.send`, and the rules hold there.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from contextlib import suppress
from typing import TYPE_CHECKING, Any

import requests

from .. import _redact as redact
from .. import spec
from .._version import __version__
from ..errors import APIError, ConfigurationError, ConnectError
from ..spec.base import Operation
from . import _arguments as arguments
from . import _auth, _bulk, _conformance, _pulls, _recording
from . import _diagnosis as diagnosis
from . import _writes as writes
from ._auth import USER_SCOPE, ClientCredentials, Token, Tokens, origin, token_from, token_request
from ._config import Environment, url_problem
from ._deadline import WatchedAdapter, attempt_timeouts, watch
from ._environ import EnvironmentSettings
from ._guard import check_request
from ._history import History
from ._responses import api_error, error_code
from ._result import RequestInfo, Result
from ._retry import RetryPolicy

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger("connect_kit")

DEFAULT_TIMEOUT = (5.0, 30.0)  # connect, read (seconds)
API_HEADERS = ("Accept-Language", "X-Retailer-Id")  # optional request headers of the API
HISTORY_SIZE = 1000


class ConnectSession(requests.Session):
    """An authenticated session for one environment.

    Every request ends in :meth:`send` (``call``, ``get``/``post``, ``request``,
    ``prepare_request`` + ``send``, a request made in a response hook), and the rules hold
    there, in this order, before a token is fetched or a byte is sent: the request goes to the
    environment's own origin over HTTPS with no credentials in its query string; a
    state-changing request to a production environment is refused unless writes are allowed
    (:func:`connect_kit.client.check_write`). Then the token is attached, and the attempts
    are made within one overall deadline.

    Thread safety: one session may be shared by threads, as :meth:`call_many` does. Tokens are
    fetched once however many threads need one, :attr:`history` is written and copied under a
    lock, and requests' connection pool is thread-safe. Changing the session's settings
    (``headers``, ``verify``, ``retry``, ``allow_writes``) while calls are in flight is not.

    Request headers of the API (connect/api/request_headers) are set on :attr:`headers`, like
    any requests session's: ``session.headers["Accept-Language"] = "fr-CA"`` (the language of
    answers, e.g. an order's ``locale``) and ``session.headers["X-Retailer-Id"] = "<banner>"``
    (multi-banner retailers). :meth:`for_user` sessions inherit those two.

    Args:
        env: the environment's settings (see :func:`connect_kit.connect`).
        allow_writes: allow state-changing calls on a production environment
            (default: the environment's ``ALLOW_WRITES`` setting).
        retry: the retry policy.
        timeout: default (connect, read) timeouts in seconds; each attempt's are shortened
            to what is left of the policy's overall deadline.
        history_size: how many calls :attr:`history` keeps.
        strict: how :meth:`call` checks fields the spec does not know: None sends them with a
            warning (typos aside), True refuses them, False checks nothing (default: ``STRICT``).
    """

    auth: ClientCredentials  # always: the session's own tokens

    def __init__(
        self,
        env: Environment,
        *,
        allow_writes: bool | None = None,
        retry: RetryPolicy | None = None,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        history_size: int = HISTORY_SIZE,
        user_id: str | None = None,
        strict: bool | None = None,
    ) -> None:
        super().__init__()
        if url_problem(env.url):
            raise ConfigurationError(f"{env.name}: {env.url!r} {url_problem(env.url)}")
        if not env.has_credentials:
            raise ConfigurationError(f"{env.name}: no client id and secret to authenticate with")
        self.env = env
        self.base_url = env.url.rstrip("/")
        self.origin = origin(self.base_url)
        self.allow_writes = env.allow_writes if allow_writes is None else bool(allow_writes)
        self.strict = env.strict if strict is None else strict
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self.verify = env.ca_bundle or True
        self.trust_env = not env.sandbox  # nothing from outside meddles with loopback
        self.headers.update(
            {"Accept": "application/json", "User-Agent": f"connect-kit/{__version__}"}
        )
        adapter = WatchedAdapter(pool_connections=2, pool_maxsize=32, max_retries=0)
        self.mount("https://", adapter)
        self.mount("http://", _RefuseHTTP())
        self._history = History(history_size)
        self._conformance = _conformance.Conformance(history_size, env.name)
        self._environ = EnvironmentSettings()
        self.user_id = user_id  # set: tokens speak for this Connect user (Post-checkout)
        self.tokens = Tokens(
            (self.base_url, env.client_id or "", user_id),
            USER_SCOPE if user_id else (env.scope or ""),
            self._fetch_token,
            self._revoke_token,
        )
        self.auth = self.tokens.default
        self._closed = False

    # -- what users see --------------------------------------------------------------------

    def for_user(self, user_id: str) -> ConnectSession:
        """A session on the same environment whose token speaks for one Connect user
        (``fulfillment_user_assertion``, scope ``connect:post_checkout``): what the
        Post-checkout API needs."""
        if not isinstance(user_id, str) or not user_id:
            raise ConfigurationError(f"user_id must be a non-empty string, got {user_id!r}")
        user = ConnectSession(
            self.env,
            allow_writes=self.allow_writes,
            strict=self.strict,
            retry=self.retry,
            timeout=self.timeout,
            history_size=self._history.size,
            user_id=user_id,
        )
        for name in API_HEADERS:  # the language and banner the caller chose carry over
            if name in self.headers:
                user.headers[name] = self.headers[name]
        return _recording.carry(self, user)  # the same recording, or the same replay

    def __repr__(self) -> str:
        served = "embedded sandbox" if self.env.sandbox else "live"
        writes = ", writes allowed" if self.allow_writes and self.env.kind == "production" else ""
        user = f" as user {self.user_id}" if self.user_id else ""
        return (
            f"<ConnectSession {self.env.name} ({self.env.kind}, {served}) {self.base_url}"
            f"{user}{writes}>"
        )

    @property
    def token_info(self) -> dict[str, Any]:
        """Scope and expiry of the session's token, fetched if needed (never the token itself)."""
        return self.auth.token().info()

    @property
    def history(self) -> pd.DataFrame:
        """One row per HTTP call made (token calls included), oldest first.

        Safe to read while other threads are calling: the rows are copied under a lock.
        """
        return self._history.frame()

    conformance = _conformance.Findings()  # where answers did not fit the spec: a DataFrame

    @property
    def exchanges(self) -> list[dict[str, Any]]:
        """The exchanges the history keeps (request and answer, headers and bodies), as HAR
        1.2 entries, oldest first, redacted as a recording is."""
        return list(json.loads(_recording.history_document(self))["log"]["entries"])

    # -- requests plumbing -----------------------------------------------------------------

    def _url(self, url: str) -> str:
        if url[:7].lower() == "http://":
            raise ConfigurationError(f"{url!r}: plain http is refused; Connect is HTTPS only")
        if url[:8].lower() == "https://":
            return url
        return self.base_url + ("" if url.startswith("/") else "/") + url

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        """As ``requests.Session.request``, with paths relative to the environment's server,
        default timeouts and no redirects. The checks happen in :meth:`send`."""
        kwargs.setdefault("timeout", self.timeout)
        kwargs["allow_redirects"] = False  # never followed: Connect does not redirect, and a
        # redirect answered by anything else is worth seeing, not following
        return super().request(method.upper(), self._url(url), *args, **kwargs)

    def merge_environment_settings(  # type: ignore[override]
        self, url: str, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> dict[str, Any]:
        """Proxies and CA bundle from the environment (see :mod:`._environ`)."""
        return self._environ.merge(self, url, proxies, stream, verify, cert)

    def _path(self, url: str) -> str:
        return url[len(self.base_url) :].split("?", 1)[0] if url.startswith(self.base_url) else url

    def operation_of(self, request: requests.PreparedRequest) -> Operation | None:
        """The spec's operation that ``request`` calls (None for a path the spec lacks)."""
        url = request.url or ""
        if not url.startswith(self.base_url + "/"):
            return None
        found = spec.match(request.method or "GET", self._path(url))
        return found[0] if found else None

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Check, authenticate and send, with retries (per the policy) within the overall
        deadline, a new token after a 401, and a history row.

        A write is sent again only when it cannot change state twice: after a failure that
        never reached the server (no connection, a 429), or when it is a create carrying the
        caller's own id, which reads its record back if an earlier attempt was carried out.
        """
        op = self.operation_of(request)
        method, path = request.method or "GET", self._path(request.url or "")
        diagnosis.check_sandbox_api(self.env, op)  # Instacart would answer 404: refused now
        check_request(self.env, self.origin, self.allow_writes, method, request.url or "", path, op)
        is_token_call = op is not None and op.area == "auth"
        mutating = writes.changes_state(op, method)
        ident = writes.identity(op, request.body) if mutating else None
        idempotent = not mutating or ident is not None  # safe to send twice
        policy = self.retry
        started = policy.clock()
        attempt, refreshed = 0, False
        doubt: str | None = None  # why an attempt of this write may have been carried out
        timeout = kwargs.pop("timeout", self.timeout)
        while True:
            attempt += 1
            tokens = None if is_token_call else self.tokens.for_scope(op.scope if op else None)
            token = None if tokens is None else tokens.authorize(request)
            left = policy.deadline - (policy.clock() - started)
            kwargs["timeout"] = attempt_timeouts(timeout, left)
            try:
                with watch(left) as watched:
                    response = super().send(request, **kwargs)
            except requests.RequestException as exc:
                cut = watched.fired and not isinstance(exc, requests.exceptions.ConnectTimeout)
                error = diagnosis.transport_error(
                    self.env, exc, method, path, deadline=policy.deadline if cut else None
                )
                if mutating and error.sent:
                    doubt = (
                        "cut off at the deadline" if cut else "the connection broke after sending"
                    )
                delay = None
                if not (cut or isinstance(exc, requests.exceptions.SSLError)):
                    delay = policy.next_delay(  # TLS won't mend itself; the deadline is spent
                        attempt,
                        policy.clock() - started,
                        sent=error.sent,
                        idempotent=idempotent,
                    )
                log.debug("%s %s attempt %d: %s", method, path, attempt, error)
                if delay is None:
                    elapsed = policy.clock() - started
                    self._history.record(self.env.name, method, path, op, None, elapsed, attempt)
                    self._remember(op, path, ident, doubt)
                    raise writes.in_doubt(error, op, ident, doubt) from None
            except OSError as exc:
                # requests checks the CA bundle path only when it sends
                raise diagnosis.ca_bundle_error(self.env, self.verify, exc) from None
            else:
                status = response.status_code
                log.debug("%s %s attempt %d: %s", method, path, attempt, status)
                self._conformance.check(op, response, stream=bool(kwargs.get("stream")))
                if status == 401 and token is not None and not refreshed:
                    refreshed = True  # once per wait: a token may expire again in a back-off
                    response.close()
                    tokens.refresh(token.value)  # type: ignore[union-attr]
                    continue
                if mutating and status >= 500:
                    doubt = f"answered {status}"
                delay = policy.next_delay(
                    attempt,
                    policy.clock() - started,
                    status=status,
                    idempotent=idempotent,
                    retry_after=response.headers.get("Retry-After"),
                )
                if delay is None:
                    if status < 400:
                        doubt = None  # its outcome is known: carried out, once
                    response.attempts = attempt  # type: ignore[attr-defined]
                    response.doubt = doubt  # type: ignore[attr-defined]
                    self._history.record(
                        *(self.env.name, method, path, op, status, policy.clock() - started),
                        *(attempt, error_code(response)),
                        None if kwargs.get("stream") else response,  # a stream is the caller's
                    )
                    self._remember(op, path, ident, doubt)
                    return _recording.recorded(self, response)  # when recording: redacted
                response.close()
            policy.sleep(delay)
            refreshed = False

    def _remember(
        self, op: Operation | None, path: str, ident: str | None, doubt: str | None
    ) -> None:
        """A create carrying its own id whose outcome is unknown: sending it again reads it
        back (see :mod:`connect_kit.client._writes`)."""
        if doubt is not None and op is not None and ident is not None:
            writes.IN_DOUBT.add((self.base_url, op.name, path, ident))

    # -- tokens ----------------------------------------------------------------------------

    def _fetch_token(self, scope: str) -> Token:
        op = spec.get("create_token")
        body = token_request(self.env.client_id, self.env.client_secret, scope, self.user_id)
        response = self.request("POST", op.path, json=body, auth=_auth.NoAuth())
        if response.status_code != 200:
            raise self._error(op, response)
        return token_from(response, scope or None)

    def _revoke_token(self, token: Token) -> None:
        op = spec.get("revoke_token")
        body = {"client_id": self.env.client_id, "client_secret": self.env.client_secret}
        with suppress(ConnectError):  # the token expires by itself; closing must not fail
            self.request("POST", op.path, json={**body, "token": token.value}, auth=_auth.NoAuth())

    def close(self) -> None:
        """Revoke the token (if no other session shares it) and close connections."""
        if not self._closed:
            self._closed = True
            self.tokens.close()
        super().close()

    # -- calls by operation ----------------------------------------------------------------

    def call(
        self, operation: str, /, *, body: Mapping[str, Any] | None = None, **params: Any
    ) -> Result:
        """Call an operation of the spec by name, checking its arguments before sending.

        Path and query parameters are given by name; body fields by name too, or all at once
        as ``body=`` (an operation whose body has a field called ``body``, such as
        ``send_chat_message``, takes that field by name as well). Raises
        :class:`~connect_kit.errors.InvalidRequestError` naming the field when the spec can
        tell the call is wrong, and the typed API errors otherwise. ``strict=`` overrides the
        session's :attr:`strict` for this call (see :mod:`connect_kit.client._arguments`).
        """
        op = spec.get(operation)
        path_params, query, payload, notes = arguments.split(op, body, params, self.strict)
        path = op.url_path(**path_params)
        response = self.request(op.method, path, params=query or None, json=payload)
        if response.status_code >= 400:
            error = self._error(op, response)
            key = (self.base_url, op.name, path)
            if writes.recoverable(op, error, payload, key, getattr(response, "doubt", None)):
                try:
                    return self._read_back(op, path_params, payload)
                except ConnectError as failed:  # carried out; reading it back is still owed
                    raise writes.read_back_failed(failed, op, key, payload) from None
            raise error
        result = Result(
            op,
            response,
            RequestInfo.of(response.request, self.base_url, self.env.name),
        )
        try:
            result.json  # noqa: B018 (parsed once here, so that off-spec text is an error now)
        except ValueError:
            raise APIError(
                f"{op.name} answered {response.status_code} with a body that is not JSON: "
                + redact.scrub(response.text.strip()[:200], self.env.client_secret),
                status=response.status_code,
                method=op.method,
                path=path,
                request_id=response.headers.get("X-Request-Id"),
            ) from None
        result.warnings.extend([*notes, *arguments.deprecated_in_answer(op, result.json)])
        if op.deprecated:
            result.warnings.insert(0, f"{op.name} is deprecated")
        return result

    # Bulk pulls and ready-made pulls: functions of a session (see their modules), bound here
    call_many = _bulk.call_many
    read_stores = _pulls.read_stores
    read_time_slots = _pulls.read_time_slots
    read_order = _pulls.read_order
    read_orders = _pulls.read_orders
    read_order_items = _pulls.read_order_items
    read_link = _pulls.read_link

    def _read_back(self, op: Operation, path_params: dict[str, Any], payload: Any) -> Result:
        reader = spec.get(op.read_back or "")
        known = {**path_params, **(payload or {})}
        args = {name: known[name] for name in [*reader.path_params, *reader.query] if name in known}
        result = self.call(reader.name, **args)
        result.recovered = True
        result.warnings.append(
            f"{op.name} may have been carried out by an earlier attempt and met 'already "
            f"exists': read back with {reader.name}"
        )
        return result

    def _error(self, op: Operation | None, response: requests.Response) -> APIError:
        """The typed error of an error answer; a write that may still have been carried out
        (an earlier attempt, or this 5xx) says so, and how to recover."""
        error = api_error(op, response, self.base_url, self.env.client_secret)
        diagnosis.explain(error, self.env, op, self.tokens, response.request)
        doubt = getattr(response, "doubt", None)
        return writes.in_doubt(error, op, writes.identity(op, response.request.body), doubt)  # type: ignore[return-value]

    def check(self, response: requests.Response) -> requests.Response:
        """Raise the typed error for an error response (of a plain ``get``/``post``...);
        return the response itself when it succeeded."""
        if response.status_code >= 400:
            found = spec.match(response.request.method or "GET", response.request.path_url)
            raise self._error(found[0] if found else None, response)
        return response


class _RefuseHTTP(requests.adapters.BaseAdapter):
    """Plain http never leaves the session (a redirect or a typed URL)."""

    def send(self, request, *args, **kwargs):
        raise ConfigurationError(f"{request.url}: plain http is refused; Connect is HTTPS only")

    def close(self) -> None:
        pass
