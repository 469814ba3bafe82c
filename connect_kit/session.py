"""ConnectSession: a ``requests.Session`` bound to one environment.

>>> import connect_kit as ck
>>> dev = ck.connect("dev")                                   # doctest: +SKIP
>>> res = dev.call("find_delivery_stores",                     # doctest: +SKIP
...                find_by={"address_line_1": "50 Beale St", "postal_code": "94105"})
>>> res.frame                                                 # doctest: +SKIP

Paths are relative to the environment's server; tokens come and go by themselves; failures
that are safe to retry are retried by :class:`~connect_kit.retry.RetryPolicy`; every call
lands in :attr:`ConnectSession.history`.
"""

from __future__ import annotations

import base64
import contextvars
import json
import logging
import time
import warnings
from collections import deque
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from . import __version__, arguments, spec
from .auth import ClientCredentials, Token
from .config import Environment
from .errors import (
    APIError,
    ConfigurationError,
    DeprecatedWarning,
    ProdWriteRefused,
)
from .pulls import Pulls
from .responses import api_error, error_code, transport_error
from .result import RequestInfo, Result
from .retry import RetryPolicy
from .spec.base import Operation

if TYPE_CHECKING:
    import pandas as pd

    from .bulk import Bulk

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

_operation: contextvars.ContextVar[Operation | None] = contextvars.ContextVar(
    "connect_kit_operation", default=None
)
_warned: set[str] = set()  # deprecation notices already given in this process


def _warn_once(item: str, message: str, stacklevel: int = 4) -> str:
    if item not in _warned:
        _warned.add(item)
        warnings.warn(message, DeprecatedWarning, stacklevel=stacklevel)
    return message


