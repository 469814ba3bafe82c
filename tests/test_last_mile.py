"""Last-mile and dispatch last-mile orders, and their deprecated ``lastmile`` URIs.

Reference: fulfillment 4.6 (#22, #32), 4.7 (#33), 4.8 (#26, #29, #34, #35) and section 8.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from helpers import (
    ADDRESS,
    LAST_MILE_CART,
    Api,
    error_of,
    last_mile_order,
    new_user,
    next_store,
    place_order,
    reserve,
    status_and_key,
)

USERS = "/v2/fulfillment/users"
DISPATCH = "/v2/fulfillment/lastmile/orders"
HOLD_KEY = "service_option_hold_id"
PACIFIC = ZoneInfo("America/Los_Angeles")  # every store of SF_STORES


def when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def tomorrow_at(hour: int) -> datetime:
    day = datetime.now(PACIFIC) + timedelta(days=1)
    return day.replace(hour=hour, minute=0, second=0, microsecond=0)


def last_mile_body(order_id: str | None, hold_id: int, store: str, **fields) -> dict:
    body = {
        "location_code": store,
        "service_option_hold_id": hold_id,
        "first_name": "Kamal",
        "last_name": "Singh",
        "user_phone": "+18005550100",
        "items_count": 12,
        "items_weight": 18.5,
        **fields,
    }
    if order_id is not None:
        body["order_id"] = order_id
    return body


def dispatch_body(order_id: str, user_id: str, start: datetime, **fields) -> dict:
    return {
        "order_id": order_id,
        "user_id": user_id,
        "location_code": next_store(),
        "start_at": start.isoformat(),
        "end_at": (start + timedelta(hours=2)).isoformat(),
        "first_name": "Ana",
        "last_name": "Lee",
        "user_phone": "+18005550123",
        "email": "ana@example.com",
        "items_count": 3,
        "bags_count": 1,
        "items_weight": 4.5,
        "cart_total": 27.5,
        "address": ADDRESS,
        **fields,
    }


def slots(api, user_id: str, store: str) -> list[dict]:
    """The last-mile slots listed for a user at a store."""
    path = f"{USERS}/{user_id}/service_options/cart/last_mile"
    return api.ok("POST", path, {"location_code": store, **LAST_MILE_CART})["service_options"]


def at_local_time(sandbox, hour: int, minute: int = 0) -> Api:
    """Move the dev instance's clock to the next hour:minute of San Francisco; a client made
    after the move (its token is issued at the new time)."""
    now = sandbox.instances["dev"].now().astimezone(PACIFIC)
    target = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if target <= now:
        target += timedelta(days=1)
    sandbox.advance_clock("dev", (target - now).total_seconds())
    return Api(sandbox, "dev")


# create ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/v2/fulfillment/users/{}/orders/last_mile", "/v2/fulfillment/lastmile/users/{}/orders"],
)
def test_create_last_mile_order(dev, sandbox, unique, path):
    """The current URI and the deprecated one take the same body and give the same answer."""
    user, order_id, store = f"u-{unique}", f"o-{unique}", next_store()
    new_user(dev, user)
    held = reserve(dev, user, "last_mile", location_code=store)
    body = last_mile_body(
        order_id,
        held["id"],
        store,
        locale="en-US",
        bags_count=2,
        cart_total=42.5,
        alcoholic=False,
        bag_label="A-12",
        initial_tip_cents=300,
    )
    created = dev.ok("POST", path.format(user), body)
    assert created["id"] == order_id
    assert created["status"] == "brand_new"
    assert created["locale"] == "en_US"
    assert "items" not in created  # pre-packed: no item list
    details = created["fulfillment_details"]
    assert details["store_location"] == store
    assert details["bag_count"] == 2
    window = held["service_option"]["window"]
    assert when(details["window_starts_at"]) == when(window["start_at"])
    assert when(details["window_ends_at"]) == when(window["end_at"])
    assert dev.ok("GET", f"{USERS}/{user}/orders/{order_id}") == created
    assert [e["event_name"] for e in sandbox.events("dev", order_id)] == ["fulfillment.brand_new"]


def test_last_mile_order_id_defaults_to_a_uuid(dev, unique):
    user, store = f"u-{unique}", next_store()
    new_user(dev, user)
    held = reserve(dev, user, "last_mile", location_code=store)
    created = dev.ok(
        "POST", f"{USERS}/{user}/orders/last_mile", last_mile_body(None, held["id"], store)
    )
    assert str(uuid.UUID(created["id"])) == created["id"]
    assert dev.ok("GET", f"{USERS}/{user}/orders/{created['id']}")["status"] == "brand_new"


def test_last_mile_create_refusals(dev, unique):
    user, store = f"u-{unique}", next_store()
    new_user(dev, user)
    path = f"{USERS}/{user}/orders/last_mile"
    held = reserve(dev, user, "last_mile", location_code=store)

    def refused(body):
        return error_of(dev.post(path, body))

    assert refused(last_mile_body(f"o-{unique}", held["id"], "318-0009")) == (
        400,
        "This store does not offer last-mile delivery",
        1001,
        "location_code",
    )
    assert refused(last_mile_body(f"o-{unique}", held["id"], "123-4567")) == (
        400,
        "Store not found",
        1001,
        "location_code",
    )
    other_store = next(s for s in ("000-3801", "000-3802") if s != store)
    assert refused(last_mile_body(f"o-{unique}", held["id"], other_store)) == (
        400,
        "The hold is for another store",
        1001,
        HOLD_KEY,
    )
    missing = last_mile_body(f"o-{unique}", held["id"], store)
    del missing["items_weight"]
    assert refused(missing) == (400, "can't be blank", 1001, "items_weight")
    delivery_hold = reserve(dev, user, "delivery", location_code=store)
    assert refused(last_mile_body(f"o-{unique}", delivery_hold["id"], store)) == (
        400,
        "Service option hold is not for a last_mile time slot",
        1001,
        HOLD_KEY,
    )
    # the refused calls spent nothing: a fresh hold books, then it is used up
    held = reserve(dev, user, "last_mile", location_code=store)
    created = dev.ok("POST", path, last_mile_body(f"o-{unique}", held["id"], store))
    assert created["status"] == "brand_new"
    used = refused(last_mile_body(f"o2-{unique}", held["id"], store))
    assert used == (400, "Service option hold has already been used", 1001, HOLD_KEY)
    again = reserve(dev, user, "last_mile", location_code=store)
    duplicate = refused(last_mile_body(f"o-{unique}", again["id"], store))
    assert duplicate == (400, "Order with this order_id already exists", 1001, "order_id")


def test_a_hold_for_another_store_is_not_spent(dev, unique):
    user = f"u-{unique}"
    new_user(dev, user)
    path = f"{USERS}/{user}/orders/last_mile"
    held = reserve(dev, user, "last_mile", location_code="000-3801")
    wrong = dev.post(path, last_mile_body(f"o-{unique}", held["id"], "000-3802"))
    assert error_of(wrong) == (400, "The hold is for another store", 1001, HOLD_KEY)
    created = dev.ok("POST", path, last_mile_body(f"o-{unique}", held["id"], "000-3801"))
    assert created["fulfillment_details"]["store_location"] == "000-3801"


def test_a_refused_last_mile_order_creates_no_user(dev, unique):
    newcomer = f"new-{unique}"
    answer = dev.post(
        f"{USERS}/{newcomer}/orders/last_mile", last_mile_body(f"o-{unique}", 1, "000-3801")
    )
    assert error_of(answer) == (400, "Service option hold not found", 1001, HOLD_KEY)
    # the user id is still free
    assert new_user(dev, newcomer)["user_id"] == newcomer


def test_last_mile_calls_for_an_unknown_user(dev, unique):
    nobody = f"nobody-{unique}"
    for answer in (
        dev.put(f"{USERS}/{nobody}/orders/o-{unique}/last_mile", {"bags_count": 1}),
        dev.post(f"{USERS}/{nobody}/orders/o-{unique}/staged", {}),
        dev.get(f"{USERS}/{nobody}/orders/o-{unique}"),
        dev.post(f"{USERS}/{nobody}/orders/o-{unique}/cancel"),
    ):
        assert error_of(answer) == (400, "User Not Found", 1001, "user_id")


# update ----------------------------------------------------------------------------------


def test_update_last_mile_order(dev, unique):
    user, order_id, store = f"u-{unique}", f"o-{unique}", next_store()
    new_user(dev, user)
    created = last_mile_order(dev, user, order_id, store)
    path = f"{USERS}/{user}/orders/{order_id}/last_mile"
    current = when(created["fulfillment_details"]["window_starts_at"])
    option = next(o for o in slots(dev, user, store) if when(o["window"]["start_at"]) != current)
    start = when(option["window"]["start_at"])

    # the slot alone: its window
    moved = dev.ok("PUT", path, {"service_option_id": option["id"], "bags_count": 4})
    details = moved["fulfillment_details"]
    assert when(details["window_starts_at"]) == start
    assert when(details["window_ends_at"]) == when(option["window"]["end_at"])
    assert details["bag_count"] == 4
    # a window inside the slot
    inside = {
        "service_option_id": option["id"],
        "start_at": (start + timedelta(minutes=30)).isoformat(),
        "end_at": (start + timedelta(minutes=90)).isoformat(),
    }
    details = dev.ok("PUT", path, inside)["fulfillment_details"]
    assert when(details["window_starts_at"]) == start + timedelta(minutes=30)
    assert when(details["window_ends_at"]) == start + timedelta(minutes=90)
    assert dev.ok("GET", f"{USERS}/{user}/orders/{order_id}")["fulfillment_details"] == details
    # ... not outside it
    outside = {**inside, "end_at": (start + timedelta(hours=3)).isoformat()}
    assert error_of(dev.put(path, outside)) == (
        400,
        "start_at and end_at must lie inside the time slot",
        1001,
        "start_at",
    )
    # a window needs its slot
    alone = {"start_at": inside["start_at"], "end_at": inside["end_at"]}
    assert error_of(dev.put(path, alone)) == (
        400,
        "A new window needs the service_option_id it lies in",
        1001,
        "service_option_id",
    )
    unknown = dev.put(path, {"service_option_id": 1})
    assert error_of(unknown) == (400, "Service option not found", 1001, "service_option_id")
    # parcel fields alone
    assert dev.ok("PUT", path, {"bags_count": 6})["fulfillment_details"]["bag_count"] == 6


def test_update_last_mile_order_keeps_its_store(dev, unique):
    user, order_id = f"u-{unique}", f"o-{unique}"
    new_user(dev, user)
    last_mile_order(dev, user, order_id, "000-3801")
    elsewhere = slots(dev, user, "104-2210")[0]
    path = f"{USERS}/{user}/orders/{order_id}/last_mile"
    answer = dev.put(path, {"service_option_id": elsewhere["id"]})
    message = "The time slot is for another store"
    assert error_of(answer) == (400, message, 1001, "service_option_id")


def test_update_last_mile_order_reads_local_times_in_the_stores_zone(dev, unique):
    user, order_id, store = f"u-{unique}", f"o-{unique}", next_store()
    new_user(dev, user)
    created = last_mile_order(dev, user, order_id, store)
    start = when(created["fulfillment_details"]["window_starts_at"]).astimezone(PACIFIC)
    option = next(o for o in slots(dev, user, store) if when(o["window"]["start_at"]) == start)
    naive = {
        "service_option_id": option["id"],
        "start_at": start.replace(tzinfo=None).isoformat(),
        "end_at": (start + timedelta(hours=1)).replace(tzinfo=None).isoformat(),
    }
    answer = dev.put(f"{USERS}/{user}/orders/{order_id}/last_mile", naive)
    assert answer.status_code == 200, answer.text
    ends = when(answer.json()["fulfillment_details"]["window_ends_at"])
    assert ends == start + timedelta(hours=1)


def test_update_last_mile_order_only_while_brand_new(dev, unique):
    user, order_id = f"u-{unique}", f"o-{unique}"
    new_user(dev, user)
    last_mile_order(dev, user, order_id)
    dev.ok("POST", f"{USERS}/{user}/orders/{order_id}/staged", {})
    answer = dev.put(f"{USERS}/{user}/orders/{order_id}/last_mile", {"bags_count": 1})
    assert error_of(answer) == (
        400,
        "Order can no longer be updated (status is staged_for_delivery)",
        1001,
        "order_id",
    )
    # a delivery order is not a last-mile one
    place_order(dev, user, f"d-{unique}")
    answer = dev.put(f"{USERS}/{user}/orders/d-{unique}/last_mile", {"bags_count": 1})
    assert error_of(answer) == (404, "Order not found", 4000, "order_id")


# stage -----------------------------------------------------------------------------------


def test_stage_order(dev, sandbox, unique):
    user, order_id = f"u-{unique}", f"o-{unique}"
    new_user(dev, user)
    last_mile_order(dev, user, order_id, bags_count=1)
    path = f"{USERS}/{user}/orders/{order_id}/staged"
    body = {"bags_count": 3, "bag_label": "B-7", "bag_scan_codes": ["BAG1", "BAG2", "BAG3"]}
    staged = dev.ok("POST", path, body)
    assert staged["status"] == "staged_for_delivery"
    assert staged["fulfillment_details"]["bag_count"] == 3
    assert dev.ok("GET", f"{USERS}/{user}/orders/{order_id}") == staged
    # staging again only updates the parcel
    again = dev.ok("POST", path, {"bags_count": 4})
    assert again["status"] == "staged_for_delivery"
    assert again["fulfillment_details"]["bag_count"] == 4
    names = [e["event_name"] for e in sandbox.events("dev", order_id)]
    assert names == ["fulfillment.brand_new", "fulfillment.staged"]  # the documented Staged
    cancel = dev.post(f"{USERS}/{user}/orders/{order_id}/cancel")
    assert error_of(cancel)[1] == "Order can no longer be canceled (status is staged_for_delivery)"


def test_stage_refusals(dev, unique):
    user = f"u-{unique}"
    new_user(dev, user)
    place_order(dev, user, f"d-{unique}")
    answer = dev.post(f"{USERS}/{user}/orders/d-{unique}/staged", {})
    assert error_of(answer) == (400, "Only last-mile orders can be staged", 1001, "order_id")
    last_mile_order(dev, user, f"c-{unique}")
    dev.ok("POST", f"{USERS}/{user}/orders/c-{unique}/cancel")
    answer = dev.post(f"{USERS}/{user}/orders/c-{unique}/staged", {})
    assert error_of(answer) == (
        400,
        "Order can no longer be staged (status is canceled)",
        1001,
        "order_id",
    )
    answer = dev.post(f"{USERS}/{user}/orders/x-{unique}/staged", {})
    assert error_of(answer) == (404, "Order not found", 4000, "order_id")
    answer = dev.post(f"{USERS}/{user}/orders/c-{unique}/staged", {"bags_count": -1})
    assert status_and_key(answer) == (400, "bags_count")


def test_stage_dispatch_order(dev, sandbox, unique):
    """lastmile/stage_order_dispatch: current, and for dispatch orders only; the users/.../staged
    call (last_mile/stage_order) is for plain last-mile orders only."""
    user, order_id = f"u-{unique}", f"o-{unique}"
    dev.ok("POST", DISPATCH, dispatch_body(order_id, user, tomorrow_at(10)))
    body = {"bags_count": 2, "items_count": 3, "items_weight": 4.5, "bag_label": "D-4"}
    staged = dev.ok("POST", f"{DISPATCH}/{order_id}/staged", body)
    assert staged["status"] == "staged_for_delivery"
    assert staged["fulfillment_details"]["bag_count"] == 2
    assert dev.ok("GET", f"{DISPATCH}/{order_id}?user_id={user}") == staged
    # a dispatch order is not staged through the plain last-mile call
    answer = dev.post(f"{USERS}/{user}/orders/{order_id}/staged", {})
    assert error_of(answer) == (
        400,
        "This endpoint works only with last mile delivery orders",
        1001,
        "order_id",
    )
    # ... nor a plain last-mile order through the dispatch one
    new_user(dev, f"lm-{unique}")
    last_mile_order(dev, f"lm-{unique}", f"lm-{unique}")
    answer = dev.post(f"{DISPATCH}/lm-{unique}/staged", {"bags_count": 2})
    assert error_of(answer) == (
        400,
        "This endpoint works only with dispatch last mile delivery orders",
        1001,
        "order_id",
    )
    # delivery orders are not found here at all
    place_order(dev, f"lm-{unique}", f"d-{unique}")
    answer = dev.post(f"{DISPATCH}/d-{unique}/staged", {})
    assert error_of(answer) == (404, "Order not found", 4000, "order_id")


# dispatch ------------------------------------------------------------------------------


def test_dispatch_order_create_and_get(dev, unique):
    user, order_id = f"u-{unique}", f"o-{unique}"
    start = tomorrow_at(10)
    address = {"address_line_1": "50 Beale St", "postal_code": "94105"}
    body = dispatch_body(order_id, user, start, address=address)
    created = dev.ok("POST", DISPATCH, body)
    assert created["id"] == order_id
    assert created["status"] == "brand_new"
    details = created["fulfillment_details"]
    assert details["store_location"] == body["location_code"]
    assert when(details["window_starts_at"]) == start
    assert when(details["window_ends_at"]) == start + timedelta(hours=2)
    assert details["bag_count"] == 1
    assert dev.ok("GET", f"{DISPATCH}/{order_id}?user_id={user}") == created
    # the user is made from the body; the shared get-order finds the order too
    assert dev.ok("GET", f"{USERS}/{user}/orders/{order_id}") == created

    assert error_of(dev.get(f"{DISPATCH}/{order_id}")) == (400, "can't be blank", 1001, "user_id")
    other = dev.get(f"{DISPATCH}/{order_id}?user_id=someone-{unique}")
    assert error_of(other) == (404, "Order not found", 4000, "order_id")
    unknown = dev.get(f"{DISPATCH}/x-{unique}?user_id={user}")
    assert error_of(unknown) == (404, "Order not found", 4000, "order_id")
    again = dev.post(DISPATCH, body)
    assert error_of(again) == (400, "Order with this order_id already exists", 1001, "order_id")


def test_dispatch_get_finds_only_dispatch_orders(dev, unique):
    user, order_id = f"u-{unique}", f"o-{unique}"
    new_user(dev, user)
    last_mile_order(dev, user, order_id)
    answer = dev.get(f"{DISPATCH}/{order_id}?user_id={user}")
    assert error_of(answer) == (404, "Order not found", 4000, "order_id")


def test_dispatch_window_rules(dev, unique):
    user, start = f"u-{unique}", tomorrow_at(14)

    def refused(**fields):
        return error_of(dev.post(DISPATCH, dispatch_body(f"o-{unique}", user, start, **fields)))

    half_past = (start + timedelta(minutes=30)).isoformat()
    assert refused(start_at=half_past) == (400, "must be on the hour", 1001, "start_at")
    assert refused(end_at=half_past) == (400, "must be on the hour", 1001, "end_at")
    assert refused(end_at=start.isoformat()) == (
        400,
        "The window must last at least an hour",
        1001,
        "end_at",
    )
    assert refused(location_code="318-0009") == (
        400,
        "This store does not offer last-mile delivery",
        1001,
        "location_code",
    )
    # without end_at the window lasts an hour
    body = dispatch_body(f"o-{unique}", user, start)
    del body["end_at"]
    details = dev.ok("POST", DISPATCH, body)["fulfillment_details"]
    assert when(details["window_ends_at"]) - when(details["window_starts_at"]) == timedelta(hours=1)


def test_dispatch_local_times_are_the_stores(dev, unique):
    user, start = f"u-{unique}", tomorrow_at(9)
    body = dispatch_body(
        f"o-{unique}",
        user,
        start,
        location_code="000-3801",
        start_at=start.replace(tzinfo=None).isoformat(),
        end_at=(start + timedelta(hours=2)).isoformat(),  # one of the two with an offset
    )
    answer = dev.post(DISPATCH, body)
    assert answer.status_code == 200, answer.text
    details = answer.json()["fulfillment_details"]
    assert when(details["window_starts_at"]) == start
    assert when(details["window_ends_at"]) == start + timedelta(hours=2)


def test_dispatch_in_the_past_needs_the_fallback(own_sandbox, unique):
    user = f"u-{unique}"
    dev = at_local_time(own_sandbox, 10, 30)  # the store is open: soonest window 11:00 to 12:00
    now = own_sandbox.instances["dev"].now()
    this_hour = now.astimezone(PACIFIC).replace(minute=0, second=0, microsecond=0)
    body = dispatch_body(f"o-{unique}", user, this_hour - timedelta(days=1))
    answer = dev.post(DISPATCH, body)
    message = "Requested delivery window not available at this store"
    assert error_of(answer) == (400, message, 1001, "start_at")
    created = dev.ok("POST", DISPATCH, {**body, "fallback_to_soonest_sameday": True})
    details = created["fulfillment_details"]
    start, end = when(details["window_starts_at"]), when(details["window_ends_at"])
    assert now < start <= now + timedelta(hours=1)
    assert start.minute == start.second == 0
    assert end - start == timedelta(hours=1)
    # a window in the future ignores the flag
    noon = (this_hour + timedelta(days=1)).replace(hour=12)
    later = dispatch_body(f"o2-{unique}", user, noon, fallback_to_soonest_sameday=True)
    starts = dev.ok("POST", DISPATCH, later)["fulfillment_details"]["window_starts_at"]
    assert when(starts) == noon


def test_update_dispatch_order(dev, unique):
    user, order_id = f"u-{unique}", f"o-{unique}"
    dev.ok("POST", DISPATCH, dispatch_body(order_id, user, tomorrow_at(10)))
    path = f"{DISPATCH}/{order_id}"
    new_start = tomorrow_at(16)
    new_end = new_start + timedelta(hours=1)
    window = {"start_at": new_start.isoformat(), "end_at": new_end.isoformat()}
    updated = dev.ok("PUT", path, {**window, "bags_count": 5, "special_instructions": "door 2"})
    details = updated["fulfillment_details"]
    assert when(details["window_starts_at"]) == new_start
    assert when(details["window_ends_at"]) == new_end
    assert details["bag_count"] == 5
    assert dev.ok("GET", f"{path}?user_id={user}") == updated
    # local times are the store's, as on create
    naive = {
        "start_at": new_start.replace(tzinfo=None).isoformat(),
        "end_at": new_end.replace(tzinfo=None).isoformat(),
    }
    details = dev.ok("PUT", path, naive)["fulfillment_details"]
    assert when(details["window_starts_at"]) == new_start

    alone = dev.put(path, {"start_at": window["start_at"]})
    status, message, code, _ = error_of(alone)
    assert (status, code) == (400, 1001)
    assert "start_at and end_at go together" in message.lower()
    short = {"start_at": window["start_at"], "end_at": window["start_at"]}
    assert error_of(dev.put(path, short)) == (
        400,
        "The window must last at least an hour",
        1001,
        "end_at",
    )
    odd = {**window, "end_at": (new_start + timedelta(minutes=90)).isoformat()}
    assert error_of(dev.put(path, odd)) == (400, "must be on the hour", 1001, "end_at")
    unknown = dev.put(f"{DISPATCH}/x-{unique}", {"bags_count": 1})
    assert error_of(unknown) == (404, "Order not found", 4000, "order_id")


def test_cancel_dispatch_order(dev, sandbox, unique):
    user, order_id = f"u-{unique}", f"o-{unique}"
    dev.ok("POST", DISPATCH, dispatch_body(order_id, user, tomorrow_at(11)))
    path = f"{DISPATCH}/{order_id}/cancel"
    wrong = dev.post(path, {"user_id": f"other-{unique}"})
    assert error_of(wrong) == (404, "Order not found", 4000, "order_id")
    canceled = dev.ok("POST", path, {"user_id": user})
    assert canceled["status"] == "canceled"
    assert canceled["cancellation_reason"] == "retailer_driven"
    again = dev.post(path, {})
    assert error_of(again) == (
        400,
        "Order can no longer be canceled (status is canceled)",
        1001,
        "order_id",
    )
    update = dev.put(f"{DISPATCH}/{order_id}", {"bags_count": 2})
    assert error_of(update)[1] == "Order can no longer be updated (status is canceled)"
    event = sandbox.events("dev", order_id)[-1]
    assert event["event_name"] == "fulfillment.canceled"
    # the user_id is optional
    dev.ok("POST", DISPATCH, dispatch_body(f"o2-{unique}", user, tomorrow_at(11)))
    assert dev.ok("POST", f"{DISPATCH}/o2-{unique}/cancel")["status"] == "canceled"


# deprecated slot calls -----------------------------------------------------------------


def test_deprecated_lastmile_list_service_options(dev):
    path = "/v2/fulfillment/lastmile/service_options"
    body = {"location_code": "000-3801", "units_count": 3}
    options = dev.ok("POST", path, body)["service_options"]
    assert options and all(o["window"]["type"] == "scheduled" for o in options)
    for option in options:
        start, end = when(option["window"]["start_at"]), when(option["window"]["end_at"])
        assert end - start == timedelta(hours=2) and start.minute == 0
    assert dev.ok("POST", path, {"postal_code": "94105"})["service_options"]
    pickup_only = dev.post(path, {"location_code": "318-0009"})
    assert error_of(pickup_only) == (
        400,
        "This store does not offer last-mile delivery",
        1001,
        "location_code",
    )
    nowhere = dev.post(path, {})
    assert error_of(nowhere) == (400, "Give location_code or postal_code", 1001, "body")


def test_deprecated_lastmile_reserve_service_option(dev, unique):
    user, store = f"u-{unique}", next_store()
    new_user(dev, user)
    slot = next(o for o in slots(dev, user, store) if o["availability"]["available"])
    path = f"/v2/fulfillment/lastmile/users/{user}/service_options/{slot['id']}/reserve"
    held = dev.ok("POST", path)["service_option_hold"]
    assert held["service_option"]["id"] == slot["id"]
    body = last_mile_body(f"o-{unique}", held["id"], store)
    created = dev.ok("POST", f"/v2/fulfillment/lastmile/users/{user}/orders", body)
    starts = created["fulfillment_details"]["window_starts_at"]
    assert when(starts) == when(slot["window"]["start_at"])


def test_deprecated_lastmile_list_then_reserve(dev, unique):
    """The old two-step flow: list with the old URI, reserve with the old URI."""
    user = f"u-{unique}"
    new_user(dev, user)
    options = dev.ok(
        "POST", "/v2/fulfillment/lastmile/service_options", {"location_code": "000-3802"}
    )["service_options"]
    slot = next(o for o in options if o["availability"]["available"])
    dev.ok("POST", f"/v2/fulfillment/lastmile/users/{user}/service_options/{slot['id']}/reserve")
