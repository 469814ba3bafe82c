"""Bulk pulls: one operation called for many parameter sets, in a bounded thread pool.

Results keep the input order; every input ends as a result or a row of the errors frame,
whatever went wrong; Ctrl-C (KeyboardInterrupt) returns at once with what was already
fetched, the inputs it did not finish listed as interrupted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from .. import _redact as redact
from ..errors import Interrupted
from ._result import Result

if TYPE_CHECKING:
    import pandas as pd

    from ..data._frames import Dtypes
    from ..data._zones import Tz


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


class Caller(Protocol):
    """What a bulk pull needs of a session: ``call`` (a ConnectSession has it)."""

    def call(
        self, operation: str, /, *, body: Mapping[str, Any] | None = None, **params: Any
    ) -> Result: ...


ERROR_COLUMNS = ["index", "params", "error", "status", "code", "key", "message"]


class RateLimiter:
    """At most ``rate`` starts per second across threads (evenly spaced)."""

    def __init__(self, rate: float | None) -> None:
        if rate is not None and not rate > 0:
            raise ValueError(f"rate must be a positive number of calls per second, got {rate!r}")
        self.interval = 1.0 / rate if rate else 0.0
        self._lock = threading.Lock()
        self._next = 0.0

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            time.sleep(start - now)


@dataclass
class Bulk:
    """The outcome of :meth:`ConnectSession.call_many`.

    Attributes:
        operation: the operation's name.
        results: one entry per input, in input order: a Result, or None where it failed or
            was not reached.
        failures: (input index, params, exception) for each input without a result: every
            input is in ``results`` or here.
        interrupted: True when Ctrl-C stopped the pull early.
        elapsed: seconds the pull took.
    """

    operation: str
    params: list[dict[str, Any]]
    results: list[Result | None]
    failures: list[tuple[int, dict[str, Any], Exception]] = field(default_factory=list)
    interrupted: bool = False
    elapsed: float = 0.0

    @property
    def done(self) -> int:
        return sum(r is not None for r in self.results)

    @property
    def frame(self) -> pd.DataFrame:
        """The records of every successful call, typed once together, each row keyed by the
        call it came from: ``input`` (its index), then the arguments sent with it (``user_id``,
        ``order_id``, ``find_by.postal_code``...), so that a row joins back to its input.

        An argument named like a column of the records is ``input.<name>``; secret ones show
        redacted. :meth:`to_frame` takes ``dtypes`` and ``tz``.
        """
        return self.to_frame()

    def to_frame(self, dtypes: Dtypes | None = None, *, tz: Tz = None) -> pd.DataFrame:
        """:attr:`frame` with the caller's ``dtypes`` winning, timestamps in ``tz`` (a zone
        name, or ``"store"``: see :meth:`Result.to_frame`)."""
        from .. import spec
        from ..data._frames import records_frame

        rows, inputs = self._records()
        frame = records_frame(spec.get(self.operation), rows, dtypes, tz)
        return self._keyed(frame, inputs)

    def nested(self, name: str, dtypes: Dtypes | None = None, *, tz: Tz = None) -> pd.DataFrame:
        """A nested list of every call's records as one frame (``bulk.nested("items")``), as
        :meth:`Result.nested` gives it, each row keyed by its call as in :attr:`frame`.

        Args:
            name: the list's field (``"items"``; dotted when it sits inside an object).
            dtypes: column -> dtype overrides.
            tz: the time zone of timestamps, as in :meth:`to_frame`.
        """
        from .. import spec
        from ..data._frames import nested_records

        rows, inputs = self._records()
        frame, parents = nested_records(spec.get(self.operation), rows, name, dtypes, tz)
        return self._keyed(frame, [inputs[p] for p in parents])

    def _records(self) -> tuple[list[dict[str, Any]], list[int]]:
        """Every successful call's records, and the input each came from."""
        rows: list[dict[str, Any]] = []
        inputs: list[int] = []
        for index, result in enumerate(self.results):
            if result is not None:
                found = result.records
                rows.extend(found)
                inputs.extend([index] * len(found))
        return rows, inputs

    def _keyed(self, frame: pd.DataFrame, inputs: list[int]) -> pd.DataFrame:
        """``frame`` after ``input`` and the arguments of the call each row came from."""
        import pandas as pd

        from ..data._frames import records_frame

        sent = records_frame(None, self.params).take(inputs).reset_index(drop=True)
        taken = {"input", *frame.columns}
        sent.columns = [f"input.{c}" if c in taken else c for c in sent.columns]
        index = pd.DataFrame({"input": pd.array(inputs, dtype="Int64")})
        keyed = pd.concat([index, sent, frame], axis=1)
        keyed.attrs = dict(frame.attrs)
        return keyed

    @property
    def errors(self) -> pd.DataFrame:
        """One row per failed input: what was asked, and what went wrong."""
        import pandas as pd

        rows = [
            {
                "index": index,
                "params": redact.body(params),
                "error": type(error).__name__,
                "status": getattr(error, "status", None),
                "code": _text(getattr(error, "code", None)),
                "key": getattr(error, "key", None),
                "message": getattr(error, "message", None) or str(error),
            }
            for index, params, error in sorted(self.failures, key=lambda f: f[0])
        ]
        frame = pd.DataFrame(rows, columns=ERROR_COLUMNS)
        text = dict.fromkeys(("error", "code", "key", "message"), "string")  # missing: <NA>
        return frame.astype({"index": "Int64", "status": "Int64", **text})

    def __repr__(self) -> str:
        state = ", interrupted" if self.interrupted else ""
        return (
            f"<Bulk {self.operation}: {self.done} of {len(self.params)} done, "
            f"{len(self.failures)} failed in {self.elapsed:.1f} s{state}>"
        )


