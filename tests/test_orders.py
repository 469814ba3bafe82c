"""Delivery and pickup orders: create, get, list, update, tip, replacements, cancel, validate.

Reference: fulfillment sections 3-5 (4.6-4.9 and the per-state rules of 5.3).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from helpers import (
    ADDRESS,
    BANANAS,
    PEANUT_BUTTER,
    SALT_PELLETS,
    SPARKLING_WATER,
    WINE,
    advance,
    cart,
    error_of,
    new_user,
    next_store,
    place_order,
    reserve,
    start_batch,
    status_and_key,
)

USERS = "/v2/fulfillment/users"
HOLD_KEY = "service_option_hold_id"


def orders(user_id: str) -> str:
    return f"{USERS}/{user_id}/orders"


def order_path(user_id: str, order_id: str) -> str:
    return f"{USERS}/{user_id}/orders/{order_id}"


def when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def delivery_body(order_id: str, hold_id: int, items: list, **fields) -> dict:
    return {
        "order_id": order_id,
        "service_option_hold_id": hold_id,
        "initial_tip_cents": 500,
        "address": ADDRESS,
        "items": items,
        **fields,
    }


def line(num: str, ref: dict, **fields) -> dict:
    return {"line_num": num, "item": ref, **({"count": 1} | fields)}


def weighed(num: str, ref: dict, weight: float) -> dict:
    return {"line_num": num, "weight": weight, "item": ref}


# create --------------------------------------------------------------------------------


def test_create_delivery_order(dev, sandbox, unique):
    user, order_id, store = f"u-{unique}", f"o-{unique}", next_store()
    new_user(dev, user)
    items = [line("1", PEANUT_BUTTER, count=2), line("2", SPARKLING_WATER)]
    held = reserve(dev, user, "delivery", items, store)
    body = delivery_body(order_id, held["id"], items, location_code=store, locale="en-US")
    created = dev.ok("POST", f"{orders(user)}/delivery", body)

    assert created["id"] == order_id
    assert created["status"] == "brand_new"
    assert created["order_url"] is None
    assert created["locale"] == "en_US"
    assert created["is_instacartplus"] is False and created["is_express"] is False
    assert created["pos_payment_method"] == "UNSPECIFIED"
    assert "cancellation_reason" not in created
    details = created["fulfillment_details"]
    assert details["store_location"] == store
    window = held["service_option"]["window"]
    assert when(details["window_starts_at"]) == when(window["start_at"])
    assert when(details["window_ends_at"]) == when(window["end_at"])
    assert abs((when(created["created_at"]) - datetime.now(UTC)).total_seconds()) < 60
    assert created["items"] == [
        {
            "line_num": "1",
            "qty": 2,
            "qty_unit": "each",
            "replaced": False,
            "scan_code": "00987665788999",
            "replacement_policy": "shoppers_choice",
            "item": {"upc": "987665788999", "rrc": "0452-38492"},
        },
        {
            "line_num": "2",
            "qty": 1,
            "qty_unit": "each",
            "replaced": False,
            "scan_code": "00070481001157",
            "replacement_policy": "shoppers_choice",
            "item": {"upc": "070481001157", "rrc": "0612-01157"},
        },
    ]
    assert dev.ok("GET", order_path(user, order_id)) == created
    events = sandbox.events("dev", order_id)
    assert [e["event_name"] for e in events] == ["fulfillment.brand_new"]
    window = {"start_at": created["fulfillment_details"]["window_starts_at"]}
    window["end_at"] = created["fulfillment_details"]["window_ends_at"]
    assert events[0]["event_metadata"] == {
        "order_id": order_id,
        "user_id": user,
        "delivery_window": window,
    }


def test_create_pickup_order(dev, unique):
    user, order_id, store = f"u-{unique}", f"o-{unique}", next_store()
    new_user(dev, user)
    items = [
        line("1", PEANUT_BUTTER, replacement_items=[SPARKLING_WATER]),
        weighed("2", BANANAS, 1.5),
        line("3", SPARKLING_WATER, replacement_policy="no_replacements"),
    ]
    held = reserve(dev, user, "pickup", items, store)
    body = {
        "order_id": order_id,
        "service_option_hold_id": held["id"],
        "location_code": store,
        "items": items,
    }
    created = dev.ok("POST", f"{orders(user)}/pickup", body)
    assert created["status"] == "brand_new"
    assert created["fulfillment_details"]["store_location"] == store
    lines = created["items"]
    shown = [(i["line_num"], i["qty"], i["qty_unit"], i["replacement_policy"]) for i in lines]
    assert shown == [
        ("1", 1, "each", "users_choice"),
        ("2", 1.5, "lb", "shoppers_choice"),
        ("3", 1, "each", "no_replacements"),
    ]
    assert dev.ok("GET", order_path(user, order_id)) == created


def test_the_references_example_identifiers(dev, unique):
    """UPC 987665788999 (rrc 0452-38492), store 000-3801, address 50 Beale St 94105."""
    user = f"u-{unique}"
    new_user(dev, user)
    items = [line("46", {"rrc": "0452-38492"}, count=4)]
    held = reserve(dev, user, "delivery", items, "000-3801")
    body = delivery_body(f"o-{unique}", held["id"], items, location_code="000-3801")
    assert body["address"] == {"address_line_1": "50 Beale St", "postal_code": "94105"}
    created = dev.ok("POST", f"{orders(user)}/delivery", body)
    assert created["fulfillment_details"]["store_location"] == "000-3801"
    assert created["items"] == [
        {
            "line_num": "46",
            "qty": 4,
            "qty_unit": "each",
            "replaced": False,
            "scan_code": "00987665788999",
            "replacement_policy": "shoppers_choice",
            "item": {"upc": "987665788999", "rrc": "0452-38492"},
        }
    ]


def test_create_for_an_unknown_user(dev, unique):
    body = delivery_body(f"o-{unique}", 1, cart(PEANUT_BUTTER))
    answer = dev.post(f"{orders(f'nobody-{unique}')}/delivery", body)
    assert error_of(answer) == (400, "User Not Found", 1001, "user_id")


def test_duplicate_order_id_is_refused_and_keeps_the_hold(dev, unique):
    user, order_id = f"u-{unique}", f"o-{unique}"
    new_user(dev, user)
    place_order(dev, user, order_id)
    items = cart(PEANUT_BUTTER)
    held = reserve(dev, user, "delivery", items)
    again = dev.post(f"{orders(user)}/delivery", delivery_body(order_id, held["id"], items))
    assert error_of(again) == (400, "Order with this order_id already exists", 1001, "order_id")
    # another user cannot take the id either: order ids are the retailer's, unique
    other = f"u2-{unique}"
    new_user(dev, other)
    other_hold = reserve(dev, other, "delivery", items)
    taken = dev.post(f"{orders(other)}/delivery", delivery_body(order_id, other_hold["id"], items))
    assert error_of(taken)[1] == "Order with this order_id already exists"
    # the refused call did not spend the hold
    fresh = delivery_body(f"{order_id}-2", held["id"], items)
    assert dev.ok("POST", f"{orders(user)}/delivery", fresh)["status"] == "brand_new"


def test_unknown_item_is_invalid_items(dev, unique):
    user = f"u-{unique}"
    new_user(dev, user)
    held = reserve(dev, user)
    items = [line("1", PEANUT_BUTTER), line("2", {"upc": "000000000000"})]
    answer = dev.post(f"{orders(user)}/delivery", delivery_body(f"o-{unique}", held["id"], items))
    assert error_of(answer) == (400, "Invalid items", 1001, "items[1].item")
    by_rrc = [line("1", {"rrc": "9999-99999"})]
    answer = dev.post(f"{orders(user)}/delivery", delivery_body(f"o-{unique}", held["id"], by_rrc))
    assert error_of(answer) == (400, "Invalid items", 1001, "items[0].item")
    # nothing was created
    assert dev.get(order_path(user, f"o-{unique}")).status_code == 404


def test_non_deliverable_items_only_for_pickup(dev, unique):
    user, store = f"u-{unique}", next_store()
    new_user(dev, user)
    items = [line("1", PEANUT_BUTTER), line("2", SALT_PELLETS)]
    held = reserve(dev, user, "delivery", cart(PEANUT_BUTTER), store)
    answer = dev.post(f"{orders(user)}/delivery", delivery_body(f"o-{unique}", held["id"], items))
    assert error_of(answer) == (400, "Some items are not deliverable", 1001, "items[1]")
    # a pickup order may carry it
    created = place_order(dev, user, f"p-{unique}", "pickup", items, store)
    assert [i["item"]["upc"] for i in created["items"]] == ["987665788999", "863430003788"]


def test_delivery_orders_hold_at_most_250_units(dev, unique):
    user, store = f"u-{unique}", next_store()
    new_user(dev, user)
    path = f"{orders(user)}/delivery"
    held = reserve(dev, user, "delivery", cart(PEANUT_BUTTER), store)
    too_many = [line("1", PEANUT_BUTTER, count=200), line("2", SPARKLING_WATER, count=51)]
    answer = dev.post(path, delivery_body(f"o-{unique}", held["id"], too_many))
    assert error_of(answer) == (400, "Too many items: at most 250 units", 1001, "items")
    # 250 counted units is fine, and weighed lines are not counted
    most = [too_many[0], line("2", SPARKLING_WATER, count=50), weighed("3", BANANAS, 9)]
    created = dev.ok("POST", path, delivery_body(f"o-{unique}", held["id"], most))
    assert sum(i["qty"] for i in created["items"] if i["qty_unit"] == "each") == 250
    # pickup has no unit limit
    big = [line("1", PEANUT_BUTTER, count=300)]
    assert place_order(dev, user, f"p-{unique}", "pickup", big, store)["items"][0]["qty"] == 300


def test_alcohol_needs_a_birthday_of_21_or_more(dev, unique):
    user, store = f"u-{unique}", next_store()
    new_user(dev, user)
    items = [line("1", PEANUT_BUTTER), line("2", WINE)]
    held = reserve(dev, user, "delivery", items, store)
    path = f"{orders(user)}/delivery"
    body = delivery_body(f"o-{unique}", held["id"], items, location_code=store)

    answer = dev.post(path, body)
    assert error_of(answer) == (400, "Birthday is required to buy alcohol", 1001, "user.birthday")
    today = datetime.now(UTC).date()
    young = date(today.year - 20, 1, 1).isoformat()
    answer = dev.post(path, {**body, "user": {"birthday": young}})
    assert error_of(answer) == (
        400,
        "User must be 21 or older to buy alcohol",
        1001,
        "user.birthday",
    )
    adult = date(today.year - 30, 6, 15).isoformat()
    created = dev.ok("POST", path, {**body, "user": {"birthday": adult}})
    assert created["items"][1]["item"]["upc"] == WINE["upc"]


def test_alcohol_at_a_store_that_does_not_sell_it(dev, unique):
    user = f"u-{unique}"
    new_user(dev, user)
    store = "999-0002"  # the dev test store in Los Angeles: pickup, no alcohol
    held = reserve(dev, user, "pickup", cart(PEANUT_BUTTER), store)
    body = {
        "order_id": f"o-{unique}",
        "service_option_hold_id": held["id"],
        "location_code": store,
        "user": {"birthday": "1980-01-01"},
        "items": [line("1", WINE)],
    }
    answer = dev.post(f"{orders(user)}/pickup", body)
    assert error_of(answer) == (400, "This store does not sell alcohol", 1001, "items[0].item")


def test_a_user_without_a_phone_number_must_give_one(dev, unique):
    user = f"u-{unique}"
    new_user(dev, user, phone_number=None)
    items = cart(PEANUT_BUTTER)
    held = reserve(dev, user, "delivery", items)
    path = f"{orders(user)}/delivery"
    body = delivery_body(f"o-{unique}", held["id"], items)
    answer = dev.post(path, body)
    assert error_of(answer) == (400, "can't be blank", 1001, "user.phone_number")
    answer = dev.post(path, {**body, "user": {"sms_opt_in": True}})
    assert error_of(answer) == (400, "can't be blank", 1001, "user.phone_number")
    created = dev.ok("POST", path, {**body, "user": {"phone_number": "+18005550199"}})
    assert created["status"] == "brand_new"
    # a user with a phone on file needs none
    other = f"u2-{unique}"
    new_user(dev, other)
    other_hold = reserve(dev, other, "delivery", items)
    body = delivery_body(f"o2-{unique}", other_hold["id"], items)
    assert dev.ok("POST", f"{orders(other)}/delivery", body)["status"] == "brand_new"


def test_holds_are_personal_single_use_and_of_one_kind(dev, unique):
    owner, thief, store = f"u-{unique}", f"u2-{unique}", next_store()
    new_user(dev, owner)
    new_user(dev, thief)
    items = cart(PEANUT_BUTTER)
    held = reserve(dev, owner, "delivery", items, store)

    stolen = dev.post(f"{orders(thief)}/delivery", delivery_body(f"x-{unique}", held["id"], items))
    assert error_of(stolen) == (400, "Service option hold not found", 1001, HOLD_KEY)
    unknown = dev.post(f"{orders(owner)}/delivery", delivery_body(f"x-{unique}", 1, items))
    assert error_of(unknown) == (400, "Service option hold not found", 1001, HOLD_KEY)

    pickup = {
        "order_id": f"x-{unique}",
        "service_option_hold_id": held["id"],
        "location_code": store,
        "items": items,
    }
    wrong_kind = dev.post(f"{orders(owner)}/pickup", pickup)
    assert error_of(wrong_kind) == (
        400,
        "Service option hold is not for a pickup time slot",
        1001,
        HOLD_KEY,
    )
    body = delivery_body(f"o-{unique}", held["id"], items)
    assert dev.ok("POST", f"{orders(owner)}/delivery", body)["status"] == "brand_new"
    used = dev.post(f"{orders(owner)}/delivery", delivery_body(f"o2-{unique}", held["id"], items))
    assert error_of(used) == (400, "Service option hold has already been used", 1001, HOLD_KEY)

    pickup_hold = reserve(dev, owner, "pickup", items, store)
    body = delivery_body(f"o3-{unique}", pickup_hold["id"], items)
    wrong_kind = dev.post(f"{orders(owner)}/delivery", body)
    assert error_of(wrong_kind) == (
        400,
        "Service option hold is not for a delivery time slot",
        1001,
        HOLD_KEY,
    )


def test_an_expired_hold_still_books_when_there_is_room(dev, sandbox, unique):
    user = f"u-{unique}"
    new_user(dev, user)
    items = cart(PEANUT_BUTTER)
    held = reserve(dev, user, "delivery", items)
    sandbox.advance_clock("dev", 11 * 60)
    try:
        body = delivery_body(f"o-{unique}", held["id"], items)
        created = dev.ok("POST", f"{orders(user)}/delivery", body)
    finally:
        sandbox.advance_clock("dev", -11 * 60)
    window = held["service_option"]["window"]
    assert when(created["fulfillment_details"]["window_starts_at"]) == when(window["start_at"])


def test_an_expired_hold_fails_once_its_slot_is_full(dev, sandbox, unique):
    user, store = f"u-{unique}", "000-3802"
    new_user(dev, user)
    items = cart(PEANUT_BUTTER)
    held = reserve(dev, user, "delivery", items, store)
    slot_id = held["service_option"]["id"]
    sandbox.advance_clock("dev", 11 * 60)
    try:
        for n in range(10):  # others take the places the expired hold gave back
            other = f"u-{unique}-{n}"
            new_user(dev, other)
            options = f"{USERS}/{other}/service_options"
            listing = {"address": ADDRESS, "items": items, "location_code": store}
            dev.ok("POST", f"{options}/cart/delivery", listing)
            if dev.post(f"{options}/{slot_id}/reserve").status_code != 200:
                break
        body = delivery_body(f"o-{unique}", held["id"], items)
        answer = dev.post(f"{orders(user)}/delivery", body)
    finally:
        sandbox.advance_clock("dev", -11 * 60)
    assert error_of(answer) == (400, "The time slot is no longer available", 1001, HOLD_KEY)


# read ------------------------------------------------------------------------------------


def test_get_order_is_404_for_unknown_and_for_other_users_orders(dev, unique):
    user, other, order_id = f"u-{unique}", f"u2-{unique}", f"o-{unique}"
    new_user(dev, user)
    new_user(dev, other)
    place_order(dev, user, order_id)
    unknown = dev.get(order_path(user, f"nope-{unique}"))
    assert error_of(unknown) == (404, "Order not found", 4000, "order_id")
    not_theirs = dev.get(order_path(other, order_id))
    assert error_of(not_theirs) == (404, "Order not found", 4000, "order_id")
    no_user = dev.get(order_path(f"nobody-{unique}", order_id))
    assert error_of(no_user) == (400, "User Not Found", 1001, "user_id")


def test_deprecated_list_orders(dev, unique):
    user, other = f"u-{unique}", f"u2-{unique}"
    new_user(dev, user)
    new_user(dev, other)
    assert dev.ok("GET", orders(user)) == {"orders": []}
    first = place_order(dev, user, f"o1-{unique}")
    second = place_order(dev, user, f"o2-{unique}", "pickup")
    place_order(dev, other, f"o3-{unique}")
    listed = dev.ok("GET", orders(user))["orders"]
    assert listed == [first, second]
    assert error_of(dev.get(orders(f"nobody-{unique}"))) == (400, "User Not Found", 1001, "user_id")


# update ----------------------------------------------------------------------------------


def test_update_is_full_items_by_line_num(dev, unique):
    user, order_id = f"u-{unique}", f"o-{unique}"
    new_user(dev, user)
    place_order(dev, user, order_id, items=[line("1", PEANUT_BUTTER), line("2", SPARKLING_WATER)])
    path = order_path(user, order_id)

    def update(*lines):
        return dev.put(path, {"initial_tip_cents": 700, "items": list(lines)})

    def shown():
        return [(i["line_num"], i["qty"]) for i in dev.ok("GET", path)["items"]]

    # an omitted line is removed
    answer = update(line("1", PEANUT_BUTTER, count=3))
    assert answer.status_code == 200, answer.text
    assert [(i["line_num"], i["qty"]) for i in answer.json()["items"]] == [("1", 3)]
    assert shown() == [("1", 3)]
    # sending the deleted line again restores it, with its new count
    assert update(line("1", PEANUT_BUTTER, count=3), line("2", SPARKLING_WATER, count=2)).ok
    assert shown() == [("1", 3), ("2", 2)]
    # a new line_num adds a line
    assert update(line("1", PEANUT_BUTTER), line("2", SPARKLING_WATER), weighed("3", BANANAS, 2))
    assert shown() == [("1", 1), ("2", 1), ("3", 2)]
    # an item already on the order under a new line_num is a duplicate
    moved = update(line("2", SPARKLING_WATER), line("7", PEANUT_BUTTER))
    assert error_of(moved) == (400, "Duplicate items were provided", 1001, "items[1].item")
    # ... also when the item's line was removed: re-send its line_num to get it back
    assert update(line("2", SPARKLING_WATER)).ok
    moved = update(line("2", SPARKLING_WATER), line("8", PEANUT_BUTTER))
    assert error_of(moved) == (400, "Duplicate items were provided", 1001, "items[1].item")
    twice = update(line("2", SPARKLING_WATER), line("9", SPARKLING_WATER))
    assert error_of(twice) == (400, "Duplicate items were provided", 1001, "items[1].item")
    # the item of an existing line cannot change
    changed = update(line("2", PEANUT_BUTTER))
    message = "item can't change on an existing line"
    assert error_of(changed) == (400, message, 1001, "items[0].item")
    assert shown() == [("2", 1)]
    # replacement fields can
    answer = update(line("2", SPARKLING_WATER, replacement_items=[PEANUT_BUTTER]))
    assert answer.json()["items"][0]["replacement_policy"] == "users_choice"
    answer = update(line("2", SPARKLING_WATER))
    assert answer.json()["items"][0]["replacement_policy"] == "shoppers_choice"


def test_update_validates_items_like_create(dev, unique):
    user, order_id = f"u-{unique}", f"o-{unique}"
    new_user(dev, user)
    place_order(dev, user, order_id)
    path = order_path(user, order_id)
    unknown = dev.put(path, {"initial_tip_cents": 0, "items": [line("5", {"upc": "1"})]})
    assert error_of(unknown) == (400, "Invalid items", 1001, "items[0].item")
    bulky = dev.put(path, {"initial_tip_cents": 0, "items": [line("5", SALT_PELLETS)]})
    assert error_of(bulky) == (400, "Some items are not deliverable", 1001, "items[0]")
    many = dev.put(path, {"initial_tip_cents": 0, "items": [line("1", PEANUT_BUTTER, count=251)]})
    assert error_of(many) == (400, "Too many items: at most 250 units", 1001, "items")
    no_tip = dev.put(path, {"items": [line("1", PEANUT_BUTTER)]})
    assert error_of(no_tip) == (400, "can't be blank", 1001, "initial_tip_cents")
    assert len(dev.ok("GET", path)["items"]) == 2  # unchanged


def test_adding_alcohol_turns_leave_unattended_off_for_good(dev, sandbox, unique):
    user, order_id = f"u-{unique}", f"o-{unique}"
    new_user(dev, user)
    items = [line("1", PEANUT_BUTTER)]
    place_order(dev, user, order_id, items=items, leave_unattended=True)
    state = sandbox.instances["dev"].state  # leave_unattended is not in the order response

    assert state.get("order", order_id)["leave_unattended"] is True
    path = order_path(user, order_id)
    with_wine = [*items, line("2", WINE)]
    no_birthday = dev.put(path, {"initial_tip_cents": 0, "items": with_wine})
    message = "Birthday is required to buy alcohol"
    assert error_of(no_birthday) == (400, message, 1001, "user.birthday")
    assert state.get("order", order_id)["leave_unattended"] is True
    body = {"initial_tip_cents": 0, "items": with_wine, "user": {"birthday": "1990-02-03"}}
    assert dev.ok("PUT", path, body)["items"][1]["item"]["upc"] == WINE["upc"]
    assert state.get("order", order_id)["leave_unattended"] is False
    # removing the alcohol again does not turn it back on
    dev.ok("PUT", path, {"initial_tip_cents": 0, "items": items})
    assert state.get("order", order_id)["leave_unattended"] is False
    # the birthday given once is remembered
    assert dev.ok("PUT", path, {"initial_tip_cents": 0, "items": with_wine})


def test_alcohol_at_creation_is_never_left_unattended(dev, sandbox, unique):
    user, order_id = f"u-{unique}", f"o-{unique}"
    new_user(dev, user)
    place_order(
        dev,
        user,
        order_id,
        items=[line("1", WINE)],
        leave_unattended=True,
        user={"birthday": "1970-01-01"},
    )
    assert sandbox.instances["dev"].state.get("order", order_id)["leave_unattended"] is False


def test_update_reschedules_with_a_new_hold(dev, unique):
    user, order_id, store = f"u-{unique}", f"o-{unique}", next_store()
    new_user(dev, user)
    items = cart(PEANUT_BUTTER)
    created = place_order(dev, user, order_id, items=items, location_code=store)
    before = created["fulfillment_details"]
    taken = tuple(
        o["id"]
        for o in dev.ok(
            "POST",
            f"{USERS}/{user}/service_options/cart/delivery",
            {"address": ADDRESS, "items": items, "location_code": store},
        )["service_options"]
        if o["window"]["start_at"] == before["window_starts_at"]
    )
    held = reserve(dev, user, "delivery", items, store, skip=taken)
    path = order_path(user, order_id)
    body = {"initial_tip_cents": 0, "items": items, HOLD_KEY: held["id"]}
    moved = dev.ok("PUT", path, body)
    window = held["service_option"]["window"]
    details = moved["fulfillment_details"]
    assert when(details["window_starts_at"]) == when(window["start_at"])
    assert when(details["window_ends_at"]) == when(window["end_at"])
    assert details["window_starts_at"] != before["window_starts_at"]
    assert details["store_location"] == store
    assert dev.ok("GET", path)["fulfillment_details"] == details
    # the hold is spent
    again = dev.put(path, body)
    assert error_of(again) == (400, "Service option hold has already been used", 1001, HOLD_KEY)
    # a pickup hold cannot reschedule a delivery order
    pickup = reserve(dev, user, "pickup", items, store)
    wrong = dev.put(path, {**body, HOLD_KEY: pickup["id"]})
    message = "Service option hold is not for a delivery time slot"
    assert error_of(wrong) == (400, message, 1001, HOLD_KEY)


def test_reschedule_cannot_move_the_order_to_another_store(dev, unique):
    user, order_id = f"u-{unique}", f"o-{unique}"
    new_user(dev, user)
    items = cart(PEANUT_BUTTER)
    place_order(dev, user, order_id, items=items, location_code="000-3801")
    elsewhere = reserve(dev, user, "delivery", items, "104-2210")
    path = order_path(user, order_id)
    body = {"initial_tip_cents": 0, "items": items, HOLD_KEY: elsewhere["id"]}
    answer = dev.put(path, body)
    assert error_of(answer) == (400, "The hold is for another store", 1001, HOLD_KEY)
    assert dev.ok("GET", path)["fulfillment_details"]["store_location"] == "000-3801"
    # the refused call did not spend the hold: it still books a new order there
    fresh = delivery_body(f"o2-{unique}", elsewhere["id"], items, location_code="104-2210")
    assert dev.ok("POST", f"{orders(user)}/delivery", fresh)["status"] == "brand_new"


def test_update_and_cancel_are_refused_once_acknowledged(dev, unique):
    user, order_id = f"u-{unique}", f"o-{unique}"
    new_user(dev, user)
    place_order(dev, user, order_id)
    assert start_batch(dev, [order_id])["workflow_state"] == "acknowledged"
    path = order_path(user, order_id)
    update = dev.put(path, {"initial_tip_cents": 0, "items": cart(PEANUT_BUTTER)})
    assert error_of(update) == (
        400,
        "Order can no longer be updated (status is acknowledged)",
        1001,
        "order_id",
    )
    cancel = dev.post(f"{path}/cancel")
    assert error_of(cancel) == (
        400,
        "Order can no longer be canceled (status is acknowledged)",
        1001,
        "order_id",
    )
    assert dev.ok("GET", path)["status"] == "acknowledged"


def test_update_of_unknown_or_other_users_order(dev, unique):
    user, other, order_id = f"u-{unique}", f"u2-{unique}", f"o-{unique}"
    new_user(dev, user)
    new_user(dev, other)
    place_order(dev, user, order_id)
    body = {"initial_tip_cents": 0, "items": cart(PEANUT_BUTTER)}
    assert error_of(dev.put(order_path(other, order_id), body))[:3] == (
        404,
        "Order not found",
        4000,
    )
    assert error_of(dev.put(order_path(user, f"x-{unique}"), body))[0] == 404


# tip, replacement selections, cancel ----------------------------------------------------


def test_tip_only_once_delivered(dev, unique):
    user, order_id = f"u-{unique}", f"o-{unique}"
    new_user(dev, user)
    place_order(dev, user, order_id)
    path = f"{order_path(user, order_id)}/tip"
    early = dev.put(path, {"tip_amount_cents": 900})
    assert error_of(early) == (
        400,
        "Order can no longer be tipped until it is delivered (status is brand_new)",
        1001,
        "order_id",
    )
    batch = start_batch(dev, [order_id])
    advance(dev, batch["id"], "delivering")
    assert error_of(dev.put(path, {"tip_amount_cents": 900}))[1].endswith("(status is delivering)")
    advance(dev, batch["id"])
    tipped = dev.ok("PUT", path, {"tip_amount_cents": 900})
    assert tipped["id"] == order_id and tipped["status"] == "delivered"
    negative = dev.put(path, {"tip_amount_cents": -1})
    assert status_and_key(negative) == (400, "tip_amount_cents")


def test_replacement_selections(dev, sandbox, unique):
    user, order_id = f"u-{unique}", f"o-{unique}"
    new_user(dev, user)
    place_order(dev, user, order_id, items=[line("1", PEANUT_BUTTER), line("2", SPARKLING_WATER)])
    path = f"{order_path(user, order_id)}/replacement_selections"
    choice = {"selections": [{"line_num": "2", "count": 1, "replacement_items": [BANANAS]}]}

    first = dev.ok("PUT", path, choice)
    assert [i["replacement_policy"] for i in first["items"]] == ["shoppers_choice", "users_choice"]
    assert dev.ok("PUT", path, choice) == first  # idempotent
    line_2 = sandbox.instances["dev"].state.get("order", order_id)["items"][1]
    assert line_2["replacement_items"] == [BANANAS]
    # a second call overwrites the first
    other = {"selections": [{"line_num": "2", "count": 1, "replacement_items": [PEANUT_BUTTER]}]}
    dev.ok("PUT", path, other)
    line_2 = sandbox.instances["dev"].state.get("order", order_id)["items"][1]
    assert line_2["replacement_items"] == [PEANUT_BUTTER]

    unknown = {"selections": [{"line_num": n, "count": 1} for n in ("1", "7", "9")]}
    assert error_of(dev.put(path, unknown)) == (400, "Unknown line_num: 7, 9", 1001, "selections")
    bad_item = {"selections": [{"line_num": "1", "count": 1, "replacement_items": [{"upc": "0"}]}]}
    assert error_of(dev.put(path, bad_item)) == (
        400,
        "Invalid items",
        1001,
        "selections[0].replacement_items[0]",
    )
    eleven = {"selections": [{"line_num": "1", "count": 1}] * 11}
    status, _, code, key = error_of(dev.put(path, eleven))
    assert (status, code, key) == (400, 1001, "selections")
    assert dev.put(path, {"selections": [{"line_num": "1", "count": 1}] * 10}).status_code == 200
    zero = {"selections": [{"line_num": "1", "count": 0}]}
    assert status_and_key(dev.put(path, zero)) == (400, "selections[0].count")

    batch = start_batch(dev, [order_id])  # acknowledged: still allowed
    assert dev.ok("PUT", path, choice)["status"] == "acknowledged"
    advance(dev, batch["id"])  # picking: still allowed
    assert dev.ok("PUT", path, choice)["status"] == "picking"
    advance(dev, batch["id"])  # verifying_replacements: too late
    late = dev.put(path, choice)
    assert error_of(late) == (
        400,
        "Order can no longer be given replacement selections (status is verifying_replacements)",
        1001,
        "order_id",
    )


def test_replacement_selections_cannot_name_removed_lines(dev, unique):
    user, order_id = f"u-{unique}", f"o-{unique}"
    new_user(dev, user)
    place_order(dev, user, order_id, items=[line("1", PEANUT_BUTTER), line("2", SPARKLING_WATER)])
    path = order_path(user, order_id)
    dev.ok("PUT", path, {"initial_tip_cents": 0, "items": [line("1", PEANUT_BUTTER)]})
    selection = {"selections": [{"line_num": "2", "count": 1}]}
    answer = dev.put(f"{path}/replacement_selections", selection)
    assert error_of(answer) == (400, "Unknown line_num: 2", 1001, "selections")


@pytest.mark.parametrize("kind", ["delivery", "pickup"])
def test_cancel_only_while_brand_new(dev, sandbox, unique, kind):
    user, order_id = f"u-{unique}", f"o-{unique}"
    new_user(dev, user)
    place_order(dev, user, order_id, kind)
    path = order_path(user, order_id)
    canceled = dev.ok("POST", f"{path}/cancel")
    assert canceled["status"] == "canceled"
    assert canceled["cancellation_reason"] == "retailer_driven"
    assert dev.ok("GET", path) == canceled
    again = dev.post(f"{path}/cancel")
    assert error_of(again) == (
        400,
        "Order can no longer be canceled (status is canceled)",
        1001,
        "order_id",
    )
    update = dev.put(path, {"initial_tip_cents": 0, "items": cart(PEANUT_BUTTER)})
    assert error_of(update)[1] == "Order can no longer be updated (status is canceled)"
    event = sandbox.events("dev", order_id)[-1]
    assert event["event_name"] == "fulfillment.canceled"
    assert event["event_metadata"]["cancellation_reason"] == "retailer_driven"
    assert error_of(dev.post(f"{order_path(user, 'x' + unique)}/cancel"))[0] == 404


def test_cancel_frees_the_place_in_the_slot(dev, unique):
    """A canceled order no longer counts against its slot's capacity."""
    user, store = f"u-{unique}", "000-3844"
    new_user(dev, user)
    items = cart(PEANUT_BUTTER)
    held = reserve(dev, user, "delivery", items, store)
    slot_id = held["service_option"]["id"]
    path = f"{orders(user)}/delivery"
    dev.ok("POST", path, delivery_body(f"o-{unique}", held["id"], items))
    n = 0
    while True:  # fill the slot
        n += 1
        filler = f"u-{unique}-{n}"
        new_user(dev, filler)
        body = {"address": ADDRESS, "items": items, "location_code": store}
        dev.ok("POST", f"{USERS}/{filler}/service_options/cart/delivery", body)
        if dev.post(f"{USERS}/{filler}/service_options/{slot_id}/reserve").status_code != 200:
            break
        assert n < 10
    dev.ok("POST", f"{order_path(user, f'o-{unique}')}/cancel")
    assert dev.post(f"{USERS}/{filler}/service_options/{slot_id}/reserve").status_code == 200


