"""The docs page of every operation of the spec, on docs.instacart.com.

One entry per operation name. An operation added to the spec without its page here fails
``tests/test_coverage.py``: add the page of its API reference (``/connect/api/...``), the one
that shows its method and path, to :data:`DOCS` below.

:data:`NOT_DESCRIBED` lists the operations the docs publish that the spec does not describe
(the sandbox's coverage table in SANDBOX.md shows them); one the spec comes to describe
drops out of the table by itself, matched by method and path.

>>> docs_page("find_delivery_stores")
'https://docs.instacart.com/connect/api/fulfillment/delivery/find_stores'
>>> docs_page("no_such_operation") is None
True
"""

from __future__ import annotations

from dataclasses import dataclass

#: The date of the docs the spec follows: a field it does not know may be newer than this.
SPEC_DATE = "2026-12-01"

SITE = "https://docs.instacart.com"
_API = f"{SITE}/connect/api"
_FULFILLMENT = f"{_API}/fulfillment"
_SANDBOX = f"{_API}/sandbox"
_POST_CHECKOUT = f"{_API}/post_checkout"

#: operation name -> the page of the API reference that documents it.
DOCS: dict[str, str] = {
    # Authentication
    "create_token": f"{_API}/access_tokens",
    "revoke_token": f"{_API}/oauth/revoke_access_token",
    # Fulfillment: users and account linking
    "create_user": f"{_FULFILLMENT}/users/create_user",
    "create_user_address": f"{_FULFILLMENT}/users/create_user_and_address",
    "link_user": f"{_FULFILLMENT}/users/link_user",
    "get_user_link": f"{_FULFILLMENT}/users/get_user_link",
    "lastmile_validate_address": f"{_FULFILLMENT}/lastmile/validate_address",
    "lastmile_create_user_and_validate_address": (
        f"{_FULFILLMENT}/lastmile/create_user_and_validate_address"
    ),
    # Fulfillment: stores
    "find_delivery_stores": f"{_FULFILLMENT}/delivery/find_stores",
    "find_pickup_stores": f"{_FULFILLMENT}/pickup/find_stores",
    "find_last_mile_stores": f"{_FULFILLMENT}/last_mile/find_stores",
    "find_dispatch_stores": f"{_FULFILLMENT}/lastmile/find_stores_dispatch",
    # Fulfillment: time slots and holds
    "preview_delivery_service_options": f"{_FULFILLMENT}/delivery/preview_service_options",
    "preview_pickup_service_options": f"{_FULFILLMENT}/pickup/preview_service_options",
    "preview_last_mile_service_options": f"{_FULFILLMENT}/last_mile/preview_service_options",
    "list_delivery_service_options": f"{_FULFILLMENT}/delivery/list_cart_service_options",
    "list_pickup_service_options": f"{_FULFILLMENT}/pickup/list_cart_service_options",
    "list_last_mile_service_options": f"{_FULFILLMENT}/last_mile/list_cart_service_options",
    "lastmile_list_service_options": f"{_FULFILLMENT}/lastmile/list_service_options",
    "reserve_service_option": f"{_FULFILLMENT}/delivery/create_service_option_hold",
    "reserve_desired_window": f"{_FULFILLMENT}/delivery/create_desired_window_hold",
    "reserve_service_option_with_cart": (
        f"{_FULFILLMENT}/delivery/create_service_option_hold_with_cart"
    ),
    "lastmile_reserve_service_option": f"{_FULFILLMENT}/lastmile/create_service_option_hold",
    # Fulfillment: delivery and pickup orders
    "create_delivery_order": f"{_FULFILLMENT}/delivery/create_order",
    "create_pickup_order": f"{_FULFILLMENT}/pickup/create_order",
    "get_order": f"{_FULFILLMENT}/delivery/get_order",
    "list_orders": f"{_FULFILLMENT}/delivery/get_orders",
    "update_order": f"{_FULFILLMENT}/delivery/update_order",
    "update_tip": f"{_FULFILLMENT}/delivery/update_tip",
    "set_replacement_selections": f"{_FULFILLMENT}/delivery/set_item_replacements",
    "cancel_order": f"{_FULFILLMENT}/delivery/cancel_order",
    "validate_items": f"{_FULFILLMENT}/delivery/validate_items",
    # Fulfillment: last mile and dispatch last mile
    "create_last_mile_order": f"{_FULFILLMENT}/last_mile/create_order",
    "update_last_mile_order": f"{_FULFILLMENT}/last_mile/update_order",
    "stage_order": f"{_FULFILLMENT}/last_mile/stage_order",
    "create_dispatch_order": f"{_FULFILLMENT}/lastmile/create_order_single_call",
    "get_dispatch_order": f"{_FULFILLMENT}/lastmile/get_order_dispatch",
    "update_dispatch_order": f"{_FULFILLMENT}/lastmile/update_order_dispatch",
    "cancel_dispatch_order": f"{_FULFILLMENT}/lastmile/cancel_order_dispatch",
    # the path also has a deprecated page (lastmile/stage_order, plain last-mile orders)
    "stage_dispatch_order": f"{_FULFILLMENT}/lastmile/stage_order_dispatch",
    "lastmile_create_order": f"{_FULFILLMENT}/lastmile/create_order",
    # Sandbox API
    "create_shopper": f"{_SANDBOX}/shoppers/create_shopper",
    "generate_batch": f"{_SANDBOX}/batches/generate_batch",
    "advance_batch": f"{_SANDBOX}/batches/advance_batch_state",
    "create_shopper_order_item": f"{_SANDBOX}/shoppers/create_shopper_order_item",
    "update_shopper_order_item": f"{_SANDBOX}/shoppers/update_shopper_order_item",
    "simulate_order_callback": f"{_SANDBOX}/orders/simulate_order_callback",
    "create_instacart_user": f"{_SANDBOX}/instacart_users/create_instacart_user",
    "authorize_instacart_user": f"{_SANDBOX}/instacart_users/authorize_instacart_user",
    # Post-checkout API
    "get_post_checkout_order": f"{_POST_CHECKOUT}/order/get_order",
    "get_order_handling": f"{_POST_CHECKOUT}/order/get_handling_details",
    "get_order_location": f"{_POST_CHECKOUT}/order/get_order_location",
    "get_order_items": f"{_POST_CHECKOUT}/order_items/get_order_items",
    "handle_item_replacement": f"{_POST_CHECKOUT}/order_items/handle_order_item_replacement",
    "get_chat_messages": f"{_POST_CHECKOUT}/chat/get_chat_messages",
    "send_chat_message": f"{_POST_CHECKOUT}/chat/send_chat_message",
    "mark_chat_messages_read": f"{_POST_CHECKOUT}/chat/mark_messages_as_read",
    "get_order_messages": f"{_POST_CHECKOUT}/chat/get_order_messages",
    "get_pickup_details": f"{_POST_CHECKOUT}/pickup/get_order_pickup_details",
    "set_vehicle_info": f"{_POST_CHECKOUT}/pickup/create_update_vehicle_info",
    "get_vehicle_info": f"{_POST_CHECKOUT}/pickup/get_vehicle_info",
    "record_user_arrival": f"{_POST_CHECKOUT}/pickup/record_user_arrival",
    "schedule_pickup": f"{_POST_CHECKOUT}/pickup/schedule_pickup",
    # Order Feedback (filed under Fulfillment), Transaction and Catalog APIs
    "set_order_feedback": (
        f"{_FULFILLMENT}/order_feedback/backend/create_or_update_order_feedback"
    ),
    "set_order_feedback_as_user": (
        f"{_FULFILLMENT}/order_feedback/frontend/create_or_update_order_feedback"
    ),
    "send_pos_transaction": f"{_API}/transaction/send_pos_transaction",
    "submit_catalog_product": f"{SITE}/catalog/catalog_api/product/request-overview",
    "submit_catalog_item": f"{SITE}/catalog/catalog_api/item/overview",
    # Recommendations API: backend pages, then frontend (_as_user) pages
    **{
        f"find_{kind}_items{order}{user}": (
            f"{_API}/recommendations/{kind}_items/{side}/find_{kind}_items{order}"
        )
        for kind in ("replacement", "complementary")
        for order in ("", "_for_order")
        for user, side in (("", "backend"), ("_as_user", "frontend"))
    },
}


