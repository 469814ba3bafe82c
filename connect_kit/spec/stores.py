"""Find stores (reference 4.2)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from .base import Operation, RequestModel, ResponseModel
from .common import FindBy


class DeliveryFindBy(FindBy):
    forms: ClassVar[tuple[str, ...]] = ("coordinates", "address")


class PickupFindBy(FindBy):
    forms: ClassVar[tuple[str, ...]] = ("coordinates", "postal_code")


class DeliveryStoresRequest(RequestModel):
    find_by: DeliveryFindBy = Field(
        examples=[{"address_line_1": "50 Beale St", "postal_code": "94105"}]
    )


class PickupStoresRequest(RequestModel):
    find_by: PickupFindBy = Field(examples=[{"postal_code": "94105"}])


class LastMileStoresRequest(RequestModel):
    find_by: FindBy = Field(examples=[{"address_line_1": "50 Beale St", "postal_code": "94105"}])


class StoreFlags(ResponseModel):
    alcohol: bool | None = None
    pickup: bool | None = None
    pickup_only: bool | None = None
    long_distance_delivery: bool | None = None
    is_partial: bool | None = None


class Store(ResponseModel):
    record_key = "location_code"

    name: str
    location_code: str
    flags: StoreFlags


class Stores(ResponseModel):
    stores: list[Store] = []


def _find(name: str, path: str, summary: str, request: type, ref: str) -> Operation:
    return Operation(
        name,
        "POST",
        path,
        "fulfillment",
        "stores",
        summary,
        request,
        Stores,
        records="stores",
        ref=ref,
    )


OPERATIONS = (
    _find(
        "find_delivery_stores",
        "/v2/fulfillment/stores/delivery",
        "Find stores that deliver to a place, nearest first.",
        DeliveryStoresRequest,
        "#7",
    ),
    _find(
        "find_pickup_stores",
        "/v2/fulfillment/stores/pickup",
        "Find pickup stores near a place, nearest first.",
        PickupStoresRequest,
        "#8",
    ),
    _find(
        "find_last_mile_stores",
        "/v2/fulfillment/stores/last_mile",
        "Find last-mile stores near a place (postal-code search is deprecated).",
        LastMileStoresRequest,
        "#9",
    ),
    _find(
        "find_dispatch_stores",
        "/v2/fulfillment/lastmile/stores",
        "Find dispatch last-mile stores; flags is_partial on postal-code searches.",
        LastMileStoresRequest,
        "#10",
    ),
)
