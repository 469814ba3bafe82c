"""The Post-checkout API: the customer's view of an order after checkout (reference section 3).

Every operation needs a user-assertion token; it sees only the orders of its user. What the
reference leaves unconfirmed is the sandbox's choice, listed in SANDBOX.md ("Post-checkout").
The customer's side of things (chat messages, replacement decisions, vehicle, arrival) lives
in a ``post_checkout`` document per order, so the Fulfillment order documents stay as they are.

This module owns the caller's order and that document, and answers for the order, its handling,
its location, its items and their replacements; :mod:`.post_checkout_chat` answers for the chat
and the order's messages, :mod:`.post_checkout_pickup` for pickup.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from ...spec.validation import dotted, message
from .. import seed
from ..errors import ApiError, MultipleErrors, bad_request, not_found, one_or_many
from ._registry import Context, body_errors, handles
from .common import iso, product_of

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
DELIVERY_MINUTES = 30  # the simulated drive from the store to the customer
SHOPPER_NAMES = ("Alex", "Sam", "Jordan", "Maria", "Wei", "Priya", "Luis", "Fatima")


def stable_number(text: str, digits: int = 12) -> int:
    """A stable integer for a string id (internal order ids, customer and shopper ids)."""
    return int(hashlib.sha256(text.encode()).hexdigest()[:digits], 16)


# the caller and the order ------------------------------------------------------------------


def own_order(ctx: Context) -> dict[str, Any]:
    """The caller's order: a user token's own order, or the documented errors."""
    if ctx.grant is None or ctx.grant.user_id is None:
        raise ApiError(400, "User ID not found", 4001)
    order = ctx.state.get("order", ctx.params["order_id"])
    if order is None or order.get("user_id") != ctx.grant.user_id:
        raise not_found()
    return order


def customer_doc(ctx: Context, order: dict[str, Any]) -> dict[str, Any]:
    """The order's ``post_checkout`` document (a new one if the customer has done nothing yet)."""
    return ctx.state.get("post_checkout", order["id"]) or {"order_id": order["id"]}


def save_doc(ctx: Context, doc: dict[str, Any]) -> None:
    """Store the order's ``post_checkout`` document."""
    ctx.state.put("post_checkout", doc["order_id"], doc)


def workflow_state(order: dict[str, Any], doc: dict[str, Any] | None = None) -> str:
    """The order's status as the customer sees it (a staged pickup order waits for the user)."""
    status = WORKFLOW.get(order["status"], order["status"])
    if order["kind"] == "pickup" and status == "staged":
        return "user_at_store" if doc and doc.get("arrived_at") else "ready_for_pickup"
    return status


def reached(order: dict[str, Any], status: str) -> str | None:
    """When the order first reached ``status``, or None."""
    return next((h["at"] for h in order.get("history", []) if h["status"] == status), None)


# orders ------------------------------------------------------------------------------------


@handles("get_post_checkout_order")
def get_post_checkout_order(ctx: Context) -> dict[str, Any]:
    order = own_order(ctx)
    answer = {
        "id": order["id"],
        "created_at": order.get("created_at"),
        "workflow_state": workflow_state(order, customer_doc(ctx, order)),
        "fulfillment_type": FULFILLMENT_TYPE.get(order["kind"], order["kind"]),
        "window_starts_at": order.get("window_starts_at"),
        "window_ends_at": order.get("window_ends_at"),
    }
    if order["kind"] == "pickup":
        answer["pickup_category"] = "curbside"
    return answer


def order_store(ctx: Context, order: dict[str, Any]) -> seed.StoreSeed | None:
    """The store the order is fulfilled from, if this instance knows it."""
    code = order.get("store_location")
    return next((s for s in seed.stores_for(ctx.instance.name) if s.location_code == code), None)


def _destination(ctx: Context, order: dict[str, Any]) -> tuple[dict[str, Any], dict[str, float]]:
    """The address and coordinates the order goes to (the store, for pickup)."""
    address = order.get("address")
    store = order_store(ctx, order)
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


def shopper_name(order: dict[str, Any]) -> str:
    return SHOPPER_NAMES[stable_number(order["id"], 4) % len(SHOPPER_NAMES)]


@handles("get_order_handling")
def get_order_handling(ctx: Context) -> dict[str, Any]:
    order = own_order(ctx)
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
        answer["shopper"] = {"first_name": shopper_name(order)}
    return answer


def route(ctx: Context, order: dict[str, Any]) -> tuple[dict[str, float], dict[str, float]]:
    """Where the order's drive starts (its store) and ends (its destination) (also what the
    Order location callbacks report)."""
    _, end = _destination(ctx, order)
    store = order_store(ctx, order)
    start = {"latitude": store.latitude, "longitude": store.longitude} if store else end
    return start, end


@handles("get_order_location")
def get_order_location(ctx: Context) -> dict[str, Any]:
    order = own_order(ctx)
    if order["status"] != "delivering":
        return {}
    start, end = route(ctx, order)
    since = reached(order, "delivering")
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
    order = own_order(ctx)
    doc = customer_doc(ctx, order)
    lines = [line for line in order.get("items", []) if not line.get("deleted")]
    return {"line_items": [line_item(doc, line) for line in lines]}


@body_errors("handle_item_replacement")
def replacement_body_errors(exc: ValidationError) -> ApiError:
    """A refused replacement decision in the words of its page's error table: without a
    ``status``, the multiple-errors form (9999 "There were issues with your request"); a
    ``status`` not in the list "is not included in the list"; ``alternative_item``'s checks as
    written there ("must include exactly one of rrc or upc", key ``alternative_item``)."""
    errors, status_missing = [], False
    for error in exc.errors(include_url=False, include_input=False):
        key = dotted(error["loc"])
        if key == "status" and error["type"] == "missing":
            status_missing = True
            errors.append(bad_request(message(error), key))
        elif key == "status":
            errors.append(bad_request("is not included in the list", key))
        elif key == "alternative_item" and error["type"] == "value_error":
            errors.append(bad_request(error["msg"].removeprefix("Value error, "), key))
        else:
            errors.append(bad_request(message(error), key))
    return MultipleErrors(errors) if status_missing else one_or_many(errors)


@handles("handle_item_replacement")
def handle_item_replacement(ctx: Context) -> dict[str, Any]:
    order = own_order(ctx)
    item_id = ctx.params["order_item_id"]
    line = next(
        (x for x in order.get("items", []) if x["line_num"] == item_id and not x.get("deleted")),
        None,
    )
    if line is None:
        raise not_found(f"Order item {item_id} not found")
    doc = customer_doc(ctx, order)
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
    save_doc(ctx, doc)
    return {}
