"""The sandbox API: shoppers, batches and their workflow states, item actions, Instacart
users and simulated callbacks (sandbox reference, section 1).

A batch's workflow state drives the status of its orders; ``completed`` shows on the
order as ``delivered`` (the testing center's "Order Complete").

Each move records the documented callbacks of the order's workflow (``spec.events``), and no
others: a status without a documented event changes silently. Where the docs give no trigger,
the sandbox's choices (SANDBOX.md, "Callbacks"):

- delivering: Order location (at the store) after Delivering; completing a delivering order:
  Order location (at the customer), then Arrival at customer (last mile), Delivered, and
  Rating reminder (unless the order was already rated).
- last mile: At store ETA (with ``bag_label``) once the driver acknowledged it.
- a pickup order's runner batch: Pickup runner started when it is generated, Pickup Geofence
  reached at ``at_store`` (Late pickup before it when the pickup window has ended), Customer
  acknowledged at ``bags_verified``, Delivered and Rating reminder at ``completed``.
- Customer missing, Unable to find customer and Runner not found only on request
  (:func:`simulate_event`, the sandbox's ``simulate_event``; not an API of Instacart's).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from ...spec.common import order_statuses
from ...spec.events import (
    ARRIVAL_AT_CUSTOMER,
    AT_STORE_ETA,
    CUSTOMER_ACKNOWLEDGED,
    CUSTOMER_MISSING,
    ITEM_REFUNDED,
    ITEM_REPLACED,
    LATE_PICKUP,
    ORDER_LOCATION,
    PICKUP_GEOFENCE_REACHED,
    PICKUP_RUNNER_STARTED,
    RATING_REMINDER,
    RUNNER_NOT_FOUND,
    UNABLE_TO_FIND_CUSTOMER,
    applies,
    event_type,
    order_event,
)
from ...spec.sandbox import BATCH_STATES
from ..errors import bad_request, not_found
from ..oauth import digest
from ._registry import Context, handles
from .common import iso, product_of, record_event, render_line, set_status
from .post_checkout import route, stable_number

SEQUENCES: dict[str, tuple[str, ...]] = BATCH_STATES  # the spec's, by batch type
BATCH_FOR_KIND = {
    "delivery": "delivery",
    "pickup": "pickup",
    "last_mile": "delivery_only",
    "dispatch": "delivery_only",
}
# the order status each batch needs before it can start
READY = {
    "delivery": order_statuses("brand_new"),
    "pickup": order_statuses("brand_new"),
    "runner_customer": order_statuses("staged"),
    "delivery_only": order_statuses("brand_new", "staged_for_delivery"),
}
PICKING = order_statuses("acknowledged", "picking", "verifying_replacements")
FIRST_SHOPPER_ID = 21_850_710
FIRST_BATCH_ID = 1
FIRST_INSTACART_USER_ID = 940_626_754
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
AT_STORE_ETA_MINUTES = 15  # a driver who acknowledged a last-mile order is this far away
#: Documented events that no simulated step triggers: sent on request (:func:`simulate_event`).
ON_REQUEST = (CUSTOMER_MISSING, UNABLE_TO_FIND_CUSTOMER, RUNNER_NOT_FOUND)


def _order_status(batch_type: str, state: str) -> str | None:
    """The order status a batch state shows, or None when the order keeps its own."""
    if state == "completed":
        return "delivered"
    if state == "brand_new":
        return None
    return state


def _shopper(ctx: Context, shopper_id: int) -> dict[str, Any]:
    shopper = ctx.state.get("shopper", shopper_id)
    if shopper is None:
        raise bad_request("Shopper not found", "shopper_id")
    return shopper


@handles("create_shopper")
def create_shopper(ctx: Context) -> dict[str, Any]:
    body = ctx.body
    if body.email is not None and not EMAIL.match(body.email):
        raise bad_request("Invalid email", "email")
    phone = None
    if body.phone is not None:
        phone = re.sub(r"[\s().+-]", "", body.phone)
        if not phone.isdigit() or not 10 <= len(phone) <= 15:
            raise bad_request("Invalid phone number", "phone")
        if ctx.state.find("shopper", phone=phone):
            raise bad_request("An account already exists with this number", "phone")
    shopper_id = ctx.state.next_id("shopper", FIRST_SHOPPER_ID)
    ctx.state.put("shopper", shopper_id, {"id": shopper_id, "email": body.email, "phone": phone})
    return {"id": shopper_id}


def _stamp(moment: datetime) -> str:
    """A time as the callbacks give it: ISO 8601, UTC, ``Z``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _bag_label(order: dict[str, Any]) -> str:
    """The retailer's bag label, else a stable one of the sandbox's."""
    return order.get("bag_label") or f"IC-{stable_number(order['id'], 6) % 10_000:04d}"


