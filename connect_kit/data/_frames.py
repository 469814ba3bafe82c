"""JSON responses as typed pandas DataFrames, shaped and typed by the spec.

The spec says where an operation's records sit (``stores``, ``orders``...) and what each field
is. A frame has one row per record and one column per leaf field, nested objects flattened
into dotted columns (``flags.alcohol``), each column in pandas' nullable vocabulary:

==============================  =================================================
spec field                      column dtype
==============================  =================================================
``str`` (identifiers included)  ``string`` (leading zeros kept: ``000000004011``)
``int`` (``*_cents`` included)  ``Int64``
``float``, ``int | float``      ``Float64``
``bool``                        ``boolean``
``datetime``                    ``datetime64[us, UTC]``
``date``                        ``datetime64[us]``
``open_enum(...)``              ``category``: the spec's values, then any other seen
``dict[str, Any]``              flattened into dotted columns, types inferred
``list[Model]``                 not in the frame: :func:`nested_frame` takes it out
==============================  =================================================

Fields the spec does not know become columns too (strings as ``string``, whole numbers as
``Int64``...), after the spec's columns, in the order they were first seen. A value that does
not fit its spec type never fails the frame: the column falls back to the inferred type and a
:class:`~connect_kit.errors.ConnectWarning` says so. An empty result keeps every spec column.

>>> from connect_kit.spec import get
>>> frame = to_frame(get("find_delivery_stores"), {"stores": [{"name": "Garden Market",
...     "location_code": "000-3801", "flags": {"alcohol": True}, "time_zone": "UTC"}]})
>>> list(frame.columns)  # doctest: +NORMALIZE_WHITESPACE
['name', 'location_code', 'flags.alcohol', 'flags.pickup', 'flags.pickup_only',
 'flags.long_distance_delivery', 'flags.is_partial', 'time_zone']
>>> str(frame["flags.alcohol"].dtype), str(frame["time_zone"].dtype)
('boolean', 'string')

Speed: the schema of a model is read once and cached; each column is taken from the records
by one list comprehension and typed by one vectorised pandas call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from itertools import chain
from typing import TYPE_CHECKING, Any

from ..errors import ConnectWarning, warn_at_caller
from ..spec.base import Operation
from ._columns import UNKNOWN, Leaf, Nested, Node, record_node

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["inferred_column", "nested_frame", "nested_names", "records", "to_frame"]

UNIT = "us"  # covers the spec's years 1970-2999 (nanoseconds stop in 2262)
TIMESTAMP = f"datetime64[{UNIT}, UTC]"
DATE = f"datetime64[{UNIT}]"
Dtypes = Mapping[str, Any]


# Records --------------------------------------------------------------------------------


def records(op: Operation | None, data: Any) -> list[dict[str, Any]]:
    """The records of a response: the list the spec names, or the object itself.

    Args:
        op: the operation that answered (``None``: the response is taken as it is).
        data: the parsed response body.

    Returns:
        One dict per record; ``[]`` when there is none.
    """
    if op is not None and op.records and isinstance(data, dict):
        found: Any = data
        for part in op.records.split("."):
            found = found.get(part) if isinstance(found, dict) else None
        if found is None:
            return []
        return found if isinstance(found, list) else [found]
    if isinstance(data, list):
        return [r if isinstance(r, dict) else {"value": r} for r in data]
    return [data] if isinstance(data, dict) and data else []


# Frames ---------------------------------------------------------------------------------


def to_frame(op: Operation | None, data: Any, dtypes: Dtypes | None = None) -> pd.DataFrame:
    """One row per record of a response, one typed column per leaf field.

    Args:
        op: the operation that answered; its spec finds the records and types the columns.
        data: the parsed response body.
        dtypes: column -> dtype, applied to the raw values instead of the spec's type. A
            column that this response lacks is added, empty, with that dtype (so that frames
            of several responses line up).

    Returns:
        The records; lists of objects (an order's ``items``) are left out: see
        :func:`nested_frame`.

    >>> from connect_kit.spec import get
    >>> frame = to_frame(get("get_order"), {"id": "0042", "status": "picking"})
    >>> frame.loc[0, "id"], str(frame["status"].dtype), str(frame["created_at"].dtype)
    ('0042', 'category', 'datetime64[us, UTC]')
    """
    return _frame(record_node(op), records(op, data), dtypes)


def records_frame(
    op: Operation | None, rows: list[dict[str, Any]], dtypes: Dtypes | None = None
) -> pd.DataFrame:
    """Records already taken out of their responses (several calls' together), typed as in
    :func:`to_frame`."""
    return _frame(record_node(op), rows, dtypes)


def nested_frame(
    op: Operation | None, data: Any, name: str, dtypes: Dtypes | None = None
) -> pd.DataFrame:
    """The list ``name`` of every record as one frame, each row keeping its parent's key.

    The first column is the parent's ``record_key`` (an order's ``id`` as ``order_id``; a
    store's ``location_code`` as is), or ``parent_row`` (the parent's row in
    :func:`to_frame`) when the parent has none. The other columns are typed as in
    :func:`to_frame`.

    Args:
        op: the operation that answered.
        data: the parsed response body.
        name: the list's field, dotted when it sits in an object (``items``, ``warnings``).
        dtypes: column -> dtype overrides, as in :func:`to_frame`.

    Raises:
        ValueError: when ``name`` is neither a nested list of the spec nor a list found in
            the records.

    >>> from connect_kit.spec import get
    >>> order = {"id": "o1", "status": "brand_new",
    ...          "items": [{"line_num": "1", "item": {"upc": "000000004011"}}]}
    >>> items = nested_frame(get("get_order"), order, "items")
    >>> items.loc[0, ["order_id", "line_num", "item.upc"]].tolist()
    ['o1', '1', '000000004011']
    """
    parent = record_node(op)
    rows = records(op, data)
    child = _nested_node(parent, rows, name)
    key_name, keys, key_leaf = _parent_key(parent, rows)
    owners, children = [], []
    for key, items in zip(keys, _dig(rows, name), strict=True):
        if isinstance(items, list):
            owners += [key] * len(items)
            children += [c if isinstance(c, dict) else {"value": c} for c in items]
    overrides = dict(dtypes or {})
    key_dtype = overrides.pop(key_name, None)
    frame = _frame(child, children, overrides)
    if key_name in frame.columns:
        key_name = f"parent_{key_name}"
    column = _column(owners, key_leaf, key_name, key_dtype)
    frame.insert(0, key_name, column)
    return frame


def nested_names(op: Operation | None) -> list[str]:
    """The nested lists that the spec declares in ``op``'s records (``["warnings", "items"]``)."""
    return list(_nested_in(record_node(op), ""))


def _nested_in(node: Node, prefix: str) -> dict[str, Nested]:
    found: dict[str, Nested] = {}
    for name, part in node.fields:
        if isinstance(part, Nested):
            found[prefix + name] = part
        elif isinstance(part, Node):
            found |= _nested_in(part, f"{prefix}{name}.")
    return found


def _nested_node(parent: Node, rows: list[dict[str, Any]], name: str) -> Node:
    known = _nested_in(parent, "")
    if name in known:
        return known[name].node
    if any(isinstance(v, list) for v in _dig(rows, name)):
        return UNKNOWN
    choices = ", ".join(known) or "none"
    raise ValueError(f"{name!r} is not a nested list of these records (the spec's: {choices})")


def _dig(rows: list[Any], name: str) -> list[Any]:
    """The value at dotted ``name`` in each row (``None`` where missing)."""
    values = rows
    for part in name.split("."):
        values = _take(_objects(values), part)
    return values


def _parent_key(parent: Node, rows: list[dict[str, Any]]) -> tuple[str, list[Any], Leaf]:
    """(column name, values, leaf) of the parent's key: its ``record_key``, or its row."""
    key = getattr(parent.model, "record_key", None)
    if parent.model is None or key is None:
        return "parent_row", list(range(len(rows))), Leaf("Int64")
    leaf = dict(parent.fields).get(key)
    name = f"{_snake(parent.model.__name__)}_id" if key == "id" else key
    return name, _take(rows, key), leaf if isinstance(leaf, Leaf) else Leaf("infer")


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def _frame(node: Node, rows: list[Any], dtypes: Dtypes | None) -> pd.DataFrame:
    import pandas as pd

    known: dict[str, tuple[list[Any], Leaf]] = {}
    extra: dict[str, tuple[list[Any], Leaf]] = {}
    _flatten(node, rows, "", known, extra)
    overrides = dict(dtypes or {})
    columns = {
        path: _column(values, leaf, path, overrides.pop(path, None))
        for path, (values, leaf) in (known | extra).items()
    }
    for path, dtype in overrides.items():  # asked for, but not in this response
        columns[path] = _column([None] * len(rows), Leaf("object"), path, dtype)
    frame = pd.DataFrame(columns, index=pd.RangeIndex(len(rows)), copy=False)
    return frame


# Flattening: lists of values per column, no pandas yet ------------------------------------

Columns = dict[str, tuple[list[Any], Leaf]]


def _flatten(node: Node, objects: list[Any], prefix: str, known: Columns, extra: Columns) -> None:
    """Collect the columns of ``objects`` (one per row: a dict, or ``None``) under ``prefix``."""
    names = [name for name, part in node.fields if not isinstance(part, Nested)]
    objects, values = _transpose(objects, names, prefix, extra)
    for name, part in node.fields:
        path = prefix + name
        if isinstance(part, Leaf):
            known[path] = (values[name], part)
        elif isinstance(part, Node):
            _flatten(part, values[name], f"{path}.", known, extra)
    sink = known if node.free else extra
    for key in _unknown_keys(objects, node.names):
        column = _take(objects, key)
        path = prefix + key
        if _all_objects(column):
            _flatten(UNKNOWN, column, f"{path}.", sink, sink)
        else:
            sink[path] = (column, Leaf("infer", secret=key in _secret_names()))


def _transpose(
    objects: list[Any], names: list[str], prefix: str, extra: Columns
) -> tuple[list[Any], dict[str, list[Any]]]:
    """Each name's value in each object, read in one pass over the objects.

    Returns the objects too, with anything but a dict replaced by ``None`` (such values are
    kept aside in ``extra``, under the object's own name).
    """
    if not names:
        return _objects(objects, prefix, extra), {}
    try:
        flat = _values(objects, names)
    except AttributeError:  # a value that is not an object
        objects = _objects(objects, prefix, extra)
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


def _objects(values: list[Any], prefix: str = "", extra: Columns | None = None) -> list[Any]:
    """``values`` with anything but dicts replaced by ``None`` (kept aside in ``extra``)."""
    if sum(1 for v in values if v is None or type(v) is dict) == len(values):
        return values
    odd = [None if v is None or isinstance(v, dict) else v for v in values]
    if extra is not None:
        extra[prefix.rstrip(".") or "value"] = (odd, Leaf("infer"))
    return [v if isinstance(v, dict) else None for v in values]


def _take(objects: list[Any], key: str) -> list[Any]:
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
def _secret_names() -> frozenset[str]:
    from .._redact import secret_fields

    return secret_fields()


# Typing: one vectorised call per column -------------------------------------------------


def inferred_column(values: list[Any]) -> Any:
    """Values of a field the spec does not type, as a column typed from what they are
    (``Int64``, ``Float64``, ``boolean``, ``string``, else objects)."""
    return _column(values, Leaf("infer"), "")


def _column(values: list[Any], leaf: Leaf, path: str, dtype: Any = None) -> Any:
    """A typed array of ``values``; falls back to the inferred type when they do not fit."""
    if leaf.secret:
        from .._redact import REDACTED

        values = [None if v is None else REDACTED for v in values]
    if dtype is not None:
        return _override(values, path, dtype)
    kind = leaf.kind if leaf.kind != "infer" else _infer(values)
    try:
        return _CONVERTERS.get(kind, _exact)(values, leaf, kind)
    except (TypeError, ValueError, OverflowError, ArithmeticError) as exc:
        fallback = _infer(values)
        fallback = fallback if fallback != kind else "object"  # too big for Int64, say
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        warn_at_caller(
            f"column {path!r}: values do not fit {kind} ({reason}); kept as {fallback}",
            ConnectWarning,
        )
        return _CONVERTERS.get(fallback, _exact)(values, Leaf(fallback), fallback)


def _override(values: list[Any], path: str, dtype: Any) -> Any:
    import pandas as pd

    try:
        return pd.array(values, dtype=dtype)
    except (TypeError, ValueError):
        pass
    try:
        return pd.Series(_objects_array(values), dtype=object).astype(dtype).array
    except (TypeError, ValueError) as exc:
        raise ValueError(f"column {path!r} cannot be read as {dtype}: {exc}") from None


def _infer(values: list[Any]) -> str:
    """The dtype of values that the spec does not type (``object`` when mixed)."""
    kinds = {type(v) for v in values}
    kinds.discard(type(None))
    if kinds == {str}:
        return "string"
    if kinds == {bool}:
        return "boolean"
    if kinds and kinds <= {int, float}:
        return "Int64" if kinds == {int} else "Float64"
    return "object"


def _exact(values: list[Any], leaf: Leaf, kind: str) -> Any:
    import pandas as pd

    return pd.array(values, dtype=kind)


def _timestamps(values: list[Any], leaf: Leaf, kind: str) -> Any:
    import numpy as np
    import pandas as pd

    if not values:
        return pd.array([], dtype=TIMESTAMP if kind == "timestamp" else DATE)
    unique = list(dict.fromkeys(values))
    repeated = len(unique) * 2 <= len(values)  # time windows repeat: parse each once
    parsed = pd.to_datetime(
        unique if repeated else values, utc=kind == "timestamp", format="ISO8601", cache=False
    )
    if kind == "date" and parsed.tz is not None:
        raise ValueError("dates carry no time zone")
    array = parsed.as_unit(UNIT).array
    if not repeated:
        return array
    position = {value: i for i, value in enumerate(unique)}
    codes = np.fromiter(map(position.__getitem__, values), dtype=np.intp, count=len(values))
    return array.take(codes)


def _categories(values: list[Any], leaf: Leaf, kind: str) -> Any:
    import pandas as pd

    listed = set(leaf.categories)
    seen = [v for v in dict.fromkeys(values) if v is not None and v not in listed]
    if any(not isinstance(v, str) for v in seen):
        raise TypeError(f"not strings: {seen[:3]}")
    dtype = pd.CategoricalDtype([*leaf.categories, *seen])
    return pd.Categorical(values, dtype=dtype)


def _objects_array(values: list[Any]) -> Any:
    import numpy as np

    array = np.empty(len(values), dtype=object)
    try:
        array[:] = values
    except ValueError:  # lists of equal length look like a second dimension: item by item
        for i, value in enumerate(values):
            array[i] = value
    return array


_CONVERTERS: dict[str, Callable[[list[Any], Leaf, str], Any]] = {
    "timestamp": _timestamps,
    "date": _timestamps,
    "category": _categories,
    "object": lambda values, leaf, kind: _objects_array(values),
}
