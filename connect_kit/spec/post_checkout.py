"""The Post-checkout API: what a customer sees of an order after checkout (order state, items
and replacements, chat with the shopper, the pickup experience).

Reference: sandbox-callbacks-postcheckout section 3. Every operation needs a user token
(grant ``fulfillment_user_assertion``, scope ``connect:post_checkout``) that only sees the
orders of its user. Response field names marked unconfirmed in the reference are the
sandbox's choice (see the sandbox's SANDBOX.md, "Post-checkout").
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar, Literal, get_args

from pydantic import Field, model_validator

from .base import Operation, RequestModel, ResponseModel, StrictObject, open_enum, volatile
from .common import ORDER_STATUSES, Timestamp

SCOPE = "connect:post_checkout"
#: Workflow states that are not order statuses: the pickup hand-over and the last-mile wait.
HANDOVER_STATES = (
    "waiting_for_delivery",
    "ready_for_pickup",
    "user_at_store",
    "runner_awaiting",
    "runner_acknowledged",
)
#: An order's ``workflow_state`` as its customer sees it: its status, or a hand-over state
#: (listed before the order is on its way, as they come in an order's life).
_ON_ITS_WAY = ORDER_STATUSES.index("delivering")
WORKFLOW_STATES = (*ORDER_STATUSES[:_ON_ITS_WAY], *HANDOVER_STATES, *ORDER_STATUSES[_ON_ITS_WAY:])
FULFILLMENT_TYPES = ("delivery", "last_mile_delivery", "pickup")
PICKUP_CATEGORIES = ("curbside", "locker", "in_store")
ITEM_STATUSES = ("NOT_PICKED", "FOUND", "REPLACED", "TO_REFUND", "APPROVED", "REJECTED")
REPLACEMENT_STATUSES = ("PENDING", "APPROVED", "REJECTED")
VehicleType = Literal["hatchback", "minivan", "sedan", "suv", "truck", "other"]
VehicleColor = Literal[
    "black", "blue", "brown", "gray", "green", "yellow", "orange", "red", "silver", "white"
]
VEHICLE_TYPES: tuple[str, ...] = get_args(VehicleType)
VEHICLE_COLORS: tuple[str, ...] = get_args(VehicleColor)
PARTIES = ("user", "driver")


# Orders ---------------------------------------------------------------------------------


class PostCheckoutOrder(ResponseModel):
    """An order summary (3.3; field names unconfirmed)."""

    record_key: ClassVar[str | None] = "id"

    id: str
    created_at: datetime | None = volatile(None)
    workflow_state: Annotated[str, open_enum(*WORKFLOW_STATES)]
    fulfillment_type: Annotated[str, open_enum(*FULFILLMENT_TYPES)]
    window_starts_at: datetime | None = None
    window_ends_at: datetime | None = None
    pickup_category: Annotated[str, open_enum(*PICKUP_CATEGORIES)] | None = None


class HandlingAddress(ResponseModel):
    address_line_1: str
    address_line_2: str | None = None
    locality: str | None = None
    administrative_area: str | None = None
    postal_code: str
    country_code: str


class Coordinates(ResponseModel):
    latitude: float
    longitude: float


class HandlingShopper(ResponseModel):
    """The shopper (fields unconfirmed: a first name)."""

    first_name: str | None = None


class OrderHandling(ResponseModel):
    """Address, coordinates, shopper and instructions of an order (3.4)."""

    address: HandlingAddress
    coordinates: Coordinates
    shopper: HandlingShopper | None = None
    dropoff_location: str | None = None
    notes: str | None = None
    instructions: str
    leave_unattended: bool | None = None
    alcoholic: bool | None = None
    certified_delivery: bool | None = None


class OrderLocation(ResponseModel):
    """The shopper's coordinates while delivering; empty otherwise (3.5)."""

    coordinates: Coordinates | None = None


# Items ----------------------------------------------------------------------------------


class LineItemDetail(ResponseModel):
    name: str
    image_url: str | None = None
    quantity: str
    cost_unit: Annotated[str, open_enum("each", "lb")]


