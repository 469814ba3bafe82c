"""Time zones of frames: the ``tz=`` option of every frame-making function.

Timestamps are read as UTC (``datetime64[us, UTC]``); ``tz=`` shows them elsewhere:

- ``None`` or ``"UTC"``: UTC, the default;
- a time zone name (``"America/Chicago"``): every timestamp column converted to that zone,
  ``datetime64[us, America/Chicago]``;
- ``"store"``: each row in its store's own time zone, where the data has one: the record's
  ``time_zone`` field (stores carry it on some servers), else the UTC offset the server wrote
  the time with (Connect writes slots and order windows in the store's local time), else UTC.
  One column cannot hold several zones, so these columns are the stores' local clock times,
  without a zone (``datetime64[us]``): ``frame["window.start_at"].dt.hour`` is the local hour.

Dates (``date`` fields) are calendar days and stay as they are.

>>> check_tz("America/Chicago"), check_tz("store"), check_tz(None)
('America/Chicago', 'store', None)
"""

from __future__ import annotations

import difflib
from datetime import datetime, tzinfo
from functools import cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, available_timezones

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["STORE", "Tz", "check_tz", "in_zone"]

STORE = "store"
Tz = str | tzinfo | None


def check_tz(tz: Tz) -> str | tzinfo | None:
    """``tz`` checked: ``None`` for UTC, ``"store"``, a zone name, or the ``tzinfo`` given.

    Raises:
        ValueError: naming the option, what it takes, an example, and the closest names.
    """
    if tz is None or isinstance(tz, tzinfo):
        return tz
    if not isinstance(tz, str):
        raise ValueError(
            f"tz must be 'store' or a time zone name such as 'America/Los_Angeles'; "
            f"got {type(tz).__name__} {tz!r}"
        )
    if tz == STORE:
        return STORE
    if tz.upper() == "UTC":
        return None
    if _zone(tz) is None:
        close = difflib.get_close_matches(tz, sorted(_names()), n=3, cutoff=0.6)
        hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
        raise ValueError(
            f"tz={tz!r} is not a time zone name{hint}: pass 'store' (each store's own time "
            "zone) or an IANA name such as 'America/Los_Angeles' or 'Europe/Paris'"
        )
    return tz


def in_zone(column: Any, raw: list[Any], tz: str | tzinfo, zones: list[Any] | None) -> Any:
    """A UTC timestamp column shown in ``tz``; for ``"store"``, in each row's own zone.

    Args:
        column: a ``datetime64[us, UTC]`` array.
        raw: the values the column was read from (the offsets they were written with).
        tz: a zone (name or ``tzinfo``), or ``"store"``.
        zones: for ``"store"``, each row's zone name where the record names one.
    """
    import pandas as pd

    if not isinstance(column.dtype, pd.DatetimeTZDtype):
        return column  # kept as text: its values did not read as times
    if tz != STORE:
        return column.tz_convert(tz)
    return _local(pd.DatetimeIndex(column), raw, zones)


def _local(times: pd.DatetimeIndex, raw: list[Any], zones: list[Any] | None) -> Any:
    """Each time on its store's clock: the named zone, else the written offset, else UTC."""
    import numpy as np
    import pandas as pd

    offsets = {value: _offset(value) for value in dict.fromkeys(raw) if isinstance(value, str)}
    seconds = np.fromiter(
        (offsets.get(value, 0) if isinstance(value, str) else 0 for value in raw),
        dtype="int64",
        count=len(raw),
    )
    local = times.tz_localize(None) + pd.to_timedelta(seconds, unit="s")
    if zones is None:
        return local.array
    values = local.to_numpy(copy=True)
    named: dict[str, list[int]] = {}
    for row, zone in enumerate(zones):
        if isinstance(zone, str) and _zone(zone) is not None:
            named.setdefault(zone, []).append(row)
    for zone, rows in named.items():
        values[rows] = times[rows].tz_convert(zone).tz_localize(None).to_numpy()
    return pd.array(values, dtype=local.dtype)


def _offset(value: str) -> int:
    """The UTC offset, in seconds, that a time was written with (0 when none)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return 0
    offset = moment.utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


@cache
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ValueError, OSError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        return None


@cache
def _names() -> frozenset[str]:
    return frozenset(available_timezones())
