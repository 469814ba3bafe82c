"""The same request against two environments, side by side.

>>> import connect_kit as ck
>>> cmp = ck.compare("find_delivery_stores",                     # doctest: +SKIP
...                  find_by={"address_line_1": "50 Beale St", "postal_code": "94105"})
>>> cmp.summary, cmp.diff, cmp.drift                              # doctest: +SKIP

A :class:`Comparison` holds each side's answer, the differences between them (records aligned
by the key the spec gives them, volatile fields left out), how each side drifts from the spec
(new fields, missing ones, type changes, deprecated fields), and latency when asked to repeat.
In a notebook it shows itself as a summary, then the differences highlighted.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import cache
from typing import TYPE_CHECKING, Any

from .. import _redact as redact
from .. import spec
from ..errors import ConfigurationError, ConnectError, WriteRefused
from ..spec.base import Operation
from ._diff import MISSING, Difference, diff, matches
from ._drift import drift

if TYPE_CHECKING:
    import pandas as pd

    from ..client import ConnectSession, Result

DIFF_KINDS = ("changed", "type_changed", "only_in_a", "only_in_b")


@dataclass
class Side:
    """One environment's part of a comparison."""

    env: str
    kind: str  # "sandbox" or "live"
    result: Result | None = None
    error: Exception | None = None
    latencies_ms: list[float] = field(default_factory=list)  # every answer, errors included
    error_answers: int = 0  # how many of those answers were errors

    @property
    def ok(self) -> bool:
        return self.result is not None

    @property
    def status(self) -> int | None:
        if self.result is not None:
            return self.result.status_code
        return getattr(self.error, "status", None)

    @property
    def records(self) -> int | None:
        return len(self.result.records) if self.result is not None else None


@dataclass
class Comparison:
    """The outcome of :func:`compare` or :func:`compare_results`.

    Attributes:
        operation: the operation compared.
        a, b: the two sides (environment, answer or error, latencies).
        differences: what differs, volatile and noisy fields left out; the values of secret
            fields (tokens, codes, secrets, also inside a subtree) show as ``[redacted]``.
        ignored: what was left out: the volatile fields' paths (each only where it is),
            then the glob patterns.
        drift_items: how each side departs from the spec.
        writes: True when the operation changes state: two real writes were made.
        notes: things worth knowing before reading the differences.
    """

    operation: Operation
    a: Side
    b: Side
    differences: list[Difference] = field(default_factory=list)
    ignored: tuple[str, ...] = ()
    drift_items: list[dict[str, Any]] = field(default_factory=list)
    writes: bool = False
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        # every rendering (diff, HTML, repr of a difference) shows secrets as [redacted]
        self.differences = [safe_to_show(d) for d in self.differences]

    @property
    def verdict(self) -> str:
        """``same``, ``differs``, ``one failed`` or ``both failed``."""
        if not self.a.ok and not self.b.ok:
            return "both failed"
        if not self.a.ok or not self.b.ok:
            return "one failed"
        return "differs" if self.differences else "same"

    @property
    def summary(self) -> pd.DataFrame:
        """One row per environment: kind, status, latency, records, error."""
        import pandas as pd

        rows = []
        for side in (self.a, self.b):
            latencies = side.latencies_ms
            rows.append(
                {
                    "env": side.env,
                    "kind": side.kind,
                    "status": side.status,
                    "latency_ms": round(statistics.median(latencies), 1) if latencies else None,
                    "records": side.records,
                    "error": None
                    if side.error is None
                    else f"{type(side.error).__name__}: "
                    f"{getattr(side.error, 'message', None) or side.error}",
                }
            )
        frame = pd.DataFrame(rows).set_index("env")
        return frame.astype(
            {
                "kind": "string",
                "status": "Int64",
                "latency_ms": "Float64",
                "records": "Int64",
                "error": "string",  # missing shows <NA>, as in every frame
            }
        )

    @property
    def diff(self) -> pd.DataFrame:
        """One row per difference: path, the value in each environment (``<NA>`` where a
        side has none, or null), and its kind. Complete: the HTML view groups a difference
        repeated on every record into one line, this frame does not."""
        import pandas as pd

        names = {"only_in_a": f"only in {self.a.env}", "only_in_b": f"only in {self.b.env}"}
        rows = [
            {
                "path": d.path,
                self.a.env: _na(shown(d.a)),
                self.b.env: _na(shown(d.b)),
                "kind": names.get(d.kind, d.kind),
            }
            for d in self.differences
        ]
        frame = pd.DataFrame(rows, columns=["path", self.a.env, self.b.env, "kind"], dtype=object)
        kinds = ["changed", "type_changed", names["only_in_a"], names["only_in_b"]]
        frame["kind"] = pd.Categorical(frame["kind"], categories=pd.Index(kinds, dtype="string"))
        return frame.astype({"path": "string"})

    @property
    def drift(self) -> pd.DataFrame:
        """How each side departs from the spec: additive (a field the spec does not know, as
        the backward-compatibility policy allows), missing (a spec field one side serves and the
        other does not), type_changed (breaking), deprecated (with its replacement)."""
        import pandas as pd

        columns = ["env", "path", "kind", "detail", "replacement"]
        frame = pd.DataFrame(self.drift_items, columns=columns)
        kinds = pd.Index(["type_changed", "missing", "deprecated", "additive"], dtype="string")
        frame["kind"] = pd.Categorical(frame["kind"], categories=kinds)
        text = {name: "string" for name in ("env", "path", "detail", "replacement")}
        frame = frame.astype(text)  # missing shows <NA>, as in every frame
        return frame.sort_values(["kind", "path", "env"], kind="stable").reset_index(drop=True)

    @property
    def latency(self) -> pd.DataFrame:
        """Latency percentiles per environment, in milliseconds rounded to 0.1 (see
        ``repeat=``): ``calls`` answers timed, ``errors`` of them error answers."""
        import pandas as pd

        rows = {}
        for side in (self.a, self.b):
            values = pd.Series(side.latencies_ms, dtype="Float64")
            rows[side.env] = {
                "calls": len(values),
                "errors": side.error_answers,
                "p50": values.quantile(0.5),
                "p90": values.quantile(0.9),
                "p99": values.quantile(0.99),
                "max": values.max(),
            }
        frame = pd.DataFrame.from_dict(rows, orient="index")
        frame = frame.astype({"calls": "Int64", "errors": "Int64"})
        times = ["p50", "p90", "p99", "max"]
        frame[times] = frame[times].astype("Float64").round(1)
        return frame

    def __repr__(self) -> str:
        counts = ", ".join(
            f"{n} {k}" for k in DIFF_KINDS if (n := sum(d.kind == k for d in self.differences))
        )
        return (
            f"<Comparison {self.operation.name} {self.a.env} vs {self.b.env}: {self.verdict}"
            f"{' (' + counts + ')' if counts else ''}>"
        )

    def _repr_html_(self) -> str:
        from ._compare_html import render

        return render(self)


