"""The Post-checkout API: the customer's view of an order after checkout (reference section 3).

Every operation needs a user-assertion token; it sees only the orders of its user. What the
reference leaves unconfirmed is the sandbox's choice, listed in SANDBOX.md ("Post-checkout").
The customer's side of things (chat messages, replacement decisions, vehicle, arrival) lives
in a ``post_checkout`` document per order, so the Fulfillment order documents stay as they are.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from .. import seed
from ..errors import ApiError, bad_request, not_found
from . import Context, handles
from .common import iso, product_of, record_event

# order status -> workflow_state (pickup orders: staged is ready_for_pickup)
WORKFLOW = {"completed": "delivered"}
FULFILLMENT_TYPE = {
    "delivery": "delivery",
    "pickup": "pickup",
    "last_mile": "last_mile_delivery",
    "dispatch": "last_mile_delivery",
}
ITEM_STATUS = {
    "not_found": "NOT_PICKED",
    "found": "FOUND",
    "replaced": "REPLACED",
    "to_refund": "TO_REFUND",
}
CHAT_CLOSED = ("delivered", "canceled")
CHAT_KEPT = timedelta(hours=24)  # messages stay readable this long after the order ends
DELIVERY_MINUTES = 30  # the simulated drive from the store to the customer
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
SHOPPER_NAMES = ("Alex", "Sam", "Jordan", "Maria", "Wei", "Priya", "Luis", "Fatima")
LIFECYCLE_TEXT = {
    "brand_new": "We received your order.",
    "acknowledged": "A shopper accepted your order.",
    "picking": "Your shopper started shopping your order.",
    "verifying_replacements": "Your shopper is checking replacements with you.",
    "checkout": "Your shopper is checking out.",
    "receipt_sanity_check": "Your shopper is checking the receipt.",
    "bags_check": "Your order is being bagged.",
    "ready_for_pickup": "Your order is ready for pickup.",
    "staged": "Your order is staged.",
    "delivering": "Your order is on its way.",
    "delivered": "Your order was delivered.",
    "canceled": "Your order was canceled.",
}
NOT_PICKUP = "Pickup unavailable for non-pickup orders"
NOT_STAGED = {"order_delivery_id": "Order delivery is not staged."}
FIRST_MESSAGE_ID = 1
FIRST_VEHICLE_ID = 1


def _number(text: str, digits: int = 12) -> int:
    """A stable integer for a string id (internal order ids, customer and shopper ids)."""
    return int(hashlib.sha256(text.encode()).hexdigest()[:digits], 16)


# the caller and the order ------------------------------------------------------------------


def _order(ctx: Context) -> dict[str, Any]:
    """The caller's order: a user token's own order, or the documented errors."""
    if ctx.grant is None or ctx.grant.user_id is None:
        raise ApiError(400, "User ID not found", 4001)
    order = ctx.state.get("order", ctx.params["order_id"])
    if order is None or order.get("user_id") != ctx.grant.user_id:
        raise not_found()
    return order


def _pickup_order(ctx: Context) -> dict[str, Any]:
    order = _order(ctx)
    if order["kind"] != "pickup":
        raise ApiError(400, NOT_PICKUP, 4001)
    return order


def _doc(ctx: Context, order: dict[str, Any]) -> dict[str, Any]:
    return ctx.state.get("post_checkout", order["id"]) or {"order_id": order["id"]}


def _save(ctx: Context, doc: dict[str, Any]) -> None:
    ctx.state.put("post_checkout", doc["order_id"], doc)


def workflow_state(order: dict[str, Any], doc: dict[str, Any] | None = None) -> str:
    status = WORKFLOW.get(order["status"], order["status"])
    if order["kind"] == "pickup" and status == "staged":
        return "user_at_store" if doc and doc.get("arrived_at") else "ready_for_pickup"
    return status


def _reached(order: dict[str, Any], status: str) -> str | None:
    """When the order first reached ``status``, or None."""
    return next((h["at"] for h in order.get("history", []) if h["status"] == status), None)


def _expired(ctx: Context, order: dict[str, Any]) -> bool:
    if order["status"] not in CHAT_CLOSED:
        return False
    ended = _reached(order, order["status"])
    return ended is not None and ctx.instance.now() - datetime.fromisoformat(ended) > CHAT_KEPT


# orders ------------------------------------------------------------------------------------


@handles("get_post_checkout_order")
def get_post_checkout_order(ctx: Context) -> dict[str, Any]:
    order = _order(ctx)
    answer = {
        "id": order["id"],
        "created_at": order.get("created_at"),
        "workflow_state": workflow_state(order, _doc(ctx, order)),
        "fulfillment_type": FULFILLMENT_TYPE.get(order["kind"], order["kind"]),
        "window_starts_at": order.get("window_starts_at"),
        "window_ends_at": order.get("window_ends_at"),
    }
    if order["kind"] == "pickup":
        answer["pickup_category"] = "curbside"
    return answer


def _store(ctx: Context, order: dict[str, Any]) -> seed.StoreSeed | None:
    code = order.get("store_location")
    return next((s for s in seed.stores_for(ctx.instance.name) if s.location_code == code), None)


def _destination(ctx: Context, order: dict[str, Any]) -> tuple[dict[str, Any], dict[str, float]]:
    """The address and coordinates the order goes to (the store, for pickup)."""
    address = order.get("address")
    store = _store(ctx, order)
    if address:
        place = seed.place(address["postal_code"])
        answer = {
            "address_line_1": address["address_line_1"],
            "address_line_2": address.get("address_line_2"),
            "locality": address.get("city") or (place.city if place else None),
            "administrative_area": place.region if place else None,
            "postal_code": address["postal_code"],
            "country_code": place.country if place else "US",
        }
        if place is not None:
            return answer, {"latitude": place.latitude, "longitude": place.longitude}
        if store is not None:
            return answer, {"latitude": store.latitude, "longitude": store.longitude}
        return answer, {"latitude": 0.0, "longitude": 0.0}
    if store is not None:
        place = seed.place(store.postal_code)
        return {
            "address_line_1": store.name,
            "locality": store.city,
            "administrative_area": place.region if place else None,
            "postal_code": store.postal_code,
            "country_code": place.country if place else "US",
        }, {"latitude": store.latitude, "longitude": store.longitude}
    return {"address_line_1": "Unknown", "postal_code": "00000", "country_code": "US"}, {
        "latitude": 0.0,
        "longitude": 0.0,
    }


def _shopper_name(order: dict[str, Any]) -> str:
    return SHOPPER_NAMES[_number(order["id"], 4) % len(SHOPPER_NAMES)]


@handles("get_order_handling")
def get_order_handling(ctx: Context) -> dict[str, Any]:
    order = _order(ctx)
    address, coordinates = _destination(ctx, order)
    products = [product_of(line["item"]) for line in order.get("items", [])]
    answer: dict[str, Any] = {
        "address": {k: v for k, v in address.items() if v is not None},
        "coordinates": coordinates,
        "instructions": order.get("special_instructions") or "",
        "leave_unattended": bool(order.get("leave_unattended", False)),
        "alcoholic": any(p is not None and p.alcohol for p in products),
        "certified_delivery": False,
    }
    if order["status"] not in ("brand_new", "canceled"):
        answer["shopper"] = {"first_name": _shopper_name(order)}
    return answer


@handles("get_order_location")
def get_order_location(ctx: Context) -> dict[str, Any]:
    order = _order(ctx)
    if order["status"] != "delivering":
        return {}
    _, (end) = _destination(ctx, order)
    store = _store(ctx, order)
    start = {"latitude": store.latitude, "longitude": store.longitude} if store else end
    since = _reached(order, "delivering")
    minutes = (
        (ctx.instance.now() - datetime.fromisoformat(since)).total_seconds() / 60 if since else 0
    )
    done = min(1.0, max(0.0, minutes / DELIVERY_MINUTES))
    return {
        "coordinates": {
            k: round(start[k] + (end[k] - start[k]) * done, 6) for k in ("latitude", "longitude")
        }
    }


# items -------------------------------------------------------------------------------------


def _quantity(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value if value is not None else 1)


def _detail(ref: dict[str, Any], quantity: Any) -> dict[str, Any]:
    product = product_of(ref)
    return {
        "name": product.name if product else ref.get("upc") or ref.get("rrc") or "Item",
        "quantity": _quantity(quantity),
        "cost_unit": product.unit if product else "each",
    }


def _decision(doc: dict[str, Any], line: dict[str, Any]) -> dict[str, Any] | None:
    """The customer's answer to the replacement the line shows now (a new proposal resets it)."""
    decision = doc.get("decisions", {}).get(line["line_num"])
    shopper = line.get("shopper", {})
    if decision and decision["replacement_item"] == shopper.get("replacement_item"):
        return decision
    return None


