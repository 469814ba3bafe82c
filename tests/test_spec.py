"""The spec: every operation of the reference, its attributes, models and the public surface."""

from __future__ import annotations

import warnings

import pytest
from pydantic import ValidationError

import connect_kit as ck
from connect_kit import spec
from connect_kit.spec.common import Order
from connect_kit.spec.stores import DeliveryStoresRequest, PickupStoresRequest

# Section 4.0 of the Fulfillment reference: (#, method, path, deprecated replacement or None).
CATALOGUE = [
    ("#1", "POST", "/v2/oauth/token", None),
    ("#2", "POST", "/v2/oauth/token/revoke", None),
    ("#3", "POST", "/v2/fulfillment/users", None),
    ("#4", "POST", "/v2/fulfillment/users/{user_id}/addresses", None),
    ("#5", "POST", "/v2/fulfillment/users/{user_id}/link", None),
    ("#6", "GET", "/v2/fulfillment/users/{user_id}/link", None),
    ("#7", "POST", "/v2/fulfillment/stores/delivery", None),
    ("#8", "POST", "/v2/fulfillment/stores/pickup", None),
    ("#9", "POST", "/v2/fulfillment/stores/last_mile", None),
    ("#10", "POST", "/v2/fulfillment/lastmile/stores", None),
    ("#11", "POST", "/v2/fulfillment/service_options/delivery", None),
    ("#12", "POST", "/v2/fulfillment/service_options/pickup", None),
    ("#13", "POST", "/v2/fulfillment/service_options/last_mile", None),
    ("#14", "POST", "/v2/fulfillment/users/{user_id}/service_options/cart/delivery", None),
    ("#15", "POST", "/v2/fulfillment/users/{user_id}/service_options/cart/pickup", None),
    ("#16", "POST", "/v2/fulfillment/users/{user_id}/service_options/cart/last_mile", None),
    (
        "#17",
        "POST",
        "/v2/fulfillment/users/{user_id}/service_options/{service_option_id}/reserve",
        None,
    ),
    ("#18", "POST", "/v2/fulfillment/users/{user_id}/service_options/reserve", None),
    (
        "#19",
        "POST",
        "/v2/fulfillment/users/{user_id}/service_options/{service_option_id}/reserve/cart",
        "reserve_service_option",
    ),
    ("#20", "POST", "/v2/fulfillment/users/{user_id}/orders/delivery", None),
    ("#21", "POST", "/v2/fulfillment/users/{user_id}/orders/pickup", None),
    ("#22", "POST", "/v2/fulfillment/users/{user_id}/orders/last_mile", None),
    ("#23", "GET", "/v2/fulfillment/users/{user_id}/orders/{order_id}", None),
    ("#24", "GET", "/v2/fulfillment/users/{user_id}/orders", "(none)"),
    ("#25", "PUT", "/v2/fulfillment/users/{user_id}/orders/{order_id}", None),
    ("#26", "PUT", "/v2/fulfillment/users/{user_id}/orders/{order_id}/last_mile", None),
    ("#27", "PUT", "/v2/fulfillment/users/{user_id}/orders/{order_id}/tip", None),
    (
        "#28",
        "PUT",
        "/v2/fulfillment/users/{user_id}/orders/{order_id}/replacement_selections",
        None,
    ),
    ("#29", "POST", "/v2/fulfillment/users/{user_id}/orders/{order_id}/staged", None),
    ("#30", "POST", "/v2/fulfillment/users/{user_id}/orders/{order_id}/cancel", None),
    ("#31", "POST", "/v2/fulfillment/validate_items", None),
    ("#32", "POST", "/v2/fulfillment/lastmile/orders", None),
    ("#33", "GET", "/v2/fulfillment/lastmile/orders/{order_id}", None),
    ("#34", "PUT", "/v2/fulfillment/lastmile/orders/{order_id}", None),
    ("#35", "POST", "/v2/fulfillment/lastmile/orders/{order_id}/cancel", None),
    ("#36", "POST", "/v2/fulfillment/lastmile/orders/{order_id}/staged", None),  # dispatch
    ("#37", "POST", "/v2/fulfillment/lastmile/users/{user_id}/orders", "create_last_mile_order"),
    (
        "#38",
        "POST",
        "/v2/fulfillment/lastmile/service_options",
        "preview_last_mile_service_options",
    ),
    (
        "#39",
        "POST",
        "/v2/fulfillment/lastmile/users/{user_id}/service_options/{service_option_id}/reserve",
        "reserve_service_option",
    ),
    (
        "#40",
        "POST",
        "/v2/fulfillment/lastmile/users/{user_id}/validate_address",
        "create_user_address",
    ),
    ("#41", "POST", "/v2/fulfillment/lastmile/validate_address", "create_user_address"),
]
SANDBOX = [
    ("S1", "POST", "/v2/fulfillment_sandbox/shoppers"),
    ("S2", "POST", "/v2/fulfillment_sandbox/batches"),
    ("S3", "POST", "/v2/fulfillment_sandbox/batches/{batch_id}/advance"),
    ("S4", "POST", "/v2/fulfillment_sandbox/shoppers/{shopper_id}/orders/{order_id}/items"),
    (
        "S5",
        "PUT",
        "/v2/fulfillment_sandbox/shoppers/{shopper_id}/orders/{order_id}/items/{line_num}",
    ),
    ("S6", "POST", "/v2/fulfillment_sandbox/orders/{order_id}/callbacks"),
    ("S7", "POST", "/v2/fulfillment_sandbox/instacart_users"),
    ("S8", "POST", "/v2/fulfillment_sandbox/instacart_users/{user_id}/authorize"),
]
# Section 3.2 of the sandbox/callbacks/post-checkout reference (numbered here PC1-PC14).
POST_CHECKOUT = [
    ("PC1", "GET", "/v2/post_checkout/orders/{order_id}"),
    ("PC2", "GET", "/v2/post_checkout/orders/{order_id}/handling"),
    ("PC3", "GET", "/v2/post_checkout/orders/{order_id}/location"),
    ("PC4", "GET", "/v2/post_checkout/orders/{order_id}/items"),
    ("PC5", "PUT", "/v2/post_checkout/orders/{order_id}/items/{order_item_id}/replacement"),
    ("PC6", "GET", "/v2/post_checkout/chat/{order_id}/messages"),
    ("PC7", "POST", "/v2/post_checkout/chat/{order_id}/messages"),
    ("PC8", "PUT", "/v2/post_checkout/chat/{order_id}/messages"),
    ("PC9", "GET", "/v2/post_checkout/orders/{order_id}/order_messages"),
    ("PC10", "GET", "/v2/post_checkout/orders/{order_id}/pickup/details"),
    ("PC11", "PUT", "/v2/post_checkout/orders/{order_id}/pickup/vehicle_info"),
    ("PC12", "GET", "/v2/post_checkout/orders/{order_id}/pickup/vehicle_info"),
    ("PC13", "POST", "/v2/post_checkout/orders/{order_id}/pickup/user_arrived"),
    ("PC14", "POST", "/v2/post_checkout/orders/{order_id}/pickup/schedule_pickup"),
]


