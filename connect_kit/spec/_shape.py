"""The one reader of the spec: what a field is, answered from its model's JSON Schema.

pydantic already turns every model into JSON Schema (the one ``/openapi.json`` serves); this
module reads that schema, once per model, into :class:`FieldShape` records. Frames, widgets,
the CLI, redaction, drift and compare all ask here; none of them reads pydantic annotations.

Paths are dotted, a list's items written ``[]``: ``orders[].items[].item.upc``. Where a path
is looked up, ``[*]``, ``[0]`` and ``[line_num=1]`` are read as ``[]``.

>>> from connect_kit import spec
>>> upc = spec.field("list_orders", "response", "orders[].items[].item.upc")
>>> upc.type, upc.required, upc.nullable
('string', False, True)
>>> status = spec.field("get_order", "response", "status")
>>> status.required, status.open_enum, status.enum[:2]
(True, True, ('brand_new', 'acknowledged'))
>>> [f.path for f in spec.fields("create_token", "response") if f.volatile or f.secret]
['access_token', 'created_at']
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from dataclasses import field as attribute
from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from ._operations import get
from .base import Operation
from .validation import field_errors

Model = type[BaseModel]
Target = str | Operation | Model
PARTS = ("request", "response")
_INDEX = re.compile(r"\[[^\]]*\]")  # [*], [0], [line_num=1]: any item of a list


@dataclass(frozen=True)
class FieldShape:
    """What one field of the spec is.

    Attributes:
        path: where it sits, from the body: ``"orders[].items[].item.upc"``.
        name: its key in its object: ``"upc"``.
        type: its JSON type: ``"string"``, ``"integer"``, ``"number"`` (``int | float``
            too), ``"boolean"``, ``"object"``, ``"array"``, or ``"any"`` when the spec does not
            pin one (``Any``, unions of unlike types).
        types: the JSON type of each of its alternatives, ``null`` aside: ``("integer",
            "number")`` for ``int | float``; ``("any",)`` for ``Any``.
        format: the JSON Schema format: ``"date-time"``, ``"date"``, ``"password"``...
        required: whether its object must carry it.
        nullable: whether ``null`` is a value of it.
        enum: the values it takes; with ``open_enum`` they are documented, not enforced (the
            API may add values), else they are the only ones.
        open_enum: see ``enum``.
        example: the example value the spec gives the field, or ``None``.
        description: what it is (or what its type is), or ``None``.
        secret: it holds a secret (token, password, code): never shown.
        volatile: it differs from call to call by nature (a timestamp, a generated id).
        deprecated: it is deprecated; ``replacement`` names the field to use instead.
        replacement: see ``deprecated``.
        items: for an array, the JSON type of its items.
        model: the model of this object, or of this array's items; ``None`` for a free
            object (``dict``) and for values.
        annotation: the Python type that validates a value of it (see :meth:`problems`).
    """

    path: str
    name: str
    type: str
    types: tuple[str, ...] = ()
    format: str | None = None
    required: bool = False
    nullable: bool = False
    enum: tuple[Any, ...] = ()
    open_enum: bool = False
    example: Any = None
    description: str | None = None
    secret: bool = False
    volatile: bool = False
    deprecated: bool = False
    replacement: str | None = None
    items: str | None = None
    model: Model | None = None
    annotation: Any = attribute(default=None, repr=False, compare=False)

    def admits(self, value: Any) -> bool:
        """Whether a parsed JSON value has this field's type (``null`` always has)."""
        if value is None or self.type == "any":
            return True
        kind = json_type(value)
        if self.enum:  # a value outside the list is still a value of the right kind
            return kind in _SCALARS
        return kind in _ADMITTED.get(self.type, (self.type,))

    def problems(self, value: Any) -> list[tuple[str, str]]:
        """``(key, message)`` for each way a JSON value does not fit, as the server checks."""
        if self.annotation is None:
            return []
        try:
            _adapter(self.annotation).validate_json(json.dumps(value), strict=True)
        except ValidationError as exc:
            return field_errors(exc, self.path)
        return []


