"""Event callbacks: what Instacart POSTs to a retailer's callback URL (reference section 2).

The catalogue is the documented one, exactly: the 28 callbacks of the docs' table "Callbacks
by fulfillment workflow type" (connect/api/fulfillment/communications/event_callbacks), each
with the workflows (delivery, pickup, last mile) the table gives it, and the Post-checkout
chat event. Dispatch last mile orders use the last-mile column. Every event name is made here,
once; the sandbox derives what it sends from this module.

Names: only ``fulfillment.brand_new`` and ``chat_message_created`` are confirmed verbatim;
the others follow the documented ``fulfillment.<snake_case>`` pattern (the docs' title in
snake case). Payload fields: ``order_id`` is confirmed on every Fulfillment event,
``delivery_window`` (Brand new), ``items`` (Checkout, OrderItems with
``delivered_item_rrc/upc`` and ``requested_item_rrc/upc``) and ``bag_label`` (At store ETA)
are named by the changelog, ``topic_id`` by the chat event's example; every other field is
the sandbox's choice (:attr:`EventField.documented` is False).

Statuses without a documented event (``verifying_replacements``, ``receipt_sanity_check``,
``bags_check``) change silently; ``staged_for_delivery`` (a staged last-mile order) is told
with the documented Staged event.

>>> STATUS_EVENT["picking"]
'fulfillment.picking'
>>> STATUS_EVENT["receipt_sanity_check"] is None
True
>>> applies("fulfillment.at_store", "pickup"), applies("fulfillment.at_store", "dispatch")
(False, True)
>>> len(FULFILLMENT_EVENTS)
28
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import Field

from .base import ResponseModel, open_enum, volatile
from .common import ORDER_STATUSES, order_statuses

ORDER_EVENT_PREFIX = "fulfillment."

#: The docs' workflow columns.
Workflow = Literal["delivery", "pickup", "last_mile"]
WORKFLOWS: tuple[str, ...] = get_args(Workflow)
#: An order's kind -> its workflow column (dispatch last mile uses the last-mile column).
WORKFLOW_OF_KIND: dict[str, str] = {
    "delivery": "delivery",
    "pickup": "pickup",
    "last_mile": "last_mile",
    "dispatch": "last_mile",
}


def order_event(name: str) -> str:
    """The event name of an order's status or change: ``fulfillment.<name>``."""
    return f"{ORDER_EVENT_PREFIX}{name}"


@dataclass(frozen=True)
class EventField:
    """A field of ``event_metadata``; ``documented``: its name is in the docs."""

    name: str
    description: str
    documented: bool = False


@dataclass(frozen=True)
class EventType:
    """One documented callback: its ``event_name``, the docs' title, its workflows and the
    fields its ``event_metadata`` carries besides :data:`COMMON_FIELDS`.

    ``confirmed``: the ``event_name`` string itself is in the docs (else it follows the
    ``fulfillment.<snake_case>`` pattern).
    """

    name: str
    title: str
    workflows: frozenset[str]
    fields: tuple[EventField, ...] = ()
    confirmed: bool = False
    description: str = ""

    def applies_to(self, workflow: str) -> bool:
        return workflow in self.workflows


#: In every Fulfillment event's ``event_metadata``.
COMMON_FIELDS = (
    EventField("order_id", "The retailer's order id.", documented=True),
    EventField("user_id", "The retailer's user id (the sandbox sends it)."),
)
_BATCH = EventField("batch_id", "The sandbox batch that moved the order.")

_D, _P, _L = "delivery", "pickup", "last_mile"


def _event(
    name: str,
    title: str,
    workflows: str,
    *fields: EventField,
    confirmed: bool = False,
    description: str = "",
) -> EventType:
    chosen = {"D": _D, "P": _P, "L": _L}
    return EventType(
        order_event(name),
        title,
        frozenset(chosen[w] for w in workflows),
        fields,
        confirmed,
        description,
    )


