"""Time slots: preview, list for a cart, and hold (reference 4.3-4.5)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field, model_validator

from .base import Deprecation, Operation, RequestModel, ResponseModel, open_enum, volatile
from .common import (
    Address,
    Cents,
    DesiredWindow,
    OrderItem,
    PostalCode,
    ResponseWarning,
    Timestamp,
)

WINDOW_TYPES = ("scheduled", "eta", "priority_eta")


class _EtaFlags(RequestModel):
    with_eta_options: bool | None = None
    with_priority_eta_options: bool | None = None


class DeliveryPreviewRequest(_EtaFlags):
    postal_code: PostalCode
    cart_total_cents: Cents | None = None
    items_count: int | None = Field(None, ge=0)
    desired_windows: list[DesiredWindow] | None = None


class PickupPreviewRequest(_EtaFlags):
    location_code: str = Field(min_length=1, examples=["000-3801"])
    cart_total_cents: Cents | None = None
    items_count: int | None = Field(None, ge=0)


class LastMilePreviewRequest(_EtaFlags):
    location_code: str | None = Field(None, min_length=1, examples=["000-3801"])
    postal_code: PostalCode | None = None
    cart_total_cents: Cents | None = None
    items_count: int | None = Field(None, ge=0, description="Number of different item types.")
    earliest_option_start_at: Timestamp | None = None

    @model_validator(mode="after")
    def _where(self) -> LastMilePreviewRequest:
        if self.location_code is None and self.postal_code is None:
            raise ValueError("give location_code or postal_code")
        return self


class LegacyLastMileOptionsRequest(LastMilePreviewRequest):
    units_count: float | None = Field(None, ge=0)


class DeliveryCartRequest(_EtaFlags):
    address: Address
    items: list[OrderItem] = Field(min_length=1)
    location_code: str | None = Field(None, min_length=1)
    desired_windows: list[DesiredWindow] | None = None


class PickupCartRequest(RequestModel):
    items: list[OrderItem] = Field(min_length=1)
    location_code: str = Field(min_length=1, examples=["000-3801"])
    with_eta_options: bool | None = None


class LastMileCartRequest(_EtaFlags):
    """last_mile/list_cart_service_options: the service enforces every parameter it needs."""

    address: Address = Field(description="The user's address.")
    location_code: str = Field(
        min_length=1, examples=["000-3801"], description="Where the driver picks the order up."
    )
    cart_total_cents: Cents
    items_count: int = Field(ge=0, description="Number of different item types.")
    units_count: float | None = Field(None, ge=0, description="Number of units in all.")
    earliest_option_start_at: Timestamp | None = None


class ReserveWindowRequest(RequestModel):
    service_option_reference: str = Field(min_length=1)


class ReserveWithCartRequest(RequestModel):
    address: Address
    items: list[OrderItem] = Field(min_length=1)
    location_code: str | None = Field(None, min_length=1)


class Window(ResponseModel):
    start_at: dt.datetime | None = None
    end_at: dt.datetime | None = None
    type: Annotated[str, open_enum(*WINDOW_TYPES)]
    asap: bool | None = None


class Availability(ResponseModel):
    available: bool


class ServiceOptionFlags(ResponseModel):
    long_distance_delivery: bool | None = None


class ServiceOption(ResponseModel):
    record_key = "id"

    id: int
    service_option_reference: str | None = volatile(
        None, description="Made for each listing: give it to reserve_desired_window."
    )
    date: dt.date | None = None
    window: Window
    availability: Availability | None = None
    flags: ServiceOptionFlags | None = None


class ServiceOptions(ResponseModel):
    service_options: list[ServiceOption] = []
    warnings: list[ResponseWarning] | None = None


class Hold(ResponseModel):
    record_key = "id"

    id: int = volatile(description="A new hold on every reserve call.")
    expires_at: dt.datetime = volatile()
    service_option: ServiceOption


class HoldResponse(ResponseModel):
    service_option_hold: Hold


_USER = "/v2/fulfillment/users/{user_id}"
_ID = {"service_option_id": int}


def _options(name, path, summary, request, ref, **kw) -> Operation:
    return Operation(
        name,
        "POST",
        path,
        "fulfillment",
        "service_options",
        summary,
        request,
        ServiceOptions,
        records="service_options",
        ref=ref,
        **kw,
    )


def _hold(name, path, summary, request, ref, **kw) -> Operation:
    return Operation(
        name,
        "POST",
        path,
        "fulfillment",
        "holds",
        summary,
        request,
        HoldResponse,
        mutating=True,
        records="service_option_hold",
        ref=ref,
        **kw,
    )


# fmt: off
OPERATIONS = (
    _options("preview_delivery_service_options", "/v2/fulfillment/service_options/delivery",
             "Preview delivery time slots for a postal code (no user needed).",
             DeliveryPreviewRequest, "#11"),
    _options("preview_pickup_service_options", "/v2/fulfillment/service_options/pickup",
             "Preview pickup time slots at a store.", PickupPreviewRequest, "#12"),
    _options("preview_last_mile_service_options", "/v2/fulfillment/service_options/last_mile",
             "Preview last-mile time slots.", LastMilePreviewRequest, "#13"),
    _options("list_delivery_service_options", f"{_USER}/service_options/cart/delivery",
             "List delivery time slots for a user's cart (use these to reserve).",
             DeliveryCartRequest, "#14"),
    _options("list_pickup_service_options", f"{_USER}/service_options/cart/pickup",
             "List pickup time slots for a user's cart.", PickupCartRequest, "#15"),
    _options("list_last_mile_service_options", f"{_USER}/service_options/cart/last_mile",
             "List last-mile time slots for a user.", LastMileCartRequest, "#16"),
    _hold("reserve_service_option", f"{_USER}/service_options/{{service_option_id}}/reserve",
          "Hold a time slot for 10 minutes (one hold per user).", None, "#17", path_types=_ID),
    _hold("reserve_desired_window", f"{_USER}/service_options/reserve",
          "Hold a desired-window slot by its service_option_reference.",
          ReserveWindowRequest, "#18"),
    _hold("reserve_service_option_with_cart",
          f"{_USER}/service_options/{{service_option_id}}/reserve/cart",
          "Hold a previewed slot with the cart (no ETA options).", ReserveWithCartRequest, "#19",
          path_types=_ID, deprecation=Deprecation("reserve_service_option")),
    _options("lastmile_list_service_options", "/v2/fulfillment/lastmile/service_options",
             "List last-mile time slots (old URI).", LegacyLastMileOptionsRequest, "#38",
             deprecation=Deprecation(
                 "preview_last_mile_service_options",
                 note="Or list_last_mile_service_options for a user's cart.")),
    _hold("lastmile_reserve_service_option",
          "/v2/fulfillment/lastmile/users/{user_id}/service_options/{service_option_id}/reserve",
          "Hold a last-mile time slot (old URI).", None, "#39", path_types=_ID,
          deprecation=Deprecation("reserve_service_option")),
)
# fmt: on