# validate items --------------------------------------------------------------------------


def test_validate_items_reports_each_check(dev):
    body = {
        "location_code": "999-0002",  # no alcohol
        "items": [
            {"line_num": "1", "count": 1, "item": PEANUT_BUTTER},
            {"line_num": "2", "count": 1, "item": {"upc": "000000000000"}},
            {"line_num": "3", "count": 1, "item": WINE},
            {"line_num": "4", "weight": 1.0, "item": SPARKLING_WATER},
            {"line_num": "5", "item": BANANAS},
            {"line_num": "6", "count": 2, "item": BANANAS},
            {"line_num": "7", "weight": 0.5, "item": {"rrc": "0101-09617"}},
        ],
    }
    failures = dev.ok("POST", "/v2/fulfillment/validate_items", body)["validation_failures"]
    # each failure references an item and contains an error (delivery/validate_items)
    assert [(f["line_num"], f["item"], f["error"]["message"]) for f in failures] == [
        ("2", {"upc": "000000000000"}, "Item not found in the catalog"),
        ("3", WINE, "This store does not sell alcohol"),
        ("4", SPARKLING_WATER, "count is required for this item"),
        ("5", BANANAS, "weight is required for this item"),
    ]
    assert [f["error"]["error_code"] for f in failures] == [2000, 2000, 1001, 1001]


