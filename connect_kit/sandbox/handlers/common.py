"""What the handlers share: users, stores, catalog checks, order documents and events."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from ...spec.common import Address, ItemRef, OrderItem
from ...spec.events import BRAND_NEW, STATUS_EVENT, applies
from .. import seed
from ..errors import ApiError, bad_request, not_found, one_or_many
from ._registry import Context
from .catalog import catalog_product

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


# stores and banners ----------------------------------------------------------------------

RETAILER_HEADER = "X-Retailer-Id"


def banner_of(store: seed.StoreSeed) -> str:
    """The slug of a store's banner, as ``X-Retailer-Id`` names it: the part of the store's
    name before " - ", lower case, accents dropped ("Marché Beaulieu" -> "marche-beaulieu")."""
    return _slug(store.name.split(" - ", 1)[0])


@lru_cache(maxsize=256)
def _slug(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")


def retailer_id(ctx: Context) -> str | None:
    """The banner a request speaks for (its ``X-Retailer-Id``), or None for every banner; a
    banner that none of the instance's stores has is a 400."""
    value = ctx.header(RETAILER_HEADER)
    if value is None:
        return None
    value = value.strip()
    if value not in {banner_of(s) for s in seed.stores_for(ctx.instance.name)}:
        raise bad_request("Invalid retailer id", RETAILER_HEADER)
    return value


def store_or_error(ctx: Context, location_code: str, key: str = "location_code") -> seed.StoreSeed:
    """A store of the instance (of the request's banner, when it names one)."""
    banner = retailer_id(ctx)
    for store in seed.stores_for(ctx.instance.name):
        if store.location_code == location_code and banner in (None, banner_of(store)):
            return store
    raise bad_request("Store not found", key)


def stores_near(
    ctx: Context, latitude: float, longitude: float, *, pickup: bool = False
) -> tuple[tuple[float, seed.StoreSeed], ...]:
    """Eligible stores nearest first: pickup stores, or stores that deliver there (of the
    request's banner, when it names one)."""
    return _stores_near(ctx.instance.name, latitude, longitude, pickup, retailer_id(ctx))


@lru_cache(maxsize=4096)  # the stores never change: the same place gets the same answer
def _stores_near(
    env: str, latitude: float, longitude: float, pickup: bool, banner: str | None = None
) -> tuple[tuple[float, seed.StoreSeed], ...]:
    found = []
    for store in seed.stores_for(env):
        if banner is not None and banner_of(store) != banner:
            continue
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


def product_of(
    ref: ItemRef | dict[str, Any], store: seed.StoreSeed | None = None
) -> seed.Product | None:
    """A seed product, or one sent to this instance through the Catalog API; with ``store``,
    only if that store has it on sale (:func:`.catalog.catalog_product`)."""
    if isinstance(ref, dict):
        return catalog_product(ref.get("upc"), ref.get("rrc"), store)
    return catalog_product(ref.upc, ref.rrc, store)


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
        product = product_of(line.item, store)
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


@lru_cache(maxsize=512)
def alcohol_allowed(postal_code: str) -> bool:
    """Whether alcohol may be delivered to a postal code. The sandbox's rule, from its seed: a
    place where at least one store (of any instance) sells alcohol allows it; a place whose
    stores sell none (Evanston 60201, most of Toronto and Vancouver) does not. Unknown postal
    codes are not judged here."""
    code = seed.normalize_postal_code(postal_code)
    if seed.place(code) is None:
        return True
    return any(store.alcohol for store in seed.STORES if store.postal_code == code)


INVALID_ZIP_FOR_ALCOHOL = "Invalid zip code for alcohol"


# An item's stock at a store, in units (or pounds for weighed items): a line asking for more
# is only partly available, which the order and the pickup slot listing warn about.
IN_STOCK = 24
PARTLY_AVAILABLE = "Some items are only partially available"
WARNING_CODE = 2000  # the item errors' code (2000, "Invalid items")


