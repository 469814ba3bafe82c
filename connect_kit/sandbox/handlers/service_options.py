"""Time slots and holds (reference 4.3-4.5).

Scheduled slots are two-hour windows on the hour for today and the next two days, in the
store's time zone. Slot ids are stable (derived from store, window and type), and every
listed slot is remembered so that a reserve call can find it again.
"""

from __future__ import annotations

import base64
import zlib
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from .. import seed
from ..errors import bad_request
from ._registry import Context, handles
from .common import (
    check_items,
    iso,
    stock_warnings,
    store_for_address,
    store_or_error,
    stores_near,
    user_or_error,
)

HOLD_MINUTES = 10
FIRST_HOLD_ID = 90_000_001
OPEN_HOUR, LAST_START_HOUR, DAYS = 8, 20, 3


def _slot_id(*parts: object) -> int:
    return 1_200_000_000 + zlib.crc32("/".join(map(str, parts)).encode()) % 800_000_000


FULL_HOUR = 12  # the lunchtime slot is always fully booked, so a full slot is easy to find


def _capacity(slot_id: int, start: datetime, window_type: str) -> int:
    if window_type == "scheduled" and start.hour == FULL_HOUR:
        return 0
    return 2 + slot_id % 4


def _option(
    ctx: Context,
    store: seed.StoreSeed,
    kind: str,
    window_type: str,
    start: datetime,
    end: datetime,
    *,
    preview: bool,
    reference: bool = False,
) -> dict[str, Any]:
    slot_id = _slot_id(
        ctx.instance.name,
        store.location_code,
        kind,
        window_type,
        iso(start),
        "preview" if preview else "cart",
    )
    taken = len(holders(ctx, slot_id))
    record: dict[str, Any] = {
        "id": slot_id,
        "kind": kind,
        "location_code": store.location_code,
        "type": window_type,
        "start_at": iso(start),
        "end_at": iso(end),
        "preview": preview,
        "capacity": _capacity(slot_id, start, window_type),
    }
    ctx.state.put("service_option", slot_id, record)
    option = {
        "id": slot_id,
        "date": start.date().isoformat(),
        "window": {"start_at": iso(start), "end_at": iso(end), "type": window_type, "asap": False},
        "availability": {"available": record["capacity"] > taken},
        "flags": {"long_distance_delivery": store.long_distance_delivery},
    }
    if reference:
        option["service_option_reference"] = base64.b64encode(
            orjson.dumps(
                {"id": slot_id, "hold_id": None, "starts_at": iso(start), "ends_at": iso(end)}
            )
        ).decode()
    return option


def holders(ctx: Context, slot_id: int) -> list[dict[str, Any]]:
    """Live holds and orders that take a place in a slot."""
    now = ctx.instance.now().timestamp()
    holds = [
        h
        for h in ctx.state.find("hold", service_option_id=slot_id)
        if h["status"] == "active" and h["expires_ts"] > now
    ]
    orders = [
        o for o in ctx.state.find("order", service_option_id=slot_id) if o["status"] != "canceled"
    ]
    return holds + orders


def _options(
    ctx: Context,
    store: seed.StoreSeed,
    kind: str,
    body: Any,
    *,
    preview: bool,
) -> dict[str, Any]:
    zone = ZoneInfo(store.time_zone)
    now = ctx.instance.now().astimezone(zone)
    earliest = getattr(body, "earliest_option_start_at", None)
    if earliest is not None and earliest.tzinfo is None:  # no offset: the store's local time
        earliest = earliest.replace(tzinfo=zone)
    options = []
    if getattr(body, "with_priority_eta_options", None) and kind != "pickup":
        start = (now + timedelta(minutes=45)).replace(second=0, microsecond=0)
        options.append(
            _option(
                ctx,
                store,
                kind,
                "priority_eta",
                start,
                start + timedelta(minutes=45),
                preview=preview,
            )
        )
    if getattr(body, "with_eta_options", None) and kind != "pickup":
        start = (now + timedelta(hours=2)).replace(second=0, microsecond=0)
        options.append(
            _option(ctx, store, kind, "eta", start, start + timedelta(hours=3), preview=preview)
        )
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    for day in range(DAYS):
        for hour in range(OPEN_HOUR, LAST_START_HOUR + 1, 2):
            start = (today + timedelta(days=day)).replace(hour=hour)
            if start < now + timedelta(hours=1) or (earliest and start < earliest):
                continue
            options.append(
                _option(
                    ctx,
                    store,
                    kind,
                    "scheduled",
                    start,
                    start + timedelta(hours=2),
                    preview=preview,
                )
            )
    for window in getattr(body, "desired_windows", None) or ():
        options.append(
            _option(
                ctx,
                store,
                kind,
                "scheduled",
                window.starts_at.astimezone(zone),
                window.ends_at.astimezone(zone),
                preview=preview,
                reference=True,
            )
        )
    return {"service_options": options}


