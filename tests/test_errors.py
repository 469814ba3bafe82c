"""The error envelope: single errors, the 9999 wrapper, 401 and 403, as the sandbox answers them.

``{"error": {"message", "code"}, "meta": {"key"}}``; several field errors at once come as one
wrapper ``{"error": {"message", "code": 9999, "errors": [...]}, "meta": {}}``.
"""

from __future__ import annotations

from typing import Any

import pytest
from helpers import ADDRESS, PEANUT_BUTTER, Api, cart, error_of, new_user

from connect_kit.sandbox import Sandbox

USERS = "/v2/fulfillment/users"
STORES = "/v2/fulfillment/stores/delivery"
VALIDATE = "/v2/fulfillment/validate_items"
MULTIPLE = "There were issues with your request"


def single(answer: Any) -> dict[str, Any]:
    """The body of a single error, checked for its exact shape."""
    body = answer.json()
    assert set(body) == {"error", "meta"}, body
    assert set(body["error"]) == {"message", "code"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body


def wrapped(answer: Any) -> list[tuple[str, int | None, str | None]]:
    """The (message, code, key) of each error inside a 9999 wrapper."""
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["error"]["message"] == MULTIPLE
    assert body["error"]["code"] == 9999
    assert body["meta"] == {}
    errors = body["error"]["errors"]
    assert len(errors) >= 2
    for error in errors:
        assert set(error) == {"error", "meta"} and set(error["error"]) == {"message", "code"}
    return [(e["error"]["message"], e["error"]["code"], e["meta"].get("key")) for e in errors]


# single errors ----------------------------------------------------------------------------


def test_a_missing_field_is_one_cant_be_blank_error(dev, unique):
    answer = dev.post(USERS, {"user_id": f"u-{unique}"})
    assert answer.status_code == 400
    assert single(answer) == {
        "error": {"message": "can't be blank", "code": 1001},
        "meta": {"key": "first_name"},
    }


def test_a_missing_nested_field_is_named_with_dots(dev, unique):
    body = {"address_line_1": "50 Beale St"}
    answer = dev.post(f"{USERS}/u-{unique}/addresses", body)
    assert error_of(answer) == (400, "can't be blank", 1001, "postal_code")
    answer = dev.post(STORES, {"find_by": {"latitude": 37.79}})
    assert error_of(answer)[0::2] == (400, 1001)
    assert error_of(answer)[3] == "find_by"


def test_the_meta_key_names_the_list_position(dev):
    items = [
        {"line_num": "1", "count": 1, "item": PEANUT_BUTTER},
        {"line_num": "2", "count": 1, "item": {"upc": "1", "rrc": "2"}},
    ]
    status, message, code, key = error_of(dev.post(VALIDATE, {"items": items}))
    assert (status, code, key) == (400, 1001, "items[1].item")
    assert "upc or rrc" in message
    items[1]["item"] = {"sku": "12"}
    answer = dev.post(VALIDATE, {"items": items})
    assert error_of(answer) == (400, "is not a known field here", 1001, "items[1].item.sku")


def test_find_by_errors_name_find_by(dev):
    assert error_of(dev.post(STORES, {}))[0::3] == (400, "find_by")
    assert error_of(dev.post(STORES, {}))[1] == "can't be blank"
    answer = dev.post(STORES, {"find_by": {}})
    assert error_of(answer)[0::3] == (400, "find_by")
    answer = dev.post(STORES, {"find_by": {"postal_code": "94105", "planet": "earth"}})
    assert error_of(answer) == (400, "is not a known field here", 1001, "find_by.planet")
    answer = dev.post(STORES, {"find_by": {"latitude": 100.0, "longitude": 0.0}})
    assert error_of(answer)[0::3] == (400, "find_by.latitude")


def test_a_nested_object_field_is_named_user_birthday(dev, unique):
    user_id = f"u-{unique}"
    new_user(dev, user_id)
    body = {
        "order_id": f"o-{unique}",
        "service_option_hold_id": 1,
        "address": ADDRESS,
        "items": cart(PEANUT_BUTTER),
        "user": {"birthday": "1990-13-45"},
    }
    answer = dev.post(f"{USERS}/{user_id}/orders/delivery", body)
    status, message, code, key = error_of(answer)
    assert (status, code, key) == (400, 1001, "user.birthday")
    assert message and message[0].isupper()


@pytest.mark.parametrize(
    ("path", "body", "key"),
    [
        (USERS, {"user_id": 12, "first_name": "kamal"}, "user_id"),
        (USERS, {"user_id": "x", "first_name": ["kamal"]}, "first_name"),
        (STORES, {"find_by": {"latitude": "37.79", "longitude": -122.39}}, "find_by.latitude"),
        (STORES, {"find_by": "94105"}, "find_by"),
        (VALIDATE, {"items": {"line_num": "1"}}, "items"),
        (VALIDATE, {"items": [{"count": "1", "item": PEANUT_BUTTER}]}, "items[0].count"),
        (VALIDATE, {"items": [{"count": 1.5, "item": PEANUT_BUTTER}]}, "items[0].count"),
        (VALIDATE, {"items": [{"count": True, "item": PEANUT_BUTTER}]}, "items[0].count"),
        (VALIDATE, {"items": [PEANUT_BUTTER]}, "items[0].item"),
    ],
)
def test_a_wrong_type_is_one_error_naming_the_field(dev, path, body, key):
    answer = dev.post(path, body)
    status, message, code, got = error_of(answer)
    assert (status, code, got) == (400, 1001, key), answer.text
    assert message and "Traceback" not in message
    single(answer)


def test_unknown_top_level_fields_are_ignored(dev, unique):
    answer = dev.post(USERS, {"user_id": f"u-{unique}", "first_name": "kamal", "shoe_size": 44})
    assert answer.status_code == 200, answer.text
    assert "shoe_size" not in answer.json()


# the 9999 wrapper -------------------------------------------------------------------------


def test_several_missing_fields_come_in_one_wrapper(dev):
    assert wrapped(dev.post(USERS, {})) == [
        ("can't be blank", 1001, "user_id"),
        ("can't be blank", 1001, "first_name"),
    ]


def test_the_wrapper_mixes_kinds_of_errors_each_with_its_own_key(dev):
    errors = wrapped(dev.post(USERS, {"user_id": 12, "last_name": "a/b"}))
    keys = [key for _, _, key in errors]
    assert keys == ["user_id", "first_name", "last_name"]
    assert errors[1][0] == "can't be blank"
    assert all(code == 1001 for _, code, _ in errors)


def test_the_wrapper_names_nested_keys(dev, unique):
    user_id = f"u-{unique}"
    new_user(dev, user_id)
    body = {"address": {"postal_code": "94105"}, "items": [{"line_num": "1", "count": 1}]}
    answer = dev.post(f"{USERS}/{user_id}/service_options/cart/delivery", body)
    assert wrapped(answer) == [
        ("can't be blank", 1001, "address.address_line_1"),
        ("can't be blank", 1001, "items[0].item"),
    ]


def test_handler_errors_use_the_wrapper_too(dev, unique):
    """Two unknown items on a list-time-slots call: "Invalid items" (code 2000) for each."""
    user_id = f"u-{unique}"
    new_user(dev, user_id)
    items = cart({"upc": "000000000001"}, {"rrc": "no-such-rrc"})
    answer = dev.post(
        f"{USERS}/{user_id}/service_options/cart/delivery", {"address": ADDRESS, "items": items}
    )
    assert wrapped(answer) == [
        ("Invalid items", 2000, "items[0].item"),
        ("Invalid items", 2000, "items[1].item"),
    ]


def test_one_handler_error_is_not_wrapped(dev, unique):
    user_id = f"u-{unique}"
    new_user(dev, user_id)
    items = cart(PEANUT_BUTTER, {"upc": "000000000001"})
    answer = dev.post(
        f"{USERS}/{user_id}/service_options/cart/delivery", {"address": ADDRESS, "items": items}
    )
    assert error_of(answer) == (400, "Invalid items", 2000, "items[1].item")
    single(answer)


# 401 --------------------------------------------------------------------------------------

LINK = "/v2/fulfillment/users/nobody/link"


def assert_401(answer: Any, says: str) -> None:
    """A 401 envelope (code null) whose message and challenge say why, e.g. "revoked"."""
    assert answer.status_code == 401, answer.text
    body = single(answer)
    assert body["error"]["code"] is None and body["meta"] == {}
    assert body["error"]["message"].startswith("The access token")
    assert body["error"]["message"].endswith(says)
    challenge = answer.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer error="invalid_token"'), challenge
    assert body["error"]["message"] in challenge


def test_a_missing_token_is_401(dev):
    assert_401(dev.get(LINK, token=None), "missing")
    assert_401(dev.post(USERS, {"user_id": "x", "first_name": "k"}, token=None), "missing")


@pytest.mark.parametrize("authorization", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer   ", "Token x"])
def test_a_malformed_authorization_header_is_401(dev, authorization):
    assert_401(dev.get(LINK, token=None, headers={"Authorization": authorization}), "malformed")


def test_an_unknown_token_is_401(dev):
    assert_401(dev.get(LINK, token="x" * 43), "invalid")
    assert_401(dev.get(LINK, token=dev.token[:-1]), "invalid")


def test_a_token_of_the_other_instance_is_401(dev, prod):
    assert_401(dev.get(LINK, token=prod.token), "invalid")


def test_a_revoked_token_is_401(dev):
    token = dev.new_token()
    assert dev.get(LINK, token=token).status_code != 401
    body = {"client_id": dev.client_id, "client_secret": dev.client_secret, "token": token}
    assert dev.post("/v2/oauth/token/revoke", body, token=None).json() == {}
    assert_401(dev.get(LINK, token=token), "revoked")


def test_an_expired_token_is_401_as_the_clock_passes(sandbox, dev):
    token = dev.new_token()
    sandbox.advance_clock("dev", 86400 + 1)
    try:
        assert_401(dev.get(LINK, token=token), "expired")
    finally:
        sandbox.advance_clock("dev", -(86400 + 1))
    assert dev.get(LINK, token=token).status_code != 401


def test_expire_tokens_makes_every_token_401():
    with Sandbox(latency=False) as sb:
        api = Api(sb, "dev")
        other = api.new_token()
        assert sb.expire_tokens("dev") >= 2
        assert_401(api.get(LINK), "expired")
        assert_401(api.get(LINK, token=other), "expired")
        fresh = api.new_token()
        assert api.get(LINK, token=fresh).status_code != 401
        prod = Api(sb, "prod")  # prod's tokens are untouched
        assert prod.get(LINK).status_code != 401


def test_the_bearer_scheme_is_case_insensitive(dev):
    answer = dev.get(LINK, token=None, headers={"Authorization": f"bearer {dev.token}"})
    assert answer.status_code != 401


# 403 --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", LINK),
        ("POST", USERS),
        ("POST", STORES),
        ("POST", "/v2/fulfillment_sandbox/shoppers"),
    ],
)
def test_a_token_without_the_fulfillment_scope_is_403(dev, method, path):
    token = dev.new_token("connect:recommendations")
    answer = dev.request(method, path, token=token, json={})
    assert answer.status_code == 403, answer.text
    assert single(answer) == {
        "error": {
            "message": "The access token's scope does not include connect:fulfillment",
            "code": None,
        },
        "meta": {},
    }
    assert "WWW-Authenticate" not in answer.headers


