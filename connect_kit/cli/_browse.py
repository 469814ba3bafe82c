"""``connect-kit ops`` and ``connect-kit describe``: the spec, read from a shell."""

from __future__ import annotations

import argparse
import difflib
from typing import TYPE_CHECKING, Any

from . import _output

if TYPE_CHECKING:
    from ..spec.base import Operation


def ops(args: argparse.Namespace) -> int:
    """List the operations (of one area with ``--area``): name, method, path, summary."""
    from ..spec import OPERATIONS

    areas = sorted({op.area for op in OPERATIONS.values()})
    if args.area is not None and args.area not in areas:
        close = difflib.get_close_matches(args.area, areas, n=2, cutoff=0.5)
        hint = f" Did you mean {' or '.join(close)}?" if close else ""
        _output.error(
            "ops", ValueError(f"no area {args.area!r}.{hint} The areas: {', '.join(areas)}.")
        )
        return 1
    chosen = [op for op in OPERATIONS.values() if args.area in (None, op.area)]
    if args.json:
        rows: list[dict[str, Any]] = [_summary(op) for op in chosen]
        print(_output.dumps(rows))
        return 0
    name_width = max(len(op.name) for op in chosen)
    path_width = max(len(op.path) for op in chosen)
    for op in chosen:
        summary = op.summary
        if op.deprecated:
            summary += f" (deprecated: use {op.replacement})" if op.replacement else " (deprecated)"
        print(f"{op.name:<{name_width}}  {op.method:<6}  {op.path:<{path_width}}  {summary}")
    return 0


def describe(args: argparse.Namespace) -> int:
    """One operation's fields: part, path, type, required mark, example, deprecation."""
    from ..spec import UnknownOperationError, get
    from ..spec._docs import docs_page
    from ..spec._reference import COLUMNS, rows, text

    try:
        op = get(args.operation)
    except UnknownOperationError as exc:
        _output.error("describe", exc)
        return 1
    if args.json:
        card = {
            **_summary(op),
            "docs": docs_page(op.name),
            "fields": [{column: row[column] for column in COLUMNS} for row in rows(op)],
        }
        print(_output.dumps(card))
    else:
        print(text(op))
    return 0


def _summary(op: Operation) -> dict[str, Any]:
    """An operation in a line of JSON: what ``ops --json`` lists and ``describe --json`` opens."""
    return {
        "name": op.name,
        "method": op.method,
        "path": op.path,
        "area": op.area,
        "summary": op.summary,
        "changes_state": op.mutating,
        "deprecated": op.deprecated,
        "replacement": op.replacement,
    }
