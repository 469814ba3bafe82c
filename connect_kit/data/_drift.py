"""Drift: how an answer departs from the spec, per environment.

``additive`` (a field the spec does not know, as the backward-compatibility policy allows),
``missing`` (a spec field one side serves and the other does not), ``type_changed``
(breaking) and ``deprecated`` (a deprecated field or operation still served, with its
replacement). :func:`diff` says how two answers differ from each other; this says how each
differs from the spec.
"""

from __future__ import annotations

from typing import Any

from .. import spec
from ..spec.base import Operation
from ._columns import Leaf, Nested, Node, schema
from ._diff import MISSING

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "Int64": (int,),
    "Float64": (int, float),
    "boolean": (bool,),
    "timestamp": (str,),
    "date": (str,),
    "category": (str, int, float, bool),
}


def _fits(leaf: Leaf, value: Any) -> bool:
    expected = _JSON_TYPES.get(leaf.kind)
    if expected is None or value is None:
        return True
    if isinstance(value, bool) and bool not in expected:
        return False
    return isinstance(value, expected)


def _type_name(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean"}.get(
        type(value), "number" if isinstance(value, int | float) else type(value).__name__
    )


def _walk(node: Node, value: Any, path: str, seen: set[str], found: dict[tuple[str, str], str]):
    """Record the spec fields present (``seen``) and the drift (``found``) under ``path``."""
    if not isinstance(value, dict) or node.free:
        return
    parts = dict(node.fields)
    for key, item in value.items():
        where = f"{path}.{key}" if path else key
        part = parts.get(key)
        if part is None:
            if node.model is not None:
                found.setdefault(("additive", where), f"{_type_name(item)}, not in the spec")
            continue
        seen.add(where)
        if isinstance(part, Leaf):
            if not _fits(part, item):
                found.setdefault(
                    ("type_changed", where),
                    f"{_type_name(item)} where the spec has {part.kind}",
                )
        elif isinstance(part, Node):
            _walk(part, item, where, seen, found)
        elif isinstance(part, Nested) and isinstance(item, list):
            for element in item:
                _walk(part.node, element, f"{where}[*]", seen, found)


def drift(op: Operation, env_a: str, data_a: Any, env_b: str, data_b: Any) -> list[dict]:
    """The drift rows of both sides against the spec (see :attr:`Comparison.drift`)."""
    rows: list[dict[str, Any]] = []
    seen: dict[str, set[str]] = {}
    for env, data in ((env_a, data_a), (env_b, data_b)):
        if data is MISSING or op.response is None:
            continue
        fields: set[str] = set()
        found: dict[tuple[str, str], str] = {}
        _walk(schema(op.response), data, "", fields, found)
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
