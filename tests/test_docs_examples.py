"""The request and response examples that docs.instacart.com publishes, held against the spec
and the sandbox (fixtures in tests/fixtures/docs_examples/).

A fixture is ``<operation>.json`` (the example of the operation's API reference page) or
``<operation>.<page>.json`` (one of a guide page), with ``source``, and ``request`` and/or
``response`` as published; ``request_text`` keeps a published body that is not JSON, ``note``
says what is wrong with an example, ``via`` where it was read. Each example validates against
the operation's request or response model, as strictly as the sandbox validates; one that does
not is a finding, expected to fail only through ``INVALID`` below, with the reason. Each
example is also replayed against the sandbox (after the set-up it needs), and the sandbox's
answer must have the documented example's shape: the same keys at every level, the same JSON
types. ``NOT_REPLAYED`` says why an example is not.
"""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import (
    ADDRESS,
    PEANUT_BUTTER,
    Api,
    advance,
    cart,
    last_mile_order,
    new_shopper,
    new_user,
    next_store,
    place_order,
    start_batch,
)
from pydantic import ValidationError

from connect_kit import spec
from connect_kit.sandbox.app import validate_body
from connect_kit.sandbox.errors import ApiError

FIXTURES = Path(__file__).parent / "fixtures" / "docs_examples"
EXAMPLES: dict[str, dict[str, Any]] = {
    path.name.removesuffix(".json"): json.loads(path.read_text())
    for path in sorted(FIXTURES.glob("*.json"))
}
KEYS = {"source", "via", "note", "request", "request_text", "response"}
SB, PC = "/v2/fulfillment_sandbox", "/v2/post_checkout"

#: (fixture, part) -> why the published example does not validate against the spec. Each is
#: a fault of the example (its fixture has a "note"), not of the spec.
INVALID: dict[tuple[str, str], str] = {
    ("create_user", "request"): "generated placeholders: phone_number 'string' is not E.164, "
    "locale 'string' is not an IETF tag (the page's own table asks for en-US)",
    ("create_user.get_started", "request"): "the tutorial's 800-555-0100 predates E.164 "
    "(changelog 2026-05-12)",
    ("get_user_link.verify_instacartplus_membership", "response"): "the guide's answer has no "
    "instacartplus_member, which the reference page marks Required",
    ("handle_item_replacement", "request"): "alternative_item {key1, key2} with APPROVED: the "
    "page's own table forbids alternative_item with APPROVED and asks upc/rrc and count/weight",
    ("lastmile_validate_address", "request"): "generated placeholder: postal_code 'string' "
    "is no postal code (the docs: digits and uppercase letters)",
    ("simulate_order_callback", "request"): "event_name 'string' is none of the values the "
    "page's own table lists",
    ("list_delivery_service_options.retrieve_desired_windows", "request"): "the published body "
    "is not JSON (an unclosed string)",
}


def operation(stem: str) -> spec.Operation:
    return spec.get(stem.split(".")[0])


def published_request(example: dict[str, Any]) -> Any:
    if "request_text" in example:
        return json.loads(example["request_text"])
    return example["request"]


def parts() -> list[Any]:
    found = []
    for stem, example in EXAMPLES.items():
        for part in ("request", "response"):
            if part in example or (part == "request" and "request_text" in example):
                reason = INVALID.get((stem, part))
                marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
                found.append(pytest.param(stem, part, id=f"{stem}-{part}", marks=marks))
    return found


def test_fixtures_are_published_examples_of_operations_of_the_spec():
    assert EXAMPLES, f"no fixtures in {FIXTURES}"
    for stem, example in EXAMPLES.items():
        assert stem.split(".")[0] in spec.OPERATIONS, (
            f"{stem}.json names an operation the spec does not have: rename the fixture"
        )
        assert set(example) <= KEYS, (stem, set(example) - KEYS)
        assert example["source"].startswith("https://docs.instacart.com/"), stem
        assert {"request", "request_text", "response"} & set(example), stem
        if operation(stem).request is None:
            assert "request" not in example, f"{stem}: the operation takes no body"
    noted = {stem for stem, example in EXAMPLES.items() if "note" in example}
    allowed = {stem for stem, _ in INVALID}
    assert allowed <= noted, f"an allowlisted example says what is wrong in its 'note': {allowed}"
    assert allowed <= set(EXAMPLES), f"INVALID names fixtures that do not exist: {allowed}"