def docs_page(name: str) -> str | None:
    """The docs page of the operation called ``name``, or ``None`` when none is recorded."""
    return DOCS.get(name)


@dataclass(frozen=True)
class Documented:
    """An operation the docs publish that the spec does not describe."""

    area: str
    title: str
    method: str
    path: str
    docs: str
    out_of_scope: bool = False


_REC = f"{SITE}/connect/api/recommendations"
_IDP = f"{SITE}/developer_platform_api/api"
_FEEDBACK = f"{SITE}/connect/api/fulfillment/order_feedback"


def _recommendation(kind: str, order: bool, side: str, page: str) -> Documented:
    """One of the 8 Recommendations operations (backend ones name the user in the path)."""
    user = "/users/{user_id}" if side == "backend" else ""
    scope = "/orders/{order_id}" if order else ""
    title = f"find {kind} items{' for an order' if order else ''} ({side})"
    path = f"/v2/recommendations{user}{scope}/{kind}_items"
    return Documented("Recommendations API", title, "POST", path, f"{_REC}/{page}")


#: Documented operations the spec does not describe (yet); out of scope: another product.
#: Matched by method and path: once the spec describes one, it leaves this list by itself.
NOT_DESCRIBED: tuple[Documented, ...] = (
    Documented(
        "Fulfillment",
        "order feedback (frontend)",
        "POST",
        "/v2/feedback/orders/{order_id}/rating",
        f"{_FEEDBACK}/frontend/create_or_update_order_feedback",
    ),
    Documented(
        "Fulfillment",
        "order feedback (backend)",
        "POST",
        "/v2/feedback/users/{user_id}/orders/{order_id}/rating",
        f"{_FEEDBACK}/backend/create_or_update_order_feedback",
    ),
    Documented(
        "Post-checkout API",
        "create or update a pickup delegate",
        "PUT",
        "/v2/post_checkout/orders/{order_id}/pickup_delegate",
        f"{SITE}/connect/api/post_checkout/pickup/create_update_pickup_delegate",
    ),
    *(
        _recommendation(kind, order, side, page)
        for kind, order, side, page in (
            ("replacement", False, "backend", "replacement_items/backend/find_replacement_items"),
            (
                "replacement",
                True,
                "backend",
                "replacement_items/backend/find_replacement_items_for_order",
            ),
            ("complementary", False, "backend", "overview"),
            (
                "complementary",
                True,
                "backend",
                "complementary_items/backend/find_complementary_items_for_order",
            ),
            (
                "replacement",
                False,
                "frontend",
                "replacement_items/frontend/find_replacement_items",
            ),
            ("replacement", True, "frontend", "overview"),
            (
                "complementary",
                False,
                "frontend",
                "complementary_items/frontend/find_complementary_items",
            ),
            ("complementary", True, "frontend", "overview"),
        )
    ),
    Documented(
        "Transaction API",
        "send a POS transaction",
        "POST",
        "/v2/retailer_transaction/pos_transactions",
        f"{SITE}/connect/api/transaction/send_pos_transaction",
    ),
    Documented(
        "Catalog API",
        "submit products",
        "POST",
        "/v2/data_ingestion/catalog/product/submission",
        f"{SITE}/catalog/catalog_api/product/overview",
    ),
    Documented(
        "Catalog API",
        "submit items",
        "POST",
        "/v2/data_ingestion/catalog/item/submission",
        f"{SITE}/catalog/catalog_api/item/overview",
    ),
    Documented(
        "Developer Platform API",
        "create a shopping list page",
        "POST",
        "/idp/v1/products/products_link",
        f"{_IDP}/products/create_shopping_list_page",
        out_of_scope=True,
    ),
    Documented(
        "Developer Platform API",
        "create a recipe page",
        "POST",
        "/idp/v1/products/recipe",
        f"{_IDP}/products/create_recipe_page",
        out_of_scope=True,
    ),
    Documented(
        "Developer Platform API",
        "get nearby retailers",
        "GET",
        "/idp/v1/retailers",
        f"{_IDP}/retailers/get_nearby_retailers",
        out_of_scope=True,
    ),
)

#: API areas the docs name that publish no operation to describe.
NO_OPERATIONS = (
    (
        "Compliance API",
        "only a token tutorial (scope `connect:compliance`); no endpoint is documented",
        f"{SITE}/connect/compliance_guide/tutorials/get_a_client_access_token",
    ),
)
