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
``datetime``                    ``datetime64[us, UTC]`` (``tz=``: another zone)
``int``, format ``unix-time``   ``datetime64[us, UTC]`` (seconds since 1970)
``date``                        ``datetime64[us]``
``open_enum(...)``              ``category``: the spec's values, then any other seen
``dict[str, Any]``              flattened into dotted columns, types inferred
``list[Model]``                 not in the frame: :func:`nested_frame` takes it out
``list`` of values              ``object``, kept as they are
==============================  =================================================

A missing value (absent, or ``null``) is ``pd.NA`` in every column, shown ``<NA>``; time
columns hold ``NaT``, pandas' missing time. ``tz=`` shows timestamps in another zone, or each
row on its store's clock (see :mod:`connect_kit.data._zones`).

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
from typing import TYPE_CHECKING, Any

from ..errors import ConnectWarning, warn_at_caller
from ..spec.base import Operation
from ._columns import UNKNOWN, Leaf, Nested, Node, record_node
from ._flatten import flatten, objects_only, take
from ._flatten import secret_names as _secret_names  # noqa: F401 (read here by benchmarks)
from ._zones import STORE, Tz, check_tz, in_zone

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "inferred_column",
    "nested_frame",
    "nested_names",
    "nested_records",
    "records",
    "records_frame",
    "to_frame",
]

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


def to_frame(
    op: Operation | None, data: Any, dtypes: Dtypes | None = None, tz: Tz = None
) -> pd.DataFrame:
    """One row per record of a response, one typed column per leaf field.

    Args:
        op: the operation that answered; its spec finds the records and types the columns.
        data: the parsed response body.
        dtypes: column -> dtype, applied to the raw values instead of the spec's type. A
            column that this response lacks is added, empty, with that dtype (so that frames
            of several responses line up).
        tz: the time zone of timestamp columns: ``None`` (UTC), a zone name
            (``"America/Chicago"``), or ``"store"``: each row's store's local time (see
            :mod:`connect_kit.data._zones`).

    Returns:
        The records; lists of objects (an order's ``items``) are left out: see
        :func:`nested_frame`.

    >>> from connect_kit.spec import get
    >>> frame = to_frame(get("get_order"), {"id": "0042", "status": "picking"})
    >>> frame.loc[0, "id"], str(frame["status"].dtype), str(frame["created_at"].dtype)
    ('0042', 'category', 'datetime64[us, UTC]')
    """
    return _frame(record_node(op), records(op, data), dtypes, check_tz(tz))


def records_frame(
    op: Operation | None, rows: list[dict[str, Any]], dtypes: Dtypes | None = None, tz: Tz = None
) -> pd.DataFrame:
    """Records already taken out of their responses (several calls' together), typed as in
    :func:`to_frame`."""
    return _frame(record_node(op), rows, dtypes, check_tz(tz))


