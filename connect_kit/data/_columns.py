"""The spec's response models read as column schemas: what each field becomes in a frame.

A model is read once (cached) into a tree: :class:`Node` for objects, :class:`Leaf` for
typed values, :class:`Nested` for lists of objects. :mod:`connect_kit.data._frames` walks it.
"""

from __future__ import annotations

import datetime as dt
import enum
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any, Union

from pydantic import BaseModel

from ..spec.base import Operation


@dataclass(frozen=True)
class Leaf:
    """A column: ``kind`` is a dtype name, ``"timestamp"``, ``"date"``, ``"category"``,
    ``"object"`` (kept as is) or ``"infer"`` (typed from the values)."""

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
_SCALARS: dict[type, str] = {
    bool: "boolean",
    int: "Int64",
    float: "Float64",
    str: "string",
    dt.datetime: "timestamp",
    dt.date: "date",
}


@cache
def schema(model: type[BaseModel]) -> Node:
    """The known fields of a response model, read once (leaves, objects and nested lists)."""
    fields = []
    for name, info in model.model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        part = _part(info.annotation, extra, model)
        if isinstance(part, Leaf) and extra.get("x-secret"):
            part = Leaf("string", secret=True)
        fields.append((info.alias or name, part))
    return Node(model, tuple(fields))


def _part(annotation: Any, extra: Mapping[str, Any], owner: type) -> Leaf | Node | Nested:
    """What one annotation becomes: a leaf, an object or a nested list."""
    options = [a for a in _union_args(annotation) if a is not type(None)]
    categories = _categories_of(options, extra)
    options = [_strip_annotated(a) for a in options]
    if categories is not None:
        return Leaf("category", tuple(categories))
    if len(options) != 1:
        numbers = bool(options) and set(options) <= {int, float}
        return Leaf("Float64" if numbers else "infer")
    (kind,) = options
    origin = typing.get_origin(kind) or kind
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        return UNKNOWN if kind is owner else schema(kind)
    if origin is list:
        (inner,) = typing.get_args(kind) or (Any,)
        inner = _strip_annotated(inner)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return Nested(inner)
        inner_origin = typing.get_origin(inner) or inner
        return Nested(None) if inner_origin in (dict, Any) else Leaf("object")
    if origin is dict:
        return FREE
    return Leaf(next((v for t, v in _SCALARS.items() if kind is t), "infer"))


def _categories_of(options: list[Any], extra: Mapping[str, Any]) -> list[Any] | None:
    """The values of an ``open_enum`` (its ``x-enum``), a ``Literal`` or an ``Enum``."""
    for option in options:
        for meta in getattr(option, "__metadata__", ()):  # open_enum(...) | None
            meta_extra = getattr(meta, "json_schema_extra", None)
            if isinstance(meta_extra, dict) and "x-enum" in meta_extra:
                return list(meta_extra["x-enum"])
    if "x-enum" in extra:
        return list(extra["x-enum"])
    return _closed_values(_strip_annotated(options[0])) if len(options) == 1 else None


def _closed_values(kind: Any) -> list[Any] | None:
    """The values of a ``Literal`` or an ``Enum``: categories too."""
    if typing.get_origin(kind) is typing.Literal:
        return list(typing.get_args(kind))
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return [member.value for member in kind]
    return None


def _union_args(annotation: Any) -> tuple[Any, ...]:
    if typing.get_origin(annotation) in (Union, types.UnionType):
        return typing.get_args(annotation)
    return (annotation,)


def _strip_annotated(annotation: Any) -> Any:
    if typing.get_origin(annotation) is typing.Annotated:
        return typing.get_args(annotation)[0]
    return annotation


def record_node(op: Operation | None) -> Node:
    """The schema of one record of ``op``'s response (``UNKNOWN`` when the spec has none)."""
    if op is None or op.response is None:
        return UNKNOWN
    node: Node | Leaf | Nested = schema(op.response)
    for part in op.records.split(".") if op.records else ():
        found = dict(node.fields).get(part) if isinstance(node, Node) else None
        node = found.node if isinstance(found, Nested) else found  # type: ignore[assignment]
    return node if isinstance(node, Node) else UNKNOWN
