"""Errors as the API shapes them: the envelope, the multi-error wrapper, OAuth errors."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import ValidationError

from ..spec.validation import field_errors

MULTIPLE_ERRORS = "There were issues with your request"


class ApiError(Exception):
    """An error answered as ``{"error": {"message", "code"}, "meta": {"key"}}``."""

    def __init__(
        self,
        status: int,
        message: str,
        code: int | None = 1001,
        key: str | None = None,
        *,
        meta: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.meta = dict(meta or {})
        if key is not None:
            self.meta["key"] = key
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "code": self.code}, "meta": self.meta}


class MultipleErrors(ApiError):
    """Several field errors at once: one 9999 wrapper listing each single error."""

    def __init__(self, errors: Sequence[ApiError]) -> None:
        super().__init__(400, MULTIPLE_ERRORS, 9999)
        self.errors = list(errors)

    def body(self) -> dict[str, Any]:
        body = super().body()
        body["error"]["errors"] = [e.body() for e in self.errors]
        return body


class OAuthError(Exception):
    """An OAuth endpoint error: ``{"error": "...", "error_description": "..."}``."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def bad_request(message: str, key: str | None = None, code: int | None = 1001) -> ApiError:
    return ApiError(400, message, code, key)


def not_found(message: str = "Resource not found", key: str | None = None) -> ApiError:
    return ApiError(404, message, 4000, key)


def one_or_many(errors: Iterable[ApiError]) -> ApiError:
    """A single error as itself, several as the 9999 wrapper."""
    errors = list(errors)
    return errors[0] if len(errors) == 1 else MultipleErrors(errors)


def from_validation(exc: ValidationError, prefix: str = "") -> ApiError:
    """The API error for a failed request validation, one entry per field."""
    return one_or_many(bad_request(message, key) for key, message in field_errors(exc, prefix))