@pytest.mark.parametrize(("stem", "part"), parts())
def test_the_published_example_fits_the_spec(stem, part):
    op, example = operation(stem), EXAMPLES[stem]
    if part == "request":
        try:
            validate_body(op, json.dumps(published_request(example)).encode())
        except ApiError as error:
            pytest.fail(f"{stem}: the request does not fit {op.name}: {error.body()}")
    else:
        assert op.response is not None
        try:
            op.response.model_validate_json(json.dumps(example["response"]), strict=True)
        except ValidationError as error:
            pytest.fail(f"{stem}: the response does not fit {op.name}: {error}")


# Replaying the examples against the sandbox -------------------------------------------------


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {str: "string", list: "array", dict: "object"}[type(value)]


def differences(documented: Any, answered: Any, where: str = "$") -> list[str]:
    """Where ``answered`` lacks a key of ``documented`` or has another JSON type.

    A documented ``null`` fits any value. The elements of an answered list are held against
    the first documented element: each element's values must have the documented types, and
    every documented key must be in at least one element (optional fields may be left out of
    some). Keys the sandbox adds are fine: the API adds fields.
    """
    return _differences(documented, answered, where, keys=True)


def _differences(
    documented: Any, answered: Any, where: str, *, keys: bool, types: bool = True
) -> list[str]:
    if documented is None:
        return []
    if json_type(documented) != json_type(answered):
        if not types:
            return []
        return [f"{where}: documented {json_type(documented)}, answered {json_type(answered)}"]
    found: list[str] = []
    if isinstance(documented, dict):
        for key, value in documented.items():
            if key in answered:
                found += _differences(
                    value, answered[key], f"{where}.{key}", keys=keys, types=types
                )
            elif keys:
                found.append(f"{where}.{key}: missing")
    elif isinstance(documented, list) and documented:
        if not answered and keys:
            found.append(f"{where}: documented elements, answered an empty list")
        if types:  # element by element
            for i, element in enumerate(answered):
                found += _differences(documented[0], element, f"{where}[{i}]", keys=False)
        if keys and answered:  # over all the elements together
            found += _differences(
                documented[0], _union(answered), f"{where}[*]", keys=True, types=False
            )
    return found


def _union(elements: list[Any]) -> Any:
    """The elements of a list merged into one: every key any of them has (objects only)."""
    if not all(isinstance(e, dict) for e in elements):
        return elements[0]
    merged: dict[str, Any] = {}
    for element in elements:
        for key, value in element.items():
            if key not in merged:
                merged[key] = value
            elif isinstance(value, dict) and isinstance(merged[key], dict):
                merged[key] = _union([merged[key], value])
            elif isinstance(value, list) and isinstance(merged[key], list):
                merged[key] = merged[key] + value
    return merged


def test_differences_compare_keys_at_every_level_and_json_types():
    documented = {"a": 1, "b": {"c": "x", "d": [{"e": True}]}, "n": None}
    assert differences(documented, {**documented, "extra": 1, "n": 3}) == []
    assert differences(documented, {"a": 1.5, "b": {"c": 2, "d": [{"e": 1}, {}]}}) == [
        "$.b.c: documented string, answered number",
        "$.b.d[0].e: documented boolean, answered number",
        "$.n: missing",
    ]
    assert differences({"d": [{"e": True, "f": 1}]}, {"d": [{"e": True}, {"f": 2}]}) == []
    assert differences({"d": [{"e": True, "f": 1}]}, {"d": [{"e": True}]}) == ["$.d[*].f: missing"]
    assert differences([1], []) == ["$: documented elements, answered an empty list"]


_ids = itertools.count(1)