def line_item(doc: dict[str, Any], line: dict[str, Any]) -> dict[str, Any]:
    shopper = line.get("shopper", {})
    ordered = line.get("weight") if line.get("count") is None else line.get("count")
    answer: dict[str, Any] = {
        "id": line["line_num"],
        "status": ITEM_STATUS.get(shopper.get("status", "not_found"), "NOT_PICKED"),
        "item": _detail(line["item"], ordered),
    }
    if shopper.get("status") == "replaced" and shopper.get("replacement_item"):
        delivered = shopper.get("delivered_count", shopper.get("delivered_weight", ordered))
        answer["replacement"] = _detail(shopper["replacement_item"], delivered)
        decision = _decision(doc, line)
        answer["replacement_status"] = decision["status"] if decision else "PENDING"
        if decision:
            answer["status"] = decision["status"]
    return answer


@handles("get_order_items")
def get_order_items(ctx: Context) -> dict[str, Any]:
    order = _order(ctx)
    doc = _doc(ctx, order)
    lines = [line for line in order.get("items", []) if not line.get("deleted")]
    return {"line_items": [line_item(doc, line) for line in lines]}


@handles("handle_item_replacement")
def handle_item_replacement(ctx: Context) -> dict[str, Any]:
    order = _order(ctx)
    item_id = ctx.params["order_item_id"]
    line = next(
        (x for x in order.get("items", []) if x["line_num"] == item_id and not x.get("deleted")),
        None,
    )
    if line is None:
        raise not_found(f"Order item {item_id} not found")
    doc = _doc(ctx, order)
    shopper = line.get("shopper", {})
    if shopper.get("status") != "replaced" or not shopper.get("replacement_item"):
        raise bad_request("Order item has no replacement to respond to", "order_item_id")
    if _decision(doc, line) is not None:
        raise bad_request("Order item change already responded to", "order_item_id")
    if order["status"] != "picking":
        raise bad_request(
            f"Replacements can only be answered while the order is picking "
            f"(it is {workflow_state(order, doc)})",
            "order_id",
        )
    body = ctx.body
    decision: dict[str, Any] = {
        "status": body.status,
        "replacement_item": shopper["replacement_item"],
        "at": iso(ctx.instance.now()),
    }
    if body.alternative_item is not None:
        alt = body.alternative_item
        product = product_of({"upc": alt.upc, "rrc": alt.rrc})
        if product is None:
            raise bad_request("Could not resolve alternative item to a valid product")
        decision["alternative_item"] = {
            "upc": product.upc,
            "rrc": product.rrc,
            **({"count": alt.count} if alt.count is not None else {"weight": alt.weight}),
        }
    doc.setdefault("decisions", {})[line["line_num"]] = decision
    _save(ctx, doc)
    return {}