#: The documented Fulfillment callbacks, in the docs' order.
FULFILLMENT_EVENTS: tuple[EventType, ...] = (
    _event(
        "brand_new",
        "Brand new",
        "DPL",
        EventField(
            "delivery_window",
            "The order's window: {start_at, end_at} (changelog 2024-10-10; shape simulated).",
            documented=True,
        ),
        confirmed=True,
        description="The order was created.",
    ),
    _event("acknowledged", "Acknowledged", "DPL", _BATCH, description="A shopper took it."),
    _event("picking", "Picking", "DP", _BATCH, description="Shopping started."),
    _event(
        "order_item_replacement",
        "Order item replacement",
        "DP",
        EventField("line_num", "The replaced line."),
        EventField("replacement_item", "The replacement: {upc, rrc}."),
    ),
    _event(
        "order_item_refund",
        "Order item refund",
        "DP",
        EventField("line_num", "The refunded line."),
    ),
    _event(
        "checkout",
        "Checkout",
        "DP",
        EventField(
            "items",
            "OrderItems with delivered_item_rrc/upc and requested_item_rrc/upc "
            "(changelog 2024-02-29).",
            documented=True,
        ),
        _BATCH,
        description="The shopper paid.",
    ),
    _event("delivering", "Delivering", "DL", _BATCH),
    _event(
        "order_location",
        "Order location",
        "DL",
        EventField("coordinates", "Where the order is: {latitude, longitude}."),
    ),
    _event("late_delivery", "Late delivery", "DL"),
    _event("customer_missing", "Customer missing", "DL"),
    _event(
        "staged",
        "Staged",
        "DPL",
        _BATCH,
        description="Sent for delivery only when the picker is not the driver.",
    ),
    _event("customer_acknowledged", "Customer acknowledged", "P", _BATCH),
    _event("pickup_runner_started", "Pickup runner started", "P", _BATCH),
    _event("unable_to_find_customer", "Unable to find customer", "P"),
    _event("runner_not_found", "Runner not found", "P"),
    _event("pickup_geofence_reached", "Pickup Geofence reached", "P", _BATCH),
    _event("late_pickup", "Late pickup", "P"),
    _event("delivered", "Delivered", "DPL", _BATCH),
    _event("rescheduled", "Rescheduled", "DPL"),
    _event(
        "canceled",
        "Canceled",
        "DPL",
        EventField("cancellation_reason", "Who canceled, as the order's field says."),
    ),
    _event(
        "tip_adjustment",
        "Tip adjustment",
        "DL",
        EventField("tip_amount_cents", "The new tip."),
    ),
    _event("at_store", "At store", "L", _BATCH),
    _event("acknowledged_for_delivery", "Acknowledged for delivery", "L", _BATCH),
    _event("bags_verified", "Bags verified", "L", _BATCH),
    _event("arrival_at_customer", "Arrival at customer", "L", _BATCH),
    _event(
        "at_store_eta",
        "At store ETA",
        "L",
        EventField("bag_label", "The order's bag label (changelog 2024-04-23).", documented=True),
        EventField("eta", "When the driver is expected at the store (ISO 8601, UTC)."),
        _BATCH,
    ),
    _event(
        "rating_updated",
        "Rating updated",
        "DPL",
        EventField("rating_value", "STARS1..STARS5, as the Order Feedback API takes it."),
        EventField("highlights", "The highlights given with the rating."),
    ),
    _event("rating_reminder", "Rating reminder", "DPL"),
)

#: A customer wrote to the shopper (Post-checkout chat, 2.5).
CHAT_MESSAGE_CREATED = "chat_message_created"
CHAT_EVENT = EventType(
    CHAT_MESSAGE_CREATED,
    "Chat message created",
    frozenset(WORKFLOWS),
    (EventField("topic_id", "The chat's topic.", documented=True),),
    confirmed=True,
    description="Post-checkout: a customer message to relay to the shopper.",
)