def _settle(bulk: Bulk, started_calls: set[int], mutating: bool) -> None:
    """After Ctrl-C: every input without a result or an error becomes an error row."""
    settled = {index for index, _, _ in bulk.failures}
    for index, result in enumerate(bulk.results):
        if result is not None or index in settled:
            continue
        if index not in started_calls:
            error = Interrupted("interrupted before it was sent")
        else:
            error = Interrupted("interrupted while in flight: no answer was kept")
            error.may_have_been_processed = mutating
            if mutating:
                error.args = (
                    f"{error.args[0]}; this write may have been carried out: check with a read "
                    "before sending it again",
                )
        bulk.failures.append((index, bulk.params[index], error))


def call_many(
    session: Caller,
    operation: str,
    params_list: Iterable[Mapping[str, Any]],
    *,
    workers: int = 8,
    rate: float | None = None,
    progress: bool = True,
) -> Bulk:
    """Call ``operation`` once per parameter set, ``workers`` at a time.

    Args:
        session: the session to call with.
        operation: an operation name of the spec.
        params_list: one mapping of arguments per call (as :meth:`ConnectSession.call` takes).
        workers: threads calling at once (the pool is bounded; so is the work queued).
        rate: at most this many calls started per second (``None``: no client-side limit;
            429 answers are still retried with the session's policy and Retry-After).
        progress: show a tqdm progress bar.

    Returns:
        A :class:`Bulk`, also after Ctrl-C, holding whatever was fetched.
    """
    from tqdm.auto import tqdm

    from .. import spec

    spec.get(operation)  # an unknown name fails now, not once per row
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an integer >= 1, got {workers!r}")
    params = [dict(p) for p in params_list]
    bulk = Bulk(operation, params, [None] * len(params))
    limiter = RateLimiter(rate)
    lock = threading.Lock()
    stopped = threading.Event()
    started_calls: set[int] = set()
    started = time.monotonic()

    def one(index: int) -> None:
        limiter.wait()
        with lock:
            if stopped.is_set():
                return
            started_calls.add(index)
        try:
            result: Result | None = session.call(operation, **params[index])
            error: Exception | None = None
        except Exception as exc:  # every input ends as a row, whatever went wrong
            result, error = None, exc
        with lock:
            if stopped.is_set():
                return  # the pull was interrupted: its rows are already settled
            if error is None:
                bulk.results[index] = result
            else:
                bulk.failures.append((index, params[index], error))

    bar = tqdm(total=len(params), desc=operation, unit="call", disable=not progress)
    pending: set[Future[None]] = set()
    queue = iter(range(len(params)))
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="connect-kit")
    try:
        for index in queue:
            pending.add(pool.submit(one, index))
            if len(pending) >= 2 * workers:  # bounded: never queue the whole list at once
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                bar.update(len(finished))
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            bar.update(len(finished))
    except KeyboardInterrupt:
        with lock:
            stopped.set()
            bulk.interrupted = True
            _settle(bulk, started_calls, spec.get(operation).mutating)
    finally:
        # calls in flight are not waited for: they end on their own, within the deadline
        pool.shutdown(wait=not bulk.interrupted, cancel_futures=True)
        bar.close()
        bulk.elapsed = time.monotonic() - started
    return bulk
