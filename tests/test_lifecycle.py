"""The sandbox API: shoppers, batches, item actions, callbacks, Instacart users and linking.

Reference: sandbox-callbacks-postcheckout section 1, and fulfillment 4.1 (#5, #6) for linking.
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta

import pytest
from helpers import (
    ADDRESS,
    BANANAS,
    PEANUT_BUTTER,
    SPARKLING_WATER,
    advance,
    error_of,
    last_mile_order,
    new_shopper,
    new_user,
    place_order,
    shopper_phone,
    start_batch,
    status_and_key,
)

SB = "/v2/fulfillment_sandbox"
USERS = "/v2/fulfillment/users"
DELIVERY = (
    "acknowledged",
    "picking",
    "verifying_replacements",
    "checkout",
    "receipt_sanity_check",
    "delivering",
    "completed",
)
PICKUP = (
    "acknowledged",
    "picking",
    "verifying_replacements",
    "checkout",
    "receipt_sanity_check",
    "bags_check",
    "staged",
)
DELIVERY_ONLY = (
    "acknowledged_for_delivery",
    "at_store",
    "bags_verified",
    "delivering",
    "completed",
)


def when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def shown(state: str) -> str:
    """The order status a batch state shows: ``completed`` is the order's ``delivered``."""
    return "delivered" if state == "completed" else state


def get_order(api, user_id: str, order_id: str) -> dict:
    return api.ok("GET", f"{USERS}/{user_id}/orders/{order_id}")


def batch_body(shopper_id: int, *order_ids: str, **fields) -> dict:
    return {"shopper_id": shopper_id, "orders": [{"id": o} for o in order_ids], **fields}


# shoppers --------------------------------------------------------------------------------


def test_create_shopper(dev):
    first = new_shopper(dev, email="shopper@example.com")
    second = dev.ok("POST", f"{SB}/shoppers", {})["id"]  # both fields are optional
    assert isinstance(first, int) and first >= 21_850_710
    assert second > first


@pytest.mark.parametrize("email", ["nope", "a@b", "a b@example.com", "@example.com", ""])
def test_shopper_email_is_validated(dev, email):
    answer = dev.post(f"{SB}/shoppers", {"email": email})
    assert error_of(answer) == (400, "Invalid email", 1001, "email")


@pytest.mark.parametrize("phone", ["12345", "415-555-01ab", "1234567890123456", "phone"])
def test_shopper_phone_is_validated(dev, phone):
    answer = dev.post(f"{SB}/shoppers", {"phone": phone})
    assert error_of(answer) == (400, "Invalid phone number", 1001, "phone")


def test_shopper_phone_is_unique(dev):
    phone = shopper_phone()  # ten digits
    dev.ok("POST", f"{SB}/shoppers", {"phone": phone})
    spaced = f"({phone[:3]}) {phone[3:6]}-{phone[6:]}"
    for same in (phone, spaced, f"+{phone}", f"{phone[:3]}.{phone[3:6]}.{phone[6:]}"):
        answer = dev.post(f"{SB}/shoppers", {"phone": same})
        assert error_of(answer) == (
            400,
            "An account already exists with this number",
            1001,
            "phone",
        )


# batches: delivery, pickup, last mile ----------------------------------------------------


