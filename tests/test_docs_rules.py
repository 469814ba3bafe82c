"""Rules the docs state that the sandbox once got wrong (docs gaps of 2026-12): one test an item.

Each test names the docs page it follows (docs.instacart.com/connect/api/...). Where the docs
are silent the sandbox's choice is in SANDBOX.md; the tests pin those choices too.
"""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from helpers import (
    ADDRESS,
    LAST_MILE_CART,
    PEANUT_BUTTER,
    SPARKLING_WATER,
    WINE,
    Api,
    advance,
    cart,
    error_of,
    new_user,
    place_order,
    reserve,
    start_batch,
)

from connect_kit import spec
from connect_kit.client import instance_environment
from connect_kit.client._session import ConnectSession

USERS = "/v2/fulfillment/users"
DISPATCH = "/v2/fulfillment/lastmile/orders"
PC = "/v2/post_checkout"
PACIFIC = ZoneInfo("America/Los_Angeles")
EVANSTON = {"address_line_1": "1603 Orrington Ave", "postal_code": "60201"}  # no alcohol there
CHICAGO = {"address_line_1": "233 S Wacker Dr", "postal_code": "60601"}
CHICAGO_STORE = "530-0601"  # sells alcohol
NO_ALCOHOL_STORE = "000-5010"  # Evanston: delivers, sells no alcohol
MONTREAL_STORE = "852-0020"  # Marché Beaulieu - Quartier Latin


def when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def at_local_time(sandbox, hour: int, minute: int = 0, env: str = "dev") -> Api:
    """Move an instance's clock to its next hour:minute in San Francisco; a client made after
    the move (its token is issued at the new time)."""
    now = sandbox.instances[env].now().astimezone(PACIFIC)
    target = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if target <= now:
        target += timedelta(days=1)
    sandbox.advance_clock(env, (target - now).total_seconds())
    return Api(sandbox, env)


def dispatch(order_id: str, start: datetime, **fields: Any) -> dict[str, Any]:
    """A create dispatch order body with the documented required fields."""
    return {
        "order_id": order_id,
        "location_code": "000-3801",
        "start_at": start.isoformat(),
        "end_at": (start + timedelta(hours=1)).isoformat(),
        "first_name": "Ana",
        "last_name": "Lee",
        "user_phone": "+18005550123",
        "address": ADDRESS,
        "items_count": 3,
        "items_weight": 4.5,
        **fields,
    }


def tomorrow_at(hour: int, now: datetime | None = None) -> datetime:
    day = (now or datetime.now(PACIFIC)).astimezone(PACIFIC) + timedelta(days=1)
    return day.replace(hour=hour, minute=0, second=0, microsecond=0)


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


# 1. Dispatch staging is current; stage_order is for plain last-mile orders -----------------


def test_dispatch_staging_is_current_and_stage_order_is_last_mile_only(dev, unique):
    """lastmile/stage_order_dispatch (current, "works only with dispatch last mile delivery
    orders"); last_mile/stage_order ("works only with last mile delivery orders")."""
    op = spec.get("stage_dispatch_order")
    assert (op.method, op.path) == ("POST", "/v2/fulfillment/lastmile/orders/{order_id}/staged")
    assert not op.deprecated
    assert {f.name for f in spec.fields(op, "request")} == {
        "items_count",
        "bags_count",
        "items_weight",
        "bag_label",
    }
    assert "lastmile_stage_order" not in spec.OPERATIONS
    assert spec.get("stage_order").replacement is None and not spec.get("stage_order").deprecated

    user, order_id = f"u-{unique}", f"o-{unique}"
    body = dispatch(order_id, tomorrow_at(10), user_id=user)
    dev.ok("POST", DISPATCH, body)
    refused = dev.post(f"{USERS}/{user}/orders/{order_id}/staged", {"bags_count": 1})
    assert error_of(refused) == (
        400,
        "This endpoint works only with last mile delivery orders",
        1001,
        "order_id",
    )
    staged = dev.ok("POST", f"{DISPATCH}/{order_id}/staged", {"bags_count": 1})
    assert staged["status"] == "staged_for_delivery"


