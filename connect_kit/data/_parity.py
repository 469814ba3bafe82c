"""How alike two environments are: a scenario run in both, every answer compared.

>>> import connect_kit as ck
>>> report = ck.parity("sandbox:dev", "dev")            # doctest: +SKIP
>>> report.score, report.summary, report.diff           # doctest: +SKIP

A scenario is a list of calls. Each is made in both environments; the answers are compared as
:func:`connect_kit.compare` compares them (records aligned by their key, the spec's volatile
fields left out), after the noise each side makes on its own is learned (side ``a`` is called
twice and whatever differs between those two calls is set aside). Time slots are the one
exception: each environment numbers its slots its own way, so slots are matched by their
window (date, start, end, type), not by id. The score is the share of compared JSON leaves
that are equal: ``1.0`` means every field of every answer matched.

Scenarios:

- ``explore`` (read-only): the stores of each kind near an address (50 Beale St, San
  Francisco, unless given), the previewed time slots (at the first store each side found),
  a user's link and a fresh user's cart slots (a user never created, as explore writes
  nothing: the errors are compared too).
- ``delivery`` (writes): a new user, their cart's delivery slots, a hold, an order, the order
  read back. Only where both environments allow writes: two real orders are made.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import spec
from ..errors import APIError, ConnectError, WriteRefused
from ._compare import safe_to_show, shown, volatile_paths
from ._diff import MISSING, Difference, diff, matches
from ._page import save_page

if TYPE_CHECKING:
    import pandas as pd

    from ..client import ConnectSession, Result

ADDRESS = {"address_line_1": "50 Beale St", "postal_code": "94105"}
ITEMS = [{"line_num": "1", "count": 1, "item": {"upc": "987665788999"}}]
STORE = "000-3801"

Params = dict[str, Any]
Step = tuple[str, Callable[[Params], Params]]  # (operation, arguments from earlier answers)

EXPLORE: list[Step] = [
    ("find_delivery_stores", lambda seen: {"find_by": seen["address"]}),
    ("find_pickup_stores", lambda seen: {"find_by": {"postal_code": seen["postal_code"]}}),
    ("find_last_mile_stores", lambda seen: {"find_by": seen["address"]}),
    ("find_dispatch_stores", lambda seen: {"find_by": {"postal_code": seen["postal_code"]}}),
    ("preview_delivery_service_options", lambda seen: {"postal_code": seen["postal_code"]}),
    ("preview_pickup_service_options", lambda seen: {"location_code": seen["pickup_store"]}),
    ("preview_last_mile_service_options", lambda seen: {"location_code": seen["last_mile_store"]}),
    ("get_user_link", lambda seen: {"user_id": seen["user_id"]}),
    (
        "list_delivery_service_options",
        lambda seen: {"user_id": seen["user_id"], "address": seen["address"], "items": ITEMS},
    ),
]

DELIVERY: list[Step] = [
    (
        "create_user",
        lambda seen: {
            "user_id": seen["user_id"],
            "first_name": "Parity",
            "phone_number": "+14155550100",
        },
    ),
    (
        "list_delivery_service_options",
        lambda seen: {"user_id": seen["user_id"], "address": seen["address"], "items": ITEMS},
    ),
    (
        "reserve_service_option",
        lambda seen: {"user_id": seen["user_id"], "service_option_id": seen["slot"]},
    ),
    (
        "create_delivery_order",
        lambda seen: {
            "user_id": seen["user_id"],
            "order_id": seen["order_id"],
            "service_option_hold_id": seen["hold"],
            "initial_tip_cents": 0,
            "address": seen["address"],
            "items": ITEMS,
        },
    ),
    ("get_order", lambda seen: {"user_id": seen["user_id"], "order_id": seen["order_id"]}),
]

SCENARIOS: dict[str, list[Step]] = {"explore": EXPLORE, "delivery": DELIVERY}
# the store each side previews is the first its own search found (stores are partners' own)
_STORE_OF = {"find_pickup_stores": "pickup_store", "find_last_mile_stores": "last_mile_store"}
NOBODY = "connect-kit-parity-nobody"  # explore's user: never created, explore writes nothing
_runs = itertools.count(1)


@dataclass
class Call:
    """One step of a scenario in both environments."""

    operation: str
    a: Result | ConnectError | None
    b: Result | ConnectError | None
    differences: list[Difference] = field(default_factory=list)
    compared: int = 0  # JSON leaves compared
    noise: tuple[str, ...] = ()  # paths set aside because side a differed from itself

    @property
    def equal(self) -> int:
        return self.compared - min(self.compared, sum(_weight(d) for d in self.differences))


@dataclass
class Parity:
    """The outcome of :func:`parity`.

    Attributes:
        a, b: the environments' names.
        scenario: the scenario's name.
        calls: every step, in order, with both answers and their differences.
    """

    a: str
    b: str
    scenario: str
    calls: list[Call]

    @property
    def score(self) -> float:
        """The share of compared JSON leaves that are equal (``1.0``: all of them)."""
        compared = sum(call.compared for call in self.calls)
        return 1.0 if compared == 0 else sum(call.equal for call in self.calls) / compared

    @property
    def summary(self) -> pd.DataFrame:
        """Per operation: the status on each side, leaves compared and equal, the score."""
        import pandas as pd

        rows = [
            {
                "operation": call.operation,
                f"status {self.a}": _status(call.a),
                f"status {self.b}": _status(call.b),
                "compared": call.compared,
                "equal": call.equal,
                "score": 1.0 if call.compared == 0 else call.equal / call.compared,
                "noise": len(call.noise),
            }
            for call in self.calls
        ]
        return pd.DataFrame(rows).astype({f"status {self.a}": "Int64", f"status {self.b}": "Int64"})

    @property
    def diff(self) -> pd.DataFrame:
        """Every difference: operation, path, the value on each side, its kind."""
        import pandas as pd

        rows = [
            {"operation": c.operation, "path": d.path, self.a: shown(d.a), self.b: shown(d.b),
             "kind": d.kind}
            for c in self.calls
            for d in c.differences
        ]  # fmt: skip
        return pd.DataFrame(rows, columns=["operation", "path", self.a, self.b, "kind"])

    def __repr__(self) -> str:
        return (
            f"<Parity {self.a} vs {self.b} ({self.scenario}): score {self.score:.3f} over "
            f"{len(self.calls)} calls>"
        )

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the report to ``path`` (``.html``), a page that opens in any browser: what a
        partner sends to say how far the sandbox is from their server."""
        return save_page(path, f"Parity: {self.a} vs {self.b}", self._repr_html_())

    def _repr_html_(self) -> str:
        import html

        head = (
            f"<div><b>{html.escape(self.a)} vs {html.escape(self.b)}</b> "
            f"({html.escape(self.scenario)}): score <b>{self.score:.3f}</b></div>"
        )
        diff = self.diff
        shown = "" if diff.empty else diff.head(200).to_html(index=False, border=0)
        return head + self.summary.to_html(index=False, border=0) + shown