def test_delivery_batch_step_by_step(dev, sandbox, unique):
    user, order_id = f"u-{unique}", f"o-{unique}"
    new_user(dev, user)
    place_order(dev, user, order_id)
    shopper = new_shopper(dev)
    body = {
        "shopper_id": shopper,
        "batch_type": "delivery",
        "orders": [{"id": order_id, "user_id": user}],
    }
    batch = dev.ok("POST", f"{SB}/batches", body)
    assert batch["workflow_state"] == "acknowledged"
    assert isinstance(batch["id"], int)
    order = get_order(dev, user, order_id)
    assert order["status"] == "acknowledged"
    assert "delivered_at" not in order["fulfillment_details"]
    for state in DELIVERY[1:]:
        assert advance(dev, batch["id"]) == {"id": batch["id"], "workflow_state": state}
        assert get_order(dev, user, order_id)["status"] == shown(state)
    details = get_order(dev, user, order_id)["fulfillment_details"]
    assert abs(when(details["delivered_at"]) - datetime.now(UTC)) < timedelta(minutes=1)
    assert details["bag_count"] >= 1
    done = dev.post(f"{SB}/batches/{batch['id']}/advance")
    assert error_of(done) == (400, "The batch is already completed", 1001, "batch_id")
    names = [e["event_name"] for e in sandbox.events("dev", order_id)]
    assert names == [  # the documented events only: no verifying_replacements, etc.
        "fulfillment.brand_new",
        "fulfillment.acknowledged",
        "fulfillment.picking",
        "fulfillment.checkout",
        "fulfillment.delivering",
        "fulfillment.order_location",
        "fulfillment.order_location",
        "fulfillment.delivered",
        "fulfillment.rating_reminder",
    ]
    last = sandbox.events("dev", order_id)[-2]
    assert last["event_metadata"]["batch_id"] == batch["id"]
    assert isinstance(last["event_id"], int) and last["event_timestamp"].endswith("Z")


def test_jumping_to_a_named_state(dev, unique):
    user, order_id = f"u-{unique}", f"o-{unique}"
    new_user(dev, user)
    place_order(dev, user, order_id)
    batch = start_batch(dev, [order_id])
    path = f"{SB}/batches/{batch['id']}/advance"
    assert dev.ok("POST", path, {"workflow_state": "checkout"})["workflow_state"] == "checkout"
    assert get_order(dev, user, order_id)["status"] == "checkout"
    assert dev.ok("POST", path, {"status": "delivering"})["workflow_state"] == "delivering"
    assert get_order(dev, user, order_id)["status"] == "delivering"

    backwards = dev.post(path, {"workflow_state": "picking"})
    message = "The batch is already past picking"
    assert error_of(backwards) == (400, message, 1001, "workflow_state")
    same = dev.post(path, {"workflow_state": "delivering"})
    message = "The batch is already past delivering"
    assert error_of(same) == (400, message, 1001, "workflow_state")
    for unknown in ("flying", "staged", "delivered"):
        answer = dev.post(path, {"workflow_state": unknown})
        assert error_of(answer) == (
            400,
            "is not a state of a delivery batch",
            1001,
            "workflow_state",
        )
    assert get_order(dev, user, order_id)["status"] == "delivering"
    assert dev.ok("POST", path, {"workflow_state": "completed"})["workflow_state"] == "completed"
    assert get_order(dev, user, order_id)["status"] == "delivered"
    completed = dev.post(path, {"workflow_state": "completed"})
    assert error_of(completed)[:2] == (400, "The batch is already past completed")


def test_a_batch_may_start_in_a_named_state(dev, unique):
    user, order_id = f"u-{unique}", f"o-{unique}"
    new_user(dev, user)
    place_order(dev, user, order_id)
    batch = start_batch(dev, [order_id], workflow_state="picking")
    assert batch["workflow_state"] == "picking"
    assert get_order(dev, user, order_id)["status"] == "picking"
    assert advance(dev, batch["id"])["workflow_state"] == "verifying_replacements"