def by_ref() -> dict[str, spec.Operation]:
    return {op.ref: op for op in spec.OPERATIONS.values()}


@pytest.mark.parametrize(("ref", "method", "path", "replacement"), CATALOGUE)
def test_every_catalogued_operation_is_in_the_spec(ref, method, path, replacement):
    op = by_ref()[ref]
    assert (op.method, op.path) == (method, path)
    assert op.deprecated == (replacement is not None)
    if replacement not in (None, "(none)"):
        assert op.replacement == replacement
        assert op.replacement in spec.OPERATIONS


@pytest.mark.parametrize(("ref", "method", "path"), SANDBOX)
def test_every_sandbox_operation_is_in_the_spec(ref, method, path):
    op = by_ref()[ref]
    assert (op.method, op.path, op.area) == (method, path, "sandbox")
    assert op.mutating


# Order Feedback (under Fulfillment), Transaction and Catalog (docs-gaps-2026-12.md, section 5).
FEEDBACK_TRANSACTION_CATALOG = [
    ("FB1", "POST", "/v2/feedback/users/{user_id}/orders/{order_id}/rating", "fulfillment"),
    ("FB2", "POST", "/v2/feedback/orders/{order_id}/rating", "fulfillment"),
    ("TX1", "POST", "/v2/retailer_transaction/pos_transactions", "transaction"),
    ("CAT1", "POST", "/v2/data_ingestion/catalog/product/submission", "catalog"),
    ("CAT2", "POST", "/v2/data_ingestion/catalog/item/submission", "catalog"),
]