class Replay:
    """What a replay sends: the published body with its placeholders filled by the set-up."""

    def __init__(self, api: Api, unique: str) -> None:
        self.api, self.unique = api, f"{unique}-{next(_ids)}"

    def user(self) -> str:
        user_id = f"docs-u-{self.unique}"
        new_user(self.api, user_id)
        return user_id

    def order(
        self, kind: str = "delivery", state: str | None = None, store: str | None = None
    ) -> tuple[str, str]:
        """A user and an order of theirs, batched and moved to ``state`` when given."""
        user_id, order_id = self.user(), f"docs-o-{self.unique}"
        place_order(self.api, user_id, order_id, kind, location_code=store)
        if state:
            self.batch = start_batch(self.api, [order_id], batch_type=kind)
            if state != "acknowledged":
                advance(self.api, self.batch["id"], state)
        return user_id, order_id

    def user_token(self, user_id: str) -> str:
        assertion = base64.b64encode(json.dumps({"user_id": user_id}).encode()).decode()
        body = {
            **self.credentials(),
            "grant_type": "fulfillment_user_assertion",
            "assertion": assertion,
            "scope": "connect:post_checkout",
        }
        return self.api.ok("POST", "/v2/oauth/token", body, token=None)["access_token"]

    def credentials(self) -> dict[str, str]:
        return {"client_id": self.api.client_id, "client_secret": self.api.client_secret}

    def instacart_user(self) -> int:
        body = {
            "email": f"docs-{self.unique}@example.com",
            "phone": "4155550199",
            "password": "pw",
            "instacartplus_member": True,
        }
        return self.api.ok("POST", f"{SB}/instacart_users", body)["id"]

    def linking_token(self) -> str:
        redirect = "https://example.org"
        authorize = {"redirect_uri": redirect, "scope": "account_linking"}
        path = f"{SB}/instacart_users/{self.instacart_user()}/authorize"
        code = self.api.ok("POST", path, authorize)["code"]
        body = {
            **self.credentials(),
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect,
        }
        return self.api.ok("POST", "/v2/oauth/token", body, token=None)["access_token"]

    def desired_window_reference(self, user_id: str) -> str:
        """A ``service_option_reference`` from listing the cart's slots for a desired window."""
        path = f"/v2/fulfillment/users/{user_id}/service_options/cart/delivery"
        body = {"address": ADDRESS, "items": cart(PEANUT_BUTTER), "location_code": next_store()}
        options = self.api.ok("POST", path, body)["service_options"]
        slot = next(o for o in options if o["availability"]["available"])
        window = {"starts_at": slot["window"]["start_at"], "ends_at": slot["window"]["end_at"]}
        answer = self.api.ok("POST", path, {**body, "desired_windows": [window]})
        options = answer["service_options"]
        return next(
            o["service_option_reference"] for o in options if "service_option_reference" in o
        )


Sent = tuple[str, str, Any, str | None]  # method, path, body, token ("default": the app's)
Replayer = Callable[[Replay, Any], Sent]


def _token_request(r: Replay, body: Any) -> Sent:
    return "POST", "/v2/oauth/token", {**body, **r.credentials()}, None


def _create_user(r: Replay, body: Any) -> Sent:
    filled = {**body, "user_id": f"docs-new-{r.unique}"}
    if filled.get("phone_number") == "string":
        filled["phone_number"] = "+14155550100"
    if filled.get("phone_number") == "800-555-0100":  # the same number in E.164
        filled["phone_number"] = "+18005550100"
    if filled.get("locale") == "string":
        filled["locale"] = "en-US"
    return "POST", "/v2/fulfillment/users", filled, "default"


def _post_checkout(
    kind: str, state: str | None, method: str, tail: str, store: str | None = None
) -> Replayer:
    def replay(r: Replay, body: Any) -> Sent:
        user_id, order_id = r.order(kind, state, store)
        return method, tail.format(o=order_id), body, r.user_token(user_id)

    return replay


