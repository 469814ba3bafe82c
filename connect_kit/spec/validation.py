"""Pydantic validation errors in the API's words: a dotted field key and a short message.

Both sides use it: the sandbox to answer 400s, the session to refuse a call before sending.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError


def dotted(loc: Iterable[str | int], prefix: str = "") -> str:
    """``("items", 0, "item")`` -> ``"items[0].item"``; the body itself is ``"body"``."""
    key = prefix
    for part in loc:
        if isinstance(part, int):
            key += f"[{part}]"
        else:
            key += f".{part}" if key else str(part)
    return key or "body"


def message(error: Mapping[str, Any]) -> str:
    """A short message for one pydantic error ("can't be blank" for a missing field)."""
    kind = error["type"]
    if kind == "missing":
        return "can't be blank"
    if kind == "json_invalid":
        return f"Invalid JSON: {error.get('ctx', {}).get('error', 'malformed')}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "must be a JSON object"
    if kind == "extra_forbidden":
        return "is not a known field here"
    if kind == "string_too_long":  # the API's words (post_checkout create message: ``body``)
        return f"is too long (maximum is {error.get('ctx', {}).get('max_length')} characters)"
    text = error["msg"].removeprefix("Value error, ")
    if "_" in text.split(" ", 1)[0]:  # it starts with a field name: keep its spelling
        return text
    return text[:1].upper() + text[1:]


def field_errors(exc: ValidationError, prefix: str = "") -> list[tuple[str, str]]:
    """(key, message) for each error of a failed validation."""
    return [
        (dotted(e["loc"], prefix), message(e))
        for e in exc.errors(include_url=False, include_input=False)
    ]
