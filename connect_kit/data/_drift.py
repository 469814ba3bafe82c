"""Drift: how an answer departs from the spec, per environment.

``additive`` (a field the spec does not know, as the backward-compatibility policy allows),
``missing`` (a spec field one side serves and the other does not), ``type_changed``
(breaking) and ``deprecated`` (a deprecated field or operation still served, with its
replacement). :func:`diff` says how two answers differ from each other; this says how each
differs from the spec.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel

from .. import spec
from ..spec.base import Operation
from ._diff import MISSING

Model = type[BaseModel]


@cache
def _shapes(model: Model) -> dict[str, spec.FieldShape]:
    return {shape.name: shape for shape in spec.fields_of(model)}


def _walk(
    model: Model, value: Any, path: str, seen: set[str], found: dict[tuple[str, str], str]
) -> None:
    """Record the spec fields present (``seen``) and the drift (``found``) under ``path``."""
    if not isinstance(value, dict):
        return
    shapes = _shapes(model)
    for key, item in value.items():
        where = f"{path}.{key}" if path else key
        shape = shapes.get(key)
        if shape is None:
            found.setdefault(("additive", where), f"{spec.json_type(item)}, not in the spec")
            continue
        seen.add(where)
        if not shape.admits(item):
            expected = f"{shape.type} ({shape.format})" if shape.format else shape.type
            found.setdefault(
                ("type_changed", where), f"{spec.json_type(item)} where the spec has {expected}"
            )
        elif shape.model is None or shape.model is model:  # a value, a free object, itself
            continue
        elif shape.type == "object":
            _walk(shape.model, item, where, seen, found)
        elif isinstance(item, list):
            for element in item:
                _walk(shape.model, element, f"{where}[*]", seen, found)


def drift(op: Operation, env_a: str, data_a: Any, env_b: str, data_b: Any) -> list[dict]:
    """The drift rows of both sides against the spec (see :attr:`Comparison.drift`)."""
    rows: list[dict[str, Any]] = []
    seen: dict[str, set[str]] = {}
    for env, data in ((env_a, data_a), (env_b, data_b)):
        if data is MISSING or op.response is None:
            continue
        fields: set[str] = set()
        found: dict[tuple[str, str], str] = {}
        _walk(op.response, data, "", fields, found)
        seen[env] = fields
        rows += [
            {"env": env, "path": path, "kind": kind, "detail": detail, "replacement": None}
            for (kind, path), detail in found.items()
        ]
        for path, replacement in spec.deprecated_fields_in(op.response, data):
            rows.append(
                {
                    "env": env,
                    "path": path.replace("[]", "[*]"),
                    "kind": "deprecated",
                    "detail": "deprecated field still served",
                    "replacement": replacement,
                }
            )
        if op.deprecated:
            rows.append(
                {
                    "env": env,
                    "path": op.name,
                    "kind": "deprecated",
                    "detail": "deprecated operation",
                    "replacement": op.replacement,
                }
            )
    if len(seen) == 2:
        for env, other in ((env_a, env_b), (env_b, env_a)):
            for path in sorted(seen[other] - seen[env]):
                rows.append(
                    {
                        "env": env,
                        "path": path,
                        "kind": "missing",
                        "detail": f"a spec field that {other} serves and {env} does not",
                        "replacement": None,
                    }
                )
    return rows