# 2. Listing last-mile slots for a cart: the documented required fields ----------------------


def test_last_mile_cart_listing_requires_the_documented_fields(dev, unique):
    """last_mile/list_cart_service_options: address, location_code, cart_total_cents and
    items_count are required; units_count exists (optional)."""
    op = spec.get("list_last_mile_service_options")
    fields = {f.name: f for f in spec.fields(op, "request") if "." not in f.path}
    required = {name for name, f in fields.items() if f.required}
    assert required == {"address", "location_code", "cart_total_cents", "items_count"}
    assert "units_count" in fields and not fields["units_count"].required

    user = f"u-{unique}"
    new_user(dev, user)
    path = f"{USERS}/{user}/service_options/cart/last_mile"
    answer = dev.post(path, {"postal_code": "94105"})
    body = answer.json()
    assert (answer.status_code, body["error"]["code"]) == (400, 9999)
    assert {(e["error"]["message"], e["meta"]["key"]) for e in body["error"]["errors"]} == {
        ("can't be blank", "address"),
        ("can't be blank", "location_code"),
        ("can't be blank", "cart_total_cents"),
        ("can't be blank", "items_count"),
    }
    full = {"location_code": "000-3801", **LAST_MILE_CART, "units_count": 20}
    assert dev.ok("POST", path, full)["service_options"]


# 3. Dispatch order creation: required fields and the errors added on 2026-04-08 -------------


def test_dispatch_create_and_update_errors_of_2026_04_08(own_sandbox, unique):
    """lastmile/create_order_single_call and the changelog of 2026-04-08 ("Invalid last name",
    "Requested delivery window not available at this store", "No delivery windows currently
    available", "Alcohol delivery not enabled for this store", "Store is currently closed for
    delivery"; "Invalid zip code for alcohol" on update order)."""
    api = Api(own_sandbox, "dev")
    start = tomorrow_at(10, own_sandbox.instances["dev"].now())
    body = dispatch(f"o-{unique}", start)

    required = ("first_name", "last_name", "user_phone", "address", "items_count", "items_weight")
    answer = api.post(DISPATCH, {k: v for k, v in body.items() if k not in required})
    errors = answer.json()["error"]["errors"]
    assert {(e["error"]["message"], e["meta"]["key"]) for e in errors} == {
        ("can't be blank", name) for name in required
    }
    assert error_of(api.post(DISPATCH, {**body, "last_name": "12345"})) == (
        400,
        "Invalid last name",
        1001,
        "last_name",
    )
    no_alcohol = {**body, "location_code": NO_ALCOHOL_STORE, "alcoholic": True}
    assert error_of(api.post(DISPATCH, no_alcohol)) == (
        400,
        "Alcohol delivery not enabled for this store",
        1001,
        "alcoholic",
    )
    early = dispatch(f"o-{unique}", start.replace(hour=6))  # before the store delivers
    assert error_of(api.post(DISPATCH, early)) == (
        400,
        "Requested delivery window not available at this store",
        1001,
        "start_at",
    )

    # an order with alcohol cannot move where alcohol is not delivered
    wine = dispatch(
        f"w-{unique}", start, location_code=CHICAGO_STORE, address=CHICAGO, alcoholic=True
    )
    wine["start_at"] = start.astimezone(ZoneInfo("America/Chicago")).replace(hour=10).isoformat()
    wine.pop("end_at")
    api.ok("POST", DISPATCH, wine)
    moved = api.put(f"{DISPATCH}/w-{unique}", {"address": EVANSTON})
    assert error_of(moved) == (400, "Invalid zip code for alcohol", 1001, "address.postal_code")

    # the fallback to the soonest same-day window, late in the day
    late = at_local_time(own_sandbox, 21, 30)  # the last window (21:00) has begun
    past = dispatch(f"p-{unique}", start - timedelta(days=3), fallback_to_soonest_sameday=True)
    assert error_of(late.post(DISPATCH, past)) == (
        400,
        "No delivery windows currently available",
        1001,
        "start_at",
    )
    closed = at_local_time(own_sandbox, 22, 30)  # the store's hours are over for today
    assert error_of(closed.post(DISPATCH, past)) == (
        400,
        "Store is currently closed for delivery",
        1001,
        "location_code",
    )