def _checkout_line(line: dict[str, Any]) -> dict[str, Any]:
    """An OrderItem as the Checkout callback sends it: the line, what was asked for and what
    was delivered (a replacement's ids; none for a refunded line)."""
    shopper = line.get("shopper", {})
    requested = line["item"]
    delivered: dict[str, Any] | None = requested
    if shopper.get("status") == "replaced" and shopper.get("replacement_item"):
        delivered = shopper["replacement_item"]
    elif shopper.get("status") == "to_refund":
        delivered = None
    return {
        **render_line(line),
        "requested_item_rrc": requested.get("rrc"),
        "requested_item_upc": requested.get("upc"),
        "delivered_item_rrc": delivered.get("rrc") if delivered else None,
        "delivered_item_upc": delivered.get("upc") if delivered else None,
    }


def _located(ctx: Context, order: dict[str, Any], arrived: bool, batch_id: int) -> None:
    """An Order location callback: at the store as the drive starts, at the customer's."""
    start, end = route(ctx, order)
    where = end if arrived else start
    coordinates = {k: round(where[k], 6) for k in ("latitude", "longitude")}
    record_event(ctx, order, ORDER_LOCATION, coordinates=coordinates, batch_id=batch_id)


def _late(ctx: Context, order: dict[str, Any]) -> bool:
    ends = order.get("window_ends_at")
    return isinstance(ends, str) and ctx.instance.now() > datetime.fromisoformat(ends)


