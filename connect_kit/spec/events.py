"""Event callbacks: what Instacart POSTs to a retailer's callback URL (reference section 2).

Every event name is made here, once: one per order status (``fulfillment.<status>``), the
item changes while picking, the events the sandbox API simulates (S6), and the
Post-checkout chat event. Only ``fulfillment.brand_new`` and ``chat_message_created`` are
confirmed verbatim; the rest follow the documented ``fulfillment.<snake_case>`` pattern.

>>> order_event("picking")
'fulfillment.picking'
>>> "fulfillment.order_item_refund" in EVENT_NAMES
True
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import Field

from .base import ResponseModel, open_enum, volatile
from .common import ORDER_STATUSES

ORDER_EVENT_PREFIX = "fulfillment."


def order_event(name: str) -> str:
    """The event name of an order's status or change: ``fulfillment.<name>``."""
    return f"{ORDER_EVENT_PREFIX}{name}"


#: An order's move to each status.
STATUS_EVENTS = tuple(order_event(status) for status in ORDER_STATUSES)
#: The shopper replaced an item, or refunded one, while picking.
ITEM_REPLACED = order_event("order_item_replacement")
ITEM_REFUNDED = order_event("order_item_refund")
#: The events that the sandbox API's S6 simulates, as its ``event_name`` names them.
SimulatedEvent = Literal["canceled", "rescheduled", "late_delivery"]
SIMULATED_EVENTS: tuple[str, ...] = get_args(SimulatedEvent)
#: A customer wrote to the shopper (Post-checkout chat, 2.5).
CHAT_MESSAGE_CREATED = "chat_message_created"
#: Every event name the spec knows.
EVENT_NAMES = tuple(
    dict.fromkeys(
        (
            *STATUS_EVENTS,
            ITEM_REPLACED,
            ITEM_REFUNDED,
            *(order_event(name) for name in SIMULATED_EVENTS),
            CHAT_MESSAGE_CREATED,
        )
    )
)


class EventEnvelope(ResponseModel):
    """One callback (2.3): ``{"event_id", "event_name", "event_timestamp", "event_metadata"}``.

    Handlers key on ``event_id``: the same event may arrive more than once, in any order.
    """

    record_key: ClassVar[str | None] = "event_id"

    event_id: int = volatile(description="Unique per event delivery (64-bit).")
    event_name: Annotated[str, open_enum(*EVENT_NAMES)]
    event_timestamp: datetime = volatile(description="ISO 8601, UTC.")
    event_metadata: dict[str, Any] = Field(
        description="The order's reference (order_id) and what the event adds."
    )
    retailer_id: str | None = None
