"""The session's history: one row per HTTP call, bounded, and safe to read while threads
write it (rows are added and copied under a lock). A row also keeps the call's exchange (the
answer, and through it the request), for ``session.exchanges`` and ``ck.export``: never shown
as it is, but redacted as a recording is (:func:`connect_kit.client._recording.history_document`).
"""

from __future__ import annotations

import threading
from collections import deque
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from ..spec.base import Operation

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

    def record(
        self,
        env: str,
        method: str | None,
        path: str,
        op: Operation | None,
        status: int | None,
        elapsed: float,
        attempts: int,
        error_code: Any = "transport",
        response: Any = None,
    ) -> None:
        """One call: its row, and its answer (``response``, the exchange) when it had one."""
        now = datetime.now(UTC)
        if response is not None:
            response.answered_at = now  # when an exchange built later says it happened
        self.add(
            {
                "time": now,
                "env": env,
                "method": method,
                "path": path,
                "operation": op.name if op else None,
                "status": status,
                "elapsed_ms": round(elapsed * 1000, 1),
                "attempts": attempts,
                "error_code": None if error_code is None else str(error_code),
                "_response": response,
            }
        )

    def __len__(self) -> int:
        return len(self._rows)

    def responses(self) -> list[Any]:
        """The answers the rows keep (not those of calls that had none, or were streamed),
        oldest first."""
        with self._lock:
            return [row["_response"] for row in self._rows if row.get("_response") is not None]

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