def test_adding_alcohol_to_an_order_for_a_dry_postal_code(dev, unique):
    """update_order: "Invalid zip code for alcohol" (changelog 2026-04-08); which postal codes
    allow alcohol is the sandbox's seed (a place where some store sells alcohol)."""
    user, order_id = f"u-{unique}", f"o-{unique}"
    new_user(dev, user)
    held = reserve(dev, user, "delivery", cart(PEANUT_BUTTER), location_code=CHICAGO_STORE)
    body = {
        "order_id": order_id,
        "service_option_hold_id": held["id"],
        "location_code": CHICAGO_STORE,
        "initial_tip_cents": 0,
        "address": EVANSTON,
        "items": cart(PEANUT_BUTTER),
    }
    dev.ok("POST", f"{USERS}/{user}/orders/delivery", body)
    update = {
        "initial_tip_cents": 0,
        "items": cart(PEANUT_BUTTER, WINE),
        "user": {"birthday": "1980-01-01"},
    }
    answer = dev.put(f"{USERS}/{user}/orders/{order_id}", update)
    assert error_of(answer) == (400, "Invalid zip code for alcohol", 1001, "items[1].item")


# 4. Post-checkout with a client-credentials token -----------------------------------------


def test_post_checkout_with_a_client_credentials_token_is_4001(dev, unique):
    """Each Post-checkout endpoint's error table: 400 "User ID not found", code 4001."""
    user, order_id = f"u-{unique}", f"o-{unique}"
    new_user(dev, user)
    place_order(dev, user, order_id)
    token = dev.new_token()  # client credentials: no user
    for method, path, body in (
        ("GET", f"{PC}/orders/{order_id}", None),
        ("GET", f"{PC}/orders/{order_id}/items", None),
        ("POST", f"{PC}/chat/{order_id}/messages", {"body": "hi"}),
        ("PUT", f"{PC}/orders/{order_id}/items/1/replacement", {"status": "APPROVED"}),
    ):
        answer = dev.request(method, path, token=token, json=body)
        assert error_of(answer) == (400, "User ID not found", 4001, None), path


# 5. Reserving a preview slot succeeds; creating the order may fail later ----------------------


def test_a_previewed_slot_can_be_held_but_may_be_gone_at_checkout(own_sandbox, unique):
    """delivery/preview_service_options: reserve a preview slot's id; "order creation might
    fail because the preview time slot isn't available anymore"."""
    api = Api(own_sandbox, "dev")
    preview = api.ok("POST", "/v2/fulfillment/service_options/delivery", {"postal_code": "98101"})
    slot = next(o for o in preview["service_options"] if o["availability"]["available"])
    items = cart(PEANUT_BUTTER)
    address = {"address_line_1": "1301 2nd Ave", "postal_code": "98101"}

    def order(user: str) -> Any:
        new_user(api, user)
        held = api.ok("POST", f"{USERS}/{user}/service_options/{slot['id']}/reserve")
        body = {
            "order_id": f"o-{user}",
            "service_option_hold_id": held["service_option_hold"]["id"],
            "initial_tip_cents": 0,
            "address": address,
            "items": items,
        }
        return lambda: api.post(f"{USERS}/{user}/orders/delivery", body)

    # while the slot is still offered, the order is made
    assert order(f"a-{unique}")().status_code == 200
    # once the slot would no longer be listed (it starts within the hour), it is not
    late = order(f"b-{unique}")
    start = when(slot["window"]["start_at"])
    now = own_sandbox.instances["dev"].now()
    own_sandbox.advance_clock("dev", (start - now - timedelta(minutes=30)).total_seconds())
    api.token = api.new_token()
    assert error_of(late()) == (
        400,
        "The time slot is no longer available",
        1001,
        "service_option_hold_id",
    )