class ConnectSession(Pulls, requests.Session):
    """An authenticated session for one environment.

    Args:
        env: the environment's settings (see :func:`connect_kit.connect`).
        allow_writes: allow state-changing calls on an environment named ``prod``
            (default: the environment's ``ALLOW_WRITES`` setting).
        retry: the retry policy.
        timeout: default (connect, read) timeouts in seconds.
        history_size: how many calls :attr:`history` keeps.
    """

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
        self.allow_writes = env.allow_writes if allow_writes is None else bool(allow_writes)
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self.verify = env.ca_bundle or True
        self.trust_env = not env.sandbox  # nothing from outside meddles with loopback
        self.headers.update(
            {"Accept": "application/json", "User-Agent": f"connect-kit/{__version__}"}
        )
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=32, max_retries=0)
        self.mount("https://", adapter)
        self.mount("http://", _RefuseHTTP())
        self._history: deque[dict[str, Any]] = deque(maxlen=history_size)
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
        kind = "embedded sandbox" if self.env.sandbox else "live"
        writes = ", writes allowed" if self.allow_writes and self.env.name == "prod" else ""
        user = f" as user {self.user_id}" if self.user_id else ""
        return f"<ConnectSession {self.env.name} ({kind}) {self.base_url}{user}{writes}>"

    @property
    def token_info(self) -> dict[str, Any]:
        """Scope and expiry of the session's token, fetched if needed (never the token itself)."""
        return self.auth.token().info()

    @property
    def history(self) -> pd.DataFrame:
        """One row per HTTP call made (token calls included), oldest first."""
        import pandas as pd

        frame = pd.DataFrame(list(self._history), columns=HISTORY_COLUMNS)
        frame["time"] = pd.to_datetime(frame["time"], utc=True)
        frame["status"] = frame["status"].astype("Int64")
        frame["attempts"] = frame["attempts"].astype("Int64")
        frame["error_code"] = frame["error_code"].astype("string")
        return frame

    # -- requests plumbing -----------------------------------------------------------------

    def _url(self, url: str) -> str:
        if url.startswith("http://"):
            raise ConfigurationError(f"{url!r}: plain http is refused; Connect is HTTPS only")
        if url.startswith("https://"):
            return url
        return self.base_url + ("" if url.startswith("/") else "/") + url

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        """As ``requests.Session.request``, with paths relative to the environment's server,
        default timeouts, no redirects, and the prod guard."""
        method = method.upper()
        full = self._url(url)
        op = _operation.get()
        if op is None and full.startswith(self.base_url):
            found = spec.match(method, full[len(self.base_url) :])
            op = found[0] if found else None
        self._guard(method, op)
        kwargs.setdefault("timeout", self.timeout)
        kwargs["allow_redirects"] = False  # never followed: Connect does not redirect, and a
        # redirect answered by anything else is worth seeing, not following
        token = _operation.set(op)
        try:
            return super().request(method, full, *args, **kwargs)
        finally:
            _operation.reset(token)

    def merge_environment_settings(self, url, proxies, stream, verify, cert):  # type: ignore[no-untyped-def]
        # requests lets REQUESTS_CA_BUNDLE override a session's own verify: keep ours.
        settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
        if verify is None and self.verify is not True:
            settings["verify"] = self.verify
        return settings

    def _guard(self, method: str, op: Operation | None) -> None:
        mutating = op.mutating if op is not None else method not in SAFE_METHODS
        if op is not None and op.area == "auth":
            return
        if mutating and self.env.name == "prod" and not self.allow_writes:
            what = op.name if op else f"{method} request"
            raise ProdWriteRefused(
                f"{what} changes state and this session is on prod: refused before sending. "
                "Pass allow_writes=True to connect(), or set INSTACART_PROD_ALLOW_WRITES=true."
            )

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Send with retries (per the policy), one token refresh on 401, and a history row."""
        op = _operation.get()
        path = (request.url or "")[len(self.base_url) :].split("?", 1)[0]
        is_token_call = op is not None and op.area == "auth"
        # safe to send twice: reads, token calls, and creates that can read back their record
        idempotent = (
            (request.method or "GET") in SAFE_METHODS
            if op is None
            else (not op.mutating or op.read_back is not None or is_token_call)
        )
        started, attempt, refreshed = self.retry.clock(), 0, is_token_call
        while True:
            attempt += 1
            try:
                response = super().send(request, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as exc:
                error = transport_error(exc, request.method or "", path)
                delay = None
                if not isinstance(exc, requests.exceptions.SSLError):  # TLS won't mend itself
                    delay = self.retry.next_delay(
                        attempt,
                        self.retry.clock() - started,
                        sent=error.sent,
                        idempotent=idempotent,
                    )
                log.debug("%s %s attempt %d: %s", request.method, path, attempt, error)
                if delay is None:
                    self._record(request.method, path, op, None, started, attempt, "transport")
                    raise error from None
            except requests.RequestException:
                raise
            except OSError as exc:
                # requests checks the CA bundle path only when it sends
                raise ConfigurationError(
                    f"{self.env.name}: cannot use the CA bundle {self.verify!r}: {exc}"
                ) from None
            else:
                status = response.status_code
                log.debug("%s %s attempt %d: %s", request.method, path, attempt, status)
                if status == 401 and not refreshed and isinstance(self.auth, ClientCredentials):
                    refreshed = True
                    refused = request.headers.get("Authorization", "").removeprefix("Bearer ")
                    token = self.auth.refresh(refused)
                    request.headers["Authorization"] = f"Bearer {token.value}"
                    continue
                delay = self.retry.next_delay(
                    attempt,
                    self.retry.clock() - started,
                    status=status,
                    idempotent=idempotent,
                    retry_after=response.headers.get("Retry-After"),
                )
                if delay is None:
                    response.attempts = attempt  # type: ignore[attr-defined]
                    self._record(
                        request.method, path, op, status, started, attempt, error_code(response)
                    )
                    return response
                response.close()
            self.retry.sleep(delay)

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
        self._history.append(
            {
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
        )

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
        token = _operation.set(op)
        try:
            response = super().request(
                "POST",
                self.base_url + op.path,
                json=body,
                timeout=self.timeout,
                allow_redirects=False,
                auth=_NoAuth(),
            )
        finally:
            _operation.reset(token)
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
        context = _operation.set(op)
        try:
            super().request(
                "POST",
                self.base_url + op.path,
                json=self._token_body(token=token.value),
                timeout=self.timeout,
                auth=_NoAuth(),
            )
        except requests.RequestException:
            pass  # the token expires by itself; closing must not fail for it
        finally:
            _operation.reset(context)

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
        as ``body=``. Raises :class:`~connect_kit.errors.InvalidRequestError` naming the field
        when the spec can tell the call is wrong, and the typed API errors otherwise.
        """
        op = spec.get(operation)
        path_params, query, payload = arguments.split(op, body, params)
        if op.deprecated:
            replacement = f"use {op.replacement}" if op.replacement else "it has no replacement"
            _warn_once(
                f"op:{op.name}", f"{op.name} is deprecated: {replacement}. {op.deprecation.note}"
            )
        self._guard(op.method, op)
        context = _operation.set(op)
        try:
            response = self.request(
                op.method, op.url_path(**path_params), params=query or None, json=payload
            )
        finally:
            _operation.reset(context)
        if response.status_code >= 400:
            error = self._error(op, response)
            if self._already_exists(op, error, response):
                return self._read_back(op, path_params, payload)
            raise error
        result = Result(
            op,
            response,
            RequestInfo.of(response.request, self.base_url, self.env.name),
        )
        result.warnings.extend(self._deprecated_fields(op, result.json))
        if op.deprecated:
            result.warnings.insert(0, f"{op.name} is deprecated")
        return result

    def call_many(
        self,
        operation: str,
        params_list: Iterable[Mapping[str, Any]],
        *,
        workers: int = 8,
        rate: float | None = None,
        progress: bool = True,
    ) -> Bulk:
        """Call ``operation`` once per parameter set in a bounded thread pool.

        Results keep the input order; failures go to ``.errors`` instead of stopping the pull;
        Ctrl-C returns what was fetched so far. See :func:`connect_kit.bulk.call_many`.
        """
        from .bulk import call_many

        return call_many(
            self, operation, params_list, workers=workers, rate=rate, progress=progress
        )

    def _already_exists(self, op: Operation, error: APIError, response: requests.Response) -> bool:
        """A retried create that met 'already exists' for the caller's own id."""
        return (
            op.read_back is not None
            and getattr(response, "attempts", 1) > 1
            and error.status == 400
            and error.key == op.identity
            and "already exists" in error.message
        )

    def _read_back(self, op: Operation, path_params: dict[str, Any], payload: Any) -> Result:
        reader = spec.get(op.read_back or "")
        known = {**path_params, **(payload or {})}
        args = {name: known[name] for name in [*reader.path_params, *reader.query] if name in known}
        result = self.call(reader.name, **args)
        result.recovered = True
        result.warnings.append(
            f"{op.name} was retried and met 'already exists': read back with {reader.name}"
        )
        return result

    def _deprecated_fields(self, op: Operation, data: Any) -> list[str]:
        notes = []
        for path, replacement in spec.deprecated_fields_in(op.response, data):
            instead = f"use {replacement}" if replacement else "no replacement"
            notes.append(
                _warn_once(
                    f"field:{op.response.__name__ if op.response else ''}.{path}",
                    f"{op.name}: field {path} is deprecated: {instead}",
                    stacklevel=5,
                )
            )
        return notes

    def _error(self, op: Operation | None, response: requests.Response) -> APIError:
        return api_error(op, response, self.base_url, self.env.client_secret)

    def check(self, response: requests.Response) -> requests.Response:
        """Raise the typed error for an error response (of a plain ``get``/``post``...);
        return the response itself when it succeeded."""
        if response.status_code >= 400:
            found = spec.match(response.request.method or "GET", response.request.path_url)
            raise self._error(found[0] if found else None, response)
        return response


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


def connect(
    env: str = "dev",
    *,
    allow_writes: bool | None = None,
    dotenv_path: str | None = None,
    **options: Any,
) -> ConnectSession:
    """An authenticated session for environment ``env`` (``"dev"``, ``"prod"``, or another
    declared in ``.env``).

    Settings come from ``.env`` (found from the working directory upwards) and the process
    environment, which wins. Without credentials, ``dev`` and ``prod`` use the embedded
    sandbox (announced once). ``allow_writes`` lets state-changing calls reach prod.
    Other options go to :class:`ConnectSession` (``retry``, ``timeout``, ``history_size``).
    """
    from . import config, embedded

    return ConnectSession(
        embedded.resolve(config.environment(env, dotenv_path)),
        allow_writes=allow_writes,
        **options,
    )
