"""Deprecated fields: which a model has, and which a body actually carries."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from pydantic import BaseModel

from ._shape import fields


def deprecated_fields(model: type[BaseModel], prefix: str = "") -> dict[str, str | None]:
    """Every deprecated field of a model, at any depth: ``{"orders[].is_express": ...}``.

    Values name the replacement field (or ``None``).
    """
    return {prefix + f.path: f.replacement for f in fields(model) if f.deprecated}


@cache
def _deprecated(model: type[BaseModel]) -> tuple[tuple[str, str | None], ...]:
    return tuple(deprecated_fields(model).items())


def _present(data: Any, parts: list[str]) -> bool:
    if not parts:
        return True
    head, rest = parts[0], parts[1:]
    items = head.endswith("[]")
    key = head.removesuffix("[]")
    if not isinstance(data, dict) or key not in data:
        return False
    value = data[key]
    if items:
        return isinstance(value, list) and any(_present(v, rest) for v in value)
    return _present(value, rest)


def deprecated_fields_in(
    model: type[BaseModel] | None, data: Any
) -> Iterator[tuple[str, str | None]]:
    """The deprecated fields that a body actually carries, with their replacements."""
    if model is None:
        return
    for path, replacement in _deprecated(model):
        if _present(data, path.split(".")):
            yield path, replacement
