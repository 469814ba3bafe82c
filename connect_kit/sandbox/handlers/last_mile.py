"""Last-mile and dispatch last-mile orders (pre-packed by the retailer; Instacart drives)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from .. import seed
from ..errors import bad_request, not_found
from ._registry import Context, handles
from .common import (
    INVALID_ZIP_FOR_ALCOHOL,
    alcohol_allowed,
    order_locale,
    order_or_error,
    render,
    require_status,
    save,
    set_status,
    store_or_error,
    user_or_error,
)
from .orders import new_order, spend_hold
from .service_options import DAYS, LAST_START_HOUR, OPEN_HOUR

PARCEL = ("items_count", "bags_count", "items_weight", "cart_total", "alcoholic", "bag_label")
LAST_MILE = ("last_mile", "dispatch")
_Moment = TypeVar("_Moment", datetime, datetime | None)  # _local keeps a None a None


def _parcel(order: dict[str, Any], body: Any) -> None:
    for name in (*PARCEL, "special_instructions", "leave_unattended"):
        value = getattr(body, name, None)
        if value is not None:
            order[name] = value
    if getattr(body, "initial_tip_cents", None) is not None:
        order["tip_cents"] = body.initial_tip_cents
    if order.get("bags_count") is not None:
        order["bag_count"] = order["bags_count"]


def _ensure_user(ctx: Context, user_id: str, body: Any) -> dict[str, Any]:
    """Last-mile orders carry the customer's name and phone: the user is made if new."""
    user = ctx.state.get("user", user_id)
    if user is None:
        user = {
            "user_id": user_id,
            "first_name": getattr(body, "first_name", None),
            "last_name": getattr(body, "last_name", None),
            "phone_number": getattr(body, "user_phone", None),
            "active": True,
            "addresses": [],
        }
        ctx.state.put("user", user_id, user)
    return user


def _store(ctx: Context, location_code: str):
    store = store_or_error(ctx, location_code)
    if store.pickup_only:
        raise bad_request("This store does not offer last-mile delivery", "location_code")
    return store


def _local(moment: _Moment, store: Any) -> _Moment:
    """A time given without an offset is the store's local time."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=ZoneInfo(store.time_zone))


@handles("create_last_mile_order")
@handles("lastmile_create_order")
def create_last_mile_order(ctx: Context) -> dict[str, Any]:
    body = ctx.body
    store = _store(ctx, body.location_code)
    order_id = body.order_id or str(uuid.uuid4())
    if ctx.state.get("order", order_id) is not None:
        raise bad_request("Order with this order_id already exists", "order_id")
    user_id = ctx.params["user_id"]
    option = spend_hold(ctx, body.service_option_hold_id, user_id, "last_mile", body.location_code)
    user = _ensure_user(ctx, user_id, body)  # only once the order will be made
    order = new_order(ctx, "last_mile", order_id, user, option)
    order["locale"] = order_locale(ctx, body.locale, store, user)
    if body.address is not None:
        order["address"] = body.address.model_dump(exclude_none=True)
    _parcel(order, body)
    set_status(ctx, order, "brand_new")
    return save(ctx, order)


def _window_inside(start: datetime | None, end: datetime | None, option: dict) -> bool:
    lo, hi = datetime.fromisoformat(option["start_at"]), datetime.fromisoformat(option["end_at"])
    return all(t is None or lo <= t <= hi for t in (start, end))


@handles("update_last_mile_order")
def update_last_mile_order(ctx: Context) -> dict[str, Any]:
    body = ctx.body
    user_or_error(ctx)
    order = order_or_error(ctx, kinds=("last_mile",))
    require_status(order, ("brand_new",), "updated")
    if body.service_option_id is not None:  # no reservation needed: copy from a fresh listing
        option = ctx.state.get("service_option", body.service_option_id)
        if option is None or option["kind"] != "last_mile":
            raise bad_request("Service option not found", "service_option_id")
        if option["location_code"] != order["store_location"]:  # the store cannot change
            raise bad_request("The time slot is for another store", "service_option_id")
        store = store_or_error(ctx, option["location_code"])
        start, end = _local(body.start_at, store), _local(body.end_at, store)
        if not _window_inside(start, end, option):
            raise bad_request("start_at and end_at must lie inside the time slot", "start_at")
        order.update(
            service_option_id=option["id"],
            window_starts_at=(start.isoformat() if start else option["start_at"]),
            window_ends_at=(end.isoformat() if end else option["end_at"]),
        )
    elif body.start_at is not None or body.end_at is not None:
        raise bad_request(
            "A new window needs the service_option_id it lies in", "service_option_id"
        )
    _parcel(order, body)
    _check_alcohol_address(order, "alcoholic")
    return save(ctx, order)


def _stage(ctx: Context, order: dict[str, Any]) -> dict[str, Any]:
    require_status(order, ("brand_new", "staged_for_delivery"), "staged")
    _parcel(order, ctx.body)
    if getattr(ctx.body, "bag_scan_codes", None) is not None:
        order["bag_scan_codes"] = ctx.body.bag_scan_codes
    if order["status"] != "staged_for_delivery":
        set_status(ctx, order, "staged_for_delivery")
    return save(ctx, order)


@handles("stage_order")
def stage_order(ctx: Context) -> dict[str, Any]:
    """last_mile/stage_order: "This endpoint works only with last mile delivery orders"."""
    user_or_error(ctx)
    order = order_or_error(ctx)
    if order["kind"] == "dispatch":  # staged with stage_dispatch_order
        raise bad_request("This endpoint works only with last mile delivery orders", "order_id")
    if order["kind"] not in LAST_MILE:
        raise bad_request("Only last-mile orders can be staged", "order_id")
    return _stage(ctx, order)


@handles("stage_dispatch_order")
def stage_dispatch_order(ctx: Context) -> dict[str, Any]:
    """lastmile/stage_order_dispatch: "This endpoint works only with dispatch last mile
    delivery orders" (a delivery or pickup order is not found here at all)."""
    order = order_or_error(ctx, kinds=LAST_MILE)
    if order["kind"] != "dispatch":
        raise bad_request(
            "This endpoint works only with dispatch last mile delivery orders", "order_id"
        )
    return _stage(ctx, order)


