"""The exceptions and warnings of connect-kit.

The hierarchy, drawn once::

    ConnectError                    anything connect-kit raises on purpose
    ├── ConfigurationError          a setting in .env or an argument is wrong (nothing sent)
    ├── WriteRefused                a state-changing call without opting in (nothing sent)
    │   └── ProdWriteRefused        ... to prod
    ├── TransportError              no HTTP answer: refused, name not found, timed out, TLS
    │                               (``.reason``, and the ``.setting`` to check)
    ├── Interrupted                 a bulk pull's input that Ctrl-C stopped before its answer
    ├── ReplayMissError             a request the recording replayed does not hold (nothing
    │                               sent): ``.closest`` recorded one, ``.differences``
    └── APIError                    the server answered with an error status
        ├── InvalidRequestError     400 (and 413, 422): every field error is in ``.errors``
        ├── AuthenticationError     401: missing, expired, revoked or bad credentials
        ├── PermissionDeniedError   403: the token's scope, an inactive user, query credentials
        ├── NotFoundError           404
        ├── RateLimitError          429: ``.retry_after`` says how long to wait
        └── ServerError             5xx

Each API error carries ``status``, ``code``, ``message``, ``key`` (the envelope's
``meta.key``), ``method`` and ``path``, never a secret, and a ``hint`` when the client can
tell what to fix (the ``.env`` key, ``session.for_user``...), shown after the message. Every
error says whether a write it ended ``may_have_been_processed`` (a broken connection after
sending, a 5xx): its message then says how to find out and recover. Client-side validation
failures are ``InvalidRequestError`` too, raised before anything is sent (``status`` is
``None``).

Warnings::

    ConnectWarning                  a soft problem worth seeing
    ├── DeprecatedWarning           a deprecated operation or field (once each, naming the
    │                               replacement)
    └── SpecWarning                 a field the spec does not know, sent as given: the server
                                    decides (once per operation and field)
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass
from typing import Any

__all__ = [
    "APIError",
    "AuthenticationError",
    "ConfigurationError",
    "ConnectError",
    "ConnectWarning",
    "DeprecatedWarning",
    "FieldError",
    "Interrupted",
    "InvalidRequestError",
    "NotFoundError",
    "PermissionDeniedError",
    "ProdWriteRefused",
    "RateLimitError",
    "ReplayMissError",
    "ServerError",
    "SpecWarning",
    "TransportError",
    "WriteRefused",
]


class ConnectError(Exception):
    """Base of every error connect-kit raises on purpose.

    ``may_have_been_processed`` is True when a write ended by this error may still have been
    carried out by the server.
    """

    may_have_been_processed: bool = False


class ConfigurationError(ConnectError, ValueError):
    """A setting or argument is wrong; the message names it and what was expected."""


class WriteRefused(ConnectError):
    """A state-changing call refused before sending (opt in with ``allow_writes=True``)."""


class ProdWriteRefused(WriteRefused):
    """A state-changing call to prod, refused before sending (opt in with allow_writes)."""


class TransportError(ConnectError):
    """No HTTP answer came back (connection refused or dropped, timeout, TLS failure).

    ``reason`` says why in a few words (``"connection refused"``, ``"name not found"``,
    ``"timed out"``, ``"certificate not trusted"``...), and ``setting`` names the variable to
    check (``INSTACART_DEV_URL``, ``INSTACART_DEV_CA_BUNDLE``), when one may be at fault.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        path: str = "",
        sent: bool = False,
        deadline: bool = False,
        reason: str | None = None,
        setting: str | None = None,
    ):
        super().__init__(message)
        self.method, self.path = method, path
        self.sent = sent  # whether the request may have reached the server
        self.deadline = deadline  # cut off at the overall deadline
        self.reason, self.setting = reason, setting


class Interrupted(ConnectError):
    """An input of a bulk pull that Ctrl-C stopped before it had an answer."""