def _move_order(
    ctx: Context, batch: dict[str, Any], order: dict[str, Any], state: str, new: bool
) -> None:
    """Move one order of a batch to the batch's ``state``, with the callbacks of that step."""
    batch_id = batch["id"]
    runner = batch["batch_type"] == "runner_customer"
    status = _order_status(batch["batch_type"], state)
    if runner and new:
        record_event(ctx, order, PICKUP_RUNNER_STARTED, batch_id=batch_id)
    if status is None:
        return
    if runner and state == "at_store" and _late(ctx, order):
        record_event(ctx, order, LATE_PICKUP, batch_id=batch_id)
    if status == "delivered":
        if order["status"] == "delivering":
            _located(ctx, order, True, batch_id)
            record_event(ctx, order, ARRIVAL_AT_CUSTOMER, batch_id=batch_id)
        order["delivered_at"] = iso(ctx.instance.now())
        order.setdefault("bag_count", max(1, len(order.get("items", [])) // 4))
    fields: dict[str, Any] = {"batch_id": batch_id}
    if status == "checkout":  # the Checkout callback's documented items
        fields["items"] = [_checkout_line(x) for x in order["items"] if not x.get("deleted")]
    set_status(ctx, order, status, **fields)  # at_store, bags_verified: last mile only
    if status == "delivering":
        _located(ctx, order, False, batch_id)
    elif status == "acknowledged_for_delivery":
        eta = ctx.instance.now() + timedelta(minutes=AT_STORE_ETA_MINUTES)
        record_event(
            ctx,
            order,
            AT_STORE_ETA,
            bag_label=_bag_label(order),
            eta=_stamp(eta),
            batch_id=batch_id,
        )
    elif runner and status == "at_store":
        record_event(ctx, order, PICKUP_GEOFENCE_REACHED, batch_id=batch_id)
    elif runner and status == "bags_verified":
        record_event(ctx, order, CUSTOMER_ACKNOWLEDGED, batch_id=batch_id)
    elif status == "delivered" and not order.get("feedback"):  # not rated yet (Order Feedback)
        record_event(ctx, order, RATING_REMINDER)


def _move(ctx: Context, batch: dict[str, Any], state: str, *, new: bool = False) -> None:
    batch["workflow_state"] = state
    for order_id in batch["order_ids"]:
        order = ctx.state.get("order", order_id)
        if order is None or order["status"] == "canceled":
            continue
        _move_order(ctx, batch, order, state, new)
        ctx.state.put("order", order_id, order)
    ctx.state.put("batch", batch["id"], batch)


def simulate_event(ctx: Context, order: dict[str, Any], name: str) -> dict[str, Any]:
    """Record one of the documented events that no simulated step triggers (:data:`ON_REQUEST`)
    for an order of a workflow the docs give it; ValueError otherwise."""
    event = event_type(name)  # ValueError for an undocumented name
    if name not in ON_REQUEST:
        allowed = ", ".join(ON_REQUEST)
        raise ValueError(f"{name} is sent by the sandbox's own steps; on request: {allowed}")
    if not applies(name, order.get("kind")):
        workflows = ", ".join(sorted(event.workflows))
        raise ValueError(f"{name} is not sent for {order.get('kind')} orders (only {workflows})")
    recorded = record_event(ctx, order, name)
    assert recorded is not None
    return recorded


@handles("generate_batch")
def generate_batch(ctx: Context) -> dict[str, Any]:
    body = ctx.body
    shopper = _shopper(ctx, body.shopper_id)
    orders = []
    for i, ref in enumerate(body.orders):
        order = ctx.state.get("order", ref.id)
        if order is None or (ref.user_id is not None and order["user_id"] != ref.user_id):
            raise bad_request("Order not found", f"orders[{i}]")
        orders.append(order)
    batch_type = body.batch_type or BATCH_FOR_KIND[orders[0]["kind"]]
    for i, order in enumerate(orders):
        kind_fits = BATCH_FOR_KIND[order["kind"]] == batch_type or (
            batch_type == "runner_customer" and order["kind"] == "pickup"
        )
        if not kind_fits or order["status"] not in READY[batch_type]:
            raise bad_request("Orders unbatchable", f"orders[{i}]")
    sequence = SEQUENCES[batch_type]
    first = "brand_new" if batch_type == "runner_customer" else sequence[1]
    state = body.workflow_state or first
    if state not in sequence:
        raise bad_request(f"is not a state of a {batch_type} batch", "workflow_state")
    batch = {
        "id": ctx.state.next_id("batch", FIRST_BATCH_ID),
        "shopper_id": shopper["id"],
        "batch_type": batch_type,
        "order_ids": [o["id"] for o in orders],
        "workflow_state": state,
    }
    _move(ctx, batch, state, new=True)
    return {"id": batch["id"], "workflow_state": state}


@handles("advance_batch")
def advance_batch(ctx: Context) -> dict[str, Any]:
    batch = ctx.state.get("batch", ctx.params["batch_id"])
    if batch is None:
        raise not_found("Resource not found", "batch_id")
    sequence = SEQUENCES[batch["batch_type"]]
    here = sequence.index(batch["workflow_state"])
    target = ctx.body.workflow_state or ctx.body.status
    if target is None:
        if here == len(sequence) - 1:
            raise bad_request(f"The batch is already {batch['workflow_state']}", "batch_id")
        target = sequence[here + 1]
    elif target not in sequence:
        raise bad_request(f"is not a state of a {batch['batch_type']} batch", "workflow_state")
    elif sequence.index(target) <= here:
        raise bad_request(f"The batch is already past {target}", "workflow_state")
    _move(ctx, batch, target)
    return {"id": batch["id"], "workflow_state": target}


def _picking_order(ctx: Context) -> dict[str, Any]:
    _shopper(ctx, ctx.params["shopper_id"])
    order = ctx.state.get("order", ctx.params["order_id"])
    if order is None:
        raise not_found("Resource not found", "order_id")
    if order["status"] not in PICKING:
        raise bad_request("Items can only change while the order is being picked", "order_id")
    return order


@handles("create_shopper_order_item")
def create_shopper_order_item(ctx: Context) -> dict[str, Any]:
    order = _picking_order(ctx)
    body = ctx.body
    product = product_of(body.item)
    if product is None:
        raise bad_request("Item not found", "item")
    numbers = [int(line["line_num"]) for line in order["items"] if line["line_num"].isdigit()]
    shopper: dict[str, Any] = {"status": "found"}
    line: dict[str, Any] = {
        "line_num": str(max(numbers, default=0) + 1),
        "item": {"upc": product.upc, "rrc": product.rrc},
        "count": body.delivered_count if body.delivered_count is not None else 1,
        "added_by_shopper": True,
        "shopper": shopper,
    }
    if body.delivered_weight is not None:
        line["weight"] = body.delivered_weight
        shopper["delivered_weight"] = body.delivered_weight
    if body.delivered_count is not None:
        shopper["delivered_count"] = body.delivered_count
    order["items"].append(line)
    ctx.state.put("order", order["id"], order)
    return {"success": True}


@handles("update_shopper_order_item")
def update_shopper_order_item(ctx: Context) -> dict[str, Any]:
    order = _picking_order(ctx)
    body = ctx.body
    line = next(
        (
            x
            for x in order["items"]
            if x["line_num"] == ctx.params["line_num"] and not x.get("deleted")
        ),
        None,
    )
    if line is None:
        raise not_found("Resource not found", "line_num")
    shopper = line.setdefault("shopper", {})
    if body.status is not None:
        shopper["status"] = body.status
    if body.replacement_item is not None:
        replacement = product_of(body.replacement_item)
        if replacement is None:
            raise bad_request("Item not found", "replacement_item")
        shopper["replacement_item"] = {"upc": replacement.upc, "rrc": replacement.rrc}
    if body.status == "to_refund":
        shopper["delivered_count"] = 0
    if body.delivered_count is not None:
        shopper["delivered_count"] = body.delivered_count
    if body.delivered_weight is not None:
        shopper["delivered_weight"] = body.delivered_weight
    if body.scans is not None:
        shopper["scans"] = [s.model_dump() for s in body.scans]
    ctx.state.put("order", order["id"], order)
    if body.status == "replaced":
        record_event(
            ctx,
            order,
            ITEM_REPLACED,
            line_num=line["line_num"],
            replacement_item=shopper["replacement_item"],
        )
    elif body.status == "to_refund":
        record_event(ctx, order, ITEM_REFUNDED, line_num=line["line_num"])
    return {"success": True}


@handles("simulate_order_callback")
def simulate_order_callback(ctx: Context) -> dict[str, Any]:
    order = ctx.state.get("order", ctx.params["order_id"])
    if order is None:  # this endpoint's documented 404 (not the Fulfillment "Order not found")
        raise not_found("Resource not found", "order_id")
    event = ctx.body.event_name
    if event == "canceled":
        if order["status"] not in ("delivered", "canceled"):
            order["cancellation_reason"] = "instacart_driven"
            set_status(ctx, order, "canceled", cancellation_reason="instacart_driven")
            ctx.state.put("order", order["id"], order)
    else:  # rescheduled and late_delivery only send their callback (late_delivery: not pickup)
        record_event(ctx, order, order_event(event))
    return {"success": True}


@handles("create_instacart_user")
def create_instacart_user(ctx: Context) -> dict[str, Any]:
    body = ctx.body
    if not EMAIL.match(body.email):
        raise bad_request("Invalid email", "email")
    if ctx.state.find("instacart_user", email=body.email.lower()):
        raise bad_request("An account already exists with this email", "email")
    user_id = ctx.state.next_id("instacart_user", FIRST_INSTACART_USER_ID)
    # the deprecated alias is read from the dump: attribute access would warn in the server
    member = bool(body.instacartplus_member or body.model_dump()["express_member"])
    ctx.state.put(
        "instacart_user",
        user_id,
        {
            "id": user_id,
            "email": body.email.lower(),
            "phone": body.phone,
            "password_sha256": hashlib.sha256(body.password.encode()).hexdigest(),
            "instacartplus_member": member,
        },
    )
    return {"id": user_id}


@handles("authorize_instacart_user")
def authorize_instacart_user(ctx: Context) -> dict[str, Any]:
    body = ctx.body
    if ctx.state.get("instacart_user", ctx.params["user_id"]) is None:
        raise bad_request("Invalid user_id", "user_id")
    if "account_linking" not in body.scope.replace(",", " ").split():
        raise bad_request("must include account_linking", "scope")
    code = secrets.token_urlsafe(32)
    expires = ctx.instance.now() + timedelta(minutes=10)
    ctx.state.put(
        "auth_code",
        digest(code),
        {
            "instacart_user_id": ctx.params["user_id"],
            "redirect_uri": body.redirect_uri,
            "expires_at": expires.timestamp(),
        },
    )
    return {"code": code}
