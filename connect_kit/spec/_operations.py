"""Every operation of the spec, by name and by route."""

from __future__ import annotations

import difflib
import re
from functools import cache
from typing import TYPE_CHECKING

from . import (
    auth,
    catalog,
    feedback,
    last_mile,
    orders,
    post_checkout,
    recommendations,
    sandbox,
    service_options,
    stores,
    transaction,
    users,
)
from ._docs import docs_page
from .base import Operation

if TYPE_CHECKING:
    import pandas as pd

OPERATIONS: dict[str, Operation] = {
    op.name: op
    for module in (
        auth,
        users,
        stores,
        service_options,
        orders,
        last_mile,
        sandbox,
        post_checkout,
        recommendations,
        feedback,
        transaction,
        catalog,
    )
    for op in module.OPERATIONS
}


class UnknownOperationError(KeyError, ValueError):
    """An operation name that the spec does not know."""

    def __str__(self) -> str:
        return str(self.args[0])


def get(name: str) -> Operation:
    """The operation called ``name``; the error suggests the closest names."""
    try:
        return OPERATIONS[name]
    except (KeyError, TypeError):
        close = difflib.get_close_matches(str(name), OPERATIONS, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise UnknownOperationError(
            f"Unknown operation {name!r}.{hint} connect_kit.operations() lists them all."
        ) from None


@cache
def _routes() -> list[tuple[str, re.Pattern[str], Operation]]:
    routes: list[tuple[str, re.Pattern[str], Operation]] = []
    for op in OPERATIONS.values():
        pattern = re.sub(r"{(\w+)}", r"(?P<\1>[^/]+)", op.path)
        routes.append((op.method, re.compile(pattern + "$"), op))
    # Literal segments win over parameters: ".../service_options/reserve" is not an id.
    routes.sort(key=lambda r: r[2].path.count("{"))
    return routes


def match(method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
    """The operation that serves ``method path``, with its raw path parameters."""
    path = path.split("?", 1)[0]
    for m, pattern, op in _routes():
        if m == method.upper() and (found := pattern.match(path)):
            return op, found.groupdict()
    return None


def operations() -> pd.DataFrame:
    """A DataFrame with one row per operation in the spec; ``docs`` is its docs page."""
    import pandas as pd

    rows = [
        {
            "name": op.name,
            "method": op.method,
            "path": op.path,
            "area": op.area,
            "group": op.group,
            "summary": op.summary,
            "mutating": op.mutating,
            "deprecated": op.deprecated,
            "replacement": op.replacement,
            "scope": op.scope,
            "records": op.records,
            "ref": op.ref,
            "docs": docs_page(op.name),
        }
        for op in OPERATIONS.values()
    ]
    frame = pd.DataFrame(rows)
    for column in ("name", "path", "group", "summary", "replacement", "scope", "records", "ref"):
        frame[column] = frame[column].astype("string")  # missing: <NA>, as in every frame
    frame["docs"] = frame["docs"].astype("string")
    frame["area"] = frame["area"].astype("category")
    frame["method"] = frame["method"].astype("category")
    return frame
