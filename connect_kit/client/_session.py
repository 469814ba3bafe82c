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

import base64
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Mapping
from contextlib import suppress
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests

from .. import _redact as redact
from .. import spec
from .._version import __version__
from ..errors import APIError, ConfigurationError, ConnectError, DeprecatedWarning, warn_at_caller
from ..spec.base import Operation
from . import _arguments as arguments
from . import _bulk, _pulls
from . import _writes as writes
from ._auth import ClientCredentials, Token, origin
from ._config import Environment
from ._deadline import WatchedAdapter, watch
from ._guard import check_write
from ._responses import api_error, error_code, transport_error
from ._result import RequestInfo, Result
from ._retry import RetryPolicy

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger("connect_kit")

DEFAULT_TIMEOUT = (5.0, 30.0)  # connect, read (seconds)
HISTORY_SIZE = 1000
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
USER_SCOPE = "connect:post_checkout"
HISTORY_COLUMNS = [
    "time",
    "env",
    "method",
    "path",
    "operation",
    "status",
    "elapsed_ms",
    "attempts",
    "error_code",
]

_warned: set[str] = set()  # deprecation notices already given in this process


def _warn_once(item: str, message: str) -> str:
    """A deprecation warning, once per item, at the caller's own line."""
    if item not in _warned:
        _warned.add(item)
        warn_at_caller(message, DeprecatedWarning)
    return message


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

    Args:
        env: the environment's settings (see :func:`connect_kit.connect`).
        allow_writes: allow state-changing calls on a production environment
            (default: the environment's ``ALLOW_WRITES`` setting).
        retry: the retry policy.
        timeout: default (connect, read) timeouts in seconds; each attempt's are shortened
            to what is left of the policy's overall deadline.
        history_size: how many calls :attr:`history` keeps.
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
    ) -> None:
        super().__init__()
        if urlsplit(env.url).scheme != "https":
            raise ConfigurationError(f"{env.name}: {env.url!r} is not https; Connect is HTTPS only")
        if not env.has_credentials:
            raise ConfigurationError(f"{env.name}: no client id and secret to authenticate with")
        self.env = env
        self.base_url = env.url.rstrip("/")
        self.origin = origin(self.base_url)
        self.allow_writes = env.allow_writes if allow_writes is None else bool(allow_writes)
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
        self._history: deque[dict[str, Any]] = deque(maxlen=history_size)
        self._history_lock = threading.Lock()
        self.user_id = user_id  # set: tokens speak for this Connect user (Post-checkout)
        scope = USER_SCOPE if user_id else (env.scope or "")
        self.auth = ClientCredentials(
            (self.base_url, env.client_id or "", scope + (f"@{user_id}" if user_id else "")),
            self._fetch_token,
            self._revoke_token,
        )
        self._closed = False

    # -- what users see --------------------------------------------------------------------

    def for_user(self, user_id: str) -> ConnectSession:
        """A session on the same environment whose token speaks for one Connect user
        (``fulfillment_user_assertion``, scope ``connect:post_checkout``): what the
        Post-checkout API needs."""
        if not isinstance(user_id, str) or not user_id:
            raise ConfigurationError(f"user_id must be a non-empty string, got {user_id!r}")
        return ConnectSession(
            self.env,
            allow_writes=self.allow_writes,
            retry=self.retry,
            timeout=self.timeout,
            history_size=self._history.maxlen or HISTORY_SIZE,
            user_id=user_id,
        )

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
        import pandas as pd

        with self._history_lock:
            rows = list(self._history)
        frame = pd.DataFrame(rows, columns=HISTORY_COLUMNS)
        frame["time"] = pd.to_datetime(frame["time"], utc=True)
        frame["status"] = frame["status"].astype("Int64")
        frame["attempts"] = frame["attempts"].astype("Int64")
        frame["error_code"] = frame["error_code"].astype("string")
        return frame

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

    def merge_environment_settings(self, url, proxies, stream, verify, cert):  # type: ignore[no-untyped-def]
        # requests lets REQUESTS_CA_BUNDLE override a session's own verify: keep ours.
        settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
        if verify is None and self.verify is not True:
            settings["verify"] = self.verify
        return settings

    def _path(self, url: str) -> str:
        return url[len(self.base_url) :].split("?", 1)[0] if url.startswith(self.base_url) else url

    def operation_of(self, request: requests.PreparedRequest) -> Operation | None:
        """The spec's operation that ``request`` calls (None for a path the spec lacks)."""
        url = request.url or ""
        if not url.startswith(self.base_url + "/"):
            return None
        found = spec.match(request.method or "GET", self._path(url))
        return found[0] if found else None

    def _check(self, request: requests.PreparedRequest, op: Operation | None) -> None:
        """Everything that must hold before a token is fetched or a byte is sent."""
        method, url = request.method or "GET", request.url or ""
        if url[:7].lower() == "http://":
            raise ConfigurationError(f"{url!r}: plain http is refused; Connect is HTTPS only")
        if origin(url) != self.origin:
            raise ConfigurationError(
                f"{method} {origin(url)}: refused, the session for {self.env.name} sends only "
                f"to its own server {self.origin} (its token belongs there). Use a path, or a "
                f"session for that server."
            )
        found = redact.credential_params(urlsplit(url).query)
        if found:
            raise ConfigurationError(
                f"{method} {self._path(url)}: credentials in the query string "
                f"({', '.join(dict.fromkeys(found))}) are refused before sending: Connect "
                "answers 403 and the credentials must then be rotated. Send them in the JSON body."
            )
        if op is not None and op.area == "auth":
            return  # token calls change nothing of the partner's
        mutating = op.mutating if op is not None else method not in SAFE_METHODS
        if mutating:
            what = op.name if op is not None else f"{method} {self._path(url)}"
            check_write(
                self.env.name,
                self.base_url,
                self.env.kind,
                self.env.kind_reason,
                self.allow_writes,
                what,
            )

    def _timeouts(self, timeout: Any, left: float) -> tuple[float, float]:
        """The attempt's (connect, read) timeouts, neither longer than what is ``left``."""
        if isinstance(timeout, tuple):
            connect, read = timeout
        else:
            connect = read = timeout
        left = max(left, 0.001)
        return (
            left if connect is None else min(float(connect), left),
            left if read is None else min(float(read), left),
        )

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Check, authenticate and send, with retries (per the policy) within the overall
        deadline, a new token after a 401, and a history row.

        A write is sent again only when it cannot change state twice: after a failure that
        never reached the server (no connection, a 429), or when it is a create carrying the
        caller's own id, which reads its record back if an earlier attempt was carried out.
        """
        op = self.operation_of(request)
        self._check(request, op)
        method, path = request.method or "GET", self._path(request.url or "")
        is_token_call = op is not None and op.area == "auth"
        mutating = _changes_state(op, method)
        ident = writes.identity(op, request.body) if mutating else None
        idempotent = not mutating or ident is not None  # safe to send twice
        policy = self.retry
        started = policy.clock()
        attempt, refreshed = 0, False
        doubt: str | None = None  # why an attempt of this write may have been carried out
        timeout = kwargs.pop("timeout", self.timeout)
        while True:
            attempt += 1
            token = None if is_token_call else self.auth.authorize(request)
            left = policy.deadline - (policy.clock() - started)
            kwargs["timeout"] = self._timeouts(timeout, left)
            try:
                with watch(left) as watched:
                    response = super().send(request, **kwargs)
            except requests.RequestException as exc:
                cut = watched.fired and not isinstance(exc, requests.exceptions.ConnectTimeout)
                error = transport_error(
                    exc, method, path, deadline=policy.deadline if cut else None
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
                    self._record(method, path, op, None, started, attempt, "transport")
                    self._remember(op, path, ident, doubt)
                    raise _in_doubt(error, op, ident, doubt) from None
            except OSError as exc:
                # requests checks the CA bundle path only when it sends
                raise ConfigurationError(
                    f"{self.env.name}: cannot use the CA bundle {self.verify!r}: {exc}"
                ) from None
            else:
                status = response.status_code
                log.debug("%s %s attempt %d: %s", method, path, attempt, status)
                if status == 401 and token is not None and not refreshed:
                    refreshed = True  # once per wait: a token may expire again in a back-off
                    response.close()
                    self.auth.refresh(token.value)
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
                    self._record(method, path, op, status, started, attempt, error_code(response))
                    self._remember(op, path, ident, doubt)
                    return response
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

    def _record(
        self,
        method: str | None,
        path: str,
        op: Operation | None,
        status: int | None,
        started: float,
        attempts: int,
        error_code: Any,
    ) -> None:
        row = {
            "time": datetime.now(UTC),
            "env": self.env.name,
            "method": method,
            "path": path,
            "operation": op.name if op else None,
            "status": status,
            "elapsed_ms": round((self.retry.clock() - started) * 1000, 1),
            "attempts": attempts,
            "error_code": None if error_code is None else str(error_code),
        }
        with self._history_lock:
            self._history.append(row)

    # -- tokens ----------------------------------------------------------------------------

    def _token_body(self, **extra: Any) -> dict[str, Any]:
        return {"client_id": self.env.client_id, "client_secret": self.env.client_secret, **extra}

    def _fetch_token(self) -> Token:
        if self.user_id is not None:  # a user token: the assertion names the Connect user
            assertion = base64.b64encode(json.dumps({"user_id": self.user_id}).encode()).decode()
            body = self._token_body(
                grant_type="fulfillment_user_assertion", assertion=assertion, scope=USER_SCOPE
            )
        else:
            body = self._token_body(grant_type="client_credentials")
            if self.env.scope:
                body["scope"] = self.env.scope
        op = spec.get("create_token")
        response = self.request("POST", op.path, json=body, auth=_NoAuth())
        if response.status_code != 200:
            raise self._error(op, response)
        data = response.json()
        now = time.time()
        return Token(
            value=data["access_token"],
            scope=data.get("scope", self.env.scope),
            expires_at=now + float(data.get("expires_in", 86400)),
            obtained_at=now,
        )

    def _revoke_token(self, token: Token) -> None:
        op = spec.get("revoke_token")
        with suppress(ConnectError):  # the token expires by itself; closing must not fail
            self.request("POST", op.path, json=self._token_body(token=token.value), auth=_NoAuth())

    def close(self) -> None:
        """Revoke the token (if no other session shares it) and close connections."""
        if not self._closed:
            self._closed = True
            self.auth.close()
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
        tell the call is wrong, and the typed API errors otherwise.
        """
        op = spec.get(operation)
        if body is not None and not isinstance(body, Mapping) and _has_body_field(op):
            params["body"], body = body, None  # the field called body, given by name
        path_params, query, payload = arguments.split(op, body, params)
        if op.deprecation is not None:
            replacement = f"use {op.replacement}" if op.replacement else "it has no replacement"
            _warn_once(
                f"op:{op.name}", f"{op.name} is deprecated: {replacement}. {op.deprecation.note}"
            )
        for field_path, instead in spec.deprecated_fields_in(op.request, payload):
            advice = f"use {instead}" if instead else "it has no replacement"
            _warn_once(
                f"request:{op.name}.{field_path}",
                f"{op.name}: field {field_path} is deprecated: {advice}",
            )
        path = op.url_path(**path_params)
        response = self.request(op.method, path, params=query or None, json=payload)
        if response.status_code >= 400:
            error = self._error(op, response)
            if self._recoverable(op, error, response, path, payload):
                return self._read_back(op, path_params, payload)
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
        result.warnings.extend(self._deprecated_fields(op, result.json))
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

    def _recoverable(
        self,
        op: Operation,
        error: APIError,
        response: requests.Response,
        path: str,
        payload: Any,
    ) -> bool:
        """A create carrying the caller's own id that met "already exists" because an earlier
        attempt of it may have been carried out: in this call (a lost answer, a connection
        broken after sending, a 5xx), or in an earlier call that ended in doubt. Anything else
        is a genuine duplicate, and an error."""
        ident = writes.identity(op, payload)
        if not (
            ident is not None
            and error.status == 400
            and error.key == op.identity
            and "already exists" in error.message
        ):
            return False
        in_doubt = writes.IN_DOUBT.take((self.base_url, op.name, path, ident))
        return getattr(response, "doubt", None) is not None or in_doubt

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

    def _deprecated_fields(self, op: Operation, data: Any) -> list[str]:
        """Notes on the deprecated fields an answer carries: for ``Result.warnings`` (and
        compare's drift), not a Python warning, as the caller did not ask for them."""
        return [
            f"{op.name}: field {path} is deprecated: "
            + (f"use {replacement}" if replacement else "no replacement")
            for path, replacement in spec.deprecated_fields_in(op.response, data)
        ]

    def _error(self, op: Operation | None, response: requests.Response) -> APIError:
        """The typed error of an error answer; a write that may still have been carried out
        (an earlier attempt, or this 5xx) says so, and how to recover."""
        error = api_error(op, response, self.base_url, self.env.client_secret)
        doubt = getattr(response, "doubt", None)
        return _in_doubt(error, op, writes.identity(op, response.request.body), doubt)  # type: ignore[return-value]

    def check(self, response: requests.Response) -> requests.Response:
        """Raise the typed error for an error response (of a plain ``get``/``post``...);
        return the response itself when it succeeded."""
        if response.status_code >= 400:
            found = spec.match(response.request.method or "GET", response.request.path_url)
            raise self._error(found[0] if found else None, response)
        return response