class LineItem(ResponseModel):
    """One item of an order with its pick and replacement status (3.6)."""

    record_key: ClassVar[str | None] = "id"

    id: str
    status: Annotated[str, open_enum(*ITEM_STATUSES)]
    replacement_status: Annotated[str, open_enum(*REPLACEMENT_STATUSES)] | None = None
    certified_delivery: bool | None = None
    item: LineItemDetail
    replacement: LineItemDetail | None = None


class LineItems(ResponseModel):
    line_items: list[LineItem]


class AlternativeItem(StrictObject):
    """The item the customer wants instead: exactly one of upc/rrc and of count/weight."""

    upc: str | None = Field(None, min_length=1, examples=["987665788999"])
    rrc: str | None = Field(None, min_length=1, examples=["0452-38492"])
    count: int | None = Field(None, examples=[1])
    weight: float | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> AlternativeItem:
        if (self.upc is None) == (self.rrc is None):
            raise ValueError("must include exactly one of rrc or upc")
        if (self.count is None) == (self.weight is None):
            raise ValueError("must include exactly one of count or weight")
        if self.count is not None and self.count <= 0:
            raise ValueError("count must be greater than 0")
        if self.weight is not None and self.weight <= 0:
            raise ValueError("weight must be greater than 0")
        return self


class ReplacementDecision(RequestModel):
    status: Literal["APPROVED", "REJECTED"]
    alternative_item: AlternativeItem | None = Field(
        None, description="Only with REJECTED: the shopper is asked to find this instead."
    )

    @model_validator(mode="after")
    def _alternative_only_when_rejected(self) -> ReplacementDecision:
        if self.alternative_item is not None and self.status != "REJECTED":
            raise ValueError("alternative_item is only allowed with REJECTED")
        return self


class Empty(ResponseModel):
    """An empty object."""


# Chat -----------------------------------------------------------------------------------


class ChatMessage(ResponseModel):
    """A customer-shopper chat message (3.8; ``body`` is the sandbox's name for the text)."""

    record_key: ClassVar[str | None] = "id"

    id: int
    order_id: int
    created_at: datetime = volatile()
    recipient_id: int
    recipient_type: Annotated[str, open_enum(*PARTIES)]
    sender_id: int
    sender_type: Annotated[str, open_enum(*PARTIES)]
    read: bool
    body: str | None = None


class ChatMessagesMetadata(ResponseModel):
    is_expired: bool


class ChatMessages(ResponseModel):
    chat_messages: list[ChatMessage]
    metadata: ChatMessagesMetadata


class SendChatMessageRequest(RequestModel):
    body: str = Field(min_length=1, max_length=1000, examples=["Please leave it at the door."])


class SentChatMessage(ResponseModel):
    record_key: ClassVar[str | None] = "id"

    id: int = volatile(description="A new message on every call.")
    type: Annotated[str, open_enum("CHAT")]
    created_at: datetime = volatile()
    timezone: str | None = None


class MessagesRead(ResponseModel):
    messages_read_count: int


class LifecycleMessage(ResponseModel):
    """An automated notification (shape unconfirmed: the sandbox's choice)."""

    record_key: ClassVar[str | None] = "id"

    id: str
    workflow_state: Annotated[str, open_enum(*WORKFLOW_STATES)]
    message: str
    created_at: datetime = volatile()


class OrderMessagesMetadata(ResponseModel):
    is_expired: bool


class OrderMessages(ResponseModel):
    chat_messages: list[ChatMessage]
    lifecycle_messages: list[LifecycleMessage]
    metadata: OrderMessagesMetadata


# Pickup ---------------------------------------------------------------------------------


class InstructionImage(ResponseModel):
    url: str
    value: str | None = None


class PickupInstruction(ResponseModel):
    record_key: ClassVar[str | None] = "category"

    category: Annotated[str, open_enum(*PICKUP_CATEGORIES)]
    instruction: str
    instruction_images: list[InstructionImage] | None = None


class PickupDetails(ResponseModel):
    pickup_instructions: list[PickupInstruction]


class VehicleInfoRequest(RequestModel):
    model: str | None = Field(None, examples=["Toyota Corolla"])
    vehicle_type: VehicleType | None = None
    license_plate: str | None = Field(None, examples=["F4K3L1C3NC3"])
    color: VehicleColor | None = None
    is_pickup_delegate: bool | None = Field(
        None, description="A delegate must already be attached to the order."
    )