def _na(value: Any) -> Any:
    """``pd.NA`` for a missing value (pandas' one missing value in every frame)."""
    import pandas as pd

    return pd.NA if value is None else value


def shown(value: Any) -> Any:
    """A difference's value as a frame shows it: None where a side has none."""
    return None if value is MISSING else value


def safe_to_show(difference: Difference) -> Difference:
    """``difference`` with its secrets hidden, the difference itself kept: a secret field's
    value (the last field of the path names it) becomes ``[redacted]`` on both sides, and so
    do the secret fields inside a subtree (a record only one side has)."""
    name = re.sub(r"\[[^\]]*\]", "", difference.pattern).rsplit(".", 1)[-1]
    secret = name in redact.secret_fields()
    return replace(difference, a=_hidden(difference.a, secret), b=_hidden(difference.b, secret))


def _hidden(value: Any, secret: bool) -> Any:
    if value is MISSING or value is None:
        return value
    if secret:
        return redact.REDACTED
    return redact.body(value) if isinstance(value, dict | list) else value


# Comparing ------------------------------------------------------------------------------


def volatile_paths(op: Operation) -> tuple[str, ...]:
    """Where ``op``'s answers differ from call to call by nature, as diff patterns: the
    fields that the spec marks volatile (timestamps, generated ids) or secret (tokens, codes).

    Each is left out where it is, not wherever its name appears: an order's ``created_at``
    is, a warning's ``code`` is not.

    >>> from connect_kit import spec
    >>> volatile_paths(spec.get("list_orders"))
    ('orders[*].created_at', 'orders[*].fulfillment_details.delivered_at')
    """
    return _volatile(op.response) if op.response is not None else ()


@cache
def _volatile(model: type[spec.ResponseModel]) -> tuple[str, ...]:
    marked = (f.path for f in spec.fields(model) if f.volatile or f.secret)
    return tuple(path.replace("[]", "[*]") for path in marked)


