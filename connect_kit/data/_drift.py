"""Drift: how an answer departs from the spec, per environment.

``additive`` (a field the spec does not know, as the backward-compatibility policy allows),
``missing`` (a spec field one side serves and the other does not), ``type_changed``
(breaking) and ``deprecated`` (a deprecated field or operation still served, with its
replacement). :func:`diff` says how two answers differ from each other; this says how each
differs from the spec.

The walk is shared with live conformance (:mod:`connect_kit.data._conformance`), which also
asks it, ``strict``, for ``missing`` required fields, ``enum`` values outside the spec's list
and deprecated fields served without their replacement. What it needs of each model is read
from the spec once (:func:`_plan`), so that checking every answer as it arrives costs little.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import BaseModel

from .. import spec
from ..spec.base import Operation
from ._diff import MISSING

Model = type[BaseModel]
Found = dict[tuple[str, str], str]

# the Python values (as JSON parsing makes them) that fit each JSON type of the spec
_FITS: dict[str, frozenset[type]] = {
    "string": frozenset({str}),
    "integer": frozenset({int}),
    "number": frozenset({int, float}),
    "boolean": frozenset({bool}),
    "object": frozenset({dict}),
    "array": frozenset({list}),
}
_SCALARS = frozenset({str, int, float, bool})


@dataclass(frozen=True, slots=True)
class _Field:
    """What the walk needs of one field, read from its :class:`~connect_kit.spec.FieldShape`."""

    shape: spec.FieldShape
    fits: frozenset[type] | None  # the types of value that surely fit; None: any value
    enum: frozenset[Any] | None  # the listed values (strict walks only)
    inner: Model | None  # the model to walk into (not for a value, a free object, itself)
    items: bool  # ``inner`` is the model of a list's items
    watched: bool  # a strict walk looks further: its enum, or a replacement it should have
    plain: bool  # nothing to look at beyond its type: no enum, replacement or inner model


@cache
def _plan(model: Model) -> tuple[dict[str, _Field], frozenset[str]]:
    """A model's fields by key, and the keys it requires."""
    fields: dict[str, _Field] = {}
    for shape in spec.fields_of(model):
        fits = _SCALARS if shape.enum else _FITS.get(shape.type)
        inner = None if shape.model is None or shape.model is model else shape.model
        watched = bool(shape.enum) or bool(shape.deprecated and shape.replacement)
        fields[shape.name] = _Field(
            shape,
            None if shape.type == "any" else (fits or frozenset()) | {type(None)},
            frozenset(shape.enum) if shape.enum else None,
            inner,
            shape.type != "object",
            watched,
            not watched and inner is None,
        )
    return fields, frozenset(name for name, f in fields.items() if f.shape.required)


def _walk(
    model: Model,
    value: Any,
    path: str,
    seen: set[str] | None,
    found: Found,
    strict: bool = False,
) -> None:
    """Record the spec fields present (``seen``, unless None) and the drift (``found``) under
    ``path``; ``strict``: required fields absent, values outside an enum and deprecated fields
    without their replacement too."""
    if not isinstance(value, dict):
        return
    fields, required = _plan(model)
    for key, item in value.items():
        field = fields.get(key)
        if field is None:
            where = f"{path}.{key}" if path else key
            found.setdefault(("additive", where), f"{spec.json_type(item)}, not in the spec")
            continue
        if seen is not None:
            seen.add(f"{path}.{key}" if path else key)
        if field.fits is not None and type(item) not in field.fits and not field.shape.admits(item):
            shape = field.shape
            expected = f"{shape.type} ({shape.format})" if shape.format else shape.type
            found.setdefault(
                ("type_changed", f"{path}.{key}" if path else key),
                f"{spec.json_type(item)} where the spec has {expected}",
            )
            continue
        if field.plain:  # the most of an answer: a value of the right type
            continue
        shape = field.shape
        if strict and field.watched:
            if field.enum is not None and item is not None and item not in field.enum:
                _off_the_list(shape, item, f"{path}.{key}" if path else key, found)
            if shape.deprecated and shape.replacement and shape.replacement not in value:
                found.setdefault(
                    ("deprecated", f"{path}.{key}" if path else key),
                    f"deprecated field served without its replacement {shape.replacement}",
                )
        inner = field.inner
        if inner is None:  # a value, a free object, itself
            continue
        where = f"{path}.{key}" if path else key
        if not field.items:
            _walk(inner, item, where, seen, found, strict)
        elif isinstance(item, list):
            for element in item:
                _walk(inner, element, f"{where}[*]", seen, found, strict)
    if strict and not value.keys() >= required:
        for name in sorted(required - value.keys()):
            where = f"{path}.{name}" if path else name
            found.setdefault(("missing", where), "required by the spec, absent")


def _off_the_list(shape: spec.FieldShape, item: Any, where: str, found: Found) -> None:
    """A value outside the spec's list: open lists are documented, not enforced (the API may
    add values); a secret field's value is never shown."""
    shown = "a value" if shape.secret else repr(item)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    listed = "documented values (an open list: the API may add values)"
    kind = listed if shape.open_enum else "values the spec allows"
    found.setdefault(("enum", where), f"{shown} is not among the {kind}")


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
