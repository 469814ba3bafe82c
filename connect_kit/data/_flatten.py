"""Records flattened into columns: one list of values per leaf field, no pandas yet.

:func:`flatten` walks the schema tree of :mod:`connect_kit.data._columns` over a list of
records (dicts, or ``None``) and collects, for each dotted path, the values of every record and
the :class:`~connect_kit.data._columns.Leaf` that types them. Fields the spec does not know are
collected too, apart, in the order they were first seen. :mod:`connect_kit.data._frames` types
the columns.
"""

from __future__ import annotations

from functools import cache
from itertools import chain
from typing import Any

from ._columns import UNKNOWN, Leaf, Nested, Node

Columns = dict[str, tuple[list[Any], Leaf]]


def flatten(node: Node, objects: list[Any], prefix: str, known: Columns, extra: Columns) -> None:
    """Collect the columns of ``objects`` (one per row: a dict, or ``None``) under ``prefix``."""
    names = [name for name, part in node.fields if not isinstance(part, Nested)]
    objects, values = _transpose(objects, names, prefix, extra)
    for name, part in node.fields:
        path = prefix + name
        if isinstance(part, Leaf):
            known[path] = (values[name], part)
        elif isinstance(part, Node):
            flatten(part, values[name], f"{path}.", known, extra)
    sink = known if node.free else extra
    for key in _unknown_keys(objects, node.names):
        column = take(objects, key)
        path = prefix + key
        if _all_objects(column):
            flatten(UNKNOWN, column, f"{path}.", sink, sink)
        else:
            sink[path] = (column, Leaf("infer", secret=key in secret_names()))


def _transpose(
    objects: list[Any], names: list[str], prefix: str, extra: Columns
) -> tuple[list[Any], dict[str, list[Any]]]:
    """Each name's value in each object, read in one pass over the objects.

    Returns the objects too, with anything but a dict replaced by ``None`` (such values are
    kept aside in ``extra``, under the object's own name).
    """
    if not names:
        return objects_only(objects, prefix, extra), {}
    try:
        flat = _values(objects, names)
    except AttributeError:  # a value that is not an object
        objects = objects_only(objects, prefix, extra)
        flat = _values(objects, names)
    step = len(names)
    return objects, {name: flat[i::step] for i, name in enumerate(names)}


def _values(objects: list[Any], names: list[str]) -> list[Any]:
    """The values of ``names`` in each object, row after row, in one flat list.

    One flat list rather than a tuple per row: the garbage collector never sees 100,000 new
    containers, and the columns are then slices of it.
    """
    blank = (None,) * len(names)
    return list(chain.from_iterable(map(o.get, names) if o is not None else blank for o in objects))


def objects_only(values: list[Any], prefix: str = "", extra: Columns | None = None) -> list[Any]:
    """``values`` with anything but dicts replaced by ``None`` (kept aside in ``extra``)."""
    if sum(1 for v in values if v is None or type(v) is dict) == len(values):
        return values
    odd = [None if v is None or isinstance(v, dict) else v for v in values]
    if extra is not None:
        extra[prefix.rstrip(".") or "value"] = (odd, Leaf("infer"))
    return [v if isinstance(v, dict) else None for v in values]


def take(objects: list[Any], key: str) -> list[Any]:
    """``object[key]`` for each object (``None`` where missing or not an object)."""
    try:
        return [o.get(key) if o is not None else None for o in objects]
    except AttributeError:
        return [o.get(key) if isinstance(o, dict) else None for o in objects]


def _unknown_keys(objects: list[Any], known: frozenset[str]) -> list[str]:
    """Keys of ``objects`` (dicts or ``None``) that the spec does not name, first seen first."""
    if not set().union(*filter(None, objects)) - known:
        return []
    layouts = dict.fromkeys(map(tuple, filter(None, objects)))  # few: one per key layout
    return list(dict.fromkeys(k for layout in layouts for k in layout if k not in known))


def _all_objects(values: list[Any]) -> bool:
    present = [v for v in values if v is not None]
    return bool(present) and all(isinstance(v, dict) for v in present)


@cache
def secret_names() -> frozenset[str]:
    from .._redact import secret_fields

    return secret_fields()