def _changes_state(op: Operation | None, method: str) -> bool:
    """Whether a request changes state: as the spec says, else by its method. Token calls
    change nothing of the partner's."""
    if op is None:
        return method not in SAFE_METHODS
    return op.mutating and op.area != "auth"


def _in_doubt(
    error: ConnectError, op: Operation | None, ident: str | None, doubt: str | None
) -> ConnectError:
    """``error``, saying so (and how to recover) when the write it ended may have been
    carried out."""
    if doubt is None:
        return error
    error.may_have_been_processed = True
    note = writes.recovery(op, ident, doubt)
    error.args = (f"{error.args[0]}. {note}" if error.args else note, *error.args[1:])
    if isinstance(error, APIError):
        error.message = f"{error.message}. {note}"
    return error


def _has_body_field(op: Operation) -> bool:
    """Whether the operation's body has a field called ``body`` (``send_chat_message``)."""
    return op.request is not None and "body" in op.request.model_fields


class _NoAuth(requests.auth.AuthBase):
    """Token calls carry their credentials in the body, never a bearer token."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers.pop("Authorization", None)
        return request


class _RefuseHTTP(requests.adapters.BaseAdapter):
    """Plain http never leaves the session (a redirect or a typed URL)."""

    def send(self, request, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise ConfigurationError(f"{request.url}: plain http is refused; Connect is HTTPS only")

    def close(self) -> None:
        pass
