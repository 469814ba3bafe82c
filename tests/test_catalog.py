"""The Catalog API against the sandbox, over HTTPS: product and item submissions as the docs
shape them, their rules and errors, and what they change: a new product on sale at a store
can be found in that store's time slots for a cart and ordered there, and nowhere else."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
from helpers import ADDRESS, PEANUT_BUTTER, Api, cart, error_of, new_user, status_and_key
from test_session import session_for

from connect_kit import spec
from connect_kit.errors import InvalidRequestError
from connect_kit.sandbox import Sandbox, seed

SCOPE = "connect:data_ingestion"
PRODUCTS = "/v2/data_ingestion/catalog/product/submission"
ITEMS = "/v2/data_ingestion/catalog/item/submission"
USERS = "/v2/fulfillment/users"
STORE, OTHER_STORE = "000-3801", "000-3802"  # San Francisco stores of both instances


def code_for(unique: str) -> str:
    """A 12-digit lookup code of the test's own that the seed catalogue does not have."""
    digits = int(hashlib.sha256(unique.encode()).hexdigest(), 16) % 10**10
    code = f"97{digits:010d}"
    assert seed.product(upc=code) is None
    return code


def new_product(api: Api, code: str, **fields: Any) -> None:
    body = {"lookup_code": code, "item_name": "Sunny Acres Oat Milk", "brand_name": "Sunny"}
    assert api.ok("POST", PRODUCTS, {**body, **fields}) == {}


def on_sale(api: Api, code: str, store: str = STORE, **fields: Any) -> None:
    body = {"lookup_code": code, "store_identifier": store, "available": True, "price": 4.99}
    assert api.ok("POST", ITEMS, {**body, **fields}) == {}


def slots(api: Api, user_id: str, items: list[dict[str, Any]], store: str = STORE) -> Any:
    """List the cart's delivery slots at ``store`` (the raw answer)."""
    body = {"address": ADDRESS, "location_code": store, "items": items}
    return api.post(f"{USERS}/{user_id}/service_options/cart/delivery", body)


def order(api: Api, user_id: str, order_id: str, items: list[dict[str, Any]], store: str = STORE):
    """Hold the cart's first available slot at ``store`` and order it (the raw answer)."""
    options = slots(api, user_id, items, store).json()["service_options"]
    slot = next(o for o in options if o["availability"]["available"])
    path = f"{USERS}/{user_id}/service_options/{slot['id']}/reserve"
    hold = api.ok("POST", path)["service_option_hold"]["id"]
    body = {
        "order_id": order_id,
        "service_option_hold_id": hold,
        "location_code": store,
        "address": ADDRESS,
        "items": items,
        "initial_tip_cents": 0,
    }
    return api.post(f"{USERS}/{user_id}/orders/delivery", body)


def a_user(api: Api, unique: str) -> str:
    user_id = f"cat-u-{unique}"
    new_user(api, user_id)
    return user_id


def invalid_items(answer: Any) -> bool:
    return answer.status_code == 400 and "Invalid items" in answer.text


# The spec --------------------------------------------------------------------------------


def test_the_spec_has_both_submissions():
    product, item = spec.get("submit_catalog_product"), spec.get("submit_catalog_item")
    assert (product.method, product.path) == ("POST", PRODUCTS)
    assert (item.method, item.path) == ("POST", ITEMS)
    for op in (product, item):
        assert (op.area, op.scope) == ("catalog", SCOPE)
        assert op.mutating and not op.deprecated and op.records is None and op.identity is None
    assert spec.field(item, "request", "store_identifier").required
    assert not spec.field(product, "request", "lookup_code").required  # or the rrc
    assert set(spec.field(item, "request", "cost_unit").enum) == {"each", "lb", "g", "kg"}
    assert spec.field(product, "request", "item_name").type == "string"


# A new product, on sale at one store --------------------------------------------------------


def test_a_submitted_item_is_listed_and_ordered_at_its_store_only(dev, sandbox, unique):
    code = code_for(unique)
    new_product(dev, code, department="Dairy & Eggs", size="64", size_uom="fl oz")
    on_sale(dev, code, cost_unit="each")
    user_id = a_user(dev, unique)
    items = cart({"upc": code}, PEANUT_BUTTER)
    assert slots(dev, user_id, items).status_code == 200
    answer = order(dev, user_id, f"cat-o-{unique}", items)
    assert answer.status_code == 200, answer.text
    line = answer.json()["items"][0]
    assert line["item"]["upc"] == code and line["qty_unit"] == "each"
    assert line["scan_code"] == code.zfill(14)
    got = dev.ok("GET", f"{USERS}/{user_id}/orders/cat-o-{unique}")
    assert got["items"][0]["item"]["upc"] == code
    elsewhere = slots(dev, user_id, items, OTHER_STORE)
    assert invalid_items(elsewhere) and error_of(elsewhere)[2:] == (2000, "items[0].item")
    documents = sandbox.instances["dev"].state
    assert documents.get("catalog_product", code)["attributes"]["size_uom"] == "fl oz"
    assert documents.get("catalog_item", f"{STORE}/{code}")["attributes"]["price"] == 4.99