# 6. Validate items: each failure references an item and contains an error; warnings ----------


def test_validate_items_shape_and_warnings_on_orders_and_pickup_slots(dev, unique):
    """delivery/validate_items (failures: the item and an error); delivery/get_order and
    pickup/list_cart_service_options (warnings: {error{message, error_code}, meta{items}})."""
    body = {
        "location_code": "000-3801",
        "items": [
            {"line_num": "1", "count": 1, "item": PEANUT_BUTTER},
            {"line_num": "2", "count": 1, "item": {"upc": "000000000000"}},
        ],
    }
    failures = dev.ok("POST", "/v2/fulfillment/validate_items", body)["validation_failures"]
    assert failures == [
        {
            "line_num": "2",
            "item": {"upc": "000000000000"},
            "error": {"message": "Item not found in the catalog", "error_code": 2000},
        }
    ]
    paths = {f.path for f in spec.fields(spec.get("validate_items"), "response")}
    assert "validation_failures[].error.message" in paths
    assert "validation_failures[].check" not in paths

    user = f"u-{unique}"
    new_user(dev, user)
    plenty = [{"line_num": "1", "count": 30, "item": PEANUT_BUTTER}]  # a store has 24
    expected = [
        {
            "error": {"message": "Some items are only partially available", "error_code": 2000},
            "meta": {
                "items": [
                    {
                        "line_num": "1",
                        "item": {"upc": "987665788999", "rrc": "0452-38492"},
                        "available": 24,
                    }
                ]
            },
        }
    ]
    listing = dev.ok(
        "POST",
        f"{USERS}/{user}/service_options/cart/pickup",
        {"location_code": "000-3801", "items": plenty},
    )
    assert listing["warnings"][0]["error"] == expected[0]["error"]
    created = place_order(dev, user, f"o-{unique}", items=plenty)
    assert created["warnings"] == expected
    assert dev.ok("GET", f"{USERS}/{user}/orders/o-{unique}")["warnings"] == expected
    plain = place_order(dev, user, f"p-{unique}")
    assert "warnings" not in plain


# 7. Accept-Language and X-Retailer-Id --------------------------------------------------------


def test_accept_language_sets_the_locale_of_answers(sandbox, dev, unique):
    """request_headers and localization: Accept-Language (en-US, en-CA, fr-CA; weights as
    RFC 7231 says) picks the answer's language, the body's locale wins, the default is the
    country's (en-US, en-CA)."""
    user = f"u-{unique}"
    new_user(dev, user)

    def pickup(order_id: str, store: str, headers: dict[str, str], **fields: Any) -> dict:
        held = reserve(dev, user, "pickup", location_code=store)
        body = {
            "order_id": order_id,
            "service_option_hold_id": held["id"],
            "location_code": store,
            "items": cart(PEANUT_BUTTER, SPARKLING_WATER),
            **fields,
        }
        return dev.ok("POST", f"{USERS}/{user}/orders/pickup", body, headers=headers)

    french = {"Accept-Language": "en-CA;q=0.5, fr-CA;q=0.9"}
    assert pickup(f"a-{unique}", MONTREAL_STORE, french)["locale"] == "fr_CA"
    assert pickup(f"b-{unique}", MONTREAL_STORE, {})["locale"] == "en_CA"
    assert pickup(f"c-{unique}", MONTREAL_STORE, french, locale="en-CA")["locale"] == "en_CA"
    assert pickup(f"d-{unique}", "000-3801", french)["locale"] == "en_US"  # not a US locale

    # a customer's lifecycle messages speak the answer's language
    token = user_token(dev, user)
    path = f"{PC}/orders/a-{unique}/order_messages"
    messages = dev.ok("GET", path, token=token)["lifecycle_messages"]
    assert messages[0]["message"] == "Nous avons reçu votre commande."
    english = dev.ok("GET", path, token=token, headers={"Accept-Language": "en-CA"})
    assert english["lifecycle_messages"][0]["message"] == "We received your order."

    # a session sends it as set on its headers
    env = replace(instance_environment(sandbox, "dev"), scope="connect:fulfillment")
    with ConnectSession(env) as session:
        session.headers["Accept-Language"] = "fr-CA"
        held = reserve(dev, user, "pickup", location_code=MONTREAL_STORE)
        result = session.call(
            "create_pickup_order",
            user_id=user,
            order_id=f"e-{unique}",
            service_option_hold_id=held["id"],
            location_code=MONTREAL_STORE,
            items=cart(PEANUT_BUTTER),
        )
        assert result.json["locale"] == "fr_CA"
        customer = session.for_user(user)
        assert customer.headers["Accept-Language"] == "fr-CA"
        customer.close()


