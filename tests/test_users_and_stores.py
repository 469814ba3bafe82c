"""Users, addresses, store searches, and how dev and prod differ by design."""

from __future__ import annotations

import pytest
from helpers import ADDRESS, error_of, new_user

from connect_kit.sandbox import seed

DELIVERY = "/v2/fulfillment/stores/delivery"


def test_create_user_capitalises_names_and_refuses_duplicates(dev, unique):
    user_id = f"john-{unique}"
    created = new_user(dev, user_id, first_name="john", last_name="smith", locale="en-US")
    assert created == {
        "user_id": user_id,
        "first_name": "John",
        "last_name": "Smith",
        "phone_number": "+18005550100",
        "locale": "en-US",
    }
    again = dev.post("/v2/fulfillment/users", {"user_id": user_id, "first_name": "x"})
    assert error_of(again) == (400, "User ID has already been taken", 1001, "user_id")


@pytest.mark.parametrize("bad", ["a/b", "a:b", "<x>", "$5", "50%", "why?"])
def test_names_refuse_the_documented_characters(dev, unique, bad):
    answer = dev.post("/v2/fulfillment/users", {"user_id": f"u-{unique}", "first_name": bad})
    status, _, code, key = error_of(answer)
    assert (status, code, key) == (400, 1001, "first_name")


def test_address_creates_the_user_and_flags_long_distance(dev, unique):
    user_id = f"addr-{unique}"
    body = {**ADDRESS, "first_name": "ana"}
    answer = dev.ok("POST", f"/v2/fulfillment/users/{user_id}/addresses", body)
    assert answer == {
        "user_id": user_id,
        "address_line_1": "50 Beale St",
        "postal_code": "94105",
        "flags": {"long_distance_delivery": False},
    }
    # the same user, a second address: no first_name needed now
    second = {"address_line_1": "1 Main St", "postal_code": "90210"}
    assert dev.ok("POST", f"/v2/fulfillment/users/{user_id}/addresses", second)["user_id"]
    unknown = dev.post(
        f"/v2/fulfillment/users/{user_id}/addresses",
        {"address_line_1": "1 Nowhere", "postal_code": "00001"},
    )
    assert error_of(unknown) == (400, "Address could not be validated", 1001, "postal_code")
    nameless = dev.post(f"/v2/fulfillment/users/new-{unique}/addresses", ADDRESS)
    assert error_of(nameless) == (400, "can't be blank", 1001, "first_name")


def test_deprecated_address_validations_still_work(dev, unique):
    body = {**ADDRESS, "first_name": "li"}
    old = dev.ok("POST", f"/v2/fulfillment/lastmile/users/lm-{unique}/validate_address", body)
    assert old["postal_code"] == "94105"
    older = dev.ok(
        "POST", "/v2/fulfillment/lastmile/validate_address", {**body, "user_id": f"lm2-{unique}"}
    )
    assert older["user_id"] == f"lm2-{unique}"


def test_inactive_users_get_403(sandbox, dev, unique):
    user_id = f"gone-{unique}"
    new_user(dev, user_id)
    sandbox.set_user_active("dev", user_id, False)
    answer = dev.get(f"/v2/fulfillment/users/{user_id}/link")
    assert error_of(answer) == (403, "User Not Active", None, None)
    sandbox.set_user_active("dev", user_id, True)
    assert error_of(dev.get(f"/v2/fulfillment/users/{user_id}/link"))[1] == "User Not Linked"
    missing = dev.get("/v2/fulfillment/users/nobody-ever/link")
    assert error_of(missing) == (400, "User Not Found", 1001, "user_id")


def find(api, path, **find_by):
    return api.ok("POST", path, {"find_by": find_by})["stores"]


def test_delivery_stores_near_the_reference_address_nearest_first(prod):
    stores = find(prod, DELIVERY, **ADDRESS)
    assert stores[0]["location_code"] in ("000-3801", "000-3857")
    here = seed.place("94105")
    by_code = {s.location_code: s for s in seed.STORES}
    distances = [
        seed.distance_km(
            here.latitude, here.longitude, by_code[code].latitude, by_code[code].longitude
        )
        for code in (s["location_code"] for s in stores)
    ]
    assert distances == sorted(distances)
    assert all(not s["flags"]["pickup_only"] for s in stores)
    assert set(stores[0]["flags"]) == {"alcohol", "pickup", "pickup_only", "long_distance_delivery"}


@pytest.mark.parametrize(
    ("path", "find_by"),
    [
        (DELIVERY, {"latitude": 34.0901, "longitude": -118.4065}),
        (DELIVERY, {"address_line_1": "1 Rodeo Dr", "postal_code": "90210"}),
        ("/v2/fulfillment/stores/pickup", {"postal_code": "M6K3L5"}),
        ("/v2/fulfillment/stores/pickup", {"latitude": 43.6387, "longitude": -79.4245}),
        ("/v2/fulfillment/stores/last_mile", {**ADDRESS, "city": "San Francisco"}),
        ("/v2/fulfillment/stores/last_mile", {"postal_code": "60601"}),
        ("/v2/fulfillment/lastmile/stores", {"postal_code": "94105"}),
    ],
)
def test_every_find_by_form_finds_stores(prod, path, find_by):
    stores = find(prod, path, **find_by)
    assert stores, f"no stores for {find_by}"
    if path.endswith("/pickup"):
        assert all(s["flags"]["pickup"] for s in stores)


def test_dispatch_postal_search_flags_partial_coverage(prod):
    stores = find(prod, "/v2/fulfillment/lastmile/stores", postal_code="94105")
    assert all("is_partial" in s["flags"] for s in stores)
    assert {s["flags"]["is_partial"] for s in stores} == {False, True}
    by_address = find(prod, "/v2/fulfillment/lastmile/stores", **ADDRESS)
    assert all("is_partial" not in s["flags"] for s in by_address)


def test_unknown_places_have_no_stores_and_wrong_forms_are_refused(prod):
    assert find(prod, DELIVERY, address_line_1="1 Nowhere", postal_code="00001") == []
    pickup_by_address = prod.post("/v2/fulfillment/stores/pickup", {"find_by": ADDRESS})
    assert error_of(pickup_by_address)[3] == "find_by"
    delivery_by_postal = prod.post(DELIVERY, {"find_by": {"postal_code": "94105"}})
    assert error_of(delivery_by_postal)[3] == "find_by"


def test_dev_and_prod_differ_by_design(dev, prod):
    dev_stores = find(dev, DELIVERY, **ADDRESS)
    prod_stores = find(prod, DELIVERY, **ADDRESS)
    dev_codes = {s["location_code"] for s in dev_stores}
    prod_codes = {s["location_code"] for s in prod_stores}
    assert "999-0001" in dev_codes - prod_codes  # a dev test store
    assert "000-3857" in prod_codes - dev_codes  # a prod opening not mirrored to dev
    # dev serves a new optional field ahead of prod
    assert all("time_zone" in s for s in dev_stores)
    assert not any("time_zone" in s for s in prod_stores)
    # separate credentials
    assert dev.client_id != prod.client_id


def test_sandbox_api_is_dev_only(dev, prod):
    assert dev.post("/v2/fulfillment_sandbox/shoppers", {}).status_code == 200
    assert error_of(prod.post("/v2/fulfillment_sandbox/shoppers", {}))[:3] == (
        404,
        "Resource not found",
        4000,
    )
