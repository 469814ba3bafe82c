"""Bulk pulls: one operation called for many parameter sets, in a bounded thread pool.

Results keep the input order; a failed row lands in an errors frame instead of stopping
the pull; Ctrl-C (KeyboardInterrupt) returns what was already fetched.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import redact
from .errors import ConnectError
from .result import Result

if TYPE_CHECKING:
    import pandas as pd

    from .session import ConnectSession

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
        failures: (input index, params, exception) for each failed input.
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
        """The records of every successful call, typed once together, with an ``input``
        column giving the index of the call each row came from."""
        import pandas as pd

        from . import spec
        from .frames import records_frame

        rows: list[dict[str, Any]] = []
        inputs: list[int] = []
        for index, result in enumerate(self.results):
            if result is not None:
                found = result.records
                rows.extend(found)
                inputs.extend([index] * len(found))
        frame = records_frame(spec.get(self.operation), rows)
        frame.insert(0, "input", pd.array(inputs, dtype="Int64"))
        return frame

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
                "code": None if getattr(error, "code", None) is None else str(error.code),
                "key": getattr(error, "key", None),
                "message": getattr(error, "message", None) or str(error),
            }
            for index, params, error in sorted(self.failures, key=lambda f: f[0])
        ]
        frame = pd.DataFrame(rows, columns=ERROR_COLUMNS)
        return frame.astype({"index": "Int64", "status": "Int64"})

    def __repr__(self) -> str:
        state = ", interrupted" if self.interrupted else ""
        return (
            f"<Bulk {self.operation}: {self.done} of {len(self.params)} done, "
            f"{len(self.failures)} failed in {self.elapsed:.1f} s{state}>"
        )


def call_many(
    session: ConnectSession,
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

    from . import spec

    spec.get(operation)  # an unknown name fails now, not once per row
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an integer >= 1, got {workers!r}")
    params = [dict(p) for p in params_list]
    bulk = Bulk(operation, params, [None] * len(params))
    limiter = RateLimiter(rate)
    started = time.monotonic()

    def one(index: int) -> None:
        limiter.wait()
        try:
            bulk.results[index] = session.call(operation, **params[index])
        except (ConnectError, ValueError, TypeError) as error:
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
        bulk.interrupted = True
        for future in pending:
            future.cancel()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        bar.close()
        bulk.elapsed = time.monotonic() - started
    return bulk