def test_pickup_then_runner_customer_batch(dev, sandbox, unique):
    user, order_id = f"u-{unique}", f"o-{unique}"
    new_user(dev, user)
    place_order(dev, user, order_id, "pickup")
    shopper = new_shopper(dev)
    early = dev.post(f"{SB}/batches", batch_body(shopper, order_id, batch_type="runner_customer"))
    assert error_of(early) == (400, "Orders unbatchable", 1001, "orders[0]")

    batch = dev.ok("POST", f"{SB}/batches", batch_body(shopper, order_id))  # type inferred
    assert batch["workflow_state"] == "acknowledged"
    assert get_order(dev, user, order_id)["status"] == "acknowledged"
    for state in PICKUP[1:]:
        assert advance(dev, batch["id"])["workflow_state"] == state
        assert get_order(dev, user, order_id)["status"] == state
    done = dev.post(f"{SB}/batches/{batch['id']}/advance")
    assert error_of(done) == (400, "The batch is already staged", 1001, "batch_id")

    runner = dev.ok(
        "POST", f"{SB}/batches", batch_body(shopper, order_id, batch_type="runner_customer")
    )
    assert runner["workflow_state"] == "brand_new"
    assert get_order(dev, user, order_id)["status"] == "staged"
    for state in ("at_store", "bags_verified", "completed"):
        assert advance(dev, runner["id"])["workflow_state"] == state
        assert get_order(dev, user, order_id)["status"] == shown(state)
    assert "delivered_at" in get_order(dev, user, order_id)["fulfillment_details"]
    names = [e["event_name"] for e in sandbox.events("dev", order_id)]
    assert names[-5:] == [
        "fulfillment.pickup_runner_started",
        "fulfillment.pickup_geofence_reached",
        "fulfillment.customer_acknowledged",
        "fulfillment.delivered",
        "fulfillment.rating_reminder",
    ]


def test_last_mile_delivery_only_batch(dev, unique):
    user, order_id = f"u-{unique}", f"o-{unique}"
    new_user(dev, user)
    last_mile_order(dev, user, order_id)
    dev.ok("POST", f"{USERS}/{user}/orders/{order_id}/staged", {"bags_count": 2})
    batch = start_batch(dev, [order_id], batch_type="delivery_only")
    assert batch["workflow_state"] == "acknowledged_for_delivery"
    assert get_order(dev, user, order_id)["status"] == "acknowledged_for_delivery"
    for state in DELIVERY_ONLY[1:]:
        assert advance(dev, batch["id"])["workflow_state"] == state
        assert get_order(dev, user, order_id)["status"] == shown(state)
    details = get_order(dev, user, order_id)["fulfillment_details"]
    assert details["bag_count"] == 2 and "delivered_at" in details


def test_dispatch_order_delivery_only_batch(dev, unique):
    user, order_id = f"u-{unique}", f"o-{unique}"
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    start = tomorrow.replace(hour=10, minute=0, second=0, microsecond=0, tzinfo=None)
    body = {
        "order_id": order_id,
        "user_id": user,
        "location_code": "000-3801",
        "start_at": start.isoformat(),  # no offset: the store's time, within its hours
        "first_name": "Ana",
        "last_name": "Lee",
        "user_phone": "+18005550111",
        "address": ADDRESS,
        "items_count": 2,
        "items_weight": 3.0,
    }
    dev.ok("POST", "/v2/fulfillment/lastmile/orders", body)
    batch = start_batch(dev, [order_id])  # delivery_only, inferred
    assert batch["workflow_state"] == "acknowledged_for_delivery"
    advance(dev, batch["id"], "completed")
    answer = dev.ok("GET", f"/v2/fulfillment/lastmile/orders/{order_id}?user_id={user}")
    assert answer["status"] == "delivered"


# batch refusals --------------------------------------------------------------------------


def test_advancing_an_unknown_batch(dev):
    answer = dev.post(f"{SB}/batches/987654321/advance")
    assert error_of(answer) == (404, "Resource not found", 4000, "batch_id")
    answer = dev.post(f"{SB}/batches/abc/advance")
    assert error_of(answer) == (400, "must be an integer", 1001, "batch_id")