# dispatch last mile --------------------------------------------------------------------


def _check_window(start: datetime, end: datetime | None) -> datetime:
    end = end or start + timedelta(hours=1)
    for moment, key in ((start, "start_at"), (end, "end_at")):
        if moment.minute or moment.second or moment.microsecond:
            raise bad_request("must be on the hour", key)
    if end - start < timedelta(hours=1):
        raise bad_request("The window must last at least an hour", "end_at")
    return end


# Dispatch windows follow the stores' delivery hours: those of the listed time slots (08:00 to
# 22:00 local time, today and the next two days).
CLOSE_HOUR = LAST_START_HOUR + 2
WINDOW_NOT_AVAILABLE = "Requested delivery window not available at this store"
STORE_CLOSED = "Store is currently closed for delivery"
NO_WINDOWS = "No delivery windows currently available"
NO_ALCOHOL = "Alcohol delivery not enabled for this store"


def _hours(day: datetime) -> tuple[datetime, datetime]:
    """When a store delivers on the (local) day of ``day``."""
    opens = day.replace(hour=OPEN_HOUR, minute=0, second=0, microsecond=0)
    return opens, opens.replace(hour=CLOSE_HOUR)


def _available(ctx: Context, store: seed.StoreSeed, start: datetime, end: datetime) -> bool:
    """Whether a dispatch window can be booked: not begun, within the store's hours of one
    day, and no later than the listings' last day."""
    zone = ZoneInfo(store.time_zone)
    now = ctx.instance.now().astimezone(zone)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    opens, closes = _hours(local_start)
    last_day = now.date() + timedelta(days=DAYS - 1)
    in_hours = opens <= local_start < local_end <= closes
    return start >= now and local_start.date() <= last_day and in_hours


def _soonest(ctx: Context, store: seed.StoreSeed, wanted: datetime) -> tuple[datetime, datetime]:
    """``fallback_to_soonest_sameday``: the soonest one-hour window on the wanted window's day
    (today, for a day gone by), or the documented errors when there is none."""
    zone = ZoneInfo(store.time_zone)
    now = ctx.instance.now().astimezone(zone)
    day = max(wanted.astimezone(zone), now)
    opens, closes = _hours(day)
    if day.date() == now.date():
        if now >= closes:  # the store's hours are over for today
            raise bad_request(STORE_CLOSED, "location_code")
        opens = max(opens, (now + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0))
    if opens + timedelta(hours=1) > closes or day.date() > now.date() + timedelta(days=DAYS - 1):
        raise bad_request(NO_WINDOWS, "start_at")
    return opens, opens + timedelta(hours=1)


