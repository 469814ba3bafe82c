"""Redaction in one place: every rendering of a request or response goes through here.

Reprs, logs, history rows, results, errors, snippets and widgets show ``[redacted]``
where a secret was: the ``Authorization`` header, and every body field that the spec marks
as a secret (client secrets, tokens, codes, passwords).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from pydantic import BaseModel

from . import spec

REDACTED = "[redacted]"
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})


@cache
def secret_fields() -> frozenset[str]:
    """Names of body fields that hold secrets, read from the spec's models."""
    names: set[str] = {"client_secret", "access_token", "refresh_token", "token"}
    seen: set[type] = set()

    def walk(model: type[BaseModel]) -> None:
        if model in seen:
            return
        seen.add(model)
        for name, info in model.model_fields.items():
            extra = info.json_schema_extra
            if isinstance(extra, dict) and extra.get("x-secret"):
                names.add(name)
            for inner in _models_in(info.annotation):
                walk(inner)

    for op in spec.OPERATIONS.values():
        for model in (op.request, op.response):
            if model is not None:
                walk(model)
    return frozenset(names)


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in getattr(annotation, "__args__", ()) for m in _models_in(arg)]


def headers(values: Mapping[str, str]) -> dict[str, str]:
    """Headers with credentials replaced (the scheme of Authorization is kept)."""
    shown = {}
    for name, value in values.items():
        if name.lower() in SECRET_HEADERS:
            scheme = value.split(" ", 1)[0] if " " in str(value) else ""
            value = f"{scheme} {REDACTED}".strip()
        shown[name] = value
    return shown


def body(value: Any) -> Any:
    """A JSON value with every secret field's string replaced, at any depth."""
    secrets = secret_fields()
    if isinstance(value, Mapping):
        return {
            k: (REDACTED if k in secrets and isinstance(v, str) else body(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [body(v) for v in value]
    return value


def scrub(text: str, *secrets: str | None) -> str:
    """``text`` with any of the given secret values replaced (for server-echoed messages)."""
    for secret in secrets:
        if secret and len(secret) >= 6:
            text = text.replace(secret, REDACTED)
    return text
