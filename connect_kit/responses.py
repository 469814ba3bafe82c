"""What an answer (or its absence) means: typed errors from error responses, whatever their
body (the API's envelope, OAuth's shape, or not JSON at all), and transport failures."""

from __future__ import annotations

from typing import Any

import requests

from . import redact
from .errors import APIError, FieldError, RateLimitError, TransportError, error_class
from .retry import parse_retry_after
from .spec.base import Operation


def api_error(
    op: Operation | None, response: requests.Response, base_url: str, secret: str | None
) -> APIError:
    """The typed error for an error response (envelope, OAuth shape, or not JSON)."""
    method = response.request.method or ""
    path = (response.request.url or "").removeprefix(base_url).split("?", 1)[0]
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    errors: list[FieldError] = []
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        detail = body["error"]
        meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
        message, code, key = str(detail.get("message", "")), detail.get("code"), meta.get("key")
        for item in detail.get("errors") or []:
            inner = item.get("error", {}) if isinstance(item, dict) else {}
            errors.append(
                FieldError(
                    str(inner.get("message", "")),
                    inner.get("code"),
                    item.get("meta", {}).get("key"),
                )
            )
        if errors and key is None:
            key = errors[0].key
    elif isinstance(body, dict) and isinstance(body.get("error"), str):
        code, key = body["error"], None
        message = str(body.get("error_description") or body["error"])
    else:
        code, key = None, None
        text = response.text.strip()[:200] if response.text else ""
        message = text or response.reason or f"HTTP {status}"
    message = redact.scrub(message, secret)
    kwargs: dict[str, Any] = dict(
        status=status,
        code=code,
        key=key,
        method=method,
        path=path,
        errors=errors or None,
        body=redact.body(body),
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


def transport_error(exc: Exception, method: str, path: str) -> TransportError:
    """Name what failed, and whether the request may have reached the server."""
    text = str(exc)
    if isinstance(exc, requests.exceptions.SSLError):
        return TransportError(f"TLS failed for {method} {path}: {text}", method=method, path=path)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return TransportError(f"connecting timed out for {method} {path}", method=method, path=path)
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return TransportError(
            f"no answer in time for {method} {path}", method=method, path=path, sent=True
        )
    sent = "Connection aborted" in text or "RemoteDisconnected" in text or "reset" in text.lower()
    what = "the connection was dropped" if sent else "could not connect"
    return TransportError(f"{what} for {method} {path}", method=method, path=path, sent=sent)


def error_code(response: requests.Response) -> Any:
    """The error code of an error response, for the history (the status if it is not JSON)."""
    if response.status_code < 400:
        return None
    try:
        body = response.json()
    except ValueError:
        return response.status_code
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            return error.get("code")
        if isinstance(error, str):
            return error
    return None
