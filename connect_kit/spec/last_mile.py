"""Last-mile and dispatch last-mile orders, and the deprecated ``lastmile`` URIs.

Last-mile orders are packed by the retailer: Instacart only drives them (reference 4.6-4.8).
"""

from __future__ import annotations

from pydantic import Field, model_validator

from .base import Deprecation, Operation, RequestModel
from .common import E164_EXAMPLE, Address, Cents, Locale, Order, PhoneNumber, Timestamp
from .orders import OrderId
from .users import LegacyUserAddressRequest, UserAddressRequest, ValidatedAddress


class _Parcel(RequestModel):
    items_count: int | None = Field(None, ge=0)
    bags_count: int | None = Field(None, ge=0)
    items_weight: float | None = Field(None, ge=0, description="Pounds.")
    cart_total: float | None = Field(None, ge=0, description="Dollars, not cents.")
    alcoholic: bool | None = None
    bag_label: str | None = None
    initial_tip_cents: Cents | None = None


class CreateLastMileOrderRequest(_Parcel):
    order_id: str | None = Field(None, min_length=1, description="Strongly advised.")
    location_code: str = Field(min_length=1, examples=["000-3801"])
    service_option_hold_id: int
    first_name: str = Field(min_length=1)
    last_name: str = Field(min_length=1)
    user_phone: PhoneNumber = Field(examples=[E164_EXAMPLE])
    items_count: int = Field(ge=0)
    items_weight: float = Field(ge=0, description="Pounds.")
    locale: Locale | None = None
    start_at: Timestamp | None = None
    end_at: Timestamp | None = None
    address: Address | None = None
    leave_unattended: bool | None = None
    special_instructions: str | None = None


class CreateDispatchOrderRequest(_Parcel):
    order_id: str = OrderId
    location_code: str = Field(min_length=1, examples=["000-3801"])
    start_at: Timestamp = Field(description="On the hour; the window lasts at least an hour.")
    end_at: Timestamp | None = None
    service_option_id: int | None = None
    user_id: str | None = Field(None, min_length=1)
    locale: Locale | None = None
    first_name: str = Field(examples=["Ana"])
    last_name: str = Field(examples=["Lee"])
    user_phone: PhoneNumber = Field(examples=[E164_EXAMPLE])
    email: str | None = None
    address: Address = Field(description="Where the driver delivers the order.")
    items_count: int = Field(ge=0)
    items_weight: float = Field(ge=0, description="Pounds.")
    leave_unattended: bool | None = None
    special_instructions: str | None = None
    fallback_to_soonest_sameday: bool | None = None


class UpdateLastMileOrderRequest(_Parcel):
    start_at: Timestamp | None = None
    end_at: Timestamp | None = None
    service_option_id: int | None = None
    special_instructions: str | None = None


class UpdateDispatchOrderRequest(UpdateLastMileOrderRequest):
    address: Address | None = Field(
        None,
        description="Not on the published page (simulated, see SANDBOX.md): moves the order; "
        "an order with alcohol cannot move where alcohol is not delivered.",
    )

    @model_validator(mode="after")
    def _window_pair(self) -> UpdateDispatchOrderRequest:
        if (self.start_at is None) != (self.end_at is None):
            raise ValueError("start_at and end_at go together")
        return self


class StageRequest(RequestModel):
    items_count: int | None = Field(None, ge=0)
    bags_count: int | None = Field(None, ge=0)
    items_weight: float | None = Field(None, ge=0)
    bag_label: str | None = None
    bag_scan_codes: list[str] | None = None


class StageDispatchRequest(RequestModel):
    items_count: int | None = Field(None, ge=0)
    bags_count: int | None = Field(None, ge=0)
    items_weight: float | None = Field(None, ge=0, description="Pounds.")
    bag_label: str | None = None


class CancelDispatchRequest(RequestModel):
    user_id: str | None = None


_USER = "/v2/fulfillment/users/{user_id}"
_DISPATCH = "/v2/fulfillment/lastmile/orders"


def _op(name, method, path, summary, request, ref, group="last_mile", response=Order, **kw):
    kw.setdefault("mutating", method != "GET")
    return Operation(
        name, method, path, "fulfillment", group, summary, request, response, ref=ref, **kw
    )


# fmt: off
OPERATIONS = (
    _op("create_last_mile_order", "POST", f"{_USER}/orders/last_mile",
        "Create a last-mile order (pre-packed; Instacart delivers).",
        CreateLastMileOrderRequest, "#22", identity="order_id", read_back="get_order"),
    _op("update_last_mile_order", "PUT", f"{_USER}/orders/{{order_id}}/last_mile",
        "Update a last-mile order while brand_new.", UpdateLastMileOrderRequest, "#26"),
    _op("stage_order", "POST", f"{_USER}/orders/{{order_id}}/staged",
        "Mark a last-mile order (not a dispatch one) staged so a driver is dispatched.",
        StageRequest, "#29"),
    _op("create_dispatch_order", "POST", _DISPATCH,
        "Create a dispatch last-mile order in one call (no reservation).",
        CreateDispatchOrderRequest, "#32", identity="order_id", read_back="get_dispatch_order"),
    _op("get_dispatch_order", "GET", f"{_DISPATCH}/{{order_id}}",
        "Get a dispatch last-mile order.", None, "#33", query={"user_id": str}),
    _op("update_dispatch_order", "PUT", f"{_DISPATCH}/{{order_id}}",
        "Update a dispatch last-mile order while brand_new.", UpdateDispatchOrderRequest, "#34"),
    _op("cancel_dispatch_order", "POST", f"{_DISPATCH}/{{order_id}}/cancel",
        "Cancel a dispatch last-mile order while brand_new.", CancelDispatchRequest, "#35"),
    _op("stage_dispatch_order", "POST", f"{_DISPATCH}/{{order_id}}/staged",
        "Mark a dispatch last-mile order staged so a driver is dispatched.",
        StageDispatchRequest, "#36"),
    _op("lastmile_create_order", "POST", "/v2/fulfillment/lastmile/users/{user_id}/orders",
        "Create a last-mile order (old URI).", CreateLastMileOrderRequest, "#37",
        deprecation=Deprecation("create_last_mile_order")),
    _op("lastmile_validate_address", "POST",
        "/v2/fulfillment/lastmile/users/{user_id}/validate_address",
        "Validate a user's address (old URI).", UserAddressRequest, "#40", group="users",
        response=ValidatedAddress, deprecation=Deprecation("create_user_address")),
    _op("lastmile_create_user_and_validate_address", "POST",
        "/v2/fulfillment/lastmile/validate_address",
        "Create a user and validate its address (old URI; user_id in the body).",
        LegacyUserAddressRequest, "#41", group="users", response=ValidatedAddress,
        deprecation=Deprecation("create_user_address")),
)
# fmt: on