class ReplayMissError(ConnectError):
    """A replaying session was asked for a request its recording does not hold; nothing was
    sent. ``closest`` names the closest recorded request (``None`` in an empty recording),
    ``differences`` says what differs from it (a secret's value never shows)."""

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        path: str = "",
        closest: str | None = None,
        differences: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.method, self.path = method, path
        self.closest = closest
        self.differences = differences or []


@dataclass(frozen=True)
class FieldError:
    """One error of the envelope: its message, code and the field (``meta.key``) at fault."""

    message: str
    code: int | None = None
    key: str | None = None

    def __str__(self) -> str:
        return f"{self.key}: {self.message}" if self.key else self.message


class APIError(ConnectError):
    """The server answered with an error status (or a check before sending failed)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: int | None = None,
        key: str | None = None,
        method: str = "",
        path: str = "",
        errors: list[FieldError] | None = None,
        body: Any = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status, self.code, self.key = status, code, key
        self.method, self.path = method, path
        self.errors = errors or [FieldError(message, code, key)]
        self.body = body
        self.request_id = request_id
        self.hint: str | None = None  # what to fix, when the client can tell (one sentence or two)

    def __str__(self) -> str:
        where = f"{self.method} {self.path}".strip()
        head = f"{self.status} " if self.status else ""
        if len(self.errors) > 1 or self.errors[0].message != self.message:
            details = "; ".join(str(e) for e in self.errors)
            text = f"{head}{self.message}: {details}"
        else:
            text = f"{head}{self.message}" + (f" (field {self.key})" if self.key else "")
            if self.code is not None:
                text += f" [code {self.code}]"
        text = f"{text} — {where}" if where else text
        return f"{text}. {self.hint}" if self.hint else text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, "
            f"message={self.message!r}, key={self.key!r})"
        )


class InvalidRequestError(APIError):
    """400: the request is wrong; ``.errors`` lists every field error (multi-error too)."""


class AuthenticationError(APIError):
    """401: the credentials or the access token were refused."""


class PermissionDeniedError(APIError):
    """403: valid credentials without permission (scope, inactive user, query credentials)."""


class NotFoundError(APIError):
    """404: no such resource (or path)."""


class RateLimitError(APIError):
    """429: too many requests. ``retry_after`` is the wait in seconds the server asked for."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after

    def __str__(self) -> str:
        text = super().__str__()
        if self.retry_after is not None:
            text += f" (retry after {self.retry_after:g} s)"
        return text


class ServerError(APIError):
    """5xx: the server failed; retrying later may work."""


class ConnectWarning(UserWarning):
    """A soft problem worth seeing (a sandbox in a comparison, an unknown field)."""


class DeprecatedWarning(ConnectWarning, FutureWarning):
    """A deprecated operation or field was used; the message names the replacement."""


class SpecWarning(ConnectWarning):
    """A field the spec does not know was sent as given (the API adds optional fields over
    time): the message names the field, the operation and the date of the spec. Pass
    ``strict=True`` to refuse such fields instead."""


_BY_STATUS: dict[int, type[APIError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    413: InvalidRequestError,
    422: InvalidRequestError,
    429: RateLimitError,
}


def error_class(status: int) -> type[APIError]:
    """The exception class for an HTTP error status."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return ServerError if status >= 500 else APIError


def warn_at_caller(message: str, category: type[Warning] = ConnectWarning) -> None:
    """Warn, pointing at the caller's own line: the first frame outside connect-kit (a
    notebook cell, a script), however deep inside the package the warning is raised (frames
    of pandas and functools that called back into it are passed over too)."""
    frame = sys._getframe(0)
    level = 1
    while frame is not None and _inside(frame.f_globals.get("__name__", "")):
        frame, level = frame.f_back, level + 1  # type: ignore[assignment]
    warnings.warn(message, category, stacklevel=level)


_INSIDE = ("connect_kit", "pandas", "functools")


def _inside(module: str) -> bool:
    return module.split(".", 1)[0] in _INSIDE
