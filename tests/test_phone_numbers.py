"""Phone numbers in requests are E.164 (changelog 2026-05-12, effective 2026-06-09).

``phone_number`` (create user, the user-and-address calls), the order's ``user.phone_number``
and ``user_phone`` (last-mile and dispatch orders) must be a ``+``, a country code and a valid
number, nothing else. The sandbox refuses anything else with 400, code 1001 and the field as
``meta.key``; the session refuses it before sending. Responses are not checked.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from helpers import (
    ADDRESS,
    PEANUT_BUTTER,
    cart,
    error_of,
    new_user,
    next_store,
    place_order,
    reserve,
)
from hypothesis import given
from hypothesis import strategies as st

from connect_kit import spec
from connect_kit.client import instance_environment
from connect_kit.client._session import ConnectSession
from connect_kit.errors import InvalidRequestError
from connect_kit.spec.common import E164_EXAMPLE, E164_MESSAGE, _e164

USERS = "/v2/fulfillment/users"
DISPATCH = "/v2/fulfillment/lastmile/orders"
MESSAGE = "Must be an E.164 phone number, e.g. +14155550100"  # as the API words it (capitalised)
PACIFIC = ZoneInfo("America/Los_Angeles")

GOOD = ["+14155550100", "+18005550100", "+442071838750"]
BAD = [
    "800-555-0100",  # no country code
    "8005550100",
    "18005550100",  # no plus
    "12",
    "+1 800 555 0100",  # spaces
    "+1-800-555-0100",  # dashes
    "+1 (800) 555-0100",
    " +18005550100",  # padded
    "+18005550100 ",
    "+9991234567",  # no such country code
    "+999999999999999",
    "+1800555010",  # too short for its country
    "+180055501000",  # too long for its country
    "+",
    "",
    "phone",
]
#: Every request field the rule covers, found in the spec: (operation, dotted path).
PHONE_FIELDS = [
    (op.name, shape.path)
    for op in spec.OPERATIONS.values()
    if op.request is not None
    for shape in spec.fields(op, "request")
    if shape.name in ("phone_number", "user_phone")
]


def tomorrow_at(hour: int) -> datetime:
    day = datetime.now(PACIFIC) + timedelta(days=1)
    return day.replace(hour=hour, minute=0, second=0, microsecond=0)


def session_for(sandbox: Any, env: str = "dev") -> ConnectSession:
    return ConnectSession(replace(instance_environment(sandbox, env), scope="connect:fulfillment"))


def refused(answer: Any, key: str) -> None:
    assert error_of(answer) == (400, MESSAGE, 1001, key), answer.text


def last_mile_body(hold_id: int, store: str, phone: str, **fields: Any) -> dict[str, Any]:
    return {
        "location_code": store,
        "service_option_hold_id": hold_id,
        "first_name": "Kamal",
        "last_name": "Singh",
        "user_phone": phone,
        "items_count": 12,
        "items_weight": 18.5,
        **fields,
    }


def dispatch_body(order_id: str, user_id: str, phone: str) -> dict[str, Any]:
    start = tomorrow_at(10)
    return {
        "order_id": order_id,
        "user_id": user_id,
        "location_code": next_store(),
        "start_at": start.isoformat(),
        "end_at": (start + timedelta(hours=2)).isoformat(),
        "first_name": "Ana",
        "last_name": "Lee",
        "user_phone": phone,
        "address": ADDRESS,
        "items_count": 3,
        "items_weight": 4.5,
    }


# the rule itself ------------------------------------------------------------------------


@pytest.mark.parametrize("number", GOOD)
def test_e164_numbers_pass(number):
    assert _e164(number) == number


@pytest.mark.parametrize("number", BAD)
def test_other_forms_are_refused(number):
    with pytest.raises(ValueError, match=E164_MESSAGE.replace("+", r"\+")):
        _e164(number)


@given(st.text(max_size=300))
def test_any_text_is_either_e164_or_a_value_error(text):
    try:
        assert _e164(text) == text and text.startswith("+")
    except ValueError as exc:
        assert str(exc) == E164_MESSAGE


def test_the_spec_names_every_phone_field_and_gives_e164_examples():
    assert set(PHONE_FIELDS) >= {
        ("create_user", "phone_number"),
        ("create_user_address", "phone_number"),
        ("create_delivery_order", "user.phone_number"),
        ("create_pickup_order", "user.phone_number"),
        ("update_order", "user.phone_number"),
        ("create_last_mile_order", "user_phone"),
        ("create_dispatch_order", "user_phone"),
        ("lastmile_create_order", "user_phone"),
    }
    for name, path in PHONE_FIELDS:
        shape = spec.field(name, "request", path)
        assert shape.example == E164_EXAMPLE, (name, path)
        assert shape.description and "E.164" in shape.description, (name, path)


def test_responses_keep_accepting_what_servers_send():
    user = spec.get("create_user").response
    assert user is not None
    read = user.model_validate({"user_id": "u", "first_name": "A", "phone_number": "800-555-0100"})
    assert read.model_dump()["phone_number"] == "800-555-0100"


# the sandbox ----------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "path"), PHONE_FIELDS)
@pytest.mark.parametrize("env", ["dev", "prod"])
def test_every_phone_field_is_enforced_by_the_sandbox(dev, prod, unique, env, name, path):
    """Whatever else is wrong with the body, the phone field is named among the errors."""
    op = spec.get(name)
    api = {"dev": dev, "prod": prod}[env]
    url = op.path.format(user_id=f"u-{unique}", order_id=f"o-{unique}")
    body: dict[str, Any] = {"phone_number": "800-555-0100"}
    if path == "user.phone_number":
        body = {"user": body}
    elif path == "user_phone":
        body = {"user_phone": "800-555-0100"}
    answer = api.request(op.method, url, json=body)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    errors = [(e["error"]["message"], e["meta"].get("key")) for e in error.get("errors", [])]
    single = (error["message"], answer.json()["meta"].get("key"))
    assert (MESSAGE, path) in [single, *errors]


@pytest.mark.parametrize("number", BAD)
def test_create_user_refuses_other_forms(dev, unique, number):
    user = f"u-{unique}"
    body = {"user_id": user, "first_name": "Ada", "phone_number": number}
    refused(dev.post(USERS, body), "phone_number")
    # nothing was made: the same user_id is free for a good number
    created = dev.ok("POST", USERS, {**body, "phone_number": "+14155550100"})
    assert created["phone_number"] == "+14155550100"


@pytest.mark.parametrize("number", GOOD)
def test_create_user_accepts_e164(dev, unique, number):
    created = new_user(dev, f"u-{unique}", phone_number=number)
    assert created["phone_number"] == number


def test_create_user_address_refuses_other_forms(dev, unique):
    path = f"{USERS}/u-{unique}/addresses"
    body = {**ADDRESS, "first_name": "Ada", "phone_number": "415-555-0100"}
    refused(dev.post(path, body), "phone_number")
    assert dev.ok("POST", path, {**body, "phone_number": "+14155550100"})["address_line_1"]


@pytest.mark.parametrize("number", ["800-555-0100", "12", "+1 800 555 0100", "+9991234567"])
def test_create_last_mile_order_refuses_other_forms(dev, unique, number):
    user = f"u-{unique}"
    new_user(dev, user)
    store = next_store()
    held = reserve(dev, user, "last_mile", location_code=store)
    path = f"{USERS}/{user}/orders/last_mile"
    body = last_mile_body(held["id"], store, number, order_id=f"o-{unique}")
    refused(dev.post(path, body), "user_phone")
    # the refusal used up nothing: the same hold books with a good number
    created = dev.ok("POST", path, {**body, "user_phone": "+18005550100"})
    assert created["id"] == f"o-{unique}" and created["status"] == "brand_new"


def test_the_old_lastmile_create_uri_refuses_other_forms(dev, unique):
    user = f"u-{unique}"
    new_user(dev, user)
    store = next_store()
    held = reserve(dev, user, "last_mile", location_code=store)
    body = last_mile_body(held["id"], store, "800-555-0100", order_id=f"o-{unique}")
    refused(dev.post(f"/v2/fulfillment/lastmile/users/{user}/orders", body), "user_phone")


@pytest.mark.parametrize("number", ["800-555-0100", "12", "+1 800 555 0100", "+9991234567"])
def test_create_dispatch_order_refuses_other_forms(dev, unique, number):
    body = dispatch_body(f"o-{unique}", f"u-{unique}", number)
    refused(dev.post(DISPATCH, body), "user_phone")
    created = dev.ok("POST", DISPATCH, {**body, "user_phone": "+18005550123"})
    assert created["id"] == f"o-{unique}"


@pytest.mark.parametrize("kind", ["delivery", "pickup"])
def test_the_orders_user_phone_number_is_e164(dev, unique, kind):
    user = f"u-{unique}"
    new_user(dev, user, phone_number=None)
    store = next_store()
    items = cart(PEANUT_BUTTER)
    held = reserve(dev, user, kind, items, store)
    body: dict[str, Any] = {
        "order_id": f"o-{unique}",
        "service_option_hold_id": held["id"],
        "location_code": store,
        "items": items,
        "user": {"phone_number": "800-555-0199"},
    }
    if kind == "delivery":
        body.update(address=ADDRESS, initial_tip_cents=500)
    path = f"{USERS}/{user}/orders/{kind}"
    refused(dev.post(path, body), "user.phone_number")
    created = dev.ok("POST", path, {**body, "user": {"phone_number": "+18005550199"}})
    assert created["status"] == "brand_new"


def test_update_order_checks_the_users_phone_number(dev, unique):
    user, order_id = f"u-{unique}", f"o-{unique}"
    new_user(dev, user)
    place_order(dev, user, order_id, items=cart(PEANUT_BUTTER))
    path = f"{USERS}/{user}/orders/{order_id}"
    body: dict[str, Any] = {"initial_tip_cents": 300, "items": cart(PEANUT_BUTTER)}
    body["user"] = {"phone_number": "+1 800 555 0100"}
    refused(dev.put(path, body), "user.phone_number")
    body["user"] = {"phone_number": "+18005550100"}
    assert dev.ok("PUT", path, body)["id"] == order_id


def test_with_other_errors_the_phone_number_is_one_of_the_wrapped_errors(dev):
    answer = dev.post(USERS, {"user_id": "x", "phone_number": "12"})
    body = answer.json()
    assert answer.status_code == 400 and body["error"]["code"] == 9999
    errors = body["error"]["errors"]
    listed = {(e["error"]["message"], e["error"]["code"], e["meta"]["key"]) for e in errors}
    assert (MESSAGE, 1001, "phone_number") in listed
    assert ("can't be blank", 1001, "first_name") in listed


def test_a_shoppers_phone_is_not_held_to_e164(dev):
    """The sandbox API's create-shopper docs ask no format of ``phone``: unchanged."""
    from helpers import shopper_phone

    assert dev.ok("POST", "/v2/fulfillment_sandbox/shoppers", {"phone": shopper_phone()})["id"]