def _status(answer: Any) -> int | None:
    if answer is None:
        return None
    if isinstance(answer, APIError):
        return answer.status
    return getattr(answer, "status_code", None)


def _leaves(value: Any) -> int:
    if isinstance(value, dict):
        return sum(_leaves(v) for v in value.values()) or 1
    if isinstance(value, list):
        return sum(_leaves(v) for v in value) or 1
    return 1


def _weight(difference: Difference) -> int:
    """How many compared leaves a difference stands for (a whole record: all of its)."""
    return max(_leaves(difference.a) if difference.a is not MISSING else 0,
               _leaves(difference.b) if difference.b is not MISSING else 0, 1)  # fmt: skip


def _counted(value: Any, path: str, ignore: tuple[str, ...], exact: tuple[str, ...]) -> int:
    """The leaves of ``value`` that are compared (those not left out)."""
    if path and matches(path, ignore, exact):
        return 0
    if isinstance(value, dict) and value:
        return sum(
            _counted(v, f"{path}.{k}" if path else k, ignore, exact) for k, v in value.items()
        )
    if isinstance(value, list) and value:
        return sum(_counted(v, f"{path}[*]", ignore, exact) for v in value)
    return 1  # a value, or an empty list or object: one leaf, as _leaves counts it


def _body(answer: Any) -> Any:
    """What is compared of an answer: its JSON, or an error's status, code and key."""
    if answer is None:
        return MISSING
    if isinstance(answer, APIError):
        return {"status": answer.status, "code": answer.code, "key": answer.key}
    if isinstance(answer, ConnectError):
        return {"error": type(answer).__name__}
    return answer.json


def _window(slot: Any) -> tuple[str, ...]:
    window = slot.get("window") or {} if isinstance(slot, dict) else {}
    return tuple(str(x) for x in (slot.get("date") if isinstance(slot, dict) else None,
                                  window.get("start_at"), window.get("end_at"),
                                  window.get("type")))  # fmt: skip


def _aligned(op_records: str | None, body: Any) -> tuple[Any, bool]:
    """The body as compared, and whether records keep their spec key: time slots are keyed by
    their window instead of their id (ids differ between environments by design)."""
    if op_records != "service_options" or not isinstance(body, dict):
        return body, True
    slots = body.get("service_options")
    if not isinstance(slots, list):
        return body, True
    keyed = {
        " ".join(_window(slot)): {k: v for k, v in slot.items() if k != "id"}
        for slot in slots
        if isinstance(slot, dict)
    }
    return {**body, "service_options": keyed}, False


def _call(session: ConnectSession, operation: str, params: Params) -> Result | ConnectError:
    try:
        return session.call(operation, **params)
    except ConnectError as error:
        return error


