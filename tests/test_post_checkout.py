"""The Post-checkout API against the sandbox: a customer's user token, the order summary,
handling and location, items and the replacement loop with the shopper, chat, pickup."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import pytest
from helpers import (
    BANANAS,
    PEANUT_BUTTER,
    SPARKLING_WATER,
    WINE,
    Api,
    advance,
    cart,
    error_of,
    new_shopper,
    new_user,
    place_order,
    status_and_key,
)

from connect_kit import spec

PC = "/v2/post_checkout"
SB = "/v2/fulfillment_sandbox"


def user_token(api: Api, user_id: str) -> str:
    assertion = base64.b64encode(json.dumps({"user_id": user_id}).encode()).decode()
    body = {
        "client_id": api.client_id,
        "client_secret": api.client_secret,
        "grant_type": "fulfillment_user_assertion",
        "assertion": assertion,
        "scope": "connect:post_checkout",
    }
    return api.ok("POST", "/v2/oauth/token", body, token=None)["access_token"]


class Customer:
    """A Connect user with an order, and their Post-checkout token."""

    def __init__(self, api: Api, unique: str, kind: str = "delivery", **order: Any) -> None:
        self.api, self.user_id, self.order_id = api, f"pc-u-{unique}", f"pc-o-{unique}"
        new_user(api, self.user_id)
        place_order(api, self.user_id, self.order_id, kind, **order)
        self.token = user_token(api, self.user_id)
        self.batch: int | None = None
        self.shopper: int | None = None

    def get(self, path: str, **kw: Any):
        return self.api.get(path.format(o=self.order_id), token=self.token, **kw)

    def post(self, path: str, json: Any = None, **kw: Any):
        return self.api.post(path.format(o=self.order_id), json, token=self.token, **kw)

    def put(self, path: str, json: Any = None, **kw: Any):
        return self.api.put(path.format(o=self.order_id), json, token=self.token, **kw)

    def ok(self, method: str, path: str, json: Any = None) -> Any:
        return self.api.ok(method, path.format(o=self.order_id), json, token=self.token)

    def batched(self, state: str | None = None) -> Customer:
        """Batch the order for a new shopper, then move it to ``state``."""
        self.shopper = new_shopper(self.api)
        body = {"shopper_id": self.shopper, "orders": [{"id": self.order_id}]}
        self.batch = self.api.ok("POST", f"{SB}/batches", body)["id"]
        if state and state != "acknowledged":
            advance(self.api, self.batch, state)
        return self

    def shop(self, line_num: str, **body: Any) -> None:
        path = f"{SB}/shoppers/{self.shopper}/orders/{self.order_id}/items/{line_num}"
        self.api.ok("PUT", path, body)


# Auth: a user token, for the user's own orders -----------------------------------------


def test_every_post_checkout_operation_is_in_the_spec():
    ops = [op for op in spec.OPERATIONS.values() if op.area == "post_checkout"]
    assert len(ops) == 14
    assert {op.scope for op in ops} == {"connect:post_checkout"}
    assert len({(op.method, op.path) for op in ops}) == 14
    assert all(op.path.startswith("/v2/post_checkout/") for op in ops)


def test_a_client_credentials_token_has_no_user(dev, unique):
    customer = Customer(dev, unique)
    token = dev.new_token("connect:fulfillment")
    answer = dev.get(f"{PC}/orders/{customer.order_id}", token=token)
    # each endpoint's error table: no user to speak for (not the scope's 403)
    assert error_of(answer) == (400, "User ID not found", 4001, None)
    # a user token of the right scope speaks for its user only
    other = Customer(dev, unique + "-other")
    answer = other.api.get(f"{PC}/orders/{customer.order_id}", token=other.token)
    assert error_of(answer) == (404, "Resource not found", 4000, None)
    assert error_of(customer.get(f"{PC}/orders/nope-{unique}")) == (
        404,
        "Resource not found",
        4000,
        None,
    )


def test_a_token_without_a_user_is_refused_with_4001(sandbox, dev, unique):
    customer = Customer(dev, unique)
    # a token with the scope but no user (the sandbox's own store, as a migration would leave it)
    state = sandbox.instances["dev"].state
    from connect_kit.sandbox.oauth import digest

    record = state.get("token", digest(customer.token))
    record.pop("user_id")
    state.put("token", digest(customer.token), record)
    for path in (f"{PC}/orders/{{o}}", f"{PC}/orders/{{o}}/items", f"{PC}/chat/{{o}}/messages"):
        assert error_of(customer.get(path)) == (400, "User ID not found", 4001, None)
    assert error_of(customer.put(f"{PC}/chat/{{o}}/messages")) == (
        400,
        "User ID not found",
        4001,
        None,
    )


# Orders: summary, handling, location -----------------------------------------------------


def test_the_order_summary_follows_the_order(dev, unique):
    customer = Customer(dev, unique)
    order = customer.ok("GET", f"{PC}/orders/{{o}}")
    assert order["id"] == customer.order_id
    assert order["workflow_state"] == "brand_new"
    assert order["fulfillment_type"] == "delivery"
    assert order["window_starts_at"] < order["window_ends_at"]
    assert "pickup_category" not in order
    customer.batched("delivering")
    assert customer.ok("GET", f"{PC}/orders/{{o}}")["workflow_state"] == "delivering"
    advance(dev, customer.batch)
    assert customer.ok("GET", f"{PC}/orders/{{o}}")["workflow_state"] == "delivered"


def test_handling_tells_where_and_how(dev, unique):
    customer = Customer(
        dev,
        unique,
        items=cart(PEANUT_BUTTER, WINE),
        special_instructions="Ring twice",
        user={"birthday": "1980-01-01"},
    )
    handling = customer.ok("GET", f"{PC}/orders/{{o}}/handling")
    assert handling["address"] == {
        "address_line_1": "50 Beale St",
        "locality": "San Francisco",
        "administrative_area": "CA",
        "postal_code": "94105",
        "country_code": "US",
    }
    assert handling["coordinates"] == {"latitude": 37.7898, "longitude": -122.3942}
    assert handling["instructions"] == "Ring twice"
    assert handling["alcoholic"] is True and handling["leave_unattended"] is False
    assert "shopper" not in handling  # no shopper yet
    customer.batched()
    assert customer.ok("GET", f"{PC}/orders/{{o}}/handling")["shopper"]["first_name"]


def test_location_only_while_delivering(dev, unique):
    customer = Customer(dev, unique)
    assert customer.ok("GET", f"{PC}/orders/{{o}}/location") == {}
    customer.batched("delivering")
    coordinates = customer.ok("GET", f"{PC}/orders/{{o}}/location")["coordinates"]
    assert 37 < coordinates["latitude"] < 38.5 and -123 < coordinates["longitude"] < -121.5
    advance(dev, customer.batch)
    assert customer.ok("GET", f"{PC}/orders/{{o}}/location") == {}


# Items and the replacement loop ----------------------------------------------------------


def test_items_follow_the_shopper_and_the_customer_decides(dev, unique):
    customer = Customer(dev, unique, items=cart(PEANUT_BUTTER, SPARKLING_WATER, BANANAS))
    items = customer.ok("GET", f"{PC}/orders/{{o}}/items")["line_items"]
    assert [(i["id"], i["status"]) for i in items] == [
        ("1", "NOT_PICKED"),
        ("2", "NOT_PICKED"),
        ("3", "NOT_PICKED"),
    ]
    assert items[0]["item"]["quantity"] == "1" and items[0]["item"]["cost_unit"] == "each"
    assert items[2]["item"]["cost_unit"] == "lb" and items[0]["item"]["name"]
    customer.batched("picking")
    customer.shop("1", status="found", delivered_count=1)
    customer.shop("2", status="replaced", replacement_item=BANANAS, delivered_count=1)
    customer.shop("3", status="to_refund")
    items = {i["id"]: i for i in customer.ok("GET", f"{PC}/orders/{{o}}/items")["line_items"]}
    assert items["1"]["status"] == "FOUND" and "replacement_status" not in items["1"]
    assert items["3"]["status"] == "TO_REFUND"
    assert (items["2"]["status"], items["2"]["replacement_status"]) == ("REPLACED", "PENDING")
    assert items["2"]["replacement"]["cost_unit"] == "lb"
    replacement = f"{PC}/orders/{{o}}/items/{{i}}/replacement"
    # only a pending replacement can be answered
    answer = customer.put(replacement.replace("{i}", "1"), {"status": "APPROVED"})
    assert status_and_key(answer) == (400, "order_item_id")
    answer = customer.put(replacement.replace("{i}", "99"), {"status": "APPROVED"})
    assert error_of(answer) == (404, "Order item 99 not found", 4000, None)
    assert customer.ok("PUT", replacement.replace("{i}", "2"), {"status": "APPROVED"}) == {}
    items = {i["id"]: i for i in customer.ok("GET", f"{PC}/orders/{{o}}/items")["line_items"]}
    assert (items["2"]["status"], items["2"]["replacement_status"]) == ("APPROVED", "APPROVED")
    answer = customer.put(replacement.replace("{i}", "2"), {"status": "REJECTED"})
    assert error_of(answer) == (
        400,
        "Order item change already responded to",
        1001,
        "order_item_id",
    )
    # a new proposal from the shopper asks again; a rejection may name an alternative
    customer.shop("2", status="replaced", replacement_item=PEANUT_BUTTER)
    items = {i["id"]: i for i in customer.ok("GET", f"{PC}/orders/{{o}}/items")["line_items"]}
    assert items["2"]["replacement_status"] == "PENDING"
    body = {"status": "REJECTED", "alternative_item": {**BANANAS, "weight": 1.5}}
    assert customer.ok("PUT", replacement.replace("{i}", "2"), body) == {}
    items = {i["id"]: i for i in customer.ok("GET", f"{PC}/orders/{{o}}/items")["line_items"]}
    assert (items["2"]["status"], items["2"]["replacement_status"]) == ("REJECTED", "REJECTED")


def test_replacement_decisions_are_checked(dev, unique):
    customer = Customer(dev, unique)
    customer.batched("picking")
    customer.shop("1", status="replaced", replacement_item=BANANAS)
    path = f"{PC}/orders/{{o}}/items/1/replacement"
    missing = customer.put(path, {})  # the multiple-errors form, as the page's table says
    assert error_of(missing) == (400, "There were issues with your request", 9999, None)
    assert error_of(customer.put(path, {"status": "MAYBE"})) == (
        400,
        "is not included in the list",
        1001,
        "status",
    )
    bad = [
        ({"status": "APPROVED", "alternative_item": {**BANANAS, "count": 1}}, "body"),
        ({"status": "REJECTED", "alternative_item": {"count": 1}}, "alternative_item"),
        ({"status": "REJECTED", "alternative_item": {**BANANAS}}, "alternative_item"),
        ({"status": "REJECTED", "alternative_item": {**BANANAS, "count": 0}}, "alternative_item"),
    ]
    for body, key in bad:
        assert status_and_key(customer.put(path, body)) == (400, key), body
    answer = customer.put(
        path, {"status": "REJECTED", "alternative_item": {"upc": "1", "count": 1}}
    )
    assert error_of(answer) == (
        400,
        "Could not resolve alternative item to a valid product",
        1001,
        None,
    )
    answer = customer.put(path, {"status": "REJECTED", "alternative_item": {"upc": "1"}})
    assert error_of(answer) == (
        400,
        "must include exactly one of count or weight",
        1001,
        "alternative_item",
    )
    # too late once the shopper checks out
    advance(dev, customer.batch, "checkout")
    answer = customer.put(path, {"status": "APPROVED"})
    assert status_and_key(answer) == (400, "order_id")


# Chat ------------------------------------------------------------------------------------


def test_chat_from_picking_until_delivered(dev, unique):
    customer = Customer(dev, unique)
    chat = f"{PC}/chat/{{o}}/messages"
    assert customer.ok("GET", chat) == {"chat_messages": [], "metadata": {"is_expired": False}}
    answer = customer.post(chat, {"body": "hello?"})
    assert error_of(answer) == (403, "Sending a message is not allowed at this time", None, None)
    customer.batched("picking")
    messages = customer.ok("GET", chat)["chat_messages"]  # the shopper opened the chat
    assert [(m["sender_type"], m["recipient_type"], m["read"]) for m in messages] == [
        ("driver", "user", False)
    ]
    sent = customer.ok("POST", chat, {"body": "Ripe bananas please"})
    assert sent["type"] == "CHAT" and isinstance(sent["id"], int)
    assert status_and_key(customer.post(chat, {"body": "x" * 1001})) == (400, "body")
    messages = customer.ok("GET", chat)["chat_messages"]
    assert [m["sender_type"] for m in messages] == ["driver", "user"]
    assert messages[1]["body"] == "Ripe bananas please" and messages[1]["id"] == sent["id"]
    assert messages[0]["sender_id"] == messages[1]["recipient_id"]
    assert messages[0]["order_id"] == messages[1]["order_id"]
    assert customer.ok("PUT", chat) == {"messages_read_count": 1}
    assert customer.ok("PUT", chat) == {"messages_read_count": 0}
    assert customer.ok("GET", chat)["chat_messages"][0]["read"] is True
    events = dev.sandbox.instances["dev"].state.find("event", event_name="chat_message_created")
    assert any(e["event_metadata"]["order_id"] == customer.order_id for e in events)
    advance(dev, customer.batch, "delivering")
    advance(dev, customer.batch)
    assert error_of(customer.post(chat, {"body": "thanks"}))[0] == 403
    assert len(customer.ok("GET", chat)["chat_messages"]) == 2  # readable for 24 h


def test_order_messages_show_chat_and_lifecycle(dev, unique):
    customer = Customer(dev, unique).batched("picking")
    customer.ok("POST", f"{PC}/chat/{{o}}/messages", {"body": "hi"})
    messages = customer.ok("GET", f"{PC}/orders/{{o}}/order_messages")
    assert [m["sender_type"] for m in messages["chat_messages"]] == ["driver", "user"]
    states = [m["workflow_state"] for m in messages["lifecycle_messages"]]
    assert states == ["brand_new", "acknowledged", "picking"]
    assert all(m["message"] and m["created_at"] for m in messages["lifecycle_messages"])
    assert messages["metadata"] == {"is_expired": False}


# Pickup ----------------------------------------------------------------------------------


def test_pickup_endpoints_refuse_delivery_orders(dev, unique):
    customer = Customer(dev, unique)
    refused = (400, "Pickup unavailable for non-pickup orders", 4001, None)
    assert error_of(customer.get(f"{PC}/orders/{{o}}/pickup/details")) == refused
    assert error_of(customer.get(f"{PC}/orders/{{o}}/pickup/vehicle_info")) == refused
    assert error_of(customer.put(f"{PC}/orders/{{o}}/pickup/vehicle_info", {})) == refused
    assert error_of(customer.post(f"{PC}/orders/{{o}}/pickup/user_arrived")) == refused
    eta = {"schedule_pickup_eta": "2030-01-01T18:00:00Z"}
    assert error_of(customer.post(f"{PC}/orders/{{o}}/pickup/schedule_pickup", eta)) == refused


def test_the_pickup_experience(dev, unique):
    customer = Customer(dev, unique, "pickup")
    order = customer.ok("GET", f"{PC}/orders/{{o}}")
    assert (order["fulfillment_type"], order["pickup_category"]) == ("pickup", "curbside")
    details = customer.ok("GET", f"{PC}/orders/{{o}}/pickup/details")["pickup_instructions"]
    assert {"curbside", "in_store"} <= {d["category"] for d in details}
    assert all(d["instruction"] for d in details)
    vehicle = f"{PC}/orders/{{o}}/pickup/vehicle_info"
    assert customer.ok("GET", vehicle) == {}
    saved = customer.ok("PUT", vehicle, {"model": "Corolla", "vehicle_type": "sedan"})
    assert saved["vehicle_info"]["model"] == "Corolla" and "color_hex" not in saved["vehicle_info"]
    saved = customer.ok("PUT", vehicle, {"color": "silver", "license_plate": "F4K3"})[
        "vehicle_info"
    ]
    assert saved == {
        "id": saved["id"],
        "model": "Corolla",
        "vehicle_type": "sedan",
        "license_plate": "F4K3",
        "color": "silver",
        "color_hex": "#E8E8E8",
    }
    assert customer.ok("GET", vehicle) == {"vehicle_info": saved}
    for body, key in (({"color": "Silver"}, "color"), ({"vehicle_type": "bus"}, "vehicle_type")):
        assert status_and_key(customer.put(vehicle, body)) == (400, key)
    arrived = f"{PC}/orders/{{o}}/pickup/user_arrived"
    schedule = f"{PC}/orders/{{o}}/pickup/schedule_pickup"
    eta = {"schedule_pickup_eta": "2030-01-01T18:00:00Z"}
    not_staged = {
        "error": {"message": "Params error", "code": 2001},
        "meta": {"order_delivery_id": "Order delivery is not staged."},
    }
    for answer in (customer.post(arrived), customer.post(schedule, eta)):
        assert (answer.status_code, answer.json()) == (400, not_staged)
    customer.batched("staged")
    assert customer.ok("GET", f"{PC}/orders/{{o}}")["workflow_state"] == "ready_for_pickup"
    assert customer.ok("POST", schedule, eta) == {"success": True}
    assert status_and_key(customer.post(schedule, {"schedule_pickup_eta": "soon"})) == (
        400,
        "schedule_pickup_eta",
    )
    assert customer.ok("POST", arrived, {}) == {"success": True}
    assert customer.ok("GET", f"{PC}/orders/{{o}}")["workflow_state"] == "user_at_store"


@pytest.mark.parametrize("path", ["pickup/details", "items", "handling", "order_messages"])
def test_another_users_order_is_not_found(dev, unique, path):
    owner = Customer(dev, unique, "pickup")
    stranger = Customer(dev, unique + "-s")
    answer = dev.get(f"{PC}/orders/{owner.order_id}/{path}", token=stranger.token)
    assert error_of(answer) == (404, "Resource not found", 4000, None)


def test_chat_expires_a_day_after_delivery(sandbox, dev, unique):
    customer = Customer(dev, unique).batched("picking")
    customer.ok("POST", f"{PC}/chat/{{o}}/messages", {"body": "x" * 1000})
    advance(dev, customer.batch, "delivering")
    advance(dev, customer.batch)
    instance = sandbox.instances["dev"]
    instance.clock_offset = timedelta(hours=25)
    try:
        customer.token = user_token(dev, customer.user_id)  # the old one has expired too
        expired = {"chat_messages": [], "metadata": {"is_expired": True}}
        assert customer.ok("GET", f"{PC}/chat/{{o}}/messages") == expired
        messages = customer.ok("GET", f"{PC}/orders/{{o}}/order_messages")
        assert messages == {**expired, "lifecycle_messages": []}
    finally:
        instance.clock_offset = timedelta(0)
