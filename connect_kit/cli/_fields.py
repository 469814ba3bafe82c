"""How ``--name value`` words become the arguments of a call, typed by the spec.

Shared by ``connect-kit call`` and the ``%connect`` magic, so that a shell and a notebook read
the same words the same way: ``--a.b value`` fills a nested field, and a value is kept as text
where the spec's reader wants text, else read as JSON (a number, a list, an object).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any


def _is_text(shape: Any) -> bool:
    """Whether the spec's reader says a field holds a string (``None``: a field it lacks)."""
    return shape is not None and shape.type == "string"


def _leaf(op: Any, name: str) -> Any:
    """The spec's answer for a dotted field of the request body, lists' items included
    (``items.line_num`` is ``items[].line_num``); ``None`` when the spec has no such field."""
    from .. import spec

    return next((f for f in spec.fields(op, "request") if f.path.replace("[]", "") == name), None)


def _value(op: Any, name: str, raw: str) -> Any:
    """A command-line value: kept as text where the spec wants text, else read as JSON."""
    if name in op.path_params or name in op.query or _is_text(_leaf(op, name)):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def fields(op: Any, pairs: Sequence[str]) -> dict[str, Any]:
    """``--name value`` pairs (``--a.b value`` nests) into call arguments."""
    found: dict[str, Any] = {}
    items = list(pairs)
    while items:
        flag = items.pop(0)
        if not flag.startswith("--") or len(flag) < 3:
            raise ValueError(f"expected --field value, got {flag!r}")
        name, _, inline = flag[2:].partition("=")
        if not inline and (not items or items[0].startswith("--")):
            raise ValueError(f"--{name} needs a value")
        raw = inline if inline else items.pop(0)
        target = found
        *parents, leaf = name.split(".")
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = _value(op, name, raw)
    return found
