"""Drive a test order through its life with the sandbox API, and see its timeline::

    dev = ck.connect("dev")
    order = ck.drive(dev, "kamal", "a1b2c3")
    order.advance(to="picking")
    order.replace("1", upc="070481001157")
    order.advance(to="delivered")
    order.styled_timeline()

Every step is a call of the sandbox API (``/v2/fulfillment_sandbox``, on development servers
only) through the session, so each one also fires the order's callbacks. After each step the
order is read back with get-order, and the step lands in :meth:`OrderDriver.timeline`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..errors import InvalidRequestError

if TYPE_CHECKING:
    import pandas as pd
    from pandas.io.formats.style import Styler

    from ._session import ConnectSession

BATCH_TYPES = {"delivery": "delivery", "pickup": "pickup", "last_mile": "delivery_only"}
MAX_STEPS = 20
STATUS_COLORS = {
    "brand_new": "#ddf4ff",
    "acknowledged": "#ddf4ff",
    "picking": "#fff8c5",
    "verifying_replacements": "#fff8c5",
    "checkout": "#fff8c5",
    "staged": "#fbefff",
    "staged_for_delivery": "#fbefff",
    "delivering": "#dafbe1",
    "delivered": "#aceebb",
    "canceled": "#ffebe9",
}


@dataclass
class OrderDriver:
    """One order of the sandbox, moved step by step (see :func:`drive`)."""

    session: ConnectSession
    user_id: str
    order_id: str
    kind: str = "delivery"
    shopper_id: int | None = None
    batch_id: int | None = None
    batch_state: str | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.kind not in BATCH_TYPES:
            raise ValueError(f"kind must be one of {', '.join(BATCH_TYPES)}; got {self.kind!r}")

    # reading ------------------------------------------------------------------------------

    @property
    def status(self) -> str:
        """The order's status now, read with get-order."""
        return self.session.call("get_order", user_id=self.user_id, order_id=self.order_id).json[
            "status"
        ]

    def _log(self, action: str) -> str:
        status = self.status
        self.steps.append(
            {
                "time": datetime.now(UTC),
                "action": action,
                "batch_state": self.batch_state,
                "status": status,
            }
        )
        return status

    def timeline(self) -> pd.DataFrame:
        """Every step so far: when, what was done, the batch's state and the order's status."""
        import pandas as pd

        frame = pd.DataFrame(self.steps, columns=["time", "action", "batch_state", "status"])
        return frame.astype({"action": "string", "batch_state": "string", "status": "string"})

    def styled_timeline(self) -> Styler:
        """The timeline as a table coloured by status (for notebooks)."""
        return timeline_style(self.timeline())

    # the shopper and the batch ------------------------------------------------------------

    def start(self, batch_type: str | None = None) -> str:
        """Create a shopper if needed and put the order in a batch (it becomes acknowledged)."""
        if self.shopper_id is None:
            self.shopper_id = self.session.call("create_shopper").json["id"]
        batch = self.session.call(
            "generate_batch",
            shopper_id=self.shopper_id,
            batch_type=batch_type or BATCH_TYPES[self.kind],
            orders=[{"id": self.order_id, "user_id": self.user_id}],
        ).json
        self.batch_id, self.batch_state = batch["id"], batch["workflow_state"]
        return self._log(f"batch {self.batch_id} ({batch_type or BATCH_TYPES[self.kind]})")

    def step(self) -> str:
        """One step of the batch; a staged pickup order moves on to its runner batch."""
        if self.batch_id is None:
            try:
                return self.start()
            except InvalidRequestError as error:
                raise ValueError(f"the order cannot start: {error.message}") from None
        try:
            batch = self.session.call("advance_batch", batch_id=self.batch_id).json
        except InvalidRequestError as error:
            if self.kind == "pickup" and self.batch_state == "staged":
                return self.start("runner_customer")
            raise ValueError(f"the order cannot move on: {error.message}") from None
        self.batch_state = batch["workflow_state"]
        return self._log(f"advance to {self.batch_state}")

    def advance(self, to: str | None = None) -> str:
        """One step, or steps until the order's status is ``to``; returns the status."""
        if to is None:
            return self.step()
        status = self.status
        for _ in range(MAX_STEPS):
            if status == to:
                return status
            status = self.step()
        raise ValueError(f"the order did not reach {to!r} (it is {status!r})")

    # the shopper's items ------------------------------------------------------------------

    def _item(self, line_num: str, action: str, **fields: Any) -> str:
        if self.shopper_id is None:
            raise ValueError("start the batch first: the shopper acts once it is assigned")
        self.session.call(
            "update_shopper_order_item",
            shopper_id=self.shopper_id,
            order_id=self.order_id,
            line_num=line_num,
            **fields,
        )
        return self._log(f"{action} line {line_num}")

    def find(self, line_num: str, count: int | None = None) -> str:
        """The shopper finds an item (``count`` below the order's for a partial find)."""
        extra = {} if count is None else {"delivered_count": count}
        return self._item(line_num, "found", status="found", **extra)

    def replace(self, line_num: str, *, upc: str | None = None, rrc: str | None = None) -> str:
        """The shopper replaces an item (the customer may approve it with Post-checkout)."""
        item = {"upc": upc} if upc else {"rrc": rrc}
        return self._item(line_num, "replaced", status="replaced", replacement_item=item)

    def refund(self, line_num: str) -> str:
        """The shopper refunds an item they could not find."""
        return self._item(line_num, "refunded", status="to_refund", delivered_count=0)

    # events Instacart may send ------------------------------------------------------------

    def simulate(self, event_name: str) -> str:
        """Simulate a ``canceled``, ``rescheduled`` or ``late_delivery`` event."""
        self.session.call("simulate_order_callback", order_id=self.order_id, event_name=event_name)
        return self._log(f"simulated {event_name}")


def drive(
    session: ConnectSession, user_id: str, order_id: str, kind: str = "delivery"
) -> OrderDriver:
    """A driver for one order of a development environment (``kind``: delivery, pickup or
    last_mile)."""
    return OrderDriver(session, user_id, order_id, kind)


def timeline_style(frame: pd.DataFrame, column: str = "status") -> Styler:
    """A timeline (or a callbacks frame) as a table coloured by status."""

    def shade(value: Any) -> str:
        name = str(value).removeprefix("fulfillment.")
        return f"background-color: {STATUS_COLORS[name]}" if name in STATUS_COLORS else ""

    return frame.style.map(shade, subset=[column]).hide(axis="index")