def test_a_product_sold_nowhere_or_not_available_cannot_be_ordered(dev, unique):
    code = code_for(unique)
    new_product(dev, code)
    user_id = a_user(dev, unique)
    items = cart({"upc": code})
    assert invalid_items(slots(dev, user_id, items))  # no item at any store
    on_sale(dev, code, available=False)
    assert invalid_items(slots(dev, user_id, items))
    on_sale(dev, code, available=True)
    assert slots(dev, user_id, items).status_code == 200
    on_sale(dev, code, price=5.49)  # a partial update: still available
    assert slots(dev, user_id, items).status_code == 200


def test_an_item_before_its_product_waits_for_it(dev, unique):
    code = code_for(unique)
    on_sale(dev, code)  # accepted: ingestion would match the product later
    user_id = a_user(dev, unique)
    assert invalid_items(slots(dev, user_id, cart({"upc": code})))
    new_product(dev, code)
    assert slots(dev, user_id, cart({"upc": code})).status_code == 200


def test_a_product_named_by_its_retailer_code_is_sold_once_it_has_a_lookup_code(dev, unique):
    code, rrc = code_for(unique), f"9700-{unique}"
    assert dev.ok("POST", PRODUCTS, {"retailer_reference_code": rrc, "item_name": "Oat Milk"}) == {}
    assert (
        dev.ok(
            "POST",
            ITEMS,
            {"retailer_reference_code": rrc, "store_identifier": STORE, "available": True},
        )
        == {}
    )
    user_id = a_user(dev, unique)
    assert invalid_items(slots(dev, user_id, cart({"rrc": rrc})))  # no UPC to sell it by
    assert (
        dev.ok(
            "POST",
            PRODUCTS,
            {"lookup_code": code, "retailer_reference_code": rrc, "item_details": "Unsweetened"},
        )
        == {}
    )
    assert slots(dev, user_id, cart({"rrc": rrc})).status_code == 200
    assert slots(dev, user_id, cart({"upc": code})).status_code == 200


def test_a_weighed_item_is_ordered_by_weight(dev, unique):
    code = code_for(unique)
    new_product(dev, code, item_name="Heirloom Tomatoes")
    on_sale(dev, code, cost_unit="lb", price=3.99)
    user_id = a_user(dev, unique)
    by_weight = [{"line_num": "1", "weight": 1.5, "item": {"upc": code}}]
    assert slots(dev, user_id, by_weight).status_code == 200
    placed = order(dev, user_id, f"cat-o-{unique}", by_weight)
    assert placed.status_code == 200 and placed.json()["items"][0]["qty_unit"] == "lb"


def test_updates_change_only_what_they_carry_and_never_the_brand(dev, sandbox, unique):
    code = code_for(unique)
    new_product(dev, code, brand_name="Sunny", organic=True)
    assert dev.ok("POST", PRODUCTS, {"lookup_code": code, "brand_name": "Cloudy"}) == {}
    assert dev.ok("POST", PRODUCTS, {"lookup_code": code, "item_name": "Oat Milk, 1 qt"}) == {}
    record = sandbox.instances["dev"].state.get("catalog_product", code)["attributes"]
    assert record["brand_name"] == "Sunny"  # static: applied only when created
    assert record["item_name"] == "Oat Milk, 1 qt" and record["organic"] is True


def test_each_instance_has_its_own_catalogue(dev, prod, unique):
    code = code_for(unique)
    new_product(dev, code)
    on_sale(dev, code)
    user_id = a_user(prod, unique)
    assert invalid_items(slots(prod, user_id, cart({"upc": code})))


# A seed product off sale at one store (a sandbox of the test's own) ------------------------


@pytest.fixture
def own_dev(own_sandbox: Sandbox) -> Iterator[Api]:
    yield Api(own_sandbox, "dev")


def test_an_item_off_sale_takes_a_seed_product_off_that_store_only(own_dev, unique):
    api = own_dev
    user_id = a_user(api, unique)
    items = cart(PEANUT_BUTTER)
    assert slots(api, user_id, items).status_code == 200
    on_sale(api, PEANUT_BUTTER["upc"], available=False)
    assert invalid_items(slots(api, user_id, items))
    assert slots(api, user_id, items, OTHER_STORE).status_code == 200
    rrc = seed.product(upc=PEANUT_BUTTER["upc"]).rrc
    assert (
        api.ok(
            "POST",
            ITEMS,
            {"retailer_reference_code": rrc, "store_identifier": STORE, "available": True},
        )
        == {}
    )
    assert slots(api, user_id, items).status_code == 200
    # a product submission for a seed product is kept but shows nothing new
    renamed = {"lookup_code": PEANUT_BUTTER["upc"], "item_name": "Renamed"}
    assert api.ok("POST", PRODUCTS, renamed) == {}
    got = api.ok("POST", "/v2/fulfillment/validate_items", {"items": cart(PEANUT_BUTTER)})
    assert got == {"validation_failures": []}