def nested_frame(
    op: Operation | None, data: Any, name: str, dtypes: Dtypes | None = None, tz: Tz = None
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
        tz: the time zone of timestamp columns, as in :func:`to_frame`.

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
    return nested_records(op, records(op, data), name, dtypes, tz)[0]


def nested_records(
    op: Operation | None,
    rows: list[dict[str, Any]],
    name: str,
    dtypes: Dtypes | None = None,
    tz: Tz = None,
) -> tuple[pd.DataFrame, list[int]]:
    """:func:`nested_frame` of records already taken out (several calls' together), and for
    each row of that frame the position of its parent in ``rows``."""
    parent = record_node(op)
    zone = check_tz(tz)
    child = _nested_node(parent, rows, name)
    key_name, keys, key_leaf = _parent_key(parent, rows)
    owners, parents, children = [], [], []
    for position, (key, items) in enumerate(zip(keys, _dig(rows, name), strict=True)):
        if isinstance(items, list):
            owners += [key] * len(items)
            parents += [position] * len(items)
            children += [c if isinstance(c, dict) else {"value": c} for c in items]
    overrides = dict(dtypes or {})
    key_dtype = overrides.pop(key_name, None)
    frame = _frame(child, children, overrides, zone)
    if key_name in frame.columns:
        key_name = f"parent_{key_name}"
    column = _column(owners, key_leaf, key_name, key_dtype)
    frame.insert(0, key_name, column)
    return frame, parents


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
        values = take(objects_only(values), part)
    return values


def _parent_key(parent: Node, rows: list[dict[str, Any]]) -> tuple[str, list[Any], Leaf]:
    """(column name, values, leaf) of the parent's key: its ``record_key``, or its row."""
    key = getattr(parent.model, "record_key", None)
    if parent.model is None or key is None:
        return "parent_row", list(range(len(rows))), Leaf("Int64")
    leaf = dict(parent.fields).get(key)
    name = f"{_snake(parent.model.__name__)}_id" if key == "id" else key
    return name, take(rows, key), leaf if isinstance(leaf, Leaf) else Leaf("infer")


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def _frame(node: Node, rows: list[Any], dtypes: Dtypes | None, tz: Tz = None) -> pd.DataFrame:
    import pandas as pd

    known: dict[str, tuple[list[Any], Leaf]] = {}
    extra: dict[str, tuple[list[Any], Leaf]] = {}
    flatten(node, rows, "", known, extra)
    overrides = dict(dtypes or {})
    columns = {
        path: _column(values, leaf, path, overrides.pop(path, None))
        for path, (values, leaf) in (known | extra).items()
    }
    for path, dtype in overrides.items():  # asked for, but not in this response
        columns[path] = _column([None] * len(rows), Leaf("object"), path, dtype)
    if tz is not None:  # the caller's dtypes win over tz too
        found = known | extra
        zones = found["time_zone"][0] if tz == STORE and "time_zone" in found else None
        for path, (values, leaf) in found.items():
            if leaf.kind in ("timestamp", "epoch") and path not in (dtypes or {}):
                columns[path] = in_zone(columns[path], values, tz, zones)
    return pd.DataFrame(columns, index=pd.RangeIndex(len(rows)), copy=False)


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
    import numpy as np
    import pandas as pd

    listed = set(leaf.categories)
    seen = [v for v in dict.fromkeys(values) if v is not None and v not in listed]
    if any(not isinstance(v, str) for v in seen):
        raise TypeError(f"not strings: {seen[:3]}")
    every = [*leaf.categories, *seen]
    position: dict[Any, int] = {value: i for i, value in enumerate(every)}
    position[None] = -1
    codes = np.fromiter(map(position.__getitem__, values), dtype=np.int32, count=len(values))
    categories = pd.Index(every, dtype="string")  # a missing value shows <NA>
    return pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(categories))


def _objects_array(values: list[Any]) -> Any:
    """Values kept as they are, a missing one as ``pd.NA`` (as in every other column)."""
    import numpy as np
    import pandas as pd

    array = np.empty(len(values), dtype=object)
    try:
        array[:] = values
    except ValueError:  # lists of equal length look like a second dimension: item by item
        for i, value in enumerate(values):
            array[i] = value
    array[pd.isna(array)] = pd.NA
    return array


def _seconds(values: list[Any], leaf: Leaf, kind: str) -> Any:
    """Seconds since 1970 (a token's ``created_at``) as UTC timestamps, like the others."""
    import pandas as pd

    if any(isinstance(v, bool) or not isinstance(v, int | float | None) for v in values):
        raise TypeError("not numbers of seconds")
    return pd.to_datetime(values, unit="s", utc=True).as_unit(UNIT).array


_CONVERTERS: dict[str, Callable[[list[Any], Leaf, str], Any]] = {
    "timestamp": _timestamps,
    "date": _timestamps,
    "epoch": _seconds,
    "category": _categories,
    "object": lambda values, leaf, kind: _objects_array(values),
}
