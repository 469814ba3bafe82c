"""Post-checkout pickup: where and how to pick the order up, the customer's vehicle, arrival
and pickup time. Pickup orders only. See :mod:`.post_checkout`.
"""

from __future__ import annotations

from typing import Any

from ..errors import ApiError, bad_request
from ._registry import Context, handles
from .common import iso
from .post_checkout import customer_doc, order_store, own_order, save_doc, stable_number

COLOR_HEX = {
    "black": "#000000",
    "blue": "#1F4E9E",
    "brown": "#6B4423",
    "gray": "#808080",
    "green": "#2E7D32",
    "yellow": "#F5D327",
    "orange": "#F57C00",
    "red": "#C62828",
    "silver": "#E8E8E8",
    "white": "#FFFFFF",
}
NOT_PICKUP = "Pickup unavailable for non-pickup orders"
NOT_STAGED = {"order_delivery_id": "Order delivery is not staged."}
FIRST_VEHICLE_ID = 1


def _pickup_order(ctx: Context) -> dict[str, Any]:
    order = own_order(ctx)
    if order["kind"] != "pickup":
        raise ApiError(400, NOT_PICKUP, 4001)
    return order


@handles("get_pickup_details")
def get_pickup_details(ctx: Context) -> dict[str, Any]:
    order = _pickup_order(ctx)
    store = order_store(ctx, order)
    name = store.name if store else "the store"
    instructions: list[dict[str, Any]] = [
        {
            "category": "curbside",
            "instruction": f"Park in a pickup spot at {name} and tap 'I have arrived'.",
        },
        {
            "category": "in_store",
            "instruction": f"Go to the pickup counter at the front of {name}.",
        },
    ]
    if stable_number(order.get("store_location") or "", 4) % 2 == 0:  # half the stores have lockers
        instructions.append(
            {
                "category": "locker",
                "instruction": "Scan the code in your app at the lockers by the entrance.",
                "instruction_images": [
                    {"url": "https://example.com/pickup/locker.png", "value": "The lockers"}
                ],
            }
        )
    return {"pickup_instructions": instructions}


def _no_delegate(is_pickup_delegate: bool | None) -> None:
    if is_pickup_delegate:
        raise bad_request("No pickup delegate is attached to the order", "is_pickup_delegate")


@handles("set_vehicle_info")
def set_vehicle_info(ctx: Context) -> dict[str, Any]:
    order = _pickup_order(ctx)
    body = ctx.body
    _no_delegate(body.is_pickup_delegate)
    doc = customer_doc(ctx, order)
    vehicle = doc.get("vehicle_info") or {"id": ctx.state.next_id("vehicle", FIRST_VEHICLE_ID)}
    for field in ("model", "vehicle_type", "license_plate", "color"):
        value = getattr(body, field)
        if value is not None:
            vehicle[field] = value
    if vehicle.get("color"):
        vehicle["color_hex"] = COLOR_HEX[vehicle["color"]]
    doc["vehicle_info"] = vehicle
    save_doc(ctx, doc)
    return {"vehicle_info": vehicle}


@handles("get_vehicle_info")
def get_vehicle_info(ctx: Context) -> dict[str, Any]:
    order = _pickup_order(ctx)
    vehicle = customer_doc(ctx, order).get("vehicle_info")
    return {"vehicle_info": vehicle} if vehicle else {}


def _staged(order: dict[str, Any]) -> None:
    if order["status"] != "staged":
        raise ApiError(400, "Params error", 2001, meta=NOT_STAGED)


@handles("record_user_arrival")
def record_user_arrival(ctx: Context) -> dict[str, Any]:
    order = _pickup_order(ctx)
    _no_delegate(ctx.body.is_pickup_delegate)
    _staged(order)
    doc = customer_doc(ctx, order)
    doc["arrived_at"] = iso(ctx.instance.now())
    save_doc(ctx, doc)
    return {"success": True}


@handles("schedule_pickup")
def schedule_pickup(ctx: Context) -> dict[str, Any]:
    order = _pickup_order(ctx)
    _staged(order)
    doc = customer_doc(ctx, order)
    doc["schedule_pickup_eta"] = ctx.body.schedule_pickup_eta.isoformat()
    save_doc(ctx, doc)
    return {"success": True}
