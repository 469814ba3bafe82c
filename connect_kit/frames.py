"""JSON responses as pandas DataFrames, finding the records where the spec says they are."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .spec.base import Operation

if TYPE_CHECKING:
    import pandas as pd


def records(op: Operation | None, data: Any) -> list[dict[str, Any]]:
    """The records of a response: the list the spec names, or the object itself."""
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


def to_frame(op: Operation | None, data: Any) -> pd.DataFrame:
    """One row per record, nested objects flattened into dotted columns."""
    import pandas as pd

    rows = records(op, data)
    return pd.json_normalize(rows, sep=".") if rows else pd.DataFrame()
