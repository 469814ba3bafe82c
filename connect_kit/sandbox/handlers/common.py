"""What the handlers share: users, stores, catalog checks, order documents and events."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from ...spec.common import Address, ItemRef, OrderItem
from ...spec.events import order_event
from .. import seed
from ..errors import ApiError, bad_request, not_found, one_or_many
from ._registry import Context

DELIVERY_RADIUS_KM = 30.0
LONG_DISTANCE_RADIUS_KM = 60.0
MAX_DELIVERY_UNITS = 250
FIRST_EVENT_ID = 1201895966044343904


def iso(moment: datetime) -> str:
    return moment.isoformat()


# users ----------------------------------------------------------------------------------


def user_or_error(ctx: Context, user_id: str | None = None) -> dict[str, Any]:
    user_id = user_id if user_id is not None else ctx.params["user_id"]
    user = ctx.state.get("user", user_id)
    if user is None:
        raise bad_request("User Not Found", "user_id")
    return user


def active_user(ctx: Context) -> dict[str, Any]:
    user = user_or_error(ctx)
    if not user.get("active", True):
        raise ApiError(403, "User Not Active", None)
    return user


# stores ---------------------------------------------------------------------------------


def store_or_error(ctx: Context, location_code: str, key: str = "location_code") -> seed.StoreSeed:
    for store in seed.stores_for(ctx.instance.name):
        if store.location_code == location_code:
            return store
    raise bad_request("Store not found", key)


def stores_near(
    ctx: Context, latitude: float, longitude: float, *, pickup: bool = False
) -> tuple[tuple[float, seed.StoreSeed], ...]:
    """Eligible stores nearest first: pickup stores, or stores that deliver there."""
    return _stores_near(ctx.instance.name, latitude, longitude, pickup)


@lru_cache(maxsize=4096)  # the stores never change: the same place gets the same answer
def _stores_near(
    env: str, latitude: float, longitude: float, pickup: bool
) -> tuple[tuple[float, seed.StoreSeed], ...]:
    found = []
    for store in seed.stores_for(env):
        if pickup and not store.pickup:
            continue
        if not pickup and store.pickup_only:
            continue
        km = seed.distance_km(latitude, longitude, store.latitude, store.longitude)
        radius = LONG_DISTANCE_RADIUS_KM if store.long_distance_delivery else DELIVERY_RADIUS_KM
        if km <= radius:
            found.append((km, store))
    found.sort(key=lambda pair: (pair[0], pair[1].location_code))
    return tuple(found)


def store_for_address(
    ctx: Context, address: Address, location_code: str | None = None, key: str = "address"
) -> seed.StoreSeed:
    """The store that serves an address: the one asked for, else the nearest that delivers."""
    if location_code is not None:
        return store_or_error(ctx, location_code)
    place = seed.place(address.postal_code)
    nearby = stores_near(ctx, place.latitude, place.longitude) if place else []
    if not nearby:
        raise bad_request("No store delivers to this address", f"{key}.postal_code")
    return nearby[0][1]


# catalog --------------------------------------------------------------------------------


def product_of(ref: ItemRef | dict[str, Any]) -> seed.Product | None:
    if isinstance(ref, dict):
        return seed.product(upc=ref.get("upc"), rrc=ref.get("rrc"))
    return seed.product(upc=ref.upc, rrc=ref.rrc)


def check_items(
    items: Sequence[OrderItem],
    *,
    invalid_code: int = 1001,
    store: seed.StoreSeed | None = None,
    delivery: bool = False,
    duplicates: bool = True,
) -> list[seed.Product]:
    """The products of a cart, or the API's errors for everything wrong with it."""
    errors: list[ApiError] = []
    products: list[seed.Product] = []
    seen_lines: set[str] = set()
    seen_products: set[str] = set()
    for i, line in enumerate(items):
        key = f"items[{i}]"
        if line.line_num in seen_lines:
            errors.append(bad_request("Duplicate line_num", f"{key}.line_num"))
        seen_lines.add(line.line_num)
        product = product_of(line.item)
        if product is None:
            errors.append(bad_request("Invalid items", f"{key}.item", invalid_code))
            continue
        products.append(product)
        if duplicates and product.upc in seen_products:
            errors.append(bad_request("Duplicate items were provided", f"{key}.item"))
        seen_products.add(product.upc)
        if product.unit == "each" and line.count is None:
            errors.append(bad_request("count is required for this item", f"{key}.count"))
        if product.unit == "lb" and line.weight is None and line.count is None:
            errors.append(bad_request("weight is required for this item", f"{key}.weight"))
        if delivery and not product.deliverable:
            errors.append(bad_request("Some items are not deliverable", key))
        if store is not None and product.alcohol and not store.alcohol:
            errors.append(bad_request("This store does not sell alcohol", f"{key}.item"))
        for j, ref in enumerate(line.replacement_items or ()):
            if product_of(ref) is None:
                errors.append(
                    bad_request("Invalid items", f"{key}.replacement_items[{j}]", invalid_code)
                )
    if delivery:
        units = sum(line.count or 0 for line in items if line.weight is None)
        if units > MAX_DELIVERY_UNITS:
            errors.append(
                bad_request(f"Too many items: at most {MAX_DELIVERY_UNITS} units", "items")
            )
    if errors:
        raise one_or_many(errors)
    return products


