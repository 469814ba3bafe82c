"""Questions about a model's fields: which are deprecated, which a response carries."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from pydantic import BaseModel


def _model_of(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """The model inside an annotation, and whether it sits in a list."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    origin_list = getattr(annotation, "__origin__", None) is list
    for arg in getattr(annotation, "__args__", ()):
        model, in_list = _model_of(arg)
        if model is not None:
            return model, in_list or origin_list
    return None, False


def deprecated_fields(model: type[BaseModel], prefix: str = "") -> dict[str, str | None]:
    """Every deprecated field of a model, at any depth: ``{"orders[].is_express": ...}``.

    Values name the replacement field (or ``None``).
    """
    found: dict[str, str | None] = {}
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        if info.deprecated:
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            found[path] = extra.get("x-replacement")  # type: ignore[assignment]
        inner, in_list = _model_of(info.annotation)
        if inner is not None and inner is not model:
            found.update(deprecated_fields(inner, f"{path}{'[]' if in_list else ''}."))
    return found


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
    """The deprecated fields that a response actually carries, with their replacements."""
    if model is None:
        return
    for path, replacement in _deprecated(model):
        if _present(data, path.split(".")):
            yield path, replacement