def _learn(seen: Params, operation: str, answer: Any) -> None:
    """Remember what later steps of the delivery scenario need from an answer."""
    data = getattr(answer, "json", None)
    if not isinstance(data, dict):
        return
    if operation in _STORE_OF:
        stores = data.get("stores")
        if isinstance(stores, list) and stores and isinstance(stores[0], dict):
            seen[_STORE_OF[operation]] = stores[0].get("location_code", STORE)
    elif operation == "list_delivery_service_options":
        slots = [s for s in data.get("service_options", []) if s["availability"]["available"]]
        seen["slot"] = slots[0]["id"] if slots else 0
    elif operation == "reserve_service_option":
        seen["hold"] = data.get("service_option_hold", {}).get("id", 0)


def parity(
    a: str | ConnectSession,
    b: str | ConnectSession,
    scenario: str = "explore",
    *,
    learn_noise: bool = True,
    ignore: Iterable[str] = (),
    address: Mapping[str, str] | None = None,
) -> Parity:
    """Run ``scenario`` in two environments and say how alike their answers are.

    Args:
        a, b: environment names (``"dev"``, ``"sandbox:dev"``...) or sessions.
        scenario: ``"explore"`` (read-only) or ``"delivery"`` (writes: both environments must
            allow writes; a production one needs ``allow_writes``).
        learn_noise: call ``a`` twice at each read and set aside what differs between the two.
        ignore: more glob patterns of paths to leave out (``"stores[*].time_zone"``).
        address: where to look for stores and slots (``address_line_1``, ``postal_code``);
            default 50 Beale St, San Francisco 94105. Give one your stores serve.
    """
    from ..client import ConnectSession, resolve

    if scenario not in SCENARIOS:
        raise ValueError(f"scenario must be one of {', '.join(SCENARIOS)}; got {scenario!r}")
    steps = SCENARIOS[scenario]
    address = ADDRESS if address is None else address
    if not isinstance(address, Mapping) or not isinstance(address.get("postal_code"), str):
        raise ValueError(
            "address must be a mapping with address_line_1 and postal_code, such as "
            f"{ADDRESS}; got {address!r}"
        )
    sessions: list[ConnectSession] = []
    opened: list[ConnectSession] = []  # closed at the end: the caller's sessions are not
    for side in (a, b):
        if isinstance(side, str):
            side = ConnectSession(resolve(side))
            opened.append(side)
        sessions.append(side)
    try:
        writes = any(spec.get(name).mutating for name, _ in steps)
        if writes:
            for session in sessions:
                if session.env.kind == "production" and not session.allow_writes:
                    raise WriteRefused(
                        f"the {scenario} scenario writes, and {session.env.name} is a "
                        "production environment: connect it with allow_writes=True"
                    )
        calls = _run(sessions, steps, learn_noise, tuple(ignore), address, writes)
    finally:
        for session in opened:
            session.close()
    name_a, name_b = sessions[0].env.name, sessions[1].env.name
    if name_a == name_b:
        name_a, name_b = f"{name_a} (a)", f"{name_b} (b)"
    return Parity(name_a, name_b, scenario, calls)


def _run(
    sessions: Sequence[ConnectSession],
    steps: list[Step],
    learn_noise: bool,
    ignore: tuple[str, ...],
    address: Mapping[str, str],
    writes: bool,
) -> list[Call]:
    run = f"{int(time.time())}-{next(_runs)}"
    sides: list[Params] = []
    for side in ("a", "b"):
        fresh = f"parity-{side}-{run}" if writes else NOBODY  # explore: the same on replay
        sides.append({
            "user_id": fresh, "order_id": fresh, "address": dict(address),
            "postal_code": address.get("postal_code", ""),
            "pickup_store": STORE, "last_mile_store": STORE,
        })  # fmt: skip
    seen_a, seen_b = sides
    calls = []
    for name, arguments in steps:
        op = spec.get(name)
        answer_a = _call(sessions[0], name, arguments(seen_a))
        answer_b = _call(sessions[1], name, arguments(seen_b))
        _learn(seen_a, name, answer_a)
        _learn(seen_b, name, answer_b)
        exact = volatile_paths(op) if not isinstance(answer_a, ConnectError) else ()
        noise: tuple[str, ...] = ()
        if learn_noise and not op.mutating:
            again = _body(_call(sessions[0], name, arguments(seen_a)))
            first, keyed = _aligned(op.records, _body(answer_a))
            again, _ = _aligned(op.records, again)
            found = diff(first, again, op.response if keyed else None, ignore=ignore, exact=exact)
            noise = tuple(dict.fromkeys(d.pattern for d in found))
        left_out = (*ignore, *noise)
        body_a, keyed = _aligned(op.records, _body(answer_a))
        body_b, _ = _aligned(op.records, _body(answer_b))
        model = op.response if keyed and not isinstance(answer_a, ConnectError) else None
        differences = diff(body_a, body_b, model, ignore=left_out, exact=exact)
        differences = [safe_to_show(d) for d in differences]  # every rendering hides secrets
        compared = max(
            _counted(body_a, "", left_out, exact) if body_a is not MISSING else 0,
            _counted(body_b, "", left_out, exact) if body_b is not MISSING else 0,
        )
        calls.append(Call(name, answer_a, answer_b, differences, compared, noise))
    return calls