#: Every documented event by name.
CATALOGUE: dict[str, EventType] = {e.name: e for e in (*FULFILLMENT_EVENTS, CHAT_EVENT)}
#: Every event name the spec knows: exactly the documented ones.
EVENT_NAMES: tuple[str, ...] = tuple(CATALOGUE)


def _name(event: str) -> str:
    name = order_event(event)
    assert name in CATALOGUE, name
    return name


BRAND_NEW = _name("brand_new")
CHECKOUT = _name("checkout")
DELIVERED = _name("delivered")
#: The shopper replaced an item, or refunded one, while picking.
ITEM_REPLACED = _name("order_item_replacement")
ITEM_REFUNDED = _name("order_item_refund")
ORDER_LOCATION = _name("order_location")
CUSTOMER_MISSING = _name("customer_missing")
CUSTOMER_ACKNOWLEDGED = _name("customer_acknowledged")
PICKUP_RUNNER_STARTED = _name("pickup_runner_started")
UNABLE_TO_FIND_CUSTOMER = _name("unable_to_find_customer")
RUNNER_NOT_FOUND = _name("runner_not_found")
PICKUP_GEOFENCE_REACHED = _name("pickup_geofence_reached")
LATE_PICKUP = _name("late_pickup")
TIP_ADJUSTMENT = _name("tip_adjustment")
ARRIVAL_AT_CUSTOMER = _name("arrival_at_customer")
AT_STORE_ETA = _name("at_store_eta")
RATING_UPDATED = _name("rating_updated")
RATING_REMINDER = _name("rating_reminder")

#: The events that the sandbox API's S6 simulates, as its ``event_name`` names them.
SimulatedEvent = Literal["canceled", "rescheduled", "late_delivery"]
SIMULATED_EVENTS: tuple[str, ...] = get_args(SimulatedEvent)

#: Statuses that the docs give no event of their own: they change silently.
SILENT_STATUSES = order_statuses("verifying_replacements", "receipt_sanity_check", "bags_check")
#: The event told when an order reaches each status (None: no documented event). A staged
#: last-mile order (``staged_for_delivery``) is told with Staged; ``at_store`` and
#: ``bags_verified`` are last-mile events (a pickup runner batch sends its own).
STATUS_EVENT: dict[str, str | None] = {
    status: None
    if status in SILENT_STATUSES
    else _name("staged" if status == "staged_for_delivery" else status)
    for status in ORDER_STATUSES
}


def event_type(name: str) -> EventType:
    """The documented event called ``name``; ValueError for a name the docs do not have."""
    try:
        return CATALOGUE[name]
    except KeyError:
        raise ValueError(f"{name!r} is not a documented callback event") from None


def workflow_of(kind: str | None) -> str | None:
    """The docs' workflow column of an order's kind (None when unknown)."""
    return WORKFLOW_OF_KIND.get(kind) if kind is not None else None


def applies(name: str, kind: str | None) -> bool:
    """Whether the docs give event ``name`` to orders of ``kind`` (True when the kind is
    unknown); ValueError for an undocumented name."""
    event = event_type(name)
    workflow = workflow_of(kind)
    return workflow is None or event.applies_to(workflow)


class EventEnvelope(ResponseModel):
    """One callback (2.3): ``{"event_id", "event_name", "event_timestamp", "event_metadata"}``.

    Handlers key on ``event_id``: the same event may arrive more than once, in any order.
    ``retailer_id`` comes only when Instacart's site configuration enables it.
    """

    record_key: ClassVar[str | None] = "event_id"

    event_id: int = volatile(description="Unique per event delivery (64-bit).")
    event_name: Annotated[str, open_enum(*EVENT_NAMES)]
    event_timestamp: datetime = volatile(description="ISO 8601, UTC.")
    event_metadata: dict[str, Any] = Field(
        description="The order's reference (order_id) and what the event adds."
    )
    retailer_id: str | None = None
