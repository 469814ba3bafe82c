"""The spec's response models read as column schemas: what each field becomes in a frame.

A model is read once (cached) into a tree: :class:`Node` for objects, :class:`Leaf` for
typed values, :class:`Nested` for lists of objects. The tree is built from the spec's one
reader (:func:`connect_kit.spec.fields_of`); :mod:`connect_kit.data._frames` walks it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property

from pydantic import BaseModel

from .. import spec
from ..spec.base import Operation


@dataclass(frozen=True)
class Leaf:
    """A column: ``kind`` is a dtype name, ``"timestamp"``, ``"epoch"`` (seconds since 1970,
    shown as a timestamp), ``"date"``, ``"category"``, ``"object"`` (kept as is) or ``"infer"``
    (typed from the values)."""

    kind: str
    categories: tuple[str, ...] = ()
    secret: bool = False


@dataclass(frozen=True)
class Node:
    """An object: its known fields in declaration order.

    ``free`` objects (``dict[str, Any]``) have no known fields; their keys become columns in
    place, where the spec declares the object, rather than after the spec's columns.
    """

    model: type[BaseModel] | None
    fields: tuple[tuple[str, Leaf | Node | Nested], ...] = ()
    free: bool = False

    @cached_property
    def names(self) -> frozenset[str]:
        """The keys that the spec knows at this level."""
        return frozenset(name for name, _ in self.fields)


@dataclass(frozen=True)
class Nested:
    """A list of objects: not a column, but a frame of its own (see :func:`nested_frame`)."""

    model: type[BaseModel] | None

    @property
    def node(self) -> Node:
        return schema(self.model) if self.model is not None else FREE


FREE = Node(None, free=True)
UNKNOWN = Node(None)
# (JSON type, format) -> column kind; a string of another format is a string
_KINDS: dict[tuple[str, str | None], str] = {
    ("string", "date-time"): "timestamp",
    ("string", "date"): "date",
    ("string", None): "string",
    ("integer", None): "Int64",
    ("integer", "unix-time"): "epoch",  # seconds since 1970, shown as a UTC timestamp
    ("number", None): "Float64",
    ("boolean", None): "boolean",
}


@cache
def schema(model: type[BaseModel]) -> Node:
    """The known fields of a response model, read once (leaves, objects and nested lists)."""
    return Node(model, tuple((f.name, _part(f, model)) for f in spec.fields_of(model)))


def _part(field: spec.FieldShape, owner: type[BaseModel]) -> Leaf | Node | Nested:
    """What one field becomes: a leaf (a secret one shown redacted), an object or a list."""
    part = _typed(field, owner)
    return Leaf("string", secret=True) if field.secret and isinstance(part, Leaf) else part


def _typed(field: spec.FieldShape, owner: type[BaseModel]) -> Leaf | Node | Nested:
    if field.enum:
        return Leaf("category", tuple(field.enum))
    if field.type == "object":
        if field.model is None:
            return FREE
        return UNKNOWN if field.model is owner else schema(field.model)
    if field.type == "array":
        return Nested(field.model) if field.items in ("object", "any") else Leaf("object")
    fmt = field.format if (field.type, field.format) in _KINDS else None
    return Leaf(_KINDS.get((field.type, fmt), "infer"))


def record_node(op: Operation | None) -> Node:
    """The schema of one record of ``op``'s response (``UNKNOWN`` when the spec has none)."""
    if op is None or op.response is None:
        return UNKNOWN
    node: Node | Leaf | Nested = schema(op.response)
    for part in op.records.split(".") if op.records else ():
        found = dict(node.fields).get(part) if isinstance(node, Node) else None
        node = found.node if isinstance(found, Nested) else found  # type: ignore[assignment]
    return node if isinstance(node, Node) else UNKNOWN