# The rules and errors -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "key"),
    [
        (PRODUCTS, {"item_name": "Oat Milk"}, "body"),  # no identifier
        (PRODUCTS, {"lookup_code": "970000000001"}, "body"),  # nothing besides it
        (PRODUCTS, {"lookup_code": "970000000001", "item_name": None}, "body"),
        (PRODUCTS, {"lookup_code": "", "item_name": "x"}, "lookup_code"),
        (PRODUCTS, {"lookup_code": "970000000001", "item_name": "x" * 101}, "item_name"),
        (PRODUCTS, {"lookup_code": "970000000001", "brand_name": "x" * 101}, "brand_name"),
        (PRODUCTS, {"lookup_code": "970000000001", "kosher": "yes"}, "kosher"),
        (PRODUCTS, {"lookup_code": 970000000001, "item_name": "x"}, "lookup_code"),
        (PRODUCTS, {"lookup_code": "970000000001", "generated_at": "soon"}, "generated_at"),
        (PRODUCTS, {"lookup_code": "970000000001", "additional_images_url": "x"}, "additional"),
        (ITEMS, {"lookup_code": "970000000001", "available": True}, "store_identifier"),
        (ITEMS, {"lookup_code": "970000000001", "store_identifier": STORE}, "body"),
        (ITEMS, {"store_identifier": STORE, "available": True}, "body"),
        (ITEMS, {"lookup_code": "1", "store_identifier": STORE, "cost_unit": "oz"}, "cost_unit"),
        (ITEMS, {"lookup_code": "1", "store_identifier": STORE, "price": -1}, "price"),
        (ITEMS, {"lookup_code": "1", "store_identifier": STORE, "price": "4.99"}, "price"),
        (ITEMS, {"lookup_code": "1", "store_identifier": STORE, "order_lead_time": 1.5}, "order"),
    ],
)
def test_malformed_submissions_are_a_400_naming_the_field(dev, path, body, key):
    status, found = status_and_key(dev.post(path, body))
    assert status == 400 and found is not None and found.startswith(key), found


def test_creating_a_product_needs_its_name_and_an_item_a_known_store(dev, unique):
    code = code_for(unique)
    answer = dev.post(PRODUCTS, {"lookup_code": code, "brand_name": "Sunny"})
    assert error_of(answer) == (400, "item_name is required to create a product", 1001, "item_name")
    answer = dev.post(ITEMS, {"lookup_code": code, "store_identifier": "999-9999", "price": 1})
    assert error_of(answer) == (400, "Store not found", 1001, "store_identifier")
    seeded = {"lookup_code": PEANUT_BUTTER["upc"], "store_identifier": "000-3801"}
    assert status_and_key(dev.post(ITEMS, {**seeded, "available": "no"})) == (400, "available")


def test_the_data_ingestion_scope_is_needed(dev, unique):
    body = {"lookup_code": code_for(unique), "item_name": "Oat Milk"}
    fulfillment_only = dev.new_token("connect:fulfillment")
    assert dev.post(PRODUCTS, body, token=fulfillment_only).status_code == 403
    assert dev.post(ITEMS, body, token=fulfillment_only).status_code == 403
    assert dev.post(PRODUCTS, body, token=dev.new_token(SCOPE)).status_code == 200
    assert dev.post(PRODUCTS, body, token=None).status_code == 401


# Through connect-kit's session ----------------------------------------------------------


def test_a_session_submits_and_checks_before_sending(dev, sandbox, unique):
    code = code_for(unique)
    with session_for(sandbox) as session:  # set to connect:fulfillment: a token per scope
        res = session.call("submit_catalog_product", lookup_code=code, item_name="Oat Milk")
        assert res.status_code == 200 and res.json == {} and res.warnings == []
        assert res.frame.shape == (0, 0)
        res = session.call(
            "submit_catalog_item", lookup_code=code, store_identifier=STORE, available=True
        )
        assert res.json == {}
        with pytest.raises(InvalidRequestError) as refused:
            session.call("submit_catalog_item", lookup_code=code, store_identifier=STORE)
        assert refused.value.status is None and "at least one attribute" in str(refused.value)
        user_id = a_user(dev, unique)
        res = session.call(
            "list_delivery_service_options",
            user_id=user_id,
            address=ADDRESS,
            location_code=STORE,
            items=cart({"upc": code}),
        )
        assert res.status_code == 200 and len(res.frame) > 0
