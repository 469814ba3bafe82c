"""The session's history: one row per HTTP call, bounded, and safe to read while threads
write it (rows are added and copied under a lock)."""

from __future__ import annotations

import threading
from collections import deque
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = [
    "time",
    "env",
    "method",
    "path",
    "operation",
    "status",
    "elapsed_ms",
    "attempts",
    "error_code",
]


class History:
    """The newest ``size`` rows, each a dict of :data:`COLUMNS`."""

    def __init__(self, size: int) -> None:
        self._rows: deque[dict[str, Any]] = deque(maxlen=size)
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        return self._rows.maxlen or 0

    def add(self, row: dict[str, Any]) -> None:
        with self._lock:
            self._rows.append(row)

    def __len__(self) -> int:
        return len(self._rows)

    def frame(self) -> pd.DataFrame:
        """The rows as a typed DataFrame, oldest first."""
        import pandas as pd

        with self._lock:
            rows = list(self._rows)
        frame = pd.DataFrame(rows, columns=COLUMNS)
        frame["time"] = pd.to_datetime(frame["time"], utc=True)
        frame["status"] = frame["status"].astype("Int64")
        frame["attempts"] = frame["attempts"].astype("Int64")
        frame["error_code"] = frame["error_code"].astype("string")
        return frame