class VehicleInfo(ResponseModel):
    record_key: ClassVar[str | None] = "id"

    id: int
    model: str | None = None
    vehicle_type: Annotated[str, open_enum(*VEHICLE_TYPES)] | None = None
    license_plate: str | None = None
    color: Annotated[str, open_enum(*VEHICLE_COLORS)] | None = None
    color_hex: str | None = None


class VehicleInfoResponse(ResponseModel):
    vehicle_info: VehicleInfo | None = None


class UserArrivedRequest(RequestModel):
    is_pickup_delegate: bool | None = None


class SchedulePickupRequest(RequestModel):
    schedule_pickup_eta: Timestamp = Field(examples=["2026-01-01T18:30:00Z"])


class PickupSuccess(ResponseModel):
    success: bool


_PC = "/v2/post_checkout"
_ORDER = f"{_PC}/orders/{{order_id}}"
_CHAT = f"{_PC}/chat/{{order_id}}/messages"


def _op(name, method, path, group, summary, request, response, ref, **kw) -> Operation:
    return Operation(
        name,
        method,
        path,
        "post_checkout",
        group,
        summary,
        request,
        response,
        scope=SCOPE,
        ref=ref,
        user_token=True,
        **kw,
    )


# fmt: off
OPERATIONS = (
    _op("get_post_checkout_order", "GET", _ORDER, "orders",
        "An order as its customer sees it: workflow state, fulfillment type, window.",
        None, PostCheckoutOrder, "PC1"),
    _op("get_order_handling", "GET", f"{_ORDER}/handling", "orders",
        "Address, coordinates, shopper and delivery instructions of an order.",
        None, OrderHandling, "PC2"),
    _op("get_order_location", "GET", f"{_ORDER}/location", "orders",
        "The shopper's live coordinates while the order is delivering.",
        None, OrderLocation, "PC3"),
    _op("get_order_items", "GET", f"{_ORDER}/items", "line_items",
        "The order's items with their pick and replacement status.",
        None, LineItems, "PC4", records="line_items"),
    _op("handle_item_replacement", "PUT", f"{_ORDER}/items/{{order_item_id}}/replacement",
        "line_items", "Approve or reject the replacement the shopper proposed (while picking).",
        ReplacementDecision, Empty, "PC5", mutating=True),
    _op("get_chat_messages", "GET", _CHAT, "chat",
        "The customer-shopper chat of an order.",
        None, ChatMessages, "PC6", records="chat_messages"),
    _op("send_chat_message", "POST", _CHAT, "chat",
        "Send the shopper a message (from picking until delivered).",
        SendChatMessageRequest, SentChatMessage, "PC7", mutating=True),
    _op("mark_chat_messages_read", "PUT", _CHAT, "chat",
        "Mark every unread shopper message as read.",
        None, MessagesRead, "PC8", mutating=True),
    _op("get_order_messages", "GET", f"{_ORDER}/order_messages", "chat",
        "Chat messages and automated lifecycle notifications of an order.",
        None, OrderMessages, "PC9", records="chat_messages"),
    _op("get_pickup_details", "GET", f"{_ORDER}/pickup/details", "pickup",
        "Pickup instructions (curbside, in store, locker).",
        None, PickupDetails, "PC10", records="pickup_instructions"),
    _op("set_vehicle_info", "PUT", f"{_ORDER}/pickup/vehicle_info", "pickup",
        "Create or update the vehicle the customer picks up with (curbside).",
        VehicleInfoRequest, VehicleInfoResponse, "PC11", mutating=True),
    _op("get_vehicle_info", "GET", f"{_ORDER}/pickup/vehicle_info", "pickup",
        "The vehicle the customer picks up with.",
        None, VehicleInfoResponse, "PC12"),
    _op("record_user_arrival", "POST", f"{_ORDER}/pickup/user_arrived", "pickup",
        "The customer has arrived at the store (the order must be staged).",
        UserArrivedRequest, PickupSuccess, "PC13", mutating=True),
    _op("schedule_pickup", "POST", f"{_ORDER}/pickup/schedule_pickup", "pickup",
        "Schedule a curbside pickup by the customer's ETA (ready_for_pickup orders).",
        SchedulePickupRequest, PickupSuccess, "PC14", mutating=True),
)
# fmt: on
