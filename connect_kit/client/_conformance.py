"""The session's conformance: every answer to an operation of the spec, checked against it as
it arrives (the rules: :mod:`connect_kit.data._conformance`), and what did not fit.

One row per finding: an answer that repeats a finding (the same operation, kind and path;
the same value for ``status`` and ``enum``) adds to its ``count`` instead of adding a row, so
that a notebook shows what differs, not how often it was called; ``time`` is when it was first
seen, ``status`` the answer's status then. Bounded (the newest findings are kept) and safe to
read while threads write, as the history is. Checking never raises: a check that fails is
logged (debug) and dropped, and the answer goes on its way.

The check parses the body once (with ``orjson``, else as ``requests`` does), and the call's
:class:`~connect_kit.client.Result` takes that parse (:func:`parsed_json`).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, overload

import orjson
import requests

from ..data._conformance import COLUMNS, NOT_JSON, UNREAD, findings, key
from ..spec.base import Operation

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger("connect_kit")

_PARSED = "_connect_kit_json"  # where a response keeps the body the check parsed


class Conformance:
    """The findings of one session: the newest ``size`` of them.

    ``enabled`` turns the check off (for measuring what it costs: see
    ``benchmarks/bench_session.py``).
    """

    def __init__(self, size: int, env: str) -> None:
        self._rows: OrderedDict[tuple[str, str, str, str], dict[str, Any]] = OrderedDict()
        self._size = max(int(size), 0)
        self._env = env
        self._lock = threading.Lock()
        self.enabled = True

    def check(self, op: Operation | None, response: requests.Response, *, stream: bool) -> None:
        """Check one answer of ``op`` (nothing for a path the spec lacks); never raises.

        A streamed answer (``stream=True``) is checked by its status and headers only: its body
        is the caller's to read.
        """
        if op is None or not self.enabled:
            return
        try:
            body = UNREAD if stream else _parse(response)
            found = findings(op, response.status_code, body, response.headers)
            if found:
                self._add(op.name, response.status_code, found)
        except Exception as exc:  # a finding never raises; nor does a failed check
            log.debug("conformance check of %s failed: %r", op.name, exc)

    def _add(self, operation: str, status: int, found: list[tuple[str, str, str]]) -> None:
        now = datetime.now(UTC)
        with self._lock:
            for kind, path, detail in found:
                row_key = key(operation, kind, path, detail)
                row = self._rows.get(row_key)
                if row is not None:
                    row["count"] += 1
                    continue
                self._rows[row_key] = {
                    "time": now,
                    "env": self._env,
                    "operation": operation,
                    "status": status,
                    "kind": kind,
                    "path": path,
                    "detail": detail,
                    "count": 1,
                }
                while len(self._rows) > self._size:
                    self._rows.popitem(last=False)

    def __len__(self) -> int:
        return len(self._rows)

    def frame(self) -> pd.DataFrame:
        """The findings as a typed DataFrame, in the order they were first seen."""
        import pandas as pd

        with self._lock:
            rows = [dict(row) for row in self._rows.values()]
        frame = pd.DataFrame(rows, columns=COLUMNS)
        frame["time"] = pd.to_datetime(frame["time"], utc=True)
        frame["status"] = frame["status"].astype("Int64")
        frame["count"] = frame["count"].astype("Int64")
        return frame


class Findings:
    """``session.conformance``: where answers did not fit the spec, a DataFrame with one row
    per finding (``time``, ``env``, ``operation``, ``status``, ``kind``, ``path``,
    ``detail``, ``count``), in the order they were first seen.

    Every answer to an operation of the spec (``call``, or ``get``/``post`` on its path),
    error answers and retried attempts included, is checked as it arrives. The kinds:
    ``additive``, ``missing``, ``type``, ``enum``, ``status``, ``deprecated`` (see
    :mod:`connect_kit.data._conformance`). A finding met again counts up instead of adding a
    row. Safe to read while other threads call; never raises.
    :func:`connect_kit.conformance_report` renders it.
    """

    @overload
    def __get__(self, session: None, owner: type | None = None) -> Findings: ...
    @overload
    def __get__(self, session: object, owner: type | None = None) -> pd.DataFrame: ...
    def __get__(self, session: object, owner: type | None = None) -> Findings | pd.DataFrame:
        if session is None:
            return self
        store: Conformance = session._conformance  # type: ignore[attr-defined]
        return store.frame()


def parsed_json(response: requests.Response) -> Any:
    """The body as JSON (``None`` when empty), parsed once: the conformance check's parse
    when it made one, else as ``requests`` parses it (raising ``ValueError`` if not JSON)."""
    body = getattr(response, _PARSED, NOT_JSON)
    if body is not NOT_JSON:
        return body
    return response.json() if response.content else None


def _parse(response: requests.Response) -> Any:
    """The answer's body as JSON (``None`` when empty, ``NOT_JSON`` when it is not JSON), kept
    on the response for :func:`parsed_json`."""
    content = response.content
    if not content:
        body: Any = None
    else:
        try:
            body = orjson.loads(content)
        except orjson.JSONDecodeError:  # NaN, big integers, lone surrogates, not UTF-8...
            try:
                body = response.json()
            except (ValueError, RecursionError):
                return NOT_JSON
    setattr(response, _PARSED, body)
    return body