def test_scope_is_checked_before_the_body(dev):
    token = dev.new_token("connect:recommendations")
    answer = dev.request("POST", USERS, token=token, data=b"{not json")
    assert answer.status_code == 403


# 404 --------------------------------------------------------------------------------------


def test_an_unknown_order_is_404_with_the_key(dev, unique):
    user_id = f"u-{unique}"
    new_user(dev, user_id)
    answer = dev.get(f"{USERS}/{user_id}/orders/no-such-order")
    assert error_of(answer) == (404, "Order not found", 4000, "order_id")


def test_the_sandbox_api_is_404_in_production(prod):
    answer = prod.post("/v2/fulfillment_sandbox/shoppers", {})
    assert error_of(answer)[:3] == (404, "Resource not found", 4000)


def test_oauth_errors_keep_their_own_shape(dev):
    answer = dev.post("/v2/oauth/token", {"client_id": "nobody", "client_secret": "x"}, token=None)
    assert answer.status_code == 401
    assert set(answer.json()) == {"error", "error_description"}
    assert answer.json()["error"] == "invalid_client"
    assert answer.headers["Cache-Control"] == "no-store"
    body = {"client_id": dev.client_id, "client_secret": dev.client_secret, "grant_type": ["x"]}
    answer = dev.post("/v2/oauth/token", body, token=None)
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_request")
    assert "grant_type" in answer.json()["error_description"]