#: fixture -> how to replay it: the set-up, then the placeholders of the body it fills.
REPLAYS: dict[str, Replayer] = {
    "create_token.get_started": _token_request,
    "create_token.sandbox_get_a_token": _token_request,
    "revoke_token": lambda r, body: (
        "POST",
        "/v2/oauth/token/revoke",
        {**body, **r.credentials(), "token": r.api.new_token()},
        None,
    ),
    "create_user": _create_user,
    "create_user.get_started": _create_user,
    "link_user": lambda r, body: (
        "POST",
        f"/v2/fulfillment/users/{r.user()}/link",
        {**body, "linking_token": r.linking_token()},
        "default",
    ),
    "get_user_link": lambda r, body: _linked(r),
    "get_user_link.verify_instacartplus_membership": lambda r, body: _linked(r),
    "lastmile_validate_address": lambda r, body: (
        "POST",
        f"/v2/fulfillment/lastmile/users/{r.user()}/validate_address",
        {**body, "postal_code": "94105"},  # the placeholder 'string' is no postal code
        "default",
    ),
    "update_tip": lambda r, body: _tip(r, body),
    "find_delivery_stores": lambda r, body: (
        "POST",
        "/v2/fulfillment/stores/delivery",
        body,
        "default",
    ),
    "find_pickup_stores": lambda r, body: (
        "POST",
        "/v2/fulfillment/stores/pickup",
        body,
        "default",
    ),
    "preview_pickup_service_options": lambda r, body: (
        "POST",
        "/v2/fulfillment/service_options/pickup",
        {**body, "location_code": next_store()},
        "default",
    ),
    "reserve_desired_window": lambda r, body: _reserve_window(r, body),
    "stage_order": lambda r, body: _stage(r, body),
    "create_shopper": lambda r, body: (
        "POST",
        f"{SB}/shoppers",
        {**body, "email": f"shopper-{r.unique}@example.com", "phone": _phone()},
        "default",
    ),
    "create_instacart_user": lambda r, body: (
        "POST",
        f"{SB}/instacart_users",
        {**body, "email": f"ic-{r.unique}@example.com"},
        "default",
    ),
    "authorize_instacart_user": lambda r, body: (
        "POST",
        f"{SB}/instacart_users/{r.instacart_user()}/authorize",
        {**body, "redirect_uri": "https://example.org", "scope": "account_linking"},
        "default",
    ),
    "authorize_instacart_user.test_account_linking": lambda r, body: (
        "POST",
        f"{SB}/instacart_users/{r.instacart_user()}/authorize",
        body,
        "default",
    ),
    "generate_batch": lambda r, body: _generate_batch(r, body),
    "create_shopper_order_item": lambda r, body: _shopper_item_after_batch(r, body),
    "update_shopper_order_item.test_item_updates": lambda r, body: _shopper_update(r, body),
    "simulate_order_callback.simulate_callbacks": lambda r, body: (
        "POST",
        f"{SB}/orders/{r.order()[1]}/callbacks",
        body,
        "default",
    ),
    "get_order_location": _post_checkout(
        "delivery", "delivering", "GET", PC + "/orders/{o}/location"
    ),
    # a store with lockers: the sandbox shows instruction images for lockers only
    "get_pickup_details": _post_checkout(
        "pickup", None, "GET", PC + "/orders/{o}/pickup/details", store="000-3801"
    ),
    "set_vehicle_info": _post_checkout(
        "pickup", None, "PUT", PC + "/orders/{o}/pickup/vehicle_info"
    ),
    "get_vehicle_info": lambda r, body: _vehicle(r),
    "record_user_arrival": _post_checkout(
        "pickup", "staged", "POST", PC + "/orders/{o}/pickup/user_arrived"
    ),
    "send_chat_message": _post_checkout("delivery", "picking", "POST", PC + "/chat/{o}/messages"),
    "mark_chat_messages_read": _post_checkout(
        "delivery", "picking", "PUT", PC + "/chat/{o}/messages"
    ),
}

#: fixture -> why the sandbox is expected to refuse the published request: a known deviation
#: (see the coverage table that opens SANDBOX.md).
REFUSED: dict[str, str] = {
    "set_vehicle_info": "is_pickup_delegate: true: the sandbox has no pickup delegates",
    "record_user_arrival": "is_pickup_delegate: true: the sandbox has no pickup delegates",
}

#: fixture -> why it is not replayed.
NOT_REPLAYED: dict[str, str] = {
    "create_token": "generated placeholders: grant_type 'string' with code and assertion "
    "'string' name no grant the sandbox could honour",
    "handle_item_replacement": "the published request does not fit the spec (see INVALID)",
    "simulate_order_callback": "the published request does not fit the spec (see INVALID)",
    "list_delivery_service_options.retrieve_desired_windows": "the published body is not JSON",
    "cancel_dispatch_order": "needs a dispatch order, a costly set-up; the placeholder user_id "
    "would be the only field (tests/test_last_mile.py cancels dispatch orders)",
    "stage_dispatch_order": "needs a dispatch order, a costly set-up "
    "(tests/test_last_mile.py stages dispatch orders)",
}

_phones = itertools.count(1)


def _phone() -> str:
    return f"62855590{next(_phones):02d}"


