"""One operation's reference card: every field it takes and gives, as the spec reader says.

>>> from connect_kit import spec
>>> card = spec.describe("create_user")
>>> request = card[card["part"] == "request"]
>>> list(request["field"][:2]), list(request["required"][:2])
(['user_id', 'first_name'], [True, True])
>>> card.operation.method, card.operation.path
('POST', '/v2/fulfillment/users')

The rows come from :func:`connect_kit.spec.fields` and :func:`connect_kit.spec.shape_of`
(the one reader); the command line's ``connect-kit describe`` prints the same rows.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING, Any

from ._docs import docs_page
from ._operations import get
from ._shape import FieldShape, fields, shape_of
from .base import Operation

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = (
    "part",
    "field",
    "type",
    "required",
    "example",
    "values",
    "deprecated",
    "replacement",
    "secret",
    "volatile",
    "description",
)
PARTS = ("path", "query", "request", "response")


def rows(op: Operation) -> Iterator[dict[str, Any]]:
    """One row per field: path and query parameters, then the request body, then the
    response body, at any depth (a list's items written ``[]``)."""
    for name, annotation in op.path_params.items():
        yield _row("path", shape_of(annotation, name, required=True))
    for name, annotation in op.query.items():
        yield _row("query", shape_of(annotation, name, required=True))
    for part in ("request", "response"):
        for shape in fields(op, part):
            yield _row(part, shape)


def _row(part: str, shape: FieldShape) -> dict[str, Any]:
    kind = f"array of {shape.items}" if shape.type == "array" and shape.items else shape.type
    if shape.format:
        kind = f"{kind} ({shape.format})"
    values = ", ".join(str(v) for v in shape.enum)
    if values and shape.open_enum:
        values += ", ..."  # documented values; the API may add more
    return {
        "part": part,
        "field": shape.path,
        "type": kind,
        "required": shape.required,
        "example": shape.example,
        "values": values or None,
        "deprecated": shape.deprecated,
        "replacement": shape.replacement,
        "secret": shape.secret,
        "volatile": shape.volatile,
        "description": shape.description,
    }


def heading(op: Operation) -> list[str]:
    """The lines above the table: what the operation is, where it is documented, and its
    deprecation."""
    lines = [f"{op.name}: {op.method} {op.path}", op.summary]
    lines.append(f"Area: {op.area} ({op.group}); scope: {op.scope or 'none (token endpoint)'}")
    lines.append(
        "Changes state: refused on production unless writes are allowed."
        if op.mutating
        else "Reads only."
    )
    if op.deprecation is not None:
        instead = f" Use {op.replacement} instead." if op.replacement else ""
        since = f" (announced {op.deprecation.announced})" if op.deprecation.announced else ""
        note = f" {op.deprecation.note}" if op.deprecation.note else ""
        lines.append(f"Deprecated{since}.{instead}{note}")
    lines.append(f"Docs: {docs_page(op.name)}")
    return lines


def describe(operation: str | Operation) -> pd.DataFrame:
    """Every field of an operation, one row each: where it goes (``part``: path, query,
    request or response), its dotted path, JSON type, whether it is required, the spec's
    example, the values it takes, deprecation (with the replacement field), the secret and
    volatile marks, and its description.

    In a notebook it shows as a table under the operation's method, path, summary, docs
    page and deprecation (``.operation`` is the operation). An unknown name raises
    :class:`~connect_kit.spec.UnknownOperationError` naming the closest ones.
    """
    import pandas as pd

    op = get(operation) if isinstance(operation, str) else operation
    card = _card_class()(list(rows(op)), columns=list(COLUMNS))
    for column in ("part", "field", "type", "example", "replacement", "description"):
        card[column] = card[column].astype("string")  # missing: <NA>, as in every frame
    card["values"] = [pd.NA if v is None else v for v in card["values"]]
    card.operation = op
    return card


@cache
def _card_class() -> type[pd.DataFrame]:
    """The frame ``describe`` returns, made on first use (pandas loads only then)."""
    import pandas as pd

    class OperationCard(pd.DataFrame):
        """The rows, with the operation they describe above them in HTML."""

        _metadata = ["operation"]

        @property
        def _constructor(self) -> type[pd.DataFrame]:
            return pd.DataFrame  # a slice or a sum of the card is a plain frame

        def _repr_html_(self) -> str:
            op = getattr(self, "operation", None)
            table = super()._repr_html_() or ""
            if op is None:
                return table
            top = heading(op)
            head = f"<p><b><code>{html.escape(top[0])}</code></b></p>"
            body = "".join(f"<div>{html.escape(line)}</div>" for line in top[1:])
            return f"<div>{head}{body}</div>{table}"

    return OperationCard


def _short(value: Any, size: int = 40) -> str:
    if value is None:
        return ""
    shown = json.dumps(value, ensure_ascii=False)
    return shown if len(shown) <= size else shown[: size - 3] + "..."


def text(op: Operation) -> str:
    """The card as plain text for a terminal: the heading, then one line per field
    (``*`` marks a required field)."""
    lines = [*heading(op), ""]
    table = []
    for row in rows(op):
        notes = []
        if row["values"]:
            notes.append(f"one of {row['values']}")
        if row["deprecated"]:
            replacement = row["replacement"]
            notes.append(f"deprecated: use {replacement}" if replacement else "deprecated")
        if row["secret"]:
            notes.append("secret")
        if row["volatile"]:
            notes.append("changes on every call")
        if row["description"]:
            notes.append(row["description"])
        example = _short(row["example"])
        mark = "*" if row["required"] else " "
        table.append(
            (row["part"], f"{mark} {row['field']}", row["type"], example, "; ".join(notes))
        )
    if not table:
        return "\n".join([*lines, "(no fields)"])
    sizes = [max(len(cell) for cell in column) for column in zip(*table, strict=True)]
    header = ("part", "  field", "type", "example", "notes")
    sizes = [max(size, len(name)) for size, name in zip(sizes, header, strict=True)]
    for cells in (header, *table):
        line = "  ".join(cell.ljust(size) for cell, size in zip(cells, sizes, strict=True))
        lines.append(line.rstrip())
    lines.append("")
    lines.append("* required")
    return "\n".join(lines)
