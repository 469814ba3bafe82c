"""Delivery and pickup orders: create, read, update, tip, replacements, cancel; validate items.

Reference 4.6-4.9 and the per-state rules of 5.3.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ...spec.events import TIP_ADJUSTMENT
from ..errors import ApiError, bad_request, one_or_many
from ._registry import Context, handles
from .common import (
    INVALID_ZIP_FOR_ALCOHOL,
    alcohol_allowed,
    check_age,
    check_items,
    item_line,
    order_banner,
    order_locale,
    order_or_error,
    product_of,
    record_event,
    render,
    require_status,
    retailer_id,
    save,
    set_status,
    store_for_address,
    store_or_error,
    user_or_error,
)
from .service_options import hold_for_order

EDITABLE = ("brand_new",)
SELECTABLE = ("brand_new", "acknowledged", "picking")


def new_order(ctx: Context, kind: str, order_id: str, user: dict[str, Any], option: dict) -> dict:
    if ctx.state.get("order", order_id) is not None:
        raise bad_request("Order with this order_id already exists", "order_id")
    return {
        "id": order_id,
        "user_id": user["user_id"],
        "kind": kind,
        "status": "brand_new",
        "created_at": ctx.instance.now().isoformat(),
        "service_option_id": option["id"],
        "store_location": option["location_code"],
        "window_starts_at": option["start_at"],
        "window_ends_at": option["end_at"],
        "is_instacartplus": False,
        "items": [],
        "history": [],
    }


def spend_hold(
    ctx: Context, hold_id: int, user_id: str, kind: str, location_code: str
) -> dict[str, Any]:
    """The slot a hold books (see ``hold_for_order``); a hold for another store is refused,
    and the refused call leaves the hold as it was."""
    before = ctx.state.get("hold", hold_id)
    option = hold_for_order(ctx, hold_id, user_id, kind)
    if option["location_code"] != location_code:
        assert before is not None  # hold_for_order found the hold
        ctx.state.put("hold", hold_id, before)
        raise bad_request("The hold is for another store", "service_option_hold_id")
    return option


def _alcohol_deliverable(postal_code: str, key: str) -> None:
    """Alcohol goes only where its postal code allows it (``alcohol_allowed``)."""
    if not alcohol_allowed(postal_code):
        raise bad_request(INVALID_ZIP_FOR_ALCOHOL, key)


def _phone(user: dict[str, Any], body: Any) -> None:
    if not user.get("phone_number") and not (body.user and body.user.phone_number):
        raise bad_request("can't be blank", "user.phone_number")


def _create(ctx: Context, kind: str) -> dict[str, Any]:
    body = ctx.body
    user = user_or_error(ctx)
    if not user.get("active", True):
        raise ApiError(403, "User Not Active", None)
    if kind == "delivery":
        store = store_for_address(ctx, body.address, body.location_code)
    else:
        store = store_or_error(ctx, body.location_code)
        if not store.pickup:
            raise bad_request("This store does not offer pickup", "location_code")
    products = check_items(body.items, store=store, delivery=kind == "delivery")
    check_age(body.user.birthday if body.user else None, products, ctx.instance.now().date())
    if kind == "delivery" and any(p.alcohol for p in products):
        _alcohol_deliverable(body.address.postal_code, "address.postal_code")
    _phone(user, body)
    if ctx.state.get("order", body.order_id) is not None:
        raise bad_request("Order with this order_id already exists", "order_id")
    if kind == "pickup":  # the customer picks the order up at the store they asked for
        option = spend_hold(
            ctx, body.service_option_hold_id, user["user_id"], kind, store.location_code
        )
    else:  # location_code is only the preferred store of a delivery
        option = hold_for_order(ctx, body.service_option_hold_id, user["user_id"], kind)
    order = new_order(ctx, kind, body.order_id, user, option)
    order.update(
        locale=order_locale(ctx, body.locale, store, user),
        items=[item_line(line) for line in body.items],
        special_instructions=body.special_instructions,
        loyalty_number=body.loyalty_number,
        paid_with_ebt=bool(body.paid_with_ebt),
        is_instacartplus=bool(body.applied_instacartplus),
        hold_id=body.service_option_hold_id,
    )
    if kind == "delivery":
        order.update(
            address=body.address.model_dump(exclude_none=True),
            tip_cents=body.initial_tip_cents or 0,
            leave_unattended=bool(body.leave_unattended) and not any(p.alcohol for p in products),
        )
    if body.user:
        order["user"] = body.user.model_dump(mode="json", exclude_none=True)
    set_status(ctx, order, "brand_new")
    return save(ctx, order)


@handles("create_delivery_order")
def create_delivery_order(ctx: Context) -> dict[str, Any]:
    return _create(ctx, "delivery")


@handles("create_pickup_order")
def create_pickup_order(ctx: Context) -> dict[str, Any]:
    return _create(ctx, "pickup")


@handles("get_order")
def get_order(ctx: Context) -> dict[str, Any]:
    user_or_error(ctx)
    return render(ctx, order_or_error(ctx))


@handles("list_orders")
def list_orders(ctx: Context) -> dict[str, Any]:
    user = user_or_error(ctx)
    orders = ctx.state.find("order", user_id=user["user_id"])
    banner = retailer_id(ctx)
    if banner is not None:  # X-Retailer-Id: that banner's orders only
        orders = [o for o in orders if order_banner(ctx, o) == banner]
    orders.sort(key=lambda o: o["created_at"])
    return {"orders": [render(ctx, o) for o in orders]}


@handles("update_order")
def update_order(ctx: Context) -> dict[str, Any]:
    """Full-items update: lines are matched by line_num; omitted lines are removed."""
    body = ctx.body
    user = user_or_error(ctx)
    order = order_or_error(ctx, kinds=("delivery", "pickup"))
    require_status(order, EDITABLE, "updated")
    store = store_or_error(ctx, order["store_location"]) if order.get("store_location") else None
    products = check_items(body.items, store=store, delivery=order["kind"] == "delivery")
    lines = {line["line_num"]: line for line in order["items"]}
    errors = []
    for i, line in enumerate(body.items):
        old = lines.get(line.line_num)
        new_item = item_line(line)["item"]
        if old is not None and old["item"] != new_item:
            errors.append(bad_request("item can't change on an existing line", f"items[{i}].item"))
        if old is None and any(other["item"] == new_item for other in order["items"]):
            # an item already on the order keeps its line_num
            errors.append(bad_request("Duplicate items were provided", f"items[{i}].item"))
    if errors:
        raise one_or_many(errors)
    birthday = body.user.birthday if body.user and body.user.birthday else None
    if birthday is None and order.get("user", {}).get("birthday"):
        birthday = date.fromisoformat(order["user"]["birthday"])
    check_age(birthday, products, ctx.instance.now().date())
    if order["kind"] == "delivery" and order.get("address"):  # alcohol added: is it allowed?
        alcohol = [i for i, product in enumerate(products) if product.alcohol]  # one a line
        if alcohol:
            _alcohol_deliverable(order["address"]["postal_code"], f"items[{alcohol[0]}].item")
    wanted = {line.line_num for line in body.items}
    for line in order["items"]:  # omitted lines are removed (and restored if sent again)
        line["deleted"] = line["line_num"] not in wanted
    for line in body.items:
        fresh = item_line(line)
        if line.line_num in lines:
            kept = lines[line.line_num]
            for field in (
                "count",
                "weight",
                "special_instructions",
                "replacement_policy",
                "replacement_items",
            ):
                kept.pop(field, None)
            kept.update({k: v for k, v in fresh.items() if k != "item"})
        else:
            order["items"].append(fresh)
    if any(p.alcohol for p in products):
        order["leave_unattended"] = False  # adding alcohol turns it off, for good
    if body.service_option_hold_id is not None:  # reschedule: list -> reserve -> update
        option = spend_hold(  # the store cannot change
            ctx,
            body.service_option_hold_id,
            user["user_id"],
            order["kind"],
            order["store_location"],
        )
        order.update(
            service_option_id=option["id"],
            window_starts_at=option["start_at"],
            window_ends_at=option["end_at"],
        )
    order["tip_cents"] = body.initial_tip_cents
    if body.special_instructions is not None:
        order["special_instructions"] = body.special_instructions
    if body.user:
        order["user"] = {
            **order.get("user", {}),
            **body.user.model_dump(mode="json", exclude_none=True),
        }
    return save(ctx, order)


@handles("update_tip")
def update_tip(ctx: Context) -> dict[str, Any]:
    user_or_error(ctx)
    order = order_or_error(ctx)
    require_status(order, ("delivered",), "tipped until it is delivered")
    order["tip_cents"] = ctx.body.tip_amount_cents
    # Tip adjustment: delivery and last mile only (record_event skips pickup)
    record_event(ctx, order, TIP_ADJUSTMENT, tip_amount_cents=order["tip_cents"])
    return save(ctx, order)


@handles("set_replacement_selections")
def set_replacement_selections(ctx: Context) -> dict[str, Any]:
    user_or_error(ctx)
    order = order_or_error(ctx, kinds=("delivery", "pickup"))
    require_status(order, SELECTABLE, "given replacement selections")
    lines = {line["line_num"]: line for line in order["items"] if not line.get("deleted")}
    unknown = [s.line_num for s in ctx.body.selections if s.line_num not in lines]
    if unknown:
        raise bad_request(f"Unknown line_num: {', '.join(unknown)}", "selections")
    errors = [
        bad_request("Invalid items", f"selections[{i}].replacement_items[{j}]")
        for i, s in enumerate(ctx.body.selections)
        for j, ref in enumerate(s.replacement_items or ())
        if product_of(ref) is None
    ]
    if errors:
        raise one_or_many(errors)
    for selection in ctx.body.selections:  # idempotent: overwrites earlier choices
        line = lines[selection.line_num]
        line["replacement_items"] = [
            r.model_dump(exclude_none=True) for r in selection.replacement_items or ()
        ]
        line["replacement_policy"] = "users_choice"
        line["selection"] = selection.model_dump(exclude_none=True)
    return save(ctx, order)


@handles("cancel_order")
def cancel_order(ctx: Context) -> dict[str, Any]:
    user_or_error(ctx)
    order = order_or_error(ctx)
    require_status(order, EDITABLE, "canceled")
    order["cancellation_reason"] = "retailer_driven"
    set_status(ctx, order, "canceled", cancellation_reason="retailer_driven")
    return save(ctx, order)


def _failed_check(item: Any, product: Any, store: Any) -> tuple[str, int] | None:
    """The (message, code) of the check an item to validate fails, or None: the item is in
    the catalog (of the store, which may not sell alcohol), with count or weight as its
    product is sold (those two in create order's words)."""
    if product is None:
        return "Item not found in the catalog", 2000
    if store is not None and product.alcohol and not store.alcohol:
        return "This store does not sell alcohol", 2000
    if product.unit == "each" and item.count is None:
        return "count is required for this item", 1001
    if product.unit == "lb" and item.weight is None and item.count is None:
        return "weight is required for this item", 1001
    return None


@handles("validate_items")
def validate_items(ctx: Context) -> dict[str, Any]:
    body = ctx.body
    if body.location_code is not None:
        store = store_or_error(ctx, body.location_code)
    elif body.address is not None:
        store = store_for_address(ctx, body.address)
    else:
        store = None
    failures = []
    for item in body.items:
        failure = _failed_check(item, product_of(item.item), store)
        if failure is not None:
            message, code = failure
            entry = {
                "line_num": item.line_num,
                "item": item.item.model_dump(exclude_none=True),
                "error": {"message": message, "error_code": code},
            }
            failures.append({k: v for k, v in entry.items() if v is not None})
    return {"validation_failures": failures}
