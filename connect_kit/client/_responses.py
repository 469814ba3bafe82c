"""What an answer (or its absence) means: typed errors from error responses, whatever their
body (the API's envelope, OAuth's shape, or not JSON at all), and transport failures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests
from pydantic import ValidationError
from urllib3.exceptions import (
    ClosedPoolError,
    ConnectTimeoutError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
)

from .. import _redact as redact
from ..errors import APIError, FieldError, RateLimitError, TransportError, error_class
from ..spec.auth import OAuthErrorBody
from ..spec.base import Operation
from ..spec.common import ErrorEnvelope
from ._retry import parse_retry_after

#: The longest message taken from a body: an envelope's (as the server wrote it), or the raw
#: text of a body that fits no error shape.
MAX_MESSAGE = 500
MAX_RAW_TEXT = 200
MAX_DEPTH = 64  # no error body nests deeper; a deeper one is read as text


@dataclass(frozen=True)
class _Reading:
    """What an error body says, read with the spec's own error models."""

    message: str
    code: Any = None
    key: str | None = None
    errors: tuple[FieldError, ...] = ()
    fits: bool = True  # False: the body fits no error shape, ``message`` is its raw text


def _json(response: requests.Response) -> Any:
    """The body as JSON; ``None`` when it is not JSON, or nests deeper than any error body."""
    if not response.content:
        return None
    try:
        body = response.json()
    except (ValueError, RecursionError):
        return None
    return body if _shallow(body) else None


def _shallow(value: Any) -> bool:
    """Whether a JSON value nests at most :data:`MAX_DEPTH` levels (walked without recursion,
    so that reading it later, recursively, is safe)."""
    level = [value]
    for _ in range(MAX_DEPTH):
        level = [
            item
            for container in level
            if isinstance(container, dict | list)
            for item in (container.values() if isinstance(container, dict) else container)
        ]
        if not level:
            return True
    return False


def _key(meta: dict[str, Any]) -> str | None:
    key = meta.get("key")
    return str(key) if isinstance(key, str | int) and not isinstance(key, bool) else None


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _scrubbed(value: Any, secrets: tuple[str | None, ...]) -> Any:
    """A JSON value with the given secrets replaced in every string (echoes in messages)."""
    if isinstance(value, str):
        return redact.scrub(value, *secrets)
    if isinstance(value, dict):
        return {k: _scrubbed(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrubbed(v, secrets) for v in value]
    return value


def _read(response: requests.Response, body: Any) -> _Reading:
    """The envelope (``ErrorEnvelope``) or OAuth's shape (``OAuthErrorBody``); else the raw
    text, whatever the body holds."""
    try:
        envelope = ErrorEnvelope.model_validate(body)
    except ValidationError:
        pass
    else:
        errors = tuple(
            FieldError(item.error.message, item.error.code, _key(item.meta))
            for item in envelope.error.errors or ()
        )
        key = _key(envelope.meta)
        if key is None and errors:
            key = errors[0].key
        return _Reading(envelope.error.message, envelope.error.code, key, errors)
    try:
        oauth = OAuthErrorBody.model_validate(body)
    except ValidationError:
        pass
    else:
        return _Reading(oauth.error_description or oauth.error, oauth.error)
    text = response.text.strip() if response.content else ""
    return _Reading(text or response.reason or f"HTTP {response.status_code}", fits=False)


def api_error(
    op: Operation | None, response: requests.Response, base_url: str, secret: str | None
) -> APIError:
    """The typed error for an error response, whatever its body: the API's envelope, OAuth's
    shape, or anything else (its text, shortened, becomes the message). Secrets that the
    server echoed (the client secret, the bearer token, secret-marked fields) are scrubbed."""
    method = response.request.method or ""
    path = (response.request.url or "").removeprefix(base_url).split("?", 1)[0]
    status = response.status_code
    body = _json(response)
    reading = _read(response, body)
    authorization = str(response.request.headers.get("Authorization") or "").split()
    secrets = (secret, *authorization[1:], *redact.secret_values(body))

    def clean(text: str, limit: int = MAX_MESSAGE) -> str:
        return _shorten(redact.scrub(text, *secrets), limit)

    message = clean(reading.message, MAX_MESSAGE if reading.fits else MAX_RAW_TEXT)
    errors = [FieldError(clean(e.message), e.code, e.key) for e in reading.errors]
    kwargs: dict[str, Any] = dict(
        status=status,
        code=reading.code,
        key=reading.key,
        method=method,
        path=path,
        errors=errors or None,
        body=_scrubbed(redact.body(body), secrets),
        request_id=response.headers.get("X-Request-Id"),
    )
    cls = error_class(status)
    if cls is RateLimitError:
        return RateLimitError(
            message,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
            **kwargs,
        )
    return cls(message, **kwargs)


def reached_server(exc: BaseException) -> bool:
    """Whether a request that failed with ``exc`` may have reached the server.

    Decided from the exception's type, never its text: no connection made (refused, name not
    resolved, connect timeout, TLS handshake, proxy) means not sent; anything later (dropped
    after sending, read timeout, a body cut short) may have been carried out.
    """
    if isinstance(
        exc,
        requests.exceptions.ConnectTimeout
        | requests.exceptions.SSLError
        | requests.exceptions.ProxyError
        | requests.exceptions.InvalidURL
        | requests.exceptions.InvalidSchema
        | requests.exceptions.MissingSchema
        | requests.exceptions.InvalidHeader,
    ):
        return False
    if isinstance(exc, requests.exceptions.ConnectionError):
        cause = exc.args[0] if exc.args else None
        if isinstance(cause, MaxRetryError):
            cause = cause.reason
        if isinstance(cause, NewConnectionError | ConnectTimeoutError | ClosedPoolError):
            return False
    return True


def transport_error(
    exc: BaseException, method: str, path: str, *, deadline: float | None = None, host: str = ""
) -> TransportError:
    """Name what failed (with ``host``, the server's, when given), and whether the request may
    have reached the server. Why it failed, and what to change, is
    :func:`connect_kit.client._diagnosis.transport_error`'s to say.

    ``deadline`` (seconds) is set when the attempt was cut off at the overall deadline.
    """
    where, to, sent = f"{method} {path}", f" {host}" if host else "", reached_server(exc)
    if deadline is not None:
        what, sent = f"no complete answer from{to} within the {deadline:g} s deadline", True
    elif isinstance(exc, requests.exceptions.SSLError):
        what = f"TLS failed with{to}" if host else "TLS failed"
    elif isinstance(exc, requests.exceptions.ReadTimeout):
        what = f"no answer in time from{to}"
    elif isinstance(exc, requests.exceptions.ChunkedEncodingError | ProtocolError):
        what = f"the answer from{to} was cut short"
    elif sent:
        what = f"the connection to{to} was dropped"
    else:
        what = f"could not connect to{to}"
    return TransportError(
        f"{what} for {where}", method=method, path=path, sent=sent, deadline=deadline is not None
    )


def error_code(response: requests.Response) -> Any:
    """The error code of an error response, for the history: the envelope's ``code``, OAuth's
    ``error``, or the status when the body fits neither shape."""
    if response.status_code < 400:
        return None
    reading = _read(response, _json(response))
    return reading.code if reading.fits else response.status_code