def test_batch_refusals(dev, unique):
    user = f"u-{unique}"
    new_user(dev, user)
    delivery, pickup = f"d-{unique}", f"p-{unique}"
    place_order(dev, user, delivery)
    place_order(dev, user, pickup, "pickup")
    shopper = new_shopper(dev)
    path = f"{SB}/batches"

    def refused(*order_ids, **fields):
        return error_of(dev.post(path, batch_body(shopper, *order_ids, **fields)))

    unknown_shopper = dev.post(path, batch_body(1, delivery))
    assert error_of(unknown_shopper) == (400, "Shopper not found", 1001, "shopper_id")
    assert refused(delivery, f"x-{unique}") == (400, "Order not found", 1001, "orders[1]")
    other_user = {"shopper_id": shopper, "orders": [{"id": delivery, "user_id": "someone"}]}
    assert error_of(dev.post(path, other_user)) == (400, "Order not found", 1001, "orders[0]")
    # the wrong kind of order for the batch
    assert refused(delivery, batch_type="pickup") == (400, "Orders unbatchable", 1001, "orders[0]")
    assert refused(pickup, batch_type="delivery") == (400, "Orders unbatchable", 1001, "orders[0]")
    assert refused(delivery, pickup) == (400, "Orders unbatchable", 1001, "orders[1]")
    unbatchable = (400, "Orders unbatchable", 1001, "orders[0]")
    assert refused(delivery, batch_type="delivery_only") == unbatchable
    assert refused(delivery, batch_type="runner_customer")[1] == "Orders unbatchable"
    bad_state = refused(delivery, workflow_state="staged")
    assert bad_state == (400, "is not a state of a delivery batch", 1001, "workflow_state")
    # the wrong state: already batched, or canceled
    start_batch(dev, [delivery])
    assert refused(delivery) == (400, "Orders unbatchable", 1001, "orders[0]")
    dev.ok("POST", f"{USERS}/{user}/orders/{pickup}/cancel")
    assert refused(pickup) == (400, "Orders unbatchable", 1001, "orders[0]")
    # nothing was batched by the refused calls
    assert get_order(dev, user, pickup)["status"] == "canceled"


# shopper item actions --------------------------------------------------------------------


def picking_order(dev, unique) -> tuple[str, str, int, int]:
    """A delivery order in ``picking``: (user, order, shopper, batch)."""
    user, order_id = f"u-{unique}", f"o-{unique}"
    new_user(dev, user)
    items = [
        {"line_num": "1", "count": 3, "item": PEANUT_BUTTER},
        {"line_num": "2", "count": 1, "item": SPARKLING_WATER},
        {"line_num": "3", "weight": 2.0, "item": BANANAS},
    ]
    place_order(dev, user, order_id, items=items)
    shopper = new_shopper(dev)
    batch = dev.ok("POST", f"{SB}/batches", batch_body(shopper, order_id))
    advance(dev, batch["id"])  # picking
    return user, order_id, shopper, batch["id"]


def test_shopper_item_actions_show_in_get_order(dev, sandbox, unique):
    user, order_id, shopper, _ = picking_order(dev, unique)
    items = f"{SB}/shoppers/{shopper}/orders/{order_id}/items"

    found = {"status": "found", "delivered_count": 2}
    assert dev.ok("PUT", f"{items}/1", found) == {"success": True}
    replaced = {"status": "replaced", "replacement_item": {"upc": "000000094011"}}
    assert dev.ok("PUT", f"{items}/2", replaced) == {"success": True}
    refund = {"status": "to_refund", "delivered_count": 0}
    assert dev.ok("PUT", f"{items}/3", refund) == {"success": True}
    added = {"item": {"rrc": "0452-38492"}, "delivered_count": 2}
    assert dev.ok("POST", items, {"item": {"upc": "000000004131"}, "delivered_weight": 1.25})
    assert dev.ok("POST", items, added) == {"success": True}

    lines = {i["line_num"]: i for i in get_order(dev, user, order_id)["items"]}
    assert lines["1"]["qty"] == 2 and lines["1"]["replaced"] is False
    assert lines["2"]["replaced"] is True
    assert lines["2"]["scan_code"] == "00000000094011"  # the replacement's
    assert lines["2"]["item"] == {"upc": "070481001157", "rrc": "0612-01157"}  # still the ordered
    assert lines["3"]["qty"] == 0
    assert (lines["4"]["item"]["upc"], lines["4"]["qty"], lines["4"]["qty_unit"]) == (
        "000000004131",
        1.25,
        "lb",
    )
    assert (lines["5"]["item"]["upc"], lines["5"]["qty"]) == ("987665788999", 2)
    names = [e["event_name"] for e in sandbox.events("dev", order_id)]
    assert "fulfillment.order_item_replacement" in names
    assert "fulfillment.order_item_refund" in names


