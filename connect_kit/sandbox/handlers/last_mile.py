"""Last-mile and dispatch last-mile orders (pre-packed by the retailer; Instacart drives)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from ..errors import bad_request, not_found
from ._registry import Context, handles
from .common import (
    order_or_error,
    posix_locale,
    render,
    require_status,
    save,
    set_status,
    store_or_error,
    user_or_error,
)
from .orders import new_order, spend_hold

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
    _store(ctx, body.location_code)
    order_id = body.order_id or str(uuid.uuid4())
    if ctx.state.get("order", order_id) is not None:
        raise bad_request("Order with this order_id already exists", "order_id")
    user_id = ctx.params["user_id"]
    option = spend_hold(ctx, body.service_option_hold_id, user_id, "last_mile", body.location_code)
    user = _ensure_user(ctx, user_id, body)  # only once the order will be made
    order = new_order(ctx, "last_mile", order_id, user, option)
    order["locale"] = posix_locale(body.locale)
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
    return save(ctx, order)


def _stage(ctx: Context, order: dict[str, Any]) -> dict[str, Any]:
    if order["kind"] not in LAST_MILE:
        raise bad_request("Only last-mile orders can be staged", "order_id")
    require_status(order, ("brand_new", "staged_for_delivery"), "staged")
    _parcel(order, ctx.body)
    if ctx.body.bag_scan_codes is not None:
        order["bag_scan_codes"] = ctx.body.bag_scan_codes
    if order["status"] != "staged_for_delivery":
        set_status(ctx, order, "staged_for_delivery")
    return save(ctx, order)


@handles("stage_order")
def stage_order(ctx: Context) -> dict[str, Any]:
    user_or_error(ctx)
    return _stage(ctx, order_or_error(ctx))


@handles("lastmile_stage_order")
def lastmile_stage_order(ctx: Context) -> dict[str, Any]:
    return _stage(ctx, order_or_error(ctx, kinds=LAST_MILE))


# dispatch last mile --------------------------------------------------------------------


def _check_window(start: datetime, end: datetime | None) -> datetime:
    end = end or start + timedelta(hours=1)
    for moment, key in ((start, "start_at"), (end, "end_at")):
        if moment.minute or moment.second or moment.microsecond:
            raise bad_request("must be on the hour", key)
    if end - start < timedelta(hours=1):
        raise bad_request("The window must last at least an hour", "end_at")
    return end


@handles("create_dispatch_order")
def create_dispatch_order(ctx: Context) -> dict[str, Any]:
    body = ctx.body
    store = _store(ctx, body.location_code)
    if ctx.state.get("order", body.order_id) is not None:
        raise bad_request("Order with this order_id already exists", "order_id")
    start = _local(body.start_at, store)
    end = _check_window(start, _local(body.end_at, store))
    now = ctx.instance.now()
    if start < now:  # no capacity in the past
        if not body.fallback_to_soonest_sameday:
            raise bad_request("No capacity for the requested window", "start_at")
        start = (now + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
        end = start + timedelta(hours=1)
    user_id = body.user_id or f"dispatch-{body.order_id}"
    user = _ensure_user(ctx, user_id, body)
    option = {
        "id": None,
        "location_code": store.location_code,
        "start_at": start.isoformat(),
        "end_at": end.isoformat(),
    }
    order = new_order(ctx, "dispatch", body.order_id, user, option)
    order["locale"] = posix_locale(body.locale)
    if body.address is not None:
        order["address"] = body.address.model_dump(exclude_none=True)
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
    if body.start_at is not None:
        store = store_or_error(ctx, order["store_location"])
        start = _local(body.start_at, store)
        end = _check_window(start, _local(body.end_at, store))
        order.update(window_starts_at=start.isoformat(), window_ends_at=end.isoformat())
    _parcel(order, body)
    return save(ctx, order)


@handles("cancel_dispatch_order")
def cancel_dispatch_order(ctx: Context) -> dict[str, Any]:
    order = _dispatch_order(ctx, ctx.body.user_id)
    require_status(order, ("brand_new",), "canceled")
    order["cancellation_reason"] = "retailer_driven"
    set_status(ctx, order, "canceled", cancellation_reason="retailer_driven")
    return save(ctx, order)
