"""Create, read and change delivery and pickup orders; validate items (reference 4.6-4.9)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, model_validator

from .base import Deprecation, Operation, RequestModel, ResponseModel
from .common import (
    Address,
    Cents,
    ItemIdentity,
    ItemRef,
    Locale,
    Order,
    OrderItem,
    OrdersResponse,
    OrderUser,
)

OrderId = Field(min_length=1, examples=["a1b2c3"])


class _OrderCommon(RequestModel):
    order_id: str = OrderId
    service_option_hold_id: int = Field(description="From a reserve call.")
    loyalty_number: str | None = None
    special_instructions: str | None = None
    paid_with_ebt: bool | None = None
    locale: Locale | None = None
    applied_instacartplus: bool | None = None
    user: OrderUser | None = None
    items: list[OrderItem] = Field(min_length=1)


class CreateDeliveryOrderRequest(_OrderCommon):
    initial_tip_cents: Cents | None = None
    leave_unattended: bool | None = None
    location_code: str | None = Field(None, min_length=1, description="Preferred store.")
    address: Address


class CreatePickupOrderRequest(_OrderCommon):
    location_code: str = Field(min_length=1, examples=["000-3801"])


class UpdateOrderRequest(RequestModel):
    """Full-items update: lines are matched by line_num and omitted lines are removed."""

    service_option_hold_id: int | None = Field(None, description="Reschedule with a new hold.")
    initial_tip_cents: Cents
    special_instructions: str | None = None
    user: OrderUser | None = None
    items: list[OrderItem] = Field(min_length=1)


class TipRequest(RequestModel):
    tip_amount_cents: Cents


class Selection(RequestModel):
    line_num: str = Field(min_length=1)
    count: int | None = Field(None, gt=0)
    weight: float | None = Field(None, gt=0)
    replacement_items: list[ItemRef] | None = None

    @model_validator(mode="after")
    def _count_or_weight(self) -> Selection:
        if self.count is None and self.weight is None:
            raise ValueError("give count or weight")
        return self


class ReplacementSelectionsRequest(RequestModel):
    selections: list[Selection] = Field(min_length=1, max_length=10)


class ItemToValidate(RequestModel):
    line_num: str | None = None
    count: int | None = Field(None, ge=0)
    weight: float | None = Field(None, ge=0)
    item: ItemRef


class ValidateItemsRequest(RequestModel):
    items: list[ItemToValidate] = Field(min_length=1)
    address: Address | None = None
    location_code: str | None = Field(None, min_length=1, description="Wins over address.")


class ItemCheckError(ResponseModel):
    """What a failed check says (delivery/validate_items: each failure "contains an error")."""

    message: str
    error_code: int | None = None


class ValidationFailure(ResponseModel):
    """One item that failed a check: the item it references and the error."""

    record_key: ClassVar[str | None] = "line_num"

    line_num: str | None = None
    item: ItemIdentity
    error: ItemCheckError


class ValidationFailures(ResponseModel):
    validation_failures: list[ValidationFailure] = []


_USER = "/v2/fulfillment/users/{user_id}"
_ORDER = f"{_USER}/orders/{{order_id}}"


def _order(name, method, path, summary, request, ref, **kw) -> Operation:
    kw.setdefault("mutating", method != "GET")
    return Operation(
        name, method, path, "fulfillment", "orders", summary, request, Order, ref=ref, **kw
    )


# fmt: off
OPERATIONS = (
    _order("create_delivery_order", "POST", f"{_USER}/orders/delivery",
           "Create a delivery order from a held time slot.", CreateDeliveryOrderRequest, "#20",
           identity="order_id", read_back="get_order"),
    _order("create_pickup_order", "POST", f"{_USER}/orders/pickup",
           "Create a pickup order from a held time slot.", CreatePickupOrderRequest, "#21",
           identity="order_id", read_back="get_order"),
    _order("get_order", "GET", _ORDER, "Get an order with its status and items.", None, "#23"),
    Operation("list_orders", "GET", f"{_USER}/orders", "fulfillment", "orders",
              "List a user's orders.", None, OrdersResponse, records="orders", ref="#24",
              deprecation=Deprecation(None, note="No replacement: keep your own order ids.")),
    _order("update_order", "PUT", _ORDER,
           "Update a delivery or pickup order while brand_new (items, tip, reschedule).",
           UpdateOrderRequest, "#25"),
    _order("update_tip", "PUT", f"{_ORDER}/tip", "Change the tip of a delivered order.",
           TipRequest, "#27"),
    _order("set_replacement_selections", "PUT", f"{_ORDER}/replacement_selections",
           "Set the customer's replacement choices (until picking ends).",
           ReplacementSelectionsRequest, "#28"),
    _order("cancel_order", "POST", f"{_ORDER}/cancel",
           "Cancel an order of any type while it is brand_new.", None, "#30"),
    Operation("validate_items", "POST", "/v2/fulfillment/validate_items", "fulfillment", "items",
              "Check items against a store's catalog (existence, count or weight).",
              ValidateItemsRequest, ValidationFailures, records="validation_failures",
              ref="#31"),
)
# fmt: on