def _store_for_postal_code(ctx: Context, postal_code: str, key: str = "postal_code"):
    place = seed.place(postal_code)
    nearby = stores_near(ctx, place.latitude, place.longitude) if place else []
    if not nearby:
        raise bad_request("No store delivers to this postal code", key)
    return nearby[0][1]


def _last_mile_store(ctx: Context, body: Any) -> seed.StoreSeed:
    if body.location_code is not None:
        store = store_or_error(ctx, body.location_code)
    elif getattr(body, "address", None) is not None:
        store = store_for_address(ctx, body.address)
    else:
        store = _store_for_postal_code(ctx, body.postal_code)
    if store.pickup_only:
        raise bad_request("This store does not offer last-mile delivery", "location_code")
    return store


@handles("preview_delivery_service_options")
def preview_delivery(ctx: Context) -> dict[str, Any]:
    store = _store_for_postal_code(ctx, ctx.body.postal_code)
    return _options(ctx, store, "delivery", ctx.body, preview=True)


@handles("preview_pickup_service_options")
def preview_pickup(ctx: Context) -> dict[str, Any]:
    store = store_or_error(ctx, ctx.body.location_code)
    if not store.pickup:
        raise bad_request("This store does not offer pickup", "location_code")
    return _options(ctx, store, "pickup", ctx.body, preview=True)


@handles("preview_last_mile_service_options")
def preview_last_mile(ctx: Context) -> dict[str, Any]:
    return _options(ctx, _last_mile_store(ctx, ctx.body), "last_mile", ctx.body, preview=True)


@handles("lastmile_list_service_options")
def legacy_list_last_mile(ctx: Context) -> dict[str, Any]:
    """The old URI listed bookable slots (it predates the preview/list split)."""
    return _options(ctx, _last_mile_store(ctx, ctx.body), "last_mile", ctx.body, preview=False)


@handles("list_delivery_service_options")
def list_delivery(ctx: Context) -> dict[str, Any]:
    user_or_error(ctx)
    body = ctx.body
    store = store_for_address(ctx, body.address, body.location_code)
    check_items(body.items, invalid_code=2000, store=store, delivery=True)
    return _options(ctx, store, "delivery", body, preview=False)


@handles("list_pickup_service_options")
def list_pickup(ctx: Context) -> dict[str, Any]:
    user_or_error(ctx)
    store = store_or_error(ctx, ctx.body.location_code)
    if not store.pickup:
        raise bad_request("This store does not offer pickup", "location_code")
    check_items(ctx.body.items, invalid_code=2000, store=store)
    answer = _options(ctx, store, "pickup", ctx.body, preview=False)
    cart = [line.model_dump(exclude_none=True) for line in ctx.body.items]
    if warnings := stock_warnings(cart):  # the docs show warnings on this listing
        answer["warnings"] = warnings
    return answer


@handles("list_last_mile_service_options")
def list_last_mile(ctx: Context) -> dict[str, Any]:
    user_or_error(ctx)
    if seed.place(ctx.body.address.postal_code) is None:
        raise bad_request("Address could not be validated", "address.postal_code")
    return _options(ctx, _last_mile_store(ctx, ctx.body), "last_mile", ctx.body, preview=False)


# holds --------------------------------------------------------------------------------