_SCALARS = ("string", "integer", "number", "boolean")
_ADMITTED = {"number": ("integer", "number")}
_JSON_TYPES: dict[type, str] = {
    type(None): "null",
    bool: "boolean",  # before int: True is an int to Python, not to JSON
    int: "integer",
    float: "number",
    str: "string",
    dict: "object",
    list: "array",
    tuple: "array",
}


def json_type(value: Any) -> str:
    """The JSON type of a parsed JSON value, in JSON Schema's words.

    >>> [json_type(v) for v in (None, True, 1, 1.5, "a", {}, [])]
    ['null', 'boolean', 'integer', 'number', 'string', 'object', 'array']
    """
    kind = _JSON_TYPES.get(type(value))
    if kind is not None:
        return kind
    for python, name in _JSON_TYPES.items():  # subclasses (an IntEnum, an OrderedDict)
        if isinstance(value, python):
            return name
    return type(value).__name__


class UnknownFieldError(KeyError, ValueError):
    """A field path that the spec does not know."""

    def __str__(self) -> str:
        return str(self.args[0])


# Asking ---------------------------------------------------------------------------------


def model_of(target: Target, part: str = "response") -> Model | None:
    """The model of an operation's ``"request"`` or ``"response"`` body (a model: itself)."""
    if isinstance(target, type) and issubclass(target, BaseModel):
        return target
    if part not in PARTS:
        raise ValueError(f"part must be 'request' or 'response', not {part!r}")
    op = get(target) if isinstance(target, str) else target
    return op.request if part == "request" else op.response


def field(target: Target, part: str = "response", path: str = "") -> FieldShape:
    """The field at ``path`` of an operation's request or response, or of a model.

    Raises:
        UnknownFieldError: when the spec has no such field (the closest paths are named).
    """
    model = model_of(target, part)
    wanted = _INDEX.sub("[]", path)
    known = _by_path(model) if model is not None else {}
    if wanted in known:
        return known[wanted]
    close = difflib.get_close_matches(wanted, known, n=3, cutoff=0.6)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    where = getattr(model, "__name__", f"this {part}")
    raise UnknownFieldError(f"{where} has no field {path!r}.{hint}")


def fields(target: Target, part: str = "response") -> Iterator[FieldShape]:
    """Every field of an operation's request or response (or of a model), at any depth.

    Depth first, in declaration order: an object's field comes before the fields inside it.
    A model met again inside itself is not entered a second time.
    """
    model = model_of(target, part)
    return iter(_every(model) if model is not None else ())


@cache
def fields_of(model: Model) -> tuple[FieldShape, ...]:
    """The fields of ``model`` itself (paths are their names), read once."""
    body, defs = _schema(model)
    required = set(body.get("required", ()))
    annotations = {info.alias or n: info.annotation for n, info in model.model_fields.items()}
    return tuple(
        _shape(name, prop, name in required, defs, annotations.get(name))
        for name, prop in body.get("properties", {}).items()
    )


def shape_of(
    annotation: Any, name: str = "", *, info: FieldInfo | None = None, required: bool = False
) -> FieldShape:
    """What a value of ``annotation`` is (a path parameter's ``int``; a body field's
    annotation with its pydantic ``FieldInfo``), read as a model's fields are."""
    typed: Any = Annotated[annotation, info] if info is not None else annotation
    schema = TypeAdapter(typed).json_schema(schema_generator=_Schema)
    return _shape(name, schema, required, schema.get("$defs", {}), annotation)


@cache
def _every(model: Model) -> tuple[FieldShape, ...]:
    return tuple(_walk(model, "", (model,)))


@cache
def _by_path(model: Model) -> dict[str, FieldShape]:
    return {shape.path: shape for shape in _every(model)}


def _walk(model: Model, prefix: str, seen: tuple[Model, ...]) -> Iterator[FieldShape]:
    for shape in fields_of(model):
        if prefix:
            shape = replace(shape, path=prefix + shape.name)
        yield shape
        inner = shape.model
        if inner is not None and inner not in seen:
            below = f"{shape.path}[]." if shape.type == "array" else f"{shape.path}."
            yield from _walk(inner, below, (*seen, inner))