def check_age(birthday: date | None, products: Iterable[seed.Product], today: date) -> None:
    if not any(p.alcohol for p in products):
        return
    if birthday is None:
        raise bad_request("Birthday is required to buy alcohol", "user.birthday")
    age = today.year - birthday.year - ((today.month, today.day) < (birthday.month, birthday.day))
    if age < 21:
        raise bad_request("User must be 21 or older to buy alcohol", "user.birthday")


def item_line(line: OrderItem) -> dict[str, Any]:
    product = product_of(line.item)
    assert product is not None
    data = line.model_dump(exclude_none=True)
    data["item"] = {"upc": product.upc, "rrc": product.rrc}
    if line.replacement_items:
        data["replacement_items"] = [
            r.model_dump(exclude_none=True) for r in line.replacement_items
        ]
    return data


# orders ---------------------------------------------------------------------------------


def order_or_error(ctx: Context, order_id: str | None = None, kinds: Iterable[str] = ()) -> dict:
    order_id = order_id if order_id is not None else ctx.params["order_id"]
    order = ctx.state.get("order", order_id)
    user_id = ctx.params.get("user_id")
    if order is None or (user_id is not None and order["user_id"] != user_id):
        raise not_found("Order not found", "order_id")
    if kinds and order["kind"] not in kinds:
        raise not_found("Order not found", "order_id")
    return order


def require_status(order: dict[str, Any], allowed: Iterable[str], action: str) -> None:
    if order["status"] not in allowed:
        raise bad_request(
            f"Order can no longer be {action} (status is {order['status']})", "order_id"
        )


def set_status(ctx: Context, order: dict[str, Any], status: str, **metadata: Any) -> None:
    """Move an order to ``status``, remember when, and record the callback event."""
    order["status"] = status
    order.setdefault("history", []).append({"status": status, "at": iso(ctx.instance.now())})
    record_event(ctx, order, order_event(status), **metadata)


def record_event(ctx: Context, order: dict[str, Any], name: str, **metadata: Any) -> dict:
    """Store an order event the way Instacart would send it as a callback."""
    event_id = ctx.state.next_id("event", FIRST_EVENT_ID)
    event = {
        "event_id": event_id,
        "event_name": name,
        "event_timestamp": ctx.instance.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "event_metadata": {"order_id": order["id"], "user_id": order["user_id"], **metadata},
    }
    ctx.state.put("event", f"{event_id:020d}", event)
    ctx.instance.deliver(event)  # sent as a callback when configured (sandbox/delivery.py)
    return event


def save(ctx: Context, order: dict[str, Any]) -> dict[str, Any]:
    ctx.state.put("order", order["id"], order)
    return render(ctx, order)


def render(ctx: Context, order: dict[str, Any]) -> dict[str, Any]:
    """The order as the API shows it (reference 3.9)."""
    answer: dict[str, Any] = {
        "id": order["id"],
        "status": order["status"],
        "order_url": None,
        "created_at": order["created_at"],
        "locale": order.get("locale", "en_US"),
        "is_express": order.get("is_instacartplus", False),
        "is_instacartplus": order.get("is_instacartplus", False),
        "pos_payment_method": "UNSPECIFIED",
        "fulfillment_details": {
            "store_location": order.get("store_location"),
            "window_starts_at": order["window_starts_at"],
            "window_ends_at": order["window_ends_at"],
        },
    }
    details = answer["fulfillment_details"]
    if order.get("delivered_at"):
        details["delivered_at"] = order["delivered_at"]
    if order.get("bag_count") is not None:
        details["bag_count"] = order["bag_count"]
    if order.get("cancellation_reason"):
        answer["cancellation_reason"] = order["cancellation_reason"]
    if order.get("metadata"):
        answer["metadata"] = order["metadata"]
    if order["kind"] in ("delivery", "pickup"):
        answer["items"] = [render_line(line) for line in order["items"] if not line.get("deleted")]
    return answer


def render_line(line: dict[str, Any]) -> dict[str, Any]:
    product = product_of(line["item"])
    shopper = line.get("shopper", {})
    delivered = product
    if shopper.get("status") == "replaced" and shopper.get("replacement_item"):
        delivered = product_of(shopper["replacement_item"]) or product
    qty = line.get("weight") if line.get("count") is None else line.get("count")
    if "delivered_count" in shopper:
        qty = shopper["delivered_count"]
    elif "delivered_weight" in shopper:
        qty = shopper["delivered_weight"]
    return {
        "line_num": line["line_num"],
        "qty": qty,
        "qty_unit": product.unit if product else "each",
        "replaced": shopper.get("status") == "replaced",
        "scan_code": delivered.scan_code if delivered else None,
        "replacement_policy": line.get("replacement_policy")
        or ("users_choice" if line.get("replacement_items") else "shoppers_choice"),
        "item": dict(line["item"]),
    }


def posix_locale(locale: str | None) -> str:
    return (locale or "en-US").replace("-", "_")