# the session ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "arguments", "key"),
    [
        (
            "create_user",
            {"user_id": "u", "first_name": "Ada", "phone_number": "800-555-0100"},
            "phone_number",
        ),
        ("create_user_address", {"user_id": "u", **ADDRESS, "phone_number": "12"}, "phone_number"),
        (
            "create_delivery_order",
            {
                "user_id": "u",
                "order_id": "o",
                "service_option_hold_id": 1,
                "address": ADDRESS,
                "items": cart(PEANUT_BUTTER),
                "user": {"phone_number": "+1 800 555 0100"},
            },
            "user.phone_number",
        ),
        (
            "create_last_mile_order",
            {"user_id": "u", **last_mile_body(1, "000-3801", "+9991234567")},
            "user_phone",
        ),
        ("create_dispatch_order", dispatch_body("o", "u", "800-555-0100"), "user_phone"),
    ],
)
def test_the_session_refuses_before_sending(sandbox, name, arguments, key):
    with session_for(sandbox) as dev:
        before = len(dev.history)
        with pytest.raises(InvalidRequestError) as caught:
            dev.call(name, **arguments)
        error = caught.value
        assert error.status is None  # nothing was sent: no status
        assert [(e.key, e.message) for e in error.errors] == [(key, MESSAGE)]
        assert error.key == key
        assert f"{key}: {MESSAGE}" in str(error)
        assert len(dev.history) == before


def test_the_session_sends_e164(sandbox, unique):
    with session_for(sandbox) as dev:
        user = f"s-{unique}"
        result = dev.call("create_user", user_id=user, first_name="Ada", phone_number=E164_EXAMPLE)
        assert result.status_code == 200 and result.json["phone_number"] == E164_EXAMPLE