def _adapter(annotation: Any) -> TypeAdapter[Any]:
    try:
        return _cached_adapter(annotation)
    except TypeError:  # an annotation that cannot be hashed
        return TypeAdapter(annotation)


@cache
def _cached_adapter(annotation: Any) -> TypeAdapter[Any]:
    return TypeAdapter(annotation)


# Reading JSON Schema ----------------------------------------------------------------------


class _Schema(GenerateJsonSchema):
    """pydantic's JSON Schema, where each model's schema names its class (``x-model``)."""

    def model_schema(self, schema: core_schema.ModelSchema) -> JsonSchemaValue:
        json_schema = super().model_schema(schema)
        json_schema["x-model"] = schema["cls"]
        return json_schema


# a model's schema and the definitions it refers to, from whichever schema met it first
_BODIES: dict[Model, tuple[dict[str, Any], dict[str, Any]]] = {}


def _schema(model: Model) -> tuple[dict[str, Any], dict[str, Any]]:
    if model not in _BODIES:
        root = model.model_json_schema(schema_generator=_Schema)
        defs = root.get("$defs", {})
        for body in (root, *defs.values()):
            if body.get("x-model") is not None:
                _BODIES.setdefault(body["x-model"], (body, defs))
    return _BODIES[model]


def _shape(
    name: str, prop: dict[str, Any], required: bool, defs: dict[str, Any], annotation: Any
) -> FieldShape:
    """One property's schema (``prop``) read into a :class:`FieldShape`."""
    values, nullable = _options(prop, defs)
    one = values[0] if len(values) == 1 else None
    if one is not None:
        kind = one.get("type", "any")
    else:
        kind = "number" if {v.get("type") for v in values} == {"integer", "number"} else "any"
    one = one or {}
    model = one.get("x-model")
    own = {} if model is not None else one  # a model's docstring does not describe the field
    open_values = prop.get("x-enum", one.get("x-enum"))
    closed = one.get("enum", [one["const"]] if "const" in one else [])
    items = item_model = None
    if kind == "array":
        inner, _ = _options(one.get("items", {}), defs)
        items = inner[0].get("type", "any") if len(inner) == 1 else "any"
        item_model = inner[0].get("x-model") if len(inner) == 1 else None
    examples = prop.get("examples") or [None]  # forms fill these in: the field's own only
    return FieldShape(
        path=name,
        name=name,
        type=kind,
        types=tuple(v.get("type", "any") for v in values),
        format=one.get("format", prop.get("format")),
        required=required,
        nullable=nullable,
        enum=tuple(open_values or closed),
        open_enum=bool(open_values),
        example=examples[0],
        description=prop.get("description", own.get("description")),
        secret=bool(prop.get("x-secret", one.get("x-secret"))),
        volatile=bool(prop.get("x-volatile", one.get("x-volatile"))),
        deprecated=bool(prop.get("deprecated")),
        replacement=prop.get("x-replacement"),
        items=items,
        model=model or item_model,
        annotation=annotation,
    )


def _options(schema: dict[str, Any], defs: dict[str, Any]) -> tuple[list[dict[str, Any]], bool]:
    """The alternatives of a schema other than ``null`` (references followed), and whether
    ``null`` is one of them."""
    branches = [_resolve(b, defs) for b in schema.get("anyOf") or schema.get("oneOf") or [schema]]
    values = [b for b in branches if b.get("type") != "null"]
    return values, len(values) < len(branches)


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with its ``$ref`` (or a lone ``allOf``) replaced by what it refers to."""
    if len(schema.get("allOf", ())) == 1:
        rest = {k: v for k, v in schema.items() if k != "allOf"}
        schema = {**schema["allOf"][0], **rest}
    while "$ref" in schema:
        rest = {k: v for k, v in schema.items() if k != "$ref"}
        schema = {**defs[schema["$ref"].rsplit("/", 1)[-1]], **rest}
    return schema
