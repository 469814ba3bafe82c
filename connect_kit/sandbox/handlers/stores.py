"""Find stores (reference 4.2): nearest first, filtered by what each endpoint serves."""

from __future__ import annotations

from typing import Any

from .. import seed
from ._registry import Context, handles
from .common import stores_near

PARTIAL_KM = 8.0  # a dispatch postal search flags stores this far away as covering part of it


def _origin(find_by: Any) -> tuple[float, float] | None:
    if find_by.form == "coordinates":
        return find_by.latitude, find_by.longitude
    place = seed.place(find_by.postal_code)
    return (place.latitude, place.longitude) if place else None


def _find(ctx: Context, *, pickup: bool = False, partial: bool = False) -> dict[str, Any]:
    find_by = ctx.body.find_by
    origin = _origin(find_by)
    if origin is None:
        return {"stores": []}
    stores = []
    for km, store in stores_near(ctx, *origin, pickup=pickup):
        flags = {
            "alcohol": store.alcohol,
            "pickup": store.pickup,
            "pickup_only": store.pickup_only,
            "long_distance_delivery": store.long_distance_delivery,
        }
        if partial and find_by.form == "postal_code":
            flags["is_partial"] = km > PARTIAL_KM
        answer = {"name": store.name, "location_code": store.location_code, "flags": flags}
        if ctx.instance.profile.preview_fields:
            answer["time_zone"] = store.time_zone  # served by dev ahead of prod
        stores.append(answer)
    return {"stores": stores}


@handles("find_delivery_stores")
def find_delivery_stores(ctx: Context) -> dict[str, Any]:
    return _find(ctx)


@handles("find_pickup_stores")
def find_pickup_stores(ctx: Context) -> dict[str, Any]:
    return _find(ctx, pickup=True)


@handles("find_last_mile_stores")
def find_last_mile_stores(ctx: Context) -> dict[str, Any]:
    return _find(ctx)


@handles("find_dispatch_stores")
def find_dispatch_stores(ctx: Context) -> dict[str, Any]:
    return _find(ctx, partial=True)