def test_refund_without_a_count_delivers_nothing(dev, unique):
    user, order_id, shopper, _ = picking_order(dev, unique)
    path = f"{SB}/shoppers/{shopper}/orders/{order_id}/items/1"
    dev.ok("PUT", path, {"status": "to_refund"})
    assert get_order(dev, user, order_id)["items"][0]["qty"] == 0


def test_shopper_item_refusals(dev, unique):
    user, order_id, shopper, batch = picking_order(dev, unique)
    items = f"{SB}/shoppers/{shopper}/orders/{order_id}/items"
    assert error_of(dev.put(f"{items}/99", {"status": "found"})) == (
        404,
        "Resource not found",
        4000,
        "line_num",
    )
    unknown_order = dev.put(f"{SB}/shoppers/{shopper}/orders/x-{unique}/items/1", {})
    assert error_of(unknown_order) == (404, "Resource not found", 4000, "order_id")
    unknown_shopper = dev.put(f"{SB}/shoppers/1/orders/{order_id}/items/1", {"status": "found"})
    assert error_of(unknown_shopper) == (400, "Shopper not found", 1001, "shopper_id")
    no_replacement = dev.put(f"{items}/1", {"status": "replaced"})
    message = "Status replaced needs a replacement_item"
    assert error_of(no_replacement) == (400, message, 1001, "body")
    bad_replacement = dev.put(
        f"{items}/1", {"status": "replaced", "replacement_item": {"upc": "000000000000"}}
    )
    assert error_of(bad_replacement) == (400, "Item not found", 1001, "replacement_item")
    assert get_order(dev, user, order_id)["items"][0]["replaced"] is False
    bad_item = dev.post(items, {"item": {"upc": "000000000000"}})
    assert error_of(bad_item) == (400, "Item not found", 1001, "item")
    bad_status = dev.put(f"{items}/1", {"status": "lost"})
    assert status_and_key(bad_status) == (400, "status")
    negative = dev.put(f"{items}/1", {"delivered_count": -1})
    assert status_and_key(negative) == (400, "delivered_count")

    # only while the order is being picked
    advance(dev, batch, "checkout")
    late = dev.put(f"{items}/1", {"status": "found"})
    message = "Items can only change while the order is being picked"
    assert error_of(late) == (400, message, 1001, "order_id")
    assert error_of(dev.post(items, {"item": PEANUT_BUTTER})) == (400, message, 1001, "order_id")
    fresh = f"n-{unique}"
    place_order(dev, user, fresh)
    early = dev.put(f"{SB}/shoppers/{shopper}/orders/{fresh}/items/1", {"status": "found"})
    assert error_of(early) == (400, message, 1001, "order_id")


# simulated callbacks ---------------------------------------------------------------------


def test_canceled_callback_cancels_the_order(dev, sandbox, unique):
    user, order_id = f"u-{unique}", f"o-{unique}"
    new_user(dev, user)
    place_order(dev, user, order_id)
    start_batch(dev, [order_id])
    path = f"{SB}/orders/{order_id}/callbacks"
    assert dev.ok("POST", path, {"event_name": "canceled"}) == {"success": True}
    order = get_order(dev, user, order_id)
    assert order["status"] == "canceled"
    assert order["cancellation_reason"] == "instacart_driven"
    event = sandbox.events("dev", order_id)[-1]
    assert event["event_name"] == "fulfillment.canceled"
    assert event["event_metadata"]["cancellation_reason"] == "instacart_driven"


@pytest.mark.parametrize("event", ["rescheduled", "late_delivery"])
def test_other_callbacks_leave_the_status(dev, sandbox, unique, event):
    user, order_id = f"u-{unique}", f"o-{unique}"
    new_user(dev, user)
    before = place_order(dev, user, order_id)
    assert dev.ok("POST", f"{SB}/orders/{order_id}/callbacks", {"event_name": event})["success"]
    assert get_order(dev, user, order_id) == before
    assert sandbox.events("dev", order_id)[-1]["event_name"] == f"fulfillment.{event}"