def _linked(r: Replay) -> Sent:
    user_id = r.user()
    r.api.ok("POST", f"/v2/fulfillment/users/{user_id}/link", {"linking_token": r.linking_token()})
    return "GET", f"/v2/fulfillment/users/{user_id}/link", None, "default"


def _reserve_window(r: Replay, body: Any) -> Sent:
    user_id = r.user()
    filled = {**body, "service_option_reference": r.desired_window_reference(user_id)}
    return "POST", f"/v2/fulfillment/users/{user_id}/service_options/reserve", filled, "default"


def _stage(r: Replay, body: Any) -> Sent:
    user_id, order_id = r.user(), f"docs-lmd-{r.unique}"
    last_mile_order(r.api, user_id, order_id)
    return "POST", f"/v2/fulfillment/users/{user_id}/orders/{order_id}/staged", body, "default"


def _tip(r: Replay, body: Any) -> Sent:
    user_id, order_id = r.order("delivery", "completed")  # a tip changes once delivered
    return "PUT", f"/v2/fulfillment/users/{user_id}/orders/{order_id}/tip", body, "default"


def _generate_batch(r: Replay, body: Any) -> Sent:
    _, order_id = r.order()
    filled = {
        **body,
        "shopper_id": new_shopper(r.api),
        "workflow_state": "acknowledged",  # the placeholder 'string' is no state
        "orders": [{**body["orders"][0], "id": order_id}],
    }
    return "POST", f"{SB}/batches", filled, "default"


def _picking(r: Replay) -> tuple[int, str]:
    """A shopper and an order of theirs being picked."""
    _, order_id = r.order()
    shopper = new_shopper(r.api)
    batch = r.api.ok("POST", f"{SB}/batches", {"shopper_id": shopper, "orders": [{"id": order_id}]})
    advance(r.api, batch["id"], "picking")
    return shopper, order_id


def _shopper_item_after_batch(r: Replay, body: Any) -> Sent:
    shopper, order_id = _picking(r)
    filled = {**body, "item": PEANUT_BUTTER}  # the placeholder upc 'string' is no product
    return "POST", f"{SB}/shoppers/{shopper}/orders/{order_id}/items", filled, "default"


def _shopper_update(r: Replay, body: Any) -> Sent:
    shopper, order_id = _picking(r)
    # the guide sends POST to .../items/1; the reference's method is PUT
    return "PUT", f"{SB}/shoppers/{shopper}/orders/{order_id}/items/1", body, "default"


def _vehicle(r: Replay) -> Sent:
    user_id, order_id = r.order("pickup")
    token = r.user_token(user_id)
    path = f"{PC}/orders/{order_id}/pickup/vehicle_info"
    vehicle = {"model": "SomeCarModel", "vehicle_type": "sedan", "color": "silver"}
    r.api.ok("PUT", path, {**vehicle, "license_plate": "F4K3L1C3NC3"}, token=token)
    return "GET", path, None, token


def test_every_example_is_replayed_or_says_why_not():
    both = set(REPLAYS) & set(NOT_REPLAYED)
    assert not both, f"both replayed and not: {both}"
    left = set(EXAMPLES) - set(REPLAYS) - set(NOT_REPLAYED)
    assert not left, f"say how to replay these examples (REPLAYS) or why not (NOT_REPLAYED): {left}"
    assert set(REPLAYS) | set(NOT_REPLAYED) <= set(EXAMPLES)
    assert set(REFUSED) <= set(REPLAYS)


def replays() -> list[Any]:
    return [
        pytest.param(
            stem,
            id=stem,
            marks=[pytest.mark.xfail(strict=True, raises=AssertionError, reason=REFUSED[stem])]
            if stem in REFUSED
            else [],
        )
        for stem in REPLAYS
        if stem in EXAMPLES
    ]


@pytest.mark.parametrize("stem", replays())
def test_the_sandbox_answers_the_published_request_in_the_published_shape(dev, unique, stem):
    example = EXAMPLES[stem]
    op = operation(stem)
    method, path, body, token = REPLAYS[stem](Replay(dev, unique), example.get("request"))
    assert spec.match(method, path) is not None and spec.match(method, path)[0] is op
    answer = dev.request(method, path, token=token, json=body)
    assert answer.status_code == 200, f"{stem}: {answer.status_code} {answer.text}"
    if "response" in example:
        assert differences(example["response"], answer.json()) == [], answer.json()