def _valid_name(name: str) -> bool:
    """A person's name: letters, with spaces, hyphens, apostrophes or periods between them."""
    text = name.strip()
    return any(c.isalpha() for c in text) and all(c.isalpha() or c in " -'\u2019." for c in text)


def _check_address(address: Any, key: str = "address.postal_code") -> dict[str, Any]:
    if seed.place(address.postal_code) is None:
        raise bad_request("Address could not be validated", key)
    return address.model_dump(exclude_none=True)


def _check_alcohol_address(order: dict[str, Any], key: str) -> None:
    """An order with alcohol goes only where alcohol may be delivered (``alcohol_allowed``)."""
    address = order.get("address")
    if order.get("alcoholic") and address and not alcohol_allowed(address["postal_code"]):
        raise bad_request(INVALID_ZIP_FOR_ALCOHOL, key)


@handles("create_dispatch_order")
def create_dispatch_order(ctx: Context) -> dict[str, Any]:
    body = ctx.body
    store = _store(ctx, body.location_code)
    if ctx.state.get("order", body.order_id) is not None:
        raise bad_request("Order with this order_id already exists", "order_id")
    if not _valid_name(body.first_name):
        raise bad_request("Invalid first name", "first_name")
    if not _valid_name(body.last_name):
        raise bad_request("Invalid last name", "last_name")
    address = _check_address(body.address)
    if body.alcoholic and not store.alcohol:
        raise bad_request(NO_ALCOHOL, "alcoholic")
    if body.alcoholic and not alcohol_allowed(body.address.postal_code):
        raise bad_request(INVALID_ZIP_FOR_ALCOHOL, "address.postal_code")
    start = _local(body.start_at, store)
    end = _check_window(start, _local(body.end_at, store))
    if not _available(ctx, store, start, end):
        if not body.fallback_to_soonest_sameday:
            raise bad_request(WINDOW_NOT_AVAILABLE, "start_at")
        start, end = _soonest(ctx, store, start)
    user_id = body.user_id or f"dispatch-{body.order_id}"
    user = _ensure_user(ctx, user_id, body)
    option = {
        "id": None,
        "location_code": store.location_code,
        "start_at": start.isoformat(),
        "end_at": end.isoformat(),
    }
    order = new_order(ctx, "dispatch", body.order_id, user, option)
    order["locale"] = order_locale(ctx, body.locale, store, user)
    order["address"] = address
    for name in ("email", "first_name", "last_name", "user_phone"):
        if getattr(body, name) is not None:
            order[name] = getattr(body, name)
    _parcel(order, body)
    set_status(ctx, order, "brand_new")
    return save(ctx, order)


def _dispatch_order(ctx: Context, user_id: str | None) -> dict[str, Any]:
    order = order_or_error(ctx, kinds=("dispatch",))
    if user_id is not None and order["user_id"] != user_id:
        raise not_found("Order not found", "order_id")
    return order


@handles("get_dispatch_order")
def get_dispatch_order(ctx: Context) -> dict[str, Any]:
    return render(ctx, _dispatch_order(ctx, ctx.params["user_id"]))


@handles("update_dispatch_order")
def update_dispatch_order(ctx: Context) -> dict[str, Any]:
    body = ctx.body
    order = _dispatch_order(ctx, None)
    require_status(order, ("brand_new",), "updated")
    store = store_or_error(ctx, order["store_location"])
    if body.start_at is not None:
        start = _local(body.start_at, store)
        end = _check_window(start, _local(body.end_at, store))
        if not _available(ctx, store, start, end):
            raise bad_request(WINDOW_NOT_AVAILABLE, "start_at")
        order.update(window_starts_at=start.isoformat(), window_ends_at=end.isoformat())
    if body.address is not None:
        order["address"] = _check_address(body.address)
    _parcel(order, body)
    if body.alcoholic and not store.alcohol:
        raise bad_request(NO_ALCOHOL, "alcoholic")
    _check_alcohol_address(order, "address.postal_code" if body.address else "alcoholic")
    return save(ctx, order)


@handles("cancel_dispatch_order")
def cancel_dispatch_order(ctx: Context) -> dict[str, Any]:
    order = _dispatch_order(ctx, ctx.body.user_id)
    require_status(order, ("brand_new",), "canceled")
    order["cancellation_reason"] = "retailer_driven"
    set_status(ctx, order, "canceled", cancellation_reason="retailer_driven")
    return save(ctx, order)