def test_callback_refusals(dev, unique):
    answer = dev.post(f"{SB}/orders/x-{unique}/callbacks", {"event_name": "canceled"})
    assert error_of(answer)[:3] == (404, "Resource not found", 4000)
    user, order_id = f"u-{unique}", f"o-{unique}"
    new_user(dev, user)
    place_order(dev, user, order_id)
    bad = dev.post(f"{SB}/orders/{order_id}/callbacks", {"event_name": "delivered"})
    assert status_and_key(bad) == (400, "event_name")
    assert get_order(dev, user, order_id)["status"] == "brand_new"


# Instacart users and account linking -----------------------------------------------------


def instacart_user(api, unique: str, **fields) -> int:
    body = {"email": f"c-{unique}@example.com", "phone": "4155550199", "password": "pw", **fields}
    return api.ok("POST", f"{SB}/instacart_users", body)["id"]


def linking_token(api, instacart_id: int, redirect: str = "https://example.com/cb") -> str:
    authorize = {"redirect_uri": redirect, "scope": "openid account_linking"}
    code = api.ok("POST", f"{SB}/instacart_users/{instacart_id}/authorize", authorize)["code"]
    body = {
        "client_id": api.client_id,
        "client_secret": api.client_secret,
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect,
    }
    return api.ok("POST", "/v2/oauth/token", body, token=None)["access_token"]


def test_create_instacart_user(dev, unique):
    first = instacart_user(dev, unique)
    assert isinstance(first, int) and first >= 940_626_754
    again = dev.post(
        f"{SB}/instacart_users",
        {"email": f"C-{unique}@Example.com", "phone": "1", "password": "x"},
    )
    assert error_of(again) == (400, "An account already exists with this email", 1001, "email")
    bad = dev.post(f"{SB}/instacart_users", {"email": "nope", "phone": "1", "password": "x"})
    assert error_of(bad) == (400, "Invalid email", 1001, "email")
    missing = dev.post(f"{SB}/instacart_users", {"email": f"d-{unique}@example.com"})
    assert error_of(missing)[0] == 400


def test_authorize_instacart_user(dev, unique):
    instacart_id = instacart_user(dev, unique)
    body = {"redirect_uri": "https://example.com/cb", "scope": "account_linking"}
    code = dev.ok("POST", f"{SB}/instacart_users/{instacart_id}/authorize", body)["code"]
    assert isinstance(code, str) and len(code) >= 32
    unknown = dev.post(f"{SB}/instacart_users/1/authorize", body)
    assert error_of(unknown) == (400, "Invalid user_id", 1001, "user_id")
    no_scope = dev.post(
        f"{SB}/instacart_users/{instacart_id}/authorize", {**body, "scope": "openid"}
    )
    assert error_of(no_scope) == (400, "must include account_linking", 1001, "scope")


