"""Time slots (preview and cart listings, ETA options, desired windows) and holds."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

from helpers import ADDRESS, BANANAS, PEANUT_BUTTER, cart, error_of, new_user

USERS = "/v2/fulfillment/users"


def slots(api, path, body):
    return api.ok("POST", path, body)["service_options"]


def test_preview_delivery_gives_two_hour_scheduled_windows_on_the_hour(prod):
    options = slots(prod, "/v2/fulfillment/service_options/delivery", {"postal_code": "94105"})
    assert options
    for option in options:
        window = option["window"]
        start = datetime.fromisoformat(window["start_at"])
        end = datetime.fromisoformat(window["end_at"])
        assert window["type"] == "scheduled"
        assert (start.minute, start.second) == (0, 0)
        assert end - start == timedelta(hours=2)
        assert start > datetime.now(UTC)
        assert isinstance(option["id"], int)
    assert len({o["id"] for o in options}) == len(options)
    # stable ids: the same question gives the same slots
    again = slots(prod, "/v2/fulfillment/service_options/delivery", {"postal_code": "94105"})
    assert [o["id"] for o in again] == [o["id"] for o in options]


def test_eta_and_priority_eta_only_when_asked(prod):
    path = "/v2/fulfillment/service_options/delivery"
    plain = {o["window"]["type"] for o in slots(prod, path, {"postal_code": "94105"})}
    assert plain == {"scheduled"}
    body = {"postal_code": "94105", "with_eta_options": True, "with_priority_eta_options": True}
    options = slots(prod, path, body)
    by_type = {o["window"]["type"]: o["window"] for o in options}
    assert set(by_type) == {"scheduled", "eta", "priority_eta"}
    eta_start = datetime.fromisoformat(by_type["eta"]["start_at"])
    priority_start = datetime.fromisoformat(by_type["priority_eta"]["start_at"])
    assert eta_start - priority_start >= timedelta(minutes=30)
    pickup = slots(
        prod,
        "/v2/fulfillment/service_options/pickup",
        {"location_code": "000-3801", "with_eta_options": True},
    )
    assert {o["window"]["type"] for o in pickup} == {"scheduled"}  # no ETA for pickup


def test_last_mile_preview_needs_a_place_and_honours_earliest_start(prod):
    path = "/v2/fulfillment/service_options/last_mile"
    assert error_of(prod.post(path, {}))[:2] == (400, "Give location_code or postal_code")
    later = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0).isoformat()
    options = slots(prod, path, {"location_code": "000-3801", "earliest_option_start_at": later})
    assert options
    assert all(
        datetime.fromisoformat(o["window"]["start_at"]) >= datetime.fromisoformat(later)
        for o in options
    )


def test_desired_windows_come_back_with_a_reference_that_reserves(prod, unique):
    user_id = f"dw-{unique}"
    new_user(prod, user_id)
    start = (datetime.now(UTC) + timedelta(days=1)).replace(
        hour=18, minute=0, second=0, microsecond=0
    )
    window = {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat()}
    body = {"address": ADDRESS, "items": cart(PEANUT_BUTTER), "desired_windows": [window]}
    options = slots(prod, f"{USERS}/{user_id}/service_options/cart/delivery", body)
    referenced = [o for o in options if o.get("service_option_reference")]
    assert len(referenced) == 1
    claims = json.loads(base64.b64decode(referenced[0]["service_option_reference"]))
    assert claims["id"] == referenced[0]["id"] and claims["hold_id"] is None
    held = prod.ok(
        "POST",
        f"{USERS}/{user_id}/service_options/reserve",
        {"service_option_reference": referenced[0]["service_option_reference"]},
    )
    assert held["service_option_hold"]["service_option"]["id"] == referenced[0]["id"]
    short = {"starts_at": start.isoformat(), "ends_at": (start + timedelta(minutes=30)).isoformat()}
    refused = prod.post(
        f"{USERS}/{user_id}/service_options/cart/delivery",
        {**body, "desired_windows": [short]},
    )
    assert error_of(refused)[3] == "desired_windows[0]"


def test_cart_listing_checks_items_with_code_2000(prod, unique):
    user_id = f"inv-{unique}"
    new_user(prod, user_id)
    body = {"address": ADDRESS, "items": cart({"upc": "111111111111"})}
    answer = prod.post(f"{USERS}/{user_id}/service_options/cart/delivery", body)
    assert error_of(answer) == (400, "Invalid items", 2000, "items[0].item")
    duplicate = {"location_code": "000-3801", "items": cart(PEANUT_BUTTER, PEANUT_BUTTER)}
    answer = prod.post(f"{USERS}/{user_id}/service_options/cart/pickup", duplicate)
    assert error_of(answer)[:2] == (400, "Duplicate items were provided")
    bulky = {"address": ADDRESS, "items": cart({"upc": "863430003788"})}
    answer = prod.post(f"{USERS}/{user_id}/service_options/cart/delivery", bulky)
    assert error_of(answer)[:2] == (400, "Some items are not deliverable")
    by_weight = {"address": ADDRESS, "items": [{"line_num": "1", "weight": 1.5, "item": BANANAS}]}
    assert slots(prod, f"{USERS}/{user_id}/service_options/cart/delivery", by_weight)


def reserve(api, user_id, slot_id):
    return api.post(f"{USERS}/{user_id}/service_options/{slot_id}/reserve")


def cart_slots(api, user_id):
    body = {"address": ADDRESS, "items": cart(PEANUT_BUTTER)}
    options = slots(api, f"{USERS}/{user_id}/service_options/cart/delivery", body)
    return [o for o in options if o["availability"]["available"]]


def test_hold_lasts_ten_minutes_and_one_per_user(sandbox, prod, unique):
    user_id = f"hold-{unique}"
    new_user(prod, user_id)
    first, second = cart_slots(prod, user_id)[:2]
    hold = reserve(prod, user_id, first["id"]).json()["service_option_hold"]
    expires = datetime.fromisoformat(hold["expires_at"])
    assert timedelta(minutes=9) < expires - datetime.now(UTC) <= timedelta(minutes=10)
    assert hold["service_option"]["id"] == first["id"]
    # a second reserve releases the first hold: the old one no longer books an order
    other = reserve(prod, user_id, second["id"]).json()["service_option_hold"]
    assert other["id"] != hold["id"]
    order = {
        "order_id": f"o-{user_id}",
        "service_option_hold_id": hold["id"],
        "address": ADDRESS,
        "items": cart(PEANUT_BUTTER),
    }
    stale = prod.post(f"{USERS}/{user_id}/orders/delivery", order)
    assert error_of(stale) == (
        400,
        "Service option hold was replaced by a newer reservation",
        1001,
        "service_option_hold_id",
    )


def test_preview_ids_can_be_reserved(prod, unique):
    """delivery/preview_service_options: a previewed slot may be reserved with its id (the
    risk is at order creation: tests/test_docs_rules.py)."""
    user_id = f"prev-{unique}"
    new_user(prod, user_id)
    preview = slots(prod, "/v2/fulfillment/service_options/delivery", {"postal_code": "94105"})
    slot = next(o for o in preview if o["availability"]["available"])
    held = prod.ok("POST", f"{USERS}/{user_id}/service_options/{slot['id']}/reserve")
    assert held["service_option_hold"]["service_option"]["id"] == slot["id"]
    unknown = reserve(prod, user_id, 42)
    assert error_of(unknown) == (400, "Service option not found", 1001, "service_option_id")
    not_int = prod.post(f"{USERS}/{user_id}/service_options/abc/reserve")
    assert error_of(not_int) == (400, "must be an integer", 1001, "service_option_id")


def test_full_slots_cannot_be_held(prod, unique):
    user_id = f"full-{unique}"
    new_user(prod, user_id)
    body = {"address": ADDRESS, "items": cart(PEANUT_BUTTER)}
    options = slots(prod, f"{USERS}/{user_id}/service_options/cart/delivery", body)
    full = [o for o in options if not o["availability"]["available"]]
    assert full, "the seed has a few full slots"
    answer = reserve(prod, user_id, full[0]["id"])
    assert error_of(answer)[:2] == (400, "Service option is no longer available")


def test_deprecated_reserve_with_cart_books_previewed_slots(prod, unique):
    user_id = f"old-{unique}"
    new_user(prod, user_id)
    preview = slots(prod, "/v2/fulfillment/service_options/delivery", {"postal_code": "94105"})
    slot = next(o for o in preview if o["availability"]["available"])
    body = {"address": ADDRESS, "items": cart(PEANUT_BUTTER)}
    held = prod.ok("POST", f"{USERS}/{user_id}/service_options/{slot['id']}/reserve/cart", body)
    assert held["service_option_hold"]["service_option"]["id"] == slot["id"]