@pytest.mark.parametrize(("ref", "method", "path", "area"), FEEDBACK_TRANSACTION_CATALOG)
def test_every_feedback_transaction_and_catalog_operation_is_in_the_spec(ref, method, path, area):
    op = by_ref()[ref]
    assert (op.method, op.path, op.area) == (method, path, area)
    assert op.mutating and not op.deprecated


# The Recommendations API (docs-gaps-2026-12.md, section 5): 4 backend, 4 frontend (R5-R8).
RECOMMENDATIONS = [
    ("R1", "/v2/recommendations/users/{user_id}/replacement_items"),
    ("R2", "/v2/recommendations/users/{user_id}/orders/{order_id}/replacement_items"),
    ("R3", "/v2/recommendations/users/{user_id}/complementary_items"),
    ("R4", "/v2/recommendations/users/{user_id}/orders/{order_id}/complementary_items"),
    ("R5", "/v2/recommendations/replacement_items"),
    ("R6", "/v2/recommendations/orders/{order_id}/replacement_items"),
    ("R7", "/v2/recommendations/complementary_items"),
    ("R8", "/v2/recommendations/orders/{order_id}/complementary_items"),
]


@pytest.mark.parametrize(("ref", "path"), RECOMMENDATIONS)
def test_every_recommendations_operation_is_in_the_spec(ref, path):
    op = by_ref()[ref]
    assert (op.method, op.path, op.area) == ("POST", path, "recommendations")
    assert op.scope == "connect:recommendations"
    assert not op.mutating and not op.deprecated
    assert op.name.endswith("_as_user") == ("{user_id}" not in path)  # frontend: a user token


@pytest.mark.parametrize(("ref", "method", "path"), POST_CHECKOUT)
def test_every_post_checkout_operation_is_in_the_spec(ref, method, path):
    op = by_ref()[ref]
    assert (op.method, op.path, op.area) == (method, path, "post_checkout")
    assert op.scope == "connect:post_checkout"
    assert op.mutating == (method != "GET")


def test_the_spec_holds_exactly_the_reference_operations():
    others = len(FEEDBACK_TRANSACTION_CATALOG) + len(RECOMMENDATIONS)
    assert len(spec.OPERATIONS) == len(CATALOGUE) + len(SANDBOX) + len(POST_CHECKOUT) + others
    assert len(spec.OPERATIONS) == 63 + 5 + 8
    assert len({(op.method, op.path) for op in spec.OPERATIONS.values()}) == 63 + 5 + 8


def test_every_operation_carries_its_attributes():
    for op in spec.OPERATIONS.values():
        assert op.name.isidentifier() and op.name == op.name.lower()
        assert op.summary and op.group and op.response is not None
        assert op.area in (
            "auth", "fulfillment", "sandbox", "post_checkout", "transaction", "catalog",
            "recommendations",
        )  # fmt: skip
        if op.method == "GET":
            assert not op.mutating
        if op.group in ("stores", "service_options", "items"):
            assert not op.mutating  # searches and checks sent with POST change nothing
        if op.group in ("holds", "orders", "last_mile", "users") and op.method != "GET":
            assert op.mutating
        assert set(op.path_params) == {
            part[1:-1] for part in op.path.split("/") if part.startswith("{")
        }
        if op.records:
            assert op.records.split(".")[0] in op.response.model_fields
        assert (op.scope is None) == (op.area == "auth")