def test_account_linking_flow(dev, unique):
    user = f"u-{unique}"
    new_user(dev, user)
    link = f"{USERS}/{user}/link"
    assert error_of(dev.get(link)) == (400, "User Not Linked", 1001, "user_id")

    instacart_id = instacart_user(dev, unique, instacartplus_member=True)
    redirect = "https://retailer.example.com/linked"
    authorize = {"redirect_uri": redirect, "scope": "openid account_linking"}
    code = dev.ok("POST", f"{SB}/instacart_users/{instacart_id}/authorize", authorize)["code"]
    exchange = {
        "client_id": dev.client_id,
        "client_secret": dev.client_secret,
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": "https://elsewhere.example.com/",
    }
    wrong_uri = dev.post("/v2/oauth/token", exchange, token=None)
    assert (wrong_uri.status_code, wrong_uri.json()["error"]) == (400, "invalid_grant")
    token = dev.ok("POST", "/v2/oauth/token", {**exchange, "redirect_uri": redirect}, token=None)
    assert len(token["access_token"]) == 43 and token["token_type"] == "Bearer"
    reused = dev.post("/v2/oauth/token", {**exchange, "redirect_uri": redirect}, token=None)
    assert (reused.status_code, reused.json()["error"]) == (400, "invalid_grant")  # single use

    assert dev.ok("POST", link, {"linking_token": token["access_token"]}) == {"success": True}
    info = dev.ok("GET", link)
    assert info["instacartplus_member"] is True
    assert info["express_member"] is True
    expiry = when(info["expired_at"]) - datetime.now(UTC)
    assert timedelta(days=364) < expiry < timedelta(days=366)

    # the same Instacart account cannot be linked to a second user
    second = f"u2-{unique}"
    new_user(dev, second)
    answer = dev.post(f"{USERS}/{second}/link", {"linking_token": linking_token(dev, instacart_id)})
    assert error_of(answer) == (
        400,
        "Validation failed: Common identities can only have one user per isolation context",
        1001,
        "linking_token",
    )
    assert error_of(dev.get(f"{USERS}/{second}/link"))[1] == "User Not Linked"
    # linking the first user again is fine
    again = dev.post(link, {"linking_token": linking_token(dev, instacart_id)})
    assert again.status_code == 200, again.text


def test_linking_refusals_and_non_members(dev, unique):
    user = f"u-{unique}"
    new_user(dev, user)
    link = f"{USERS}/{user}/link"
    assert error_of(dev.post(link, {"linking_token": "not-a-token"})) == (
        400,
        "Linking token is invalid",
        1001,
        "linking_token",
    )
    # a client-credentials token is not a linking token
    assert error_of(dev.post(link, {"linking_token": dev.token}))[1] == "Linking token is invalid"
    assert error_of(dev.post(link, {})) == (400, "can't be blank", 1001, "linking_token")
    token = linking_token(dev, instacart_user(dev, unique))
    nobody = dev.post(f"{USERS}/nobody-{unique}/link", {"linking_token": token})
    assert error_of(nobody) == (400, "User Not Found", 1001, "user_id")
    assert dev.ok("POST", link, {"linking_token": token}) == {"success": True}
    assert dev.ok("GET", link) == {"instacartplus_member": False, "express_member": False}


def test_express_member_is_the_deprecated_name_of_instacartplus_member(dev, unique):
    user = f"u-{unique}"
    new_user(dev, user)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        token = linking_token(dev, instacart_user(dev, unique, express_member=True))
    # the sandbox reads the deprecated field without warning in the caller's process
    assert not [w for w in caught if issubclass(w.category, DeprecationWarning)]
    dev.ok("POST", f"{USERS}/{user}/link", {"linking_token": token})
    assert dev.ok("GET", f"{USERS}/{user}/link")["instacartplus_member"] is True


def test_authorization_codes_live_ten_minutes(dev, sandbox, unique):
    instacart_id = instacart_user(dev, unique)
    redirect = "https://example.com/cb"
    body = {"redirect_uri": redirect, "scope": "account_linking"}
    code = dev.ok("POST", f"{SB}/instacart_users/{instacart_id}/authorize", body)["code"]
    exchange = {
        "client_id": dev.client_id,
        "client_secret": dev.client_secret,
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect,
    }
    sandbox.advance_clock("dev", 11 * 60)
    try:
        answer = dev.post("/v2/oauth/token", exchange, token=None)
    finally:
        sandbox.advance_clock("dev", -11 * 60)
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_grant")


# prod ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/shoppers"),
        ("POST", "/batches"),
        ("POST", "/batches/1/advance"),
        ("POST", "/shoppers/1/orders/a1b2c3/items"),
        ("PUT", "/shoppers/1/orders/a1b2c3/items/1"),
        ("POST", "/orders/a1b2c3/callbacks"),
        ("POST", "/instacart_users"),
        ("POST", "/instacart_users/1/authorize"),
    ],
)
def test_the_sandbox_api_is_not_enabled_in_prod(prod, method, path):
    answer = prod.request(method, SB + path, json={})
    status, _, code, _ = error_of(answer)
    assert (status, code) == (404, 4000)