# chat --------------------------------------------------------------------------------------


def _ids(order: dict[str, Any]) -> tuple[int, int, int]:
    """(internal order id, customer id, shopper id): stable integers for the string ids."""
    return (
        _number(f"order:{order['id']}"),
        _number(f"user:{order['user_id']}"),
        _number(f"shopper:{order['id']}", 7),
    )


def _chat(ctx: Context, order: dict[str, Any], doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The conversation; the shopper opens it when picking starts (the greeting is written
    the first time the chat is looked at after that)."""
    messages = doc.setdefault("messages", [])
    started = _reached(order, "picking")
    if started and not any(m["sender_type"] == "driver" for m in messages):
        messages.insert(
            0,
            {
                "id": ctx.state.next_id("chat_message", FIRST_MESSAGE_ID),
                "sender_type": "driver",
                "body": f"Hi, I'm {_shopper_name(order)}, I'm shopping your order now.",
                "created_at": started,
                "read": False,
            },
        )
        _save(ctx, doc)
    return messages


def _render_message(order: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
    internal, customer, shopper = _ids(order)
    from_user = message["sender_type"] == "user"
    return {
        "id": message["id"],
        "order_id": internal,
        "created_at": message["created_at"],
        "recipient_id": shopper if from_user else customer,
        "recipient_type": "driver" if from_user else "user",
        "sender_id": customer if from_user else shopper,
        "sender_type": message["sender_type"],
        "read": message["read"],
        "body": message["body"],
    }


def _chat_answer(ctx: Context, order: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    expired = _expired(ctx, order)
    messages = [] if expired else _chat(ctx, order, doc)
    return {
        "chat_messages": [_render_message(order, m) for m in messages],
        "metadata": {"is_expired": expired},
    }


@handles("get_chat_messages")
def get_chat_messages(ctx: Context) -> dict[str, Any]:
    order = _order(ctx)
    return _chat_answer(ctx, order, _doc(ctx, order))


@handles("send_chat_message")
def send_chat_message(ctx: Context) -> dict[str, Any]:
    order = _order(ctx)
    doc = _doc(ctx, order)
    if _reached(order, "picking") is None or order["status"] in CHAT_CLOSED:
        raise ApiError(403, "Sending a message is not allowed at this time", None)
    messages = _chat(ctx, order, doc)
    now = iso(ctx.instance.now())
    message = {
        "id": ctx.state.next_id("chat_message", FIRST_MESSAGE_ID),
        "sender_type": "user",
        "body": ctx.body.body,
        "created_at": now,
        "read": False,
    }
    messages.append(message)
    _save(ctx, doc)
    record_event(ctx, order, "chat_message_created", topic_id=str(_ids(order)[0]))
    return {"id": message["id"], "type": "CHAT", "created_at": now, "timezone": "UTC"}


@handles("mark_chat_messages_read")
def mark_chat_messages_read(ctx: Context) -> dict[str, Any]:
    order = _order(ctx)
    doc = _doc(ctx, order)
    count = 0
    for message in _chat(ctx, order, doc):
        if message["sender_type"] == "driver" and not message["read"]:
            message["read"] = True
            count += 1
    if count:
        _save(ctx, doc)
    return {"messages_read_count": count}


@handles("get_order_messages")
def get_order_messages(ctx: Context) -> dict[str, Any]:
    order = _order(ctx)
    doc = _doc(ctx, order)
    answer = _chat_answer(ctx, order, doc)
    lifecycle = []
    for i, step in enumerate(order.get("history", []), 1):
        state = workflow_state({**order, "status": step["status"]})
        lifecycle.append(
            {
                "id": f"{order['id']}-{i}",
                "workflow_state": state,
                "message": LIFECYCLE_TEXT.get(state, f"Your order is {state.replace('_', ' ')}."),
                "created_at": step["at"],
            }
        )
    answer["lifecycle_messages"] = [] if answer["metadata"]["is_expired"] else lifecycle
    return answer


# pickup ------------------------------------------------------------------------------------


@handles("get_pickup_details")
def get_pickup_details(ctx: Context) -> dict[str, Any]:
    order = _pickup_order(ctx)
    store = _store(ctx, order)
    name = store.name if store else "the store"
    instructions = [
        {
            "category": "curbside",
            "instruction": f"Park in a pickup spot at {name} and tap 'I have arrived'.",
        },
        {
            "category": "in_store",
            "instruction": f"Go to the pickup counter at the front of {name}.",
        },
    ]
    if _number(order.get("store_location") or "", 4) % 2 == 0:  # half the stores have lockers
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
    doc = _doc(ctx, order)
    vehicle = doc.get("vehicle_info") or {"id": ctx.state.next_id("vehicle", FIRST_VEHICLE_ID)}
    for field in ("model", "vehicle_type", "license_plate", "color"):
        value = getattr(body, field)
        if value is not None:
            vehicle[field] = value
    if vehicle.get("color"):
        vehicle["color_hex"] = COLOR_HEX[vehicle["color"]]
    doc["vehicle_info"] = vehicle
    _save(ctx, doc)
    return {"vehicle_info": vehicle}


@handles("get_vehicle_info")
def get_vehicle_info(ctx: Context) -> dict[str, Any]:
    order = _pickup_order(ctx)
    vehicle = _doc(ctx, order).get("vehicle_info")
    return {"vehicle_info": vehicle} if vehicle else {}


def _staged(order: dict[str, Any]) -> None:
    if order["status"] != "staged":
        raise ApiError(400, "Params error", 2001, meta=NOT_STAGED)


@handles("record_user_arrival")
def record_user_arrival(ctx: Context) -> dict[str, Any]:
    order = _pickup_order(ctx)
    _no_delegate(ctx.body.is_pickup_delegate)
    _staged(order)
    doc = _doc(ctx, order)
    doc["arrived_at"] = iso(ctx.instance.now())
    _save(ctx, doc)
    return {"success": True}


@handles("schedule_pickup")
def schedule_pickup(ctx: Context) -> dict[str, Any]:
    order = _pickup_order(ctx)
    _staged(order)
    doc = _doc(ctx, order)
    doc["schedule_pickup_eta"] = ctx.body.schedule_pickup_eta.isoformat()
    _save(ctx, doc)
    return {"success": True}