def _patterns(
    op: Operation, ignore: Iterable[str] | None, volatile: bool
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What to leave out: the volatile fields (each where it is), and the caller's globs."""
    return (volatile_paths(op) if volatile else ()), tuple(ignore or ())


def compare_results(
    a: Result,
    b: Result,
    *,
    ignore: Iterable[str] | None = None,
    volatile: bool = True,
) -> Comparison:
    """Compare two saved results of the same operation (from any environments)."""
    if a.operation.name != b.operation.name:
        raise ValueError(
            f"results of different operations: {a.operation.name} and {b.operation.name}"
        )
    side_a = Side(a.request.env or "a", "", a, None, [a.elapsed.total_seconds() * 1000])
    side_b = Side(b.request.env or "b", "", b, None, [b.elapsed.total_seconds() * 1000])
    if side_a.env == side_b.env:
        side_a.env, side_b.env = f"{side_a.env} (a)", f"{side_b.env} (b)"
    exact, ignored = _patterns(a.operation, ignore, volatile)
    return _assemble(a.operation, side_a, side_b, ignored, exact=exact, writes=False)


def _assemble(
    op: Operation,
    a: Side,
    b: Side,
    ignored: tuple[str, ...],
    *,
    exact: tuple[str, ...] = (),
    writes: bool,
    notes: Sequence[str] = (),
) -> Comparison:
    data_a = a.result.json if a.result is not None else MISSING
    data_b = b.result.json if b.result is not None else MISSING
    differences = (
        diff(data_a, data_b, op.response, ignore=ignored, exact=exact) if a.ok and b.ok else []
    )
    left_out = (*exact, *ignored)
    comparison = Comparison(op, a, b, differences, left_out, writes=writes, notes=list(notes))
    comparison.drift_items = [
        row
        for row in drift(op, a.env, data_a, b.env, data_b)
        if row["kind"] == "deprecated" or not matches(row["path"], ignored, exact)
    ]
    if writes:
        comparison.notes.append(
            f"{op.name} changes state: two real writes were made, one in {a.env} and one in "
            f"{b.env}."
        )
    return comparison


def _call(session: ConnectSession, op: Operation, params: dict[str, Any], repeat: int) -> Side:
    """Call ``repeat`` times; the first answer is the one compared. Every answer is timed, an
    error answer too (as long as the caller waited: retries included); a call that got no
    answer (refused before sending, no connection) ends the repeats."""
    side = Side(session.env.name, "sandbox" if session.env.sandbox else "live")
    for n in range(repeat):
        started = time.perf_counter()
        try:
            result = session.call(op.name, **params)
        except ConnectError as error:
            if n == 0:
                side.error = error
            if getattr(error, "status", None) is None:
                return side
            side.latencies_ms.append((time.perf_counter() - started) * 1000)
            side.error_answers += 1
            continue
        side.latencies_ms.append((time.perf_counter() - started) * 1000)
        if n == 0:
            side.result = result
    return side


def compare(
    operation: str,
    envs: Sequence[str] = ("dev", "prod"),
    *,
    allow_writes: bool = False,
    ignore: Iterable[str] | None = None,
    volatile: bool = True,
    learn_noise: bool = False,
    repeat: int = 1,
    sessions: Sequence[ConnectSession] | None = None,
    as_user: str | None = None,
    **params: Any,
) -> Comparison:
    """Run the same call in two environments at once and compare the answers.

    Args:
        operation: an operation name of the spec.
        envs: the two environments (any declared ones).
        allow_writes: needed for an operation that changes state; two real writes are made.
        ignore: more glob patterns of paths to leave out (``"stores[*].time_zone"``).
        volatile: leave out timestamps, generated ids and tokens: the fields the spec marks
            volatile or secret, each where it is (:func:`volatile_paths`).
        learn_noise: call the first environment twice more and leave out whatever differs
            between those two calls.
        repeat: calls per environment, for latency percentiles (the first answer is compared;
            every answer is timed, error answers too).
        sessions: sessions to use instead of connecting to ``envs``.
        as_user: a Connect ``user_id``: each side calls with a token that speaks for this
            user (:meth:`ConnectSession.for_user`), as Post-checkout operations need.
        **params: the operation's arguments, as :meth:`ConnectSession.call` takes them.
    """
    from ..client import ConnectSession, resolve

    op = spec.get(operation)
    if op.mutating and not allow_writes:
        raise WriteRefused(
            f"{op.name} changes state: comparing it makes a real write in each environment. "
            "Pass allow_writes=True to do so."
        )
    if not isinstance(repeat, int) or repeat < 1:
        raise ValueError(f"repeat must be an integer >= 1, got {repeat!r}")
    if op.mutating and (repeat > 1 or learn_noise):
        raise ValueError(f"{op.name} changes state: repeat and learn_noise would write again")
    if (
        op.user_token
        and as_user is None
        and (sessions is None or not all(s.user_id for s in sessions))
    ):
        raise ConfigurationError(
            f"{op.name} speaks for one user: pass as_user=<user_id> (each side then calls "
            "with session.for_user(user_id))"
        )
    own: list[ConnectSession] = []
    if sessions is None:
        if len(envs) != 2 or envs[0] == envs[1]:
            raise ValueError(f"envs must name two different environments, got {tuple(envs)!r}")
        own = [ConnectSession(resolve(env), allow_writes=allow_writes or None) for env in envs]
        sessions = own
    first, second = sessions
    if as_user is not None:
        first, second = first.for_user(as_user), second.for_user(as_user)
        own += [first, second]
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            a, b = pool.map(lambda s: _call(s, op, params, repeat), (first, second))
        exact, ignored = _patterns(op, ignore, volatile)
        if learn_noise and a.result is not None:
            again = _call(first, op, params, 1).result
            if again is not None:
                noise = diff(a.result.json, again.json, op.response, ignore=ignored, exact=exact)
                ignored = (*ignored, *dict.fromkeys(d.pattern for d in noise))
    finally:
        for session in own:
            session.close()
    notes = []
    if {a.kind, b.kind} == {"sandbox", "live"}:
        sandboxed = a.env if a.kind == "sandbox" else b.env
        notes.append(
            f"{sandboxed} is the embedded sandbox and the other side is live: differences "
            "may come from the simulator, not from Connect."
        )
    return _assemble(op, a, b, ignored, exact=exact, writes=op.mutating, notes=notes)