def test_x_retailer_id_separates_banners(dev, unique):
    """request_headers, multi-banner retailers: X-Retailer-Id names the banner (its slug) a
    request is for; the banners are the seed's (the part of a store's name before " - ")."""
    garden = {"X-Retailer-Id": "garden-market"}
    harvest = {"X-Retailer-Id": "harvest-lane-grocers"}
    find = {"find_by": {"latitude": 37.7898, "longitude": -122.3942}}  # 50 Beale St
    everyone = dev.ok("POST", "/v2/fulfillment/stores/delivery", find)["stores"]
    assert len({s["name"].split(" - ")[0] for s in everyone}) > 1
    mine = dev.ok("POST", "/v2/fulfillment/stores/delivery", find, headers=garden)["stores"]
    assert mine and all(s["name"].startswith("Garden Market - ") for s in mine)

    user, order_id = f"u-{unique}", f"o-{unique}"
    new_user(dev, user)
    listing = {"location_code": "104-2210", "items": cart(PEANUT_BUTTER)}  # a Harvest Lane store
    path = f"{USERS}/{user}/service_options/cart/pickup"
    assert error_of(dev.post(path, listing, headers=garden)) == (
        400,
        "Store not found",
        1001,
        "location_code",
    )
    place_order(dev, user, order_id, location_code="000-3801")  # a Garden Market store
    order = f"{USERS}/{user}/orders/{order_id}"
    assert dev.ok("GET", order, headers=garden)["id"] == order_id
    assert error_of(dev.get(order, headers=harvest)) == (404, "Order not found", 4000, "order_id")
    listed = f"{USERS}/{user}/orders"
    assert [o["id"] for o in dev.ok("GET", listed, headers=garden)["orders"]] == [order_id]
    assert dev.ok("GET", listed, headers=harvest)["orders"] == []
    assert error_of(dev.get(order, headers={"X-Retailer-Id": "no-such-banner"})) == (
        400,
        "Invalid retailer id",
        1001,
        "X-Retailer-Id",
    )


# 8. Error wording the docs give ------------------------------------------------------------


def test_error_wording_of_chat_and_replacement_decisions(dev, unique):
    """post_checkout create message: 400 "is too long (maximum is 1000 characters)" 1001,
    key body; replacement decision without status: the multiple-errors form, 9999."""
    user, order_id = f"u-{unique}", f"o-{unique}"
    new_user(dev, user)
    place_order(dev, user, order_id)
    batch = start_batch(dev, [order_id])
    advance(dev, batch["id"], "picking")
    token = user_token(dev, user)
    answer = dev.post(f"{PC}/chat/{order_id}/messages", {"body": "x" * 1001}, token=token)
    assert error_of(answer) == (400, "is too long (maximum is 1000 characters)", 1001, "body")
    answer = dev.put(f"{PC}/orders/{order_id}/items/1/replacement", {}, token=token)
    assert answer.status_code == 400
    assert answer.json() == {
        "error": {
            "message": "There were issues with your request",
            "code": 9999,
            "errors": [
                {"error": {"message": "can't be blank", "code": 1001}, "meta": {"key": "status"}}
            ],
        },
        "meta": {},
    }
