"""Where two JSON values differ, with lists lined up the way the spec identifies records.

:func:`diff` walks two JSON values (what ``response.json()`` gives: dicts, lists and scalars)
and returns one :class:`Difference` per place where they differ, in walk order. The spec says
how to line up lists: ``Stores.stores`` holds ``Store`` records whose ``record_key`` is
``location_code``, so two store lists are compared store by store, whatever their order, and a
store that only one side has is reported once, whole. Lists that the spec does not describe
are lined up by a common identifier field when every item has one, else by position.

Equal subtrees are skipped whole, without descending: ``==`` (which runs in C) finds them, and
comparing their orjson bytes confirms them, because ``==`` alone takes ``True`` for ``1``. The
work therefore grows with the number of differences, not with the size of the responses.

Values are compared as JSON sees them: ``1 == 1.0``, but ``True`` is not a number, so ``True``
against ``1`` is a ``type_changed``; ``null`` against anything is a plain ``changed``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, Final, cast

import orjson
from pydantic import BaseModel

from ..spec import fields_of, json_type

__all__ = [
    "CHANGED",
    "IDENTIFIERS",
    "KINDS",
    "MISSING",
    "ONLY_IN_A",
    "ONLY_IN_B",
    "TYPE_CHANGED",
    "Difference",
    "diff",
    "matches",
    "record_key_for",
]

CHANGED: Final = "changed"
ONLY_IN_A: Final = "only_in_a"
ONLY_IN_B: Final = "only_in_b"
TYPE_CHANGED: Final = "type_changed"
KINDS: Final = (CHANGED, ONLY_IN_A, ONLY_IN_B, TYPE_CHANGED)

#: Fields that identify a record in a list the spec does not describe, tried in this order.
IDENTIFIERS: Final = ("id", "location_code", "line_num", "order_id", "user_id")


class _Missing:
    """The type of :data:`MISSING`: one instance, kept by copy and pickle."""

    __slots__ = ()
    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<missing>"

    def __reduce__(self) -> str:
        return "MISSING"


#: The value of a :class:`Difference` on the side that does not have the field or record.
MISSING: Final[Any] = _Missing()


@dataclass(frozen=True, slots=True)
class Difference:
    """One place where the two values differ.

    Attributes:
        path: where, readably: ``"stores[location_code=000-3801].flags.alcohol"`` (a record
            named by its key), ``"warnings[0].code"`` or ``"[3]"`` (by position),
            ``"fulfillment_details.bag_count"``; ``""`` for the values themselves.
        kind: ``"changed"``, ``"type_changed"`` (different JSON types), ``"only_in_a"`` or
            ``"only_in_b"`` (a field or record that one side lacks).
        a: the value in ``a`` (a whole subtree for ``only_in_a``), or :data:`MISSING`.
        b: the value in ``b``, or :data:`MISSING`.
        pattern: ``path`` with record keys and positions replaced by ``[*]``
            (``"stores[*].flags.alcohol"``), to group the same difference across records.
    """

    path: str
    kind: str
    a: Any
    b: Any
    pattern: str


Model = type[BaseModel]
Models = tuple[Model | None, Model | None]  # (the model of an object, of a list's items)
Skip = Callable[[str, str, str | None], bool]  # (path, pattern, field name) -> ignored?
Frame = tuple[Any, Any, str, str, Model | None]  # two containers to expand, where, model
Step = Difference | Frame

_NO_MODELS: Final[Models] = (None, None)
_NUMBERS: Final = frozenset({int, float})
_NUMBER_TYPES: Final = {"integer", "number"}  # one type to JSON: 1 against 1.5 is a change


def diff(
    a: Any,
    b: Any,
    model: Model | None = None,
    *,
    ignore: Iterable[str] = (),
    exact: Iterable[str] = (),
) -> list[Difference]:
    """The differences between two JSON values, in walk order (``a``'s order first).

    Args:
        a: one value (typically ``response.json()`` from dev).
        b: the other (from prod).
        model: the spec's model of both values (``spec.get(name).response``); it tells which
            field identifies the records of each list. When ``a`` and ``b`` are lists, the
            model of their items. ``None``: lists are lined up by a common identifier field
            (:data:`IDENTIFIERS`) when every item has one with unique values, else by position.
        ignore: globs of paths or patterns to leave out, subtree and all: ``"*.created_at"``,
            ``"stores[*].time_zone"``, ``"access_token"``. A glob without ``.`` or ``[`` also
            matches a field of that name at any depth. See :func:`matches`.
        exact: paths or patterns to leave out, subtree and all, only where they are (no
            wildcards, no any-depth rule): ``"orders[*].created_at"``, ``"created_at"``.

    Returns:
        One :class:`Difference` per place where ``a`` and ``b`` differ; ``[]`` when equal.

    Raises:
        TypeError: when ``model`` is not a pydantic model class.

    Example:
        >>> from connect_kit import spec
        >>> dev = {"stores": [
        ...     {"location_code": "000-3801", "name": "Mission", "flags": {"alcohol": True}},
        ...     {"location_code": "000-3802", "name": "Soma", "flags": {"alcohol": True}}]}
        >>> prod = {"stores": [
        ...     {"location_code": "000-3802", "name": "Soma", "flags": {"alcohol": False}},
        ...     {"location_code": "104-2210", "name": "Oakland", "flags": {}}]}
        >>> found = diff(dev, prod, spec.get("find_delivery_stores").response)
        >>> for d in found:
        ...     print(d.kind, d.path)
        only_in_a stores[location_code=000-3801]
        changed stores[location_code=000-3802].flags.alcohol
        only_in_b stores[location_code=104-2210]
        >>> found[1].a, found[1].b, found[1].pattern
        (True, False, 'stores[*].flags.alcohol')
        >>> found[2].a, found[2].b["name"]
        (<missing>, 'Oakland')
        >>> diff(dev, prod, ignore=["stores"])
        []
    """
    if model is not None and not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise TypeError(
            f"model must be a pydantic model class such as spec.get(name).response, not {model!r}"
        )
    skip = _matcher(_globs(ignore), frozenset(_globs(exact)))
    steps: list[Step] = []
    if not _same(a, b):
        _pair(steps, a, b, "", "", None, (model, model), skip)
    found: list[Difference] = []
    while steps:  # depth first, without recursion: children are pushed in reverse
        step = steps.pop()
        if type(step) is Difference:
            found.append(step)
        else:
            children = _expand(*cast(Frame, step), skip)
            children.reverse()
            steps.extend(children)
    return found


def record_key_for(model: Model | None, field: str) -> str | None:
    """The field identifying the items of list field ``field`` of ``model``, from the spec.

    >>> from connect_kit import spec
    >>> record_key_for(spec.get("find_delivery_stores").response, "stores")
    'location_code'
    >>> record_key_for(spec.get("get_order").response, "items")
    'line_num'
    >>> record_key_for(spec.get("get_order").response, "warnings") is None  # list of dicts
    True
    """
    if model is None:
        return None
    items = _fields(model).get(field, _NO_MODELS)[1]
    return getattr(items, "record_key", None)


@cache
def _fields(model: Model) -> dict[str, Models]:
    """For each field of ``model`` holding an object or a list of objects: their models."""
    return {
        f.name: (None, f.model) if f.type == "array" else (f.model, None)
        for f in fields_of(model)
        if f.model is not None
    }


def matches(pattern_or_path: str, globs: Iterable[str], exact: Iterable[str] = ()) -> bool:
    """Whether a path or pattern is matched by one of ``globs``, or is one of ``exact`` (the
    tests of ``ignore`` and ``exact``).

    Globs are fnmatch-style and case-sensitive: ``*`` matches any run of characters (dots and
    brackets included) and ``?`` one character, but brackets are literal, since paths
    contain them: ``"stores[*].time_zone"`` matches ``"stores[*].time_zone"`` and
    ``"stores[location_code=000-3801].time_zone"``. A glob without ``.`` or ``[`` also
    matches the last field name at any depth.

    >>> matches("orders[*].created_at", ["created_at"])
    True
    >>> matches("stores[location_code=000-3801].time_zone", ["stores[*].time_zone"])
    True
    >>> matches("stores[*].flags.alcohol", ["*.pickup", "flags"])
    False
    """
    skip = _matcher(_globs(globs), frozenset(_globs(exact)))
    return skip is not None and skip(pattern_or_path, pattern_or_path, _last_field(pattern_or_path))


# Sameness ------------------------------------------------------------------------------------


def _same(x: Any, y: Any) -> bool:
    """Whether ``x`` and ``y`` are the same JSON value: ``1`` is ``1.0`` but not ``True``."""
    if x is y:
        return True
    kind = type(x)
    if kind is not type(y):
        return kind in _NUMBERS and type(y) in _NUMBERS and x == y
    if kind is float:
        return x == y or (x != x and y != y)  # NaN is NaN
    if isinstance(x, dict | list | tuple):
        return x == y and _strictly(x, y)
    return x == y


def _strictly(x: Any, y: Any) -> bool:
    """Given ``x == y``: whether no ``True``/``False`` stands where the other has a number."""
    try:
        if orjson.dumps(x) == orjson.dumps(y):  # the usual case, in C
            return True
    except TypeError:  # not plain JSON (non-str keys, huge ints): look at every value
        pass
    # Equal, but spelled differently: key order, 1 against 1.0, or a bool against a number.
    pairs = [(x, y)]
    while pairs:
        x, y = pairs.pop()
        if x is y:
            continue
        if isinstance(x, dict):
            pairs.extend((value, y[key]) for key, value in x.items())
        elif isinstance(x, list | tuple):
            pairs.extend(zip(x, y, strict=True))
        elif (type(x) is bool) is not (type(y) is bool):
            return False
    return True


def _leaf_kind(x: Any, y: Any) -> str:
    if x is None or y is None:
        return CHANGED
    kinds = {json_type(x), json_type(y)}
    return CHANGED if len(kinds) == 1 or kinds == _NUMBER_TYPES else TYPE_CHANGED


# The walk ------------------------------------------------------------------------------------


def _pair(
    steps: list[Step],
    x: Any,
    y: Any,
    path: str,
    pattern: str,
    name: str | None,
    models: Models,
    skip: Skip | None,
) -> None:
    """Two values found different at ``path``: a frame to expand, or a difference."""
    if skip is not None and skip(path, pattern, name):
        return
    if isinstance(x, dict) and isinstance(y, dict):
        steps.append((x, y, path, pattern, models[0]))
    elif isinstance(x, list | tuple) and isinstance(y, list | tuple):
        steps.append((x, y, path, pattern, models[1]))
    else:
        steps.append(Difference(path, _leaf_kind(x, y), x, y, pattern))


def _only(
    steps: list[Step], x: Any, y: Any, path: str, pattern: str, name: str | None, skip: Skip | None
) -> None:
    """A field or record that one side lacks (its value there is ``MISSING``)."""
    if skip is None or not skip(path, pattern, name):
        steps.append(Difference(path, ONLY_IN_A if y is MISSING else ONLY_IN_B, x, y, pattern))


def _expand(
    x: Any, y: Any, path: str, pattern: str, model: Model | None, skip: Skip | None
) -> list[Step]:
    if isinstance(x, dict):
        return _dict_steps(x, y, path, pattern, model, skip)
    return _list_steps(x, y, path, pattern, model, skip)


def _dict_steps(
    x: dict[Any, Any],
    y: dict[Any, Any],
    path: str,
    pattern: str,
    model: Model | None,
    skip: Skip | None,
) -> list[Step]:
    """Keys in both, compared, in ``x``'s order; then keys in one side only."""
    fields = _fields(model) if model is not None else {}
    at, like = (path + ".", pattern + ".") if path else ("", "")
    steps: list[Step] = []
    for key, value in x.items():
        other = y.get(key, MISSING)
        if other is MISSING:
            name = str(key)
            _only(steps, value, MISSING, at + name, like + name, name, skip)
        elif not _same(value, other):
            name = str(key)
            models = fields.get(key, _NO_MODELS)
            _pair(steps, value, other, at + name, like + name, name, models, skip)
    for key, other in y.items():
        if key not in x:
            name = str(key)
            _only(steps, MISSING, other, at + name, like + name, name, skip)
    return steps


def _list_steps(
    xs: list[Any], ys: list[Any], path: str, pattern: str, model: Model | None, skip: Skip | None
) -> list[Step]:
    """Items lined up by record key (the spec's, else a common one), else by position."""
    aligned = _align(xs, ys, getattr(model, "record_key", None))
    if aligned is None:
        return _by_position(xs, ys, path, pattern, model, skip)
    key, keys_a, keys_b = aligned
    models: Models = (model, None)
    like = pattern + "[*]"
    index = dict(zip(keys_b, ys, strict=True))
    steps: list[Step] = []
    for k, x in zip(keys_a, xs, strict=True):
        y = index.get(k, MISSING)
        if y is MISSING:
            _only(steps, x, MISSING, f"{path}[{key}={k}]", like, None, skip)
        elif x is not y and not (x == y and _strictly(x, y)):  # _same, inlined for speed
            _pair(steps, x, y, f"{path}[{key}={k}]", like, None, models, skip)
    in_a = set(keys_a)
    for k, y in zip(keys_b, ys, strict=True):
        if k not in in_a:
            _only(steps, MISSING, y, f"{path}[{key}={k}]", like, None, skip)
    return steps


def _by_position(
    xs: list[Any], ys: list[Any], path: str, pattern: str, model: Model | None, skip: Skip | None
) -> list[Step]:
    models: Models = (model, None)
    like = pattern + "[*]"
    steps: list[Step] = []
    for i, (x, y) in enumerate(zip(xs, ys, strict=False)):
        if not _same(x, y):
            _pair(steps, x, y, f"{path}[{i}]", like, None, models, skip)
    for i in range(min(len(xs), len(ys)), max(len(xs), len(ys))):  # the longer side's tail
        x, y = (xs[i], MISSING) if i < len(xs) else (MISSING, ys[i])
        _only(steps, x, y, f"{path}[{i}]", like, None, skip)
    return steps


def _align(xs: list[Any], ys: list[Any], key: str | None) -> tuple[str, list, list] | None:
    """The field to line ``xs`` and ``ys`` up by, with each side's values of it, or ``None``.

    The spec's key comes first, then :data:`IDENTIFIERS`; a field qualifies when every item
    of both sides has it, with values unique on each side.
    """
    for candidate in (key, *IDENTIFIERS) if key else IDENTIFIERS:
        keys_a = _unique_values(xs, candidate)
        if keys_a is not None:
            keys_b = _unique_values(ys, candidate)
            if keys_b is not None:
                return candidate, keys_a, keys_b
    return None


def _unique_values(items: list[Any], field: str) -> list[Any] | None:
    try:
        values = [item[field] for item in items]
        if len(set(values)) == len(values):
            return values
    except (KeyError, TypeError, IndexError):  # not objects, field absent, unhashable values
        pass
    return None


# Ignore globs ----------------------------------------------------------------------------------


def _globs(globs: Iterable[str]) -> tuple[str, ...]:
    return (globs,) if isinstance(globs, str) else tuple(globs)  # one glob given bare


@lru_cache(maxsize=128)
def _matcher(globs: tuple[str, ...], exact: frozenset[str] = frozenset()) -> Skip | None:
    """One test for all ``globs`` and ``exact`` paths, compiled once; ``None`` for none."""
    if not globs and not exact:
        return None
    whole = _compile(globs)
    bare = _compile(tuple(g for g in globs if "." not in g and "[" not in g))

    def skip(path: str, pattern: str, name: str | None) -> bool:
        return bool(
            pattern in exact
            or path in exact
            or (whole is not None and (whole.fullmatch(pattern) or whole.fullmatch(path)))
            or (bare is not None and name is not None and bare.fullmatch(name))
        )

    return skip


def _compile(globs: tuple[str, ...]) -> re.Pattern[str] | None:
    if not globs:
        return None
    alternatives = ("".join(_GLOB.get(c) or re.escape(c) for c in glob) for glob in globs)
    return re.compile("|".join(f"(?:{regex})" for regex in alternatives), re.DOTALL)


_GLOB: Final = {"*": ".*", "?": "."}


def _last_field(path: str) -> str | None:
    """``"created_at"`` of ``"orders[*].created_at"``; ``None`` when it ends in a record."""
    if not path or path.endswith("]"):
        return None
    return path[max(path.rfind("."), path.rfind("]")) + 1 :]