def _hold(ctx: Context, slot_id: int, key: str, *, checked: bool = False) -> dict[str, Any]:
    """Hold a slot for the user. A preview slot can be held (the preview pages allow it), but
    the hold remembers it: the order it books may fail later (see ``hold_for_order``), unless
    the cart was ``checked`` when it was reserved (the deprecated reserve/cart call)."""
    user = user_or_error(ctx)
    option = ctx.state.get("service_option", slot_id)
    if option is None:
        raise bad_request("Service option not found", key)
    now = ctx.instance.now()
    # one hold per user: a new reserve call releases the current one first
    for hold in ctx.state.find("hold", user_id=user["user_id"], status="active"):
        hold["status"] = "released"
        ctx.state.put("hold", hold["id"], hold)
    if len(holders(ctx, slot_id)) >= option["capacity"]:
        raise bad_request("Service option is no longer available", key)
    hold_id = ctx.state.next_id("hold", FIRST_HOLD_ID)
    expires = now + timedelta(minutes=HOLD_MINUTES)
    hold = {
        "id": hold_id,
        "user_id": user["user_id"],
        "service_option_id": slot_id,
        "status": "active",
        "expires_at": iso(expires),
        "expires_ts": expires.timestamp(),
        "from_preview": bool(option["preview"]) and not checked,
    }
    ctx.state.put("hold", hold_id, hold)
    return {
        "service_option_hold": {
            "id": hold_id,
            "expires_at": iso(expires),
            "service_option": public_option(option),
        }
    }


def public_option(option: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": option["id"],
        "date": option["start_at"][:10],
        "window": {
            "start_at": option["start_at"],
            "end_at": option["end_at"],
            "type": option["type"],
            "asap": False,
        },
    }


@handles("reserve_service_option")
@handles("lastmile_reserve_service_option")
def reserve(ctx: Context) -> dict[str, Any]:
    return _hold(ctx, ctx.params["service_option_id"], "service_option_id")


@handles("reserve_desired_window")
def reserve_window(ctx: Context) -> dict[str, Any]:
    try:
        claims = orjson.loads(base64.b64decode(ctx.body.service_option_reference, validate=True))
        slot_id = int(claims["id"])
    except (ValueError, TypeError, KeyError, orjson.JSONDecodeError):
        raise bad_request("Invalid service_option_reference", "service_option_reference") from None
    return _hold(ctx, slot_id, "service_option_reference")


@handles("reserve_service_option_with_cart")
def reserve_with_cart(ctx: Context) -> dict[str, Any]:
    body = ctx.body
    store = store_for_address(ctx, body.address, body.location_code)
    check_items(body.items, store=store, delivery=True)
    # this old call books previewed slots with the cart: its hold is as good as a listed one
    return _hold(ctx, ctx.params["service_option_id"], "service_option_id", checked=True)


NO_LONGER_AVAILABLE = "The time slot is no longer available"


def _still_offered(ctx: Context, option: dict[str, Any], hold_id: int) -> bool:
    """Whether a previewed slot is still one a cart listing offers now: its window starts at
    least an hour from now (as listed scheduled slots do), and the same window listed for a
    cart still has room, counting what holds the previewed slot and the listed one."""
    start = datetime.fromisoformat(option["start_at"])
    if option["type"] == "scheduled" and start < ctx.instance.now() + timedelta(hours=1):
        return False
    where = (option["location_code"], option["kind"], option["type"], option["start_at"])
    listed = _slot_id(ctx.instance.name, *where, "cart")
    taken = [
        h
        for slot in (listed, option["id"])
        for h in holders(ctx, slot)
        if h.get("id") != hold_id  # not the hold being spent
    ]
    return len(taken) < _capacity(listed, start, option["type"])


def hold_for_order(ctx: Context, hold_id: int, user_id: str, kind: str) -> dict[str, Any]:
    """The slot a hold books for a new order; an expired hold still books if there is room."""
    key = "service_option_hold_id"
    hold = ctx.state.get("hold", hold_id)
    if hold is None or hold["user_id"] != user_id:
        raise bad_request("Service option hold not found", key)
    if hold["status"] == "used":
        raise bad_request("Service option hold has already been used", key)
    if hold["status"] == "released":  # a newer reserve call cancelled it
        raise bad_request("Service option hold was replaced by a newer reservation", key)
    option = ctx.state.get("service_option", hold["service_option_id"])
    assert option is not None
    if option["kind"] != kind:
        raise bad_request(f"Service option hold is not for a {kind} time slot", key)
    live = hold["status"] == "active" and hold["expires_ts"] > ctx.instance.now().timestamp()
    if not live and len(holders(ctx, option["id"])) >= option["capacity"]:
        raise bad_request(NO_LONGER_AVAILABLE, key)
    if hold.get("from_preview") and not _still_offered(ctx, option, hold_id):
        # the preview pages' warning: the previewed slot may be gone by checkout
        raise bad_request(NO_LONGER_AVAILABLE, key)
    hold["status"] = "used"
    ctx.state.put("hold", hold_id, hold)
    return option