def test_validate_items_store_choice(dev):
    items = [{"line_num": "1", "count": 1, "item": WINE}]
    path = "/v2/fulfillment/validate_items"
    # an address alone: the nearest store (in San Francisco, it sells alcohol)
    assert dev.ok("POST", path, {"items": items, "address": ADDRESS}) == {"validation_failures": []}
    # location_code wins over the address
    both = {"items": items, "address": ADDRESS, "location_code": "820-1001"}
    failures = dev.ok("POST", path, both)["validation_failures"]
    assert [f["error"]["message"] for f in failures] == ["This store does not sell alcohol"]
    # no store at all: only catalog checks
    assert dev.ok("POST", path, {"items": items}) == {"validation_failures": []}
    unknown = dev.post(path, {"items": items, "location_code": "123-4567"})
    assert error_of(unknown) == (400, "Store not found", 1001, "location_code")
    assert status_and_key(dev.post(path, {"items": []})) == (400, "items")


def test_prod_orders_are_prods_own(dev, prod, unique):
    """Orders made on prod are not seen on dev (each instance has its own state)."""
    user, order_id = f"u-{unique}", f"o-{unique}"
    new_user(prod, user)
    made = place_order(prod, user, order_id, location_code="000-3857")  # a prod-only store
    assert made["fulfillment_details"]["store_location"] == "000-3857"
    assert prod.ok("GET", order_path(user, order_id)) == made
    assert error_of(dev.get(order_path(user, order_id)))[1] == "User Not Found"


def test_a_pickup_order_is_picked_up_where_its_hold_is(dev, unique):
    user = f"u-{unique}"
    new_user(dev, user)
    items = cart(PEANUT_BUTTER)
    held = reserve(dev, user, "pickup", items, "000-3801")
    body = {
        "order_id": f"o-{unique}",
        "service_option_hold_id": held["id"],
        "location_code": "000-3802",
        "items": items,
    }
    answer = dev.post(f"{orders(user)}/pickup", body)
    assert error_of(answer) == (400, "The hold is for another store", 1001, HOLD_KEY)
    created = dev.ok("POST", f"{orders(user)}/pickup", {**body, "location_code": "000-3801"})
    assert created["fulfillment_details"]["store_location"] == "000-3801"