def test_operations_frame_lists_them_all():
    frame = ck.operations()
    assert list(frame.columns[:8]) == [
        "name",
        "method",
        "path",
        "area",
        "group",
        "summary",
        "mutating",
        "deprecated",
    ]
    assert "replacement" in frame.columns
    assert len(frame) == 63 + len(FEEDBACK_TRANSACTION_CATALOG) + len(RECOMMENDATIONS)
    assert frame["deprecated"].sum() == 7  # dispatch staging (#36) is current
    row = frame.set_index("name").loc["find_delivery_stores"]
    assert (row["method"], row["records"], bool(row["mutating"])) == ("POST", "stores", False)


def test_unknown_operation_names_the_closest():
    with pytest.raises(spec.UnknownOperationError, match="find_delivery_stores"):
        spec.get("find_delivery_store")
    with pytest.raises(KeyError):
        spec.get("nothing_like_it_at_all")


def test_url_path_quotes_parameters_and_names_missing_ones():
    op = spec.get("get_order")
    assert op.url_path(user_id="a b", order_id="x/y") == "/v2/fulfillment/users/a%20b/orders/x%2Fy"
    with pytest.raises(KeyError, match="order_id"):
        op.url_path(user_id="u")


def test_match_resolves_paths_with_literal_segments_first():
    op, params = spec.match("POST", "/v2/fulfillment/users/u1/service_options/reserve")
    assert op.name == "reserve_desired_window" and params == {"user_id": "u1"}
    op, params = spec.match("POST", "/v2/fulfillment/users/u1/service_options/12/reserve")
    assert op.name == "reserve_service_option" and params["service_option_id"] == "12"
    op, _ = spec.match("POST", "/v2/fulfillment/users/u1/orders/delivery")
    assert op.name == "create_delivery_order"
    assert spec.match("DELETE", "/v2/fulfillment/users") is None


def test_responses_keep_unknown_fields_and_flag_deprecated_ones():
    order = Order.model_validate(
        {"id": "a1", "status": "brand_new", "is_express": True, "brand_new_field": {"x": 1}}
    )
    assert order.model_dump(exclude_unset=True)["brand_new_field"] == {"x": 1}
    assert Order.model_fields["is_express"].deprecated
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert order.is_express is True
    assert any("is_instacartplus" in str(w.message) for w in caught)


def test_find_by_takes_exactly_one_form_per_endpoint():
    ok = DeliveryStoresRequest.model_validate(
        {"find_by": {"latitude": 37.79, "longitude": -122.39}}
    )
    assert ok.find_by.form == "coordinates"
    with pytest.raises(ValidationError, match="exactly one"):
        DeliveryStoresRequest.model_validate(
            {"find_by": {"latitude": 1, "longitude": 2, "postal_code": "94105"}}
        )
    with pytest.raises(ValidationError, match="this endpoint accepts"):
        DeliveryStoresRequest.model_validate({"find_by": {"postal_code": "94105"}})
    with pytest.raises(ValidationError, match="this endpoint accepts"):
        PickupStoresRequest.model_validate(
            {"find_by": {"address_line_1": "50 Beale St", "postal_code": "94105"}}
        )


def test_public_surface_is_pinned():
    assert ck.__all__ == [
        "ConnectSession",
        "Result",
        "RetryPolicy",
        "__version__",
        "callbacks",
        "compare",
        "compare_panel",
        "compare_results",
        "composer",
        "conformance_report",
        "connect",
        "describe",
        "drive",
        "errors",
        "export",
        "load",
        "openapi",
        "operations",
        "parity",
        "sandbox",
        "snippet",
        "spec",
        "status",
    ]
    for name in ck.__all__:
        assert getattr(ck, name) is not None
    with pytest.raises(AttributeError):
        _ = ck.no_such_name


def test_importing_connect_kit_stays_light():
    import subprocess
    import sys

    heavy = ("pandas", "ipywidgets", "uvicorn", "starlette", "requests", "pydantic")
    code = f"import sys, connect_kit; print([m for m in {heavy!r} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