def stock_warnings(lines: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ``warnings`` of a cart or an order: ``{error: {message, error_code}, meta: {items}}``
    (delivery/get_order), one for the lines asking for more than the store has."""
    short = []
    for line in lines:
        wanted = line.get("count") if line.get("count") is not None else line.get("weight")
        if wanted is not None and wanted > IN_STOCK:
            item = {k: v for k, v in line["item"].items() if v is not None}
            short.append({"line_num": line["line_num"], "item": item, "available": IN_STOCK})
    if not short:
        return []
    error = {"message": PARTLY_AVAILABLE, "error_code": WARNING_CODE}
    return [{"error": error, "meta": {"items": short}}]


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
    banner = retailer_id(ctx)
    if banner is not None and order_banner(ctx, order) != banner:  # another banner's order
        raise not_found("Order not found", "order_id")
    return order


def order_banner(ctx: Context, order: dict[str, Any]) -> str | None:
    """The banner of the store an order is fulfilled from."""
    code = order.get("store_location")
    store = next((s for s in seed.stores_for(ctx.instance.name) if s.location_code == code), None)
    return banner_of(store) if store is not None else None


def require_status(order: dict[str, Any], allowed: Iterable[str], action: str) -> None:
    if order["status"] not in allowed:
        raise bad_request(
            f"Order can no longer be {action} (status is {order['status']})", "order_id"
        )


def set_status(ctx: Context, order: dict[str, Any], status: str, **metadata: Any) -> None:
    """Move an order to ``status``, remember when, and record the status's documented callback
    event (none for a status the docs give no event: see ``spec.events.STATUS_EVENT``)."""
    order["status"] = status
    order.setdefault("history", []).append({"status": status, "at": iso(ctx.instance.now())})
    name = STATUS_EVENT[status]
    if name is not None:
        record_event(ctx, order, name, **metadata)


def record_event(ctx: Context, order: dict[str, Any], name: str, **metadata: Any) -> dict | None:
    """Store an order event the way Instacart would send it as a callback (Brand new with its
    ``delivery_window``). ``name`` is a documented event (``spec.events``, else ValueError); one
    that the docs do not give the order's workflow is not recorded (None)."""
    if not applies(name, order.get("kind")):
        return None
    if name == BRAND_NEW and "window_starts_at" in order:
        window = {"start_at": order["window_starts_at"], "end_at": order.get("window_ends_at")}
        metadata = {"delivery_window": window, **metadata}
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
        live = [line for line in order["items"] if not line.get("deleted")]
        if warnings := stock_warnings(live):
            answer["warnings"] = warnings
        answer["items"] = [render_line(line) for line in live]
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


# Locales (connect/api/localization): each country's supported ones, its default first.
COUNTRY_LOCALES = {"US": ("en-US",), "CA": ("en-CA", "fr-CA")}


def country_of(store: seed.StoreSeed | None) -> str:
    place = seed.place(store.postal_code) if store is not None else None
    return place.country if place is not None else "US"


def preferred_locale(ctx: Context, country: str) -> str | None:
    """The supported locale of ``country`` that the request's ``Accept-Language`` prefers
    (RFC 7231 weights; a bare or other-country language tag matches the country's locale of
    that language, ``*`` its default), or None when it names none of them."""
    header = ctx.header("Accept-Language")
    if not header:
        return None
    supported = COUNTRY_LOCALES.get(country, COUNTRY_LOCALES["US"])
    ranked = []
    for i, part in enumerate(header.split(",")):
        tag, *params = (piece.strip() for piece in part.split(";"))
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if tag and weight > 0:
            ranked.append((-weight, i, tag.lower()))
    for _, _, tag in sorted(ranked):
        if tag == "*":
            return supported[0]
        exact = [loc for loc in supported if loc.lower() == tag]
        same_language = [loc for loc in supported if loc.split("-")[0] == tag.split("-")[0]]
        if exact or same_language:
            return (exact or same_language)[0]
    return None


def order_locale(
    ctx: Context, explicit: str | None, store: seed.StoreSeed | None, user: dict | None = None
) -> str:
    """An order's locale (POSIX): the request's ``locale``, else the user's, else the one
    ``Accept-Language`` prefers, else the default of the store's country."""
    country = country_of(store)
    chosen = (
        explicit
        or (user or {}).get("locale")
        or preferred_locale(ctx, country)
        or COUNTRY_LOCALES.get(country, COUNTRY_LOCALES["US"])[0]
    )
    return posix_locale(chosen)
