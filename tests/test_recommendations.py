"""The Recommendations API against the sandbox over HTTPS: replacement and complementary items
for a list of items and for an order, backend (client credentials, the user in the path) and
frontend (a user token), their shapes, defaults, limits, errors, stock levels and determinism;
through a plain HTTPS client and through connect-kit's session."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from helpers import (
    ADDRESS,
    BANANAS,
    PEANUT_BUTTER,
    SPARKLING_WATER,
    WINE,
    Api,
    error_of,
    new_user,
    next_store,
    place_order,
    status_and_key,
)
from test_session import session_for

import connect_kit.sandbox as sandbox_package
from connect_kit import spec
from connect_kit.errors import InvalidRequestError, NotFoundError
from connect_kit.sandbox import seed
from connect_kit.sandbox.handlers.recommendations import PAIRINGS
from connect_kit.spec.recommendations import STOCK_LEVELS

SCOPE = "connect:recommendations"
RECO = "/v2/recommendations"
STORE = "000-3801"  # San Francisco, sells alcohol
DRY_STORE = "318-0009"  # sells no alcohol
PEANUT_BUTTER_RRC = {"rrc": "0452-38492"}  # the same item, by its RRC
KINDS = ("replacement_items", "complementary_items")


@pytest.fixture(scope="module")
def api(sandbox) -> Api:
    """The dev instance with a client-credentials token for Fulfillment and Recommendations."""
    return Api(sandbox, "dev", scope=f"connect:fulfillment {SCOPE}")


def user_token(api: Api, user_id: str, grant_type: str = "fulfillment_user_assertion") -> str:
    assertion = base64.b64encode(json.dumps({"user_id": user_id}).encode()).decode()
    body = {
        "client_id": api.client_id,
        "client_secret": api.client_secret,
        "grant_type": grant_type,
        "assertion": assertion,
        "scope": SCOPE,
    }
    return api.ok("POST", "/v2/oauth/token", body, token=None)["access_token"]


class Shopper:
    """A Connect user and their Recommendations user token; ``order()`` gives them a delivery
    order of peanut butter and sparkling water (at the next of the San Francisco stores)."""

    def __init__(self, api: Api, unique: str) -> None:
        self.api, self.user_id, self.order_id = api, f"rc-u-{unique}", f"rc-o-{unique}"
        new_user(api, self.user_id)
        self.token = user_token(api, self.user_id)
        self.store = ""

    def order(self) -> Shopper:
        self.store = next_store()  # spread over the stores: one store's slots fill up
        place_order(api=self.api, user_id=self.user_id, order_id=self.order_id,
                    location_code=self.store)  # fmt: skip
        return self

    def backend(self, tail: str, body: Any = None, **kw: Any):
        return self.api.post(f"{RECO}/users/{self.user_id}/{tail}", body, **kw)

    def frontend(self, tail: str, body: Any = None, **kw: Any):
        kw.setdefault("token", self.token)
        return self.api.post(f"{RECO}/{tail}", body, **kw)


@pytest.fixture
def shopper(api: Api, unique: str) -> Shopper:
    return Shopper(api, unique)


@pytest.fixture
def customer(api: Api, unique: str) -> Shopper:
    """A shopper with an order."""
    return Shopper(api, unique).order()


def level(location_code: str, product: seed.Product) -> str:
    """The stock level rule as SANDBOX.md states it, written again from the text."""
    store = next(s for s in seed.STORES if s.location_code == location_code)
    if product.alcohol and not store.alcohol:
        return "OUT_OF_STOCK"
    digest = hashlib.sha256(f"{location_code}:{product.upc}".encode()).hexdigest()
    bucket = int(digest[:12], 16) % 100
    return "OUT_OF_STOCK" if bucket < 8 else "LOW_STOCK" if bucket < 20 else "IN_STOCK"


def product(ref: dict[str, str]) -> seed.Product:
    found = seed.product(upc=ref.get("upc"), rrc=ref.get("rrc"))
    assert found is not None, ref
    return found


def items(*refs: dict[str, str]) -> list[dict[str, Any]]:
    return [{"line_num": str(i), "item": ref} for i, ref in enumerate(refs, 1)]


def in_category(category: str) -> list[seed.Product]:
    return [p for p in seed.PRODUCTS if p.category == category]


# the spec -------------------------------------------------------------------------------

OPERATIONS = {
    "find_replacement_items": ("/users/{user_id}/replacement_items", "R1"),
    "find_replacement_items_for_order": (
        "/users/{user_id}/orders/{order_id}/replacement_items",
        "R2",
    ),
    "find_complementary_items": ("/users/{user_id}/complementary_items", "R3"),
    "find_complementary_items_for_order": (
        "/users/{user_id}/orders/{order_id}/complementary_items",
        "R4",
    ),
    "find_replacement_items_as_user": ("/replacement_items", "R5"),
    "find_replacement_items_for_order_as_user": ("/orders/{order_id}/replacement_items", "R6"),
    "find_complementary_items_as_user": ("/complementary_items", "R7"),
    "find_complementary_items_for_order_as_user": (
        "/orders/{order_id}/complementary_items",
        "R8",
    ),
}


@pytest.mark.parametrize(("name", "path_and_ref"), OPERATIONS.items())
def test_the_spec_holds_the_eight_operations(name, path_and_ref):
    path, ref = path_and_ref
    op = spec.get(name)
    assert (op.method, op.path, op.area, op.scope, op.ref) == (
        "POST",
        RECO + path,
        "recommendations",
        SCOPE,
        ref,
    )
    assert not op.mutating  # a search sent with POST changes nothing
    assert op.records == ("items" if "replacement" in name else "complementary_items")
    assert op.records in op.response.model_fields


def test_the_area_holds_nothing_else():
    names = {op.name for op in spec.OPERATIONS.values() if op.area == "recommendations"}
    assert names == set(OPERATIONS)


def test_the_request_models_default_to_five():
    for name in OPERATIONS:
        request = spec.get(name).request
        (field,) = (f for f in request.model_fields if f.startswith("max_"))
        parsed = request.model_validate({"location_code": STORE, "items": items(BANANAS)})
        assert getattr(parsed, field) == 5


# replacement items for a list ------------------------------------------------------------


def test_replacements_for_a_list_have_the_documented_shape(api, shopper):
    body = {"location_code": STORE, "cart_id": "cart-1", "items": items(PEANUT_BUTTER, BANANAS)}
    answer = shopper.backend("replacement_items", body)
    assert answer.status_code == 200, answer.text
    lines = answer.json()["items"]
    assert [line["line_num"] for line in lines] == ["1", "2"]
    for line, ref in zip(lines, (PEANUT_BUTTER, BANANAS), strict=True):
        assert set(line) == {"line_num", "item", "replacement_items"}
        asked = product(ref)
        assert line["item"] == {**ref, "stock_level": level(STORE, asked)}
        assert 0 < len(line["replacement_items"]) <= 5
        for suggestion in line["replacement_items"]:
            assert set(suggestion) == {"upc", "stock_level"}
            found = product(suggestion)
            assert found.category == asked.category and found.upc != asked.upc
            assert suggestion["stock_level"] == level(STORE, found)
            assert suggestion["stock_level"] in ("IN_STOCK", "LOW_STOCK")  # the store has it


def test_at_most_five_replacements_by_default_and_as_many_as_asked(shopper):
    body = {"location_code": STORE, "items": items(PEANUT_BUTTER)}
    default = shopper.backend("replacement_items", body).json()["items"][0]
    assert len(default["replacement_items"]) == 5  # the pantry has many more
    for wanted in (1, 2, 7, 30):
        answer = shopper.backend("replacement_items", {**body, "max_replacement_items": wanted})
        found = answer.json()["items"][0]["replacement_items"]
        assert len(found) == wanted
        assert found[: min(wanted, 5)] == default["replacement_items"][: min(wanted, 5)]
    none = shopper.backend("replacement_items", {**body, "max_replacement_items": 0})
    assert none.json()["items"][0]["replacement_items"] == []


def test_a_category_with_few_items_gives_fewer_replacements(shopper):
    baby = in_category("Baby")
    body = {"location_code": STORE, "items": items({"upc": baby[0].upc})}
    answer = shopper.backend("replacement_items", {**body, "max_replacement_items": 50})
    found = answer.json()["items"][0]["replacement_items"]
    others = [p for p in baby[1:] if level(STORE, p) != "OUT_OF_STOCK"]
    assert sorted(product(s).upc for s in found) == sorted(p.upc for p in others)


def test_replacements_are_the_closest_items_first(shopper):
    """Same unit (each or lb) first, then the nearest price, then the UPC."""
    asked = product(PEANUT_BUTTER)
    body = {"location_code": STORE, "items": items(PEANUT_BUTTER), "max_replacement_items": 100}
    found = [
        product(s)
        for s in shopper.backend("replacement_items", body).json()["items"][0]["replacement_items"]
    ]
    expected = sorted(
        (
            p
            for p in in_category(asked.category)
            if p.upc != asked.upc and level(STORE, p) != "OUT_OF_STOCK"
        ),
        key=lambda p: (p.unit != asked.unit, abs(p.price_cents - asked.price_cents), p.upc),
    )
    assert [p.upc for p in found] == [p.upc for p in expected]


def test_an_item_asked_by_rrc_is_answered_by_rrc(shopper):
    body = {"location_code": STORE, "items": [{"item": PEANUT_BUTTER_RRC}]}
    (line,) = shopper.backend("replacement_items", body).json()["items"]
    assert "line_num" not in line  # not sent, not echoed
    assert line["item"]["rrc"] == PEANUT_BUTTER_RRC["rrc"] and "upc" not in line["item"]
    assert all(set(s) == {"rrc", "stock_level"} for s in line["replacement_items"])
    by_upc = shopper.backend("replacement_items", {**body, "items": [{"item": PEANUT_BUTTER}]})
    same = [product(s).upc for s in by_upc.json()["items"][0]["replacement_items"]]
    assert [product(s).upc for s in line["replacement_items"]] == same


def test_an_unknown_item_is_out_of_stock_without_replacements(shopper):
    body = {"location_code": STORE, "items": items({"upc": "000000000000"}, PEANUT_BUTTER)}
    unknown, known = shopper.backend("replacement_items", body).json()["items"]
    assert unknown == {
        "line_num": "1",
        "item": {"upc": "000000000000", "stock_level": "OUT_OF_STOCK"},
        "replacement_items": [],
    }
    assert known["replacement_items"]


def test_a_store_without_alcohol_has_no_wine(shopper):
    dry = {"location_code": DRY_STORE, "items": items(WINE)}
    (line,) = shopper.backend("replacement_items", dry).json()["items"]
    assert line["item"]["stock_level"] == "OUT_OF_STOCK" and line["replacement_items"] == []
    wet = shopper.backend("replacement_items", {**dry, "location_code": STORE}).json()
    assert {product(s).category for s in wet["items"][0]["replacement_items"]} == {"Wine"}


def test_stock_levels_follow_the_documented_rule_and_take_every_value(shopper):
    seen = set()
    for category in ("Pantry", "Produce", "Wine"):
        refs = [{"upc": p.upc} for p in in_category(category)]
        body = {"location_code": STORE, "items": items(*refs), "max_replacement_items": 0}
        lines = shopper.backend("replacement_items", body).json()["items"]
        for line, ref in zip(lines, refs, strict=True):
            assert line["item"]["stock_level"] == level(STORE, product(ref))
            seen.add(line["item"]["stock_level"])
    assert seen == set(STOCK_LEVELS)


def test_stock_levels_differ_between_stores(shopper):
    refs = [{"upc": p.upc} for p in in_category("Pantry")]
    levels = {}
    for store in ("000-3801", "000-3802"):
        body = {"location_code": store, "items": items(*refs), "max_replacement_items": 0}
        answer = shopper.backend("replacement_items", body).json()["items"]
        levels[store] = [line["item"]["stock_level"] for line in answer]
    assert levels["000-3801"] != levels["000-3802"]


# complementary items for a list ----------------------------------------------------------


def test_complements_for_a_list_have_the_documented_shape(shopper):
    body = {"location_code": STORE, "items": items(PEANUT_BUTTER, SPARKLING_WATER)}
    answer = shopper.backend("complementary_items", body)
    assert answer.status_code == 200, answer.text
    found = answer.json()["complementary_items"]
    assert len(found) == 5  # the default
    assert all(set(item) == {"upc"} for item in found)
    upcs = [item["upc"] for item in found]
    assert len(set(upcs)) == 5
    assert not {PEANUT_BUTTER["upc"], SPARKLING_WATER["upc"]} & set(upcs)
    paired = set(PAIRINGS["Pantry"]) | set(PAIRINGS["Beverages"])
    for upc in upcs:
        assert product({"upc": upc}).category in paired
        assert level(STORE, product({"upc": upc})) != "OUT_OF_STOCK"


def test_complements_take_turns_between_the_items(shopper):
    body = {"location_code": STORE, "items": items(PEANUT_BUTTER, SPARKLING_WATER)}
    found = [
        product(i)
        for i in shopper.backend("complementary_items", body).json()["complementary_items"]
    ]
    # each item's first paired category comes first: Produce for the pantry, Snacks for drinks
    assert [p.category for p in found[:2]] == [PAIRINGS["Pantry"][0], PAIRINGS["Beverages"][0]]


def test_max_complementary_items_caps_the_whole_list(shopper):
    body = {"location_code": STORE, "items": items(PEANUT_BUTTER, SPARKLING_WATER, BANANAS)}
    default = shopper.backend("complementary_items", body).json()["complementary_items"]
    for wanted in (0, 1, 3, 12):
        answer = shopper.backend("complementary_items", {**body, "max_complementary_items": wanted})
        found = answer.json()["complementary_items"]
        assert len(found) == wanted
        assert found[:5] == default[: min(wanted, 5)]


def test_complements_follow_the_way_each_item_was_named(shopper):
    body = {"location_code": STORE, "items": [{"item": PEANUT_BUTTER_RRC}]}
    found = shopper.backend("complementary_items", body).json()["complementary_items"]
    assert found and all(set(item) == {"rrc"} for item in found)


def test_unknown_items_have_no_complements(shopper):
    body = {"location_code": STORE, "items": items({"rrc": "0000-00000"})}
    assert shopper.backend("complementary_items", body).json() == {"complementary_items": []}


def test_every_category_is_paired_as_sandbox_md_says():
    text = (Path(sandbox_package.__file__).parent / "SANDBOX.md").read_text("utf-8")
    rows = dict(re.findall(r"^\| ([A-Z][\w &]+?) \| ([\w &,]+?) \|$", text, re.MULTILINE))
    assert set(PAIRINGS) == set(seed.CATEGORIES)
    for category, paired in PAIRINGS.items():
        assert rows[category] == ", ".join(paired)
        assert set(paired) <= set(seed.CATEGORIES) and category not in paired


# determinism ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_the_same_question_gets_the_same_answer(api, sandbox, shopper, unique, kind):
    body = {"location_code": STORE, "items": items(PEANUT_BUTTER, BANANAS, WINE)}
    first = shopper.backend(kind, body).json()
    assert shopper.backend(kind, body).json() == first
    other = f"rc-other-{unique}"
    new_user(api, other)
    assert api.ok("POST", f"{RECO}/users/{other}/{kind}", body) == first  # whoever asks
    prod = Api(sandbox, "prod", scope=f"connect:fulfillment {SCOPE}")
    new_user(prod, other)
    assert prod.ok("POST", f"{RECO}/users/{other}/{kind}", body) == first  # wherever


# for an order ------------------------------------------------------------------------------


def test_replacements_for_an_order_cover_its_items(customer):
    answer = customer.backend(f"orders/{customer.order_id}/replacement_items")
    assert answer.status_code == 200, answer.text
    lines = answer.json()["items"]
    assert [(line["line_num"], line["item"]["upc"]) for line in lines] == [
        ("1", PEANUT_BUTTER["upc"]),
        ("2", SPARKLING_WATER["upc"]),
    ]
    listed = customer.backend(
        "replacement_items",
        {"location_code": customer.store, "items": items(PEANUT_BUTTER, SPARKLING_WATER)},
    )
    assert lines == listed.json()["items"]  # the order's store and items, as a list would be
    one = customer.backend(
        f"orders/{customer.order_id}/replacement_items", {"max_replacement_items": 1}
    )
    assert [len(line["replacement_items"]) for line in one.json()["items"]] == [1, 1]


def test_complements_for_an_order_leave_out_its_items(customer):
    answer = customer.backend(f"orders/{customer.order_id}/complementary_items", {})
    found = answer.json()["complementary_items"]
    listed = customer.backend(
        "complementary_items",
        {"location_code": customer.store, "items": items(PEANUT_BUTTER, SPARKLING_WATER)},
    )
    assert found == listed.json()["complementary_items"] and len(found) == 5
    capped = customer.backend(
        f"orders/{customer.order_id}/complementary_items", {"max_complementary_items": 2}
    )
    assert capped.json()["complementary_items"] == found[:2]


def test_an_order_reflects_its_updated_items(api, customer):
    body = {"initial_tip_cents": 0, "items": [{"line_num": "3", "count": 1, "item": BANANAS}]}
    api.ok("PUT", f"/v2/fulfillment/users/{customer.user_id}/orders/{customer.order_id}", body)
    lines = customer.backend(f"orders/{customer.order_id}/replacement_items").json()["items"]
    assert [(line["line_num"], line["item"]["upc"]) for line in lines] == [("3", BANANAS["upc"])]


@pytest.mark.parametrize("kind", KINDS)
def test_a_last_mile_order_has_no_items_to_recommend_for(api, shopper, unique, kind):
    """A last-mile order carries counts, not items: there is nothing to recommend for."""
    store, users = next_store(), f"/v2/fulfillment/users/{shopper.user_id}"
    body = {
        "address": ADDRESS,
        "location_code": store,
        "cart_total_cents": 4200,
        "items_count": 3,
    }
    options = api.ok("POST", f"{users}/service_options/cart/last_mile", body)["service_options"]
    slot = next(o for o in options if o["availability"]["available"])
    held = api.ok("POST", f"{users}/service_options/{slot['id']}/reserve")["service_option_hold"]
    order = {
        "order_id": f"rc-lm-{unique}",
        "location_code": store,
        "service_option_hold_id": held["id"],
        "first_name": "Kamal",
        "last_name": "Singh",
        "user_phone": "+18005550100",
        "items_count": 3,
        "items_weight": 4.5,
    }
    api.ok("POST", f"{users}/orders/last_mile", order)
    answer = shopper.backend(f"orders/rc-lm-{unique}/{kind}", {})
    assert answer.json() == ({"items": []} if kind == "replacement_items" else {kind: []})


# errors -----------------------------------------------------------------------------------

LIST_BODY = {"location_code": STORE, "items": items(PEANUT_BUTTER)}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("for_order", [False, True])
def test_an_unknown_user_is_a_400_user_not_found(api, kind, for_order):
    tail = f"orders/nothing/{kind}" if for_order else kind
    answer = api.post(f"{RECO}/users/nobody-at-all/{tail}", {} if for_order else LIST_BODY)
    assert error_of(answer) == (400, "User Not Found", 1001, "user_id")


@pytest.mark.parametrize("kind", KINDS)
def test_an_unknown_order_is_a_404_resource_not_found(shopper, kind):
    answer = shopper.backend(f"orders/no-such-order/{kind}", {})
    assert error_of(answer) == (404, "Resource not found", 4000, None)
    assert answer.json()["meta"] == {}
    answer = shopper.frontend(f"orders/no-such-order/{kind}", {})
    assert error_of(answer) == (404, "Resource not found", 4000, None)


@pytest.mark.parametrize("kind", KINDS)
def test_another_users_order_is_as_unknown_as_a_missing_one(api, shopper, unique, kind):
    other = Shopper(api, f"{unique}-b").order()
    answer = shopper.backend(f"orders/{other.order_id}/{kind}", {})
    assert error_of(answer) == (404, "Resource not found", 4000, None)
    answer = shopper.frontend(f"orders/{other.order_id}/{kind}", {})
    assert error_of(answer) == (404, "Resource not found", 4000, None)


@pytest.mark.parametrize("kind", KINDS)
def test_an_unknown_store_is_a_400_naming_location_code(shopper, kind):
    for store in ("no-such-store", "000-3857"):  # 000-3857 is a store of prod only
        answer = shopper.backend(kind, {**LIST_BODY, "location_code": store})
        assert error_of(answer) == (400, "Could not find specified store.", 1001, "location_code")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({"items": items(PEANUT_BUTTER)}, "location_code"),
        ({"location_code": "", "items": items(PEANUT_BUTTER)}, "location_code"),
        ({"location_code": STORE}, "items"),
        ({"location_code": STORE, "items": []}, "items"),
        ({"location_code": STORE, "items": [{"line_num": "1"}]}, "items[0].item"),
        (
            {"location_code": STORE, "items": [{"item": {**PEANUT_BUTTER, **PEANUT_BUTTER_RRC}}]},
            "items[0].item",
        ),
        ({"location_code": STORE, "items": [{"item": {}}]}, "items[0].item"),
        ({"location_code": STORE, "items": [{"item": {"sku": "1"}}]}, "items[0].item.sku"),
        (
            {"location_code": STORE, "items": [{"item": PEANUT_BUTTER, "line_num": 1}]},
            "items[0].line_num",
        ),
    ],
)
def test_a_malformed_list_request_is_a_400_naming_the_field(shopper, kind, body, key):
    assert status_and_key(shopper.backend(kind, body)) == (400, key)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("value", [-1, "5", 1.5, None, True, 2**64])
def test_a_bad_maximum_is_a_400_naming_it(shopper, kind, value):
    field = f"max_{kind}"
    answer = shopper.backend(kind, {**LIST_BODY, field: value})
    assert status_and_key(answer) == (400, field)
    answer = shopper.backend(f"orders/any-order/{kind}", {field: value})  # checked first
    assert status_and_key(answer) == (400, field)


# tokens: backend needs the app's, frontend a user's ----------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_the_frontend_answers_for_the_tokens_user(customer, kind):
    backend = customer.backend(kind, LIST_BODY).json()
    assert customer.frontend(kind, LIST_BODY).json() == backend
    order = f"orders/{customer.order_id}/{kind}"
    assert customer.frontend(order, {}).json() == customer.backend(order, {}).json()


def test_the_retailer_json_bearer_grant_gives_a_frontend_token(api, customer):
    grant = "urn:ietf:params:oauth:grant-type:retailer-json-bearer"
    token = user_token(api, customer.user_id, grant)
    answer = customer.frontend(f"orders/{customer.order_id}/replacement_items", {}, token=token)
    assert answer.status_code == 200 and len(answer.json()["items"]) == 2


@pytest.mark.parametrize("kind", KINDS)
def test_a_frontend_call_needs_a_user_token(api, shopper, kind):
    answer = api.post(f"{RECO}/{kind}", LIST_BODY)  # client credentials: no user
    assert error_of(answer) == (400, "User ID not found", 4001, None)
    answer = api.post(f"{RECO}/orders/any-order/{kind}", {})
    assert error_of(answer) == (400, "User ID not found", 4001, None)


@pytest.mark.parametrize("kind", KINDS)
def test_a_backend_call_needs_a_client_credentials_token(shopper, kind):
    answer = shopper.backend(kind, LIST_BODY, token=shopper.token)
    status, message, code, _ = error_of(answer)
    assert (status, code) == (403, None) and "client credentials" in message
    answer = shopper.backend(f"orders/any-order/{kind}", {}, token=shopper.token)
    assert error_of(answer)[0] == 403


def test_a_token_without_the_scope_is_refused(api, shopper):
    fulfillment_only = api.new_token("connect:fulfillment")
    answer = shopper.backend("replacement_items", LIST_BODY, token=fulfillment_only)
    assert error_of(answer)[:3] == (
        403,
        "The access token's scope does not include connect:recommendations",
        None,
    )
    post_checkout_only = base64.b64encode(json.dumps({"user_id": shopper.user_id}).encode())
    token = api.new_token(
        "connect:post_checkout",
        grant_type="fulfillment_user_assertion",
        assertion=post_checkout_only.decode(),
    )
    assert shopper.frontend("replacement_items", LIST_BODY, token=token).status_code == 403


def test_an_unscoped_token_reaches_the_api(api, shopper):
    assert shopper.backend("replacement_items", LIST_BODY, token=api.new_token()).status_code == 200
    body = {
        "client_id": api.client_id,
        "client_secret": api.client_secret,
        "grant_type": "fulfillment_user_assertion",
        "assertion": base64.b64encode(json.dumps({"user_id": shopper.user_id}).encode()).decode(),
    }
    token = api.ok("POST", "/v2/oauth/token", body, token=None)["access_token"]
    assert shopper.frontend("replacement_items", LIST_BODY, token=token).status_code == 200


# through connect-kit's session ----------------------------------------------------------


@pytest.fixture
def session(sandbox):
    with session_for(sandbox) as dev:  # a session set to connect:fulfillment
        yield dev


def test_the_session_calls_the_backend_and_frames_the_items(session, shopper):
    res = session.call(
        "find_replacement_items",
        user_id=shopper.user_id,
        location_code=STORE,
        items=items(PEANUT_BUTTER, BANANAS),
    )
    assert res.status_code == 200 and not res.warnings
    assert list(res.frame["line_num"]) == ["1", "2"]
    assert list(res.frame["item.upc"]) == [PEANUT_BUTTER["upc"], BANANAS["upc"]]
    assert set(res.frame["item.stock_level"]) <= set(STOCK_LEVELS)
    assert "replacement_items" not in res.frame.columns  # a nested list: its own frame
    nested = res.nested("replacement_items")
    assert len(nested) == sum(len(line["replacement_items"]) for line in res.json["items"]) == 10
    assert set(nested["stock_level"]) <= {"IN_STOCK", "LOW_STOCK"}


def test_the_session_calls_every_backend_operation(session, customer):
    order = {"user_id": customer.user_id, "order_id": customer.order_id}
    res = session.call("find_replacement_items_for_order", **order, max_replacement_items=2)
    assert list(res.frame["item.upc"]) == [PEANUT_BUTTER["upc"], SPARKLING_WATER["upc"]]
    assert len(res.nested("replacement_items")) == 4
    res = session.call(
        "find_complementary_items",
        user_id=customer.user_id,
        location_code=STORE,
        items=items(PEANUT_BUTTER),
        max_complementary_items=3,
    )
    assert len(res.frame) == 3 and res.frame["upc"].notna().all()
    assert res.frame["rrc"].isna().all()  # asked by UPC, answered by UPC
    res = session.call("find_complementary_items_for_order", **order)
    assert len(res.frame) == 5 and not res.warnings


def test_the_session_reports_the_documented_errors(session, shopper):
    with pytest.raises(InvalidRequestError) as caught:
        session.call(
            "find_complementary_items",
            user_id="nobody-at-all",
            location_code=STORE,
            items=items(PEANUT_BUTTER),
        )
    assert (caught.value.status, caught.value.code, caught.value.key) == (400, 1001, "user_id")
    with pytest.raises(NotFoundError) as missing:
        session.call(
            "find_replacement_items_for_order", user_id=shopper.user_id, order_id="no-such-order"
        )
    assert (missing.value.status, missing.value.code) == (404, 4000)


def test_the_session_checks_arguments_before_sending(session, shopper):
    before = len(session.history)
    with pytest.raises(InvalidRequestError):
        session.call(
            "find_replacement_items",
            user_id=shopper.user_id,
            location_code=STORE,
            items=items(PEANUT_BUTTER),
            max_replacement_items=-1,
        )
    assert len(session.history) == before  # refused before any byte was sent


def test_a_user_session_calls_the_frontend(session, customer):
    with session.for_user(customer.user_id) as user:
        res = user.call("find_replacement_items_for_order_as_user", order_id=customer.order_id)
        assert list(res.frame["line_num"]) == ["1", "2"]
        res = user.call(
            "find_complementary_items_as_user", location_code=STORE, items=items(BANANAS)
        )
        assert len(res.frame) == 5
