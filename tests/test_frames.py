"""DataFrames typed by the spec: every operation's frame against the sandbox, and edge cases.

The first part calls every operation of the spec through a real session and checks its frame
against the spec: every leaf field is a column with the dtype its annotation asks for. The
expected dtypes are derived here, independently of ``connect_kit.data._frames``. The last part feeds
``to_frame`` hand-made records for the edge cases that the sandbox never serves.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import types
import typing
import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Union

import pandas as pd
import pytest
from helpers import (
    ADDRESS,
    BANANAS,
    LAST_MILE_CART,
    PEANUT_BUTTER,
    SPARKLING_WATER,
    Api,
    advance,
    cart,
    last_mile_order,
    new_shopper,
    new_user,
    next_store,
    place_order,
    reserve,
    shopper_phone,
    start_batch,
)
from pydantic import BaseModel
from test_session import session_for

from connect_kit import spec
from connect_kit._redact import REDACTED
from connect_kit.client._result import Result
from connect_kit.client._session import ConnectSession
from connect_kit.data import _frames as frames
from connect_kit.errors import ConnectWarning, DeprecatedWarning
from connect_kit.spec.common import ORDER_STATUSES, OrderItemResponse

SB = "/v2/fulfillment_sandbox"
USERS = "/v2/fulfillment/users"
TIMESTAMP = "datetime64[us, UTC]"
NO_ROWS = {  # an empty object: no record at all
    "revoke_token",
    "handle_item_replacement",
    "submit_catalog_product",
    "submit_catalog_item",
}


# What the spec asks for, derived here from the annotations ------------------------------


def _options(annotation: Any) -> list[Any]:
    if typing.get_origin(annotation) in (Union, types.UnionType):
        return [a for a in typing.get_args(annotation) if a is not type(None)]
    return [annotation]


def _enum(info: Any) -> bool:
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    metadata = [
        m for o in _options(info.annotation) if hasattr(o, "__metadata__") for m in o.__metadata__
    ]
    return "x-enum" in extra or any("x-enum" in (m.json_schema_extra or {}) for m in metadata)


def expected_dtypes(model: type[BaseModel], prefix: str = "") -> dict[str, str]:
    """Every leaf column of a model with the dtype the issue asks for, in declaration order."""
    found: dict[str, str] = {}
    for name, info in model.model_fields.items():
        options = [
            typing.get_args(o)[0] if hasattr(o, "__metadata__") else o
            for o in _options(info.annotation)
        ]
        kind = options[0] if len(options) == 1 else tuple(options)
        origin = typing.get_origin(kind)
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            found |= expected_dtypes(kind, f"{prefix}{name}.")
        elif origin in (list, dict) or kind in (list, dict):
            continue  # nested lists: their own frame; free-form objects: no fixed columns
        elif _enum(info):
            found[prefix + name] = "category"
        elif (info.json_schema_extra or {}).get("format") == "unix-time":  # type: ignore[union-attr]
            found[prefix + name] = TIMESTAMP  # seconds since 1970: a time like the others
        else:
            found[prefix + name] = {
                bool: "boolean",
                int: "Int64",
                float: "Float64",
                (int, float): "Float64",
                str: "string",
                dt.datetime: TIMESTAMP,
                dt.date: "datetime64[us]",
            }[kind]
    return found


def record_model(op: spec.Operation) -> type[BaseModel]:
    model = op.response
    for part in op.records.split(".") if op.records else ():
        (inner,) = _options(model.model_fields[part].annotation)
        model = typing.get_args(inner)[0] if typing.get_origin(inner) is list else inner
    return model


def assert_spec_frame(res: Result) -> pd.DataFrame:
    """The frame has one row per record and every spec column, in spec order, with its dtype."""
    frame = res.frame
    expected = expected_dtypes(record_model(res.operation))
    assert len(frame) == len(res.records)
    assert [c for c in frame.columns if c in expected] == list(expected)  # in spec order
    assert {c: str(frame[c].dtype) for c in expected} == expected
    for column, dtype in expected.items():  # strings come through exactly: ids, UPCs, codes
        if dtype == "string" and column not in ("access_token", "code"):
            raw = [_dig(r, column) for r in res.records]
            assert [None if pd.isna(v) else v for v in frame[column]] == raw, column
    return frame


def _dig(record: dict[str, Any], dotted: str) -> Any:
    value: Any = record
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


# Every operation against the sandbox -----------------------------------------------------


@pytest.fixture(scope="module")
def session(sandbox) -> Iterator[ConnectSession]:
    with session_for(sandbox) as dev:
        yield dev


def tomorrow_at(hour: int) -> datetime:
    day = datetime.now(UTC) + timedelta(days=1)
    return day.replace(hour=hour, minute=0, second=0, microsecond=0)


def a_user(dev: Api, u: str) -> dict[str, Any]:
    new_user(dev, f"u-{u}")
    return {"user_id": f"u-{u}"}


def an_order(dev: Api, u: str, kind: str = "delivery", **fields: Any) -> dict[str, Any]:
    user = a_user(dev, u)
    place_order(dev, user["user_id"], f"o-{u}", kind, **fields)
    return {**user, "order_id": f"o-{u}"}


def a_last_mile_order(dev: Api, u: str) -> dict[str, Any]:
    user = a_user(dev, u)
    last_mile_order(dev, user["user_id"], f"o-{u}")
    return {**user, "order_id": f"o-{u}"}


def dispatch_body(u: str) -> dict[str, Any]:
    return {
        "order_id": f"o-{u}",
        "user_id": f"u-{u}",
        "location_code": next_store(),
        "start_at": tomorrow_at(18).isoformat(),
        "first_name": "Ana",
        "last_name": "Lee",
        "user_phone": "+18005550123",
        "address": ADDRESS,
        "items_count": 3,
        "items_weight": 4.5,
    }


def a_dispatch_order(dev: Api, u: str) -> dict[str, Any]:
    dev.ok("POST", "/v2/fulfillment/lastmile/orders", dispatch_body(u))
    return {"order_id": f"o-{u}"}


def a_delivered_order(dev: Api, u: str) -> dict[str, Any]:
    ids = an_order(dev, u)
    batch = start_batch(dev, [ids["order_id"]])
    advance(dev, batch["id"], "delivering")
    advance(dev, batch["id"])
    return ids


def a_picking_order(dev: Api, u: str) -> dict[str, Any]:
    ids = an_order(dev, u, items=cart(PEANUT_BUTTER, SPARKLING_WATER))
    shopper = new_shopper(dev)
    batch = dev.ok("POST", f"{SB}/batches", {"shopper_id": shopper, "orders": [{"id": f"o-{u}"}]})
    advance(dev, batch["id"])
    return {"shopper_id": shopper, "order_id": ids["order_id"]}


def a_slot(dev: Api, u: str, kind: str = "delivery") -> dict[str, Any]:
    user = a_user(dev, u)
    body: dict[str, Any] = {"location_code": next_store()}
    if kind != "last_mile":
        body["items"] = cart(PEANUT_BUTTER)
    else:
        body.update(LAST_MILE_CART)
    if kind == "delivery":
        body["address"] = ADDRESS
    path = f"{USERS}/{user['user_id']}/service_options/cart/{kind}"
    options = dev.ok("POST", path, body)["service_options"]
    slot = next(o for o in options if o["availability"]["available"])
    return {**user, "service_option_id": slot["id"]}


def a_desired_window(dev: Api, u: str) -> dict[str, Any]:
    user = a_user(dev, u)
    start = tomorrow_at(18)
    window = {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat()}
    body = {"address": ADDRESS, "items": cart(PEANUT_BUTTER), "desired_windows": [window]}
    path = f"{USERS}/{user['user_id']}/service_options/cart/delivery"
    options = dev.ok("POST", path, body)["service_options"]
    reference = next(o for o in options if o.get("service_option_reference"))
    return {**user, "service_option_reference": reference["service_option_reference"]}


def a_previewed_slot(dev: Api, u: str) -> dict[str, Any]:
    user = a_user(dev, u)
    path = "/v2/fulfillment/service_options/delivery"
    options = dev.ok("POST", path, {"postal_code": "94105"})["service_options"]
    slot = next(o for o in options if o["availability"]["available"])
    return {
        **user,
        "service_option_id": slot["id"],
        "address": ADDRESS,
        "items": cart(PEANUT_BUTTER),
    }


def a_hold(dev: Api, u: str, kind: str = "delivery") -> dict[str, Any]:
    user = a_user(dev, u)
    store = next_store()
    held = reserve(dev, user["user_id"], kind, cart(PEANUT_BUTTER), store)
    return {**user, "service_option_hold_id": held["id"], "location_code": store}


def a_last_mile_body(dev: Api, u: str) -> dict[str, Any]:
    return {
        **a_hold(dev, u, "last_mile"),
        "order_id": f"o-{u}",
        "first_name": "Kamal",
        "last_name": "Singh",
        "user_phone": "+18005550100",
        "items_count": 12,
        "items_weight": 18.5,
    }


def an_instacart_user(dev: Api, u: str) -> dict[str, Any]:
    body = {"email": f"c-{u}@example.com", "phone": "4155550199", "password": "pw"}
    return {"user_id": dev.ok("POST", f"{SB}/instacart_users", body)["id"]}


def a_linking_token(dev: Api, u: str) -> dict[str, Any]:
    redirect = "https://example.com/cb"
    instacart = an_instacart_user(dev, u)["user_id"]
    authorize = {"redirect_uri": redirect, "scope": "account_linking"}
    code = dev.ok("POST", f"{SB}/instacart_users/{instacart}/authorize", authorize)["code"]
    exchange = {
        "client_id": dev.client_id,
        "client_secret": dev.client_secret,
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect,
    }
    token = dev.ok("POST", "/v2/oauth/token", exchange, token=None)["access_token"]
    return {**a_user(dev, u), "linking_token": token}


def a_linked_user(dev: Api, u: str) -> dict[str, Any]:
    linked = a_linking_token(dev, u)
    path = f"{USERS}/{linked['user_id']}/link"
    dev.ok("POST", path, {"linking_token": linked["linking_token"]})
    return {"user_id": linked["user_id"]}


def credentials(dev: Api, **extra: Any) -> dict[str, Any]:
    return {"client_id": dev.client_id, "client_secret": dev.client_secret, **extra}


def without(ids: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in ids.items() if k not in names}


def a_shopping_list() -> dict[str, Any]:
    """The body of a list-based Recommendations call: two items at a store."""
    items = [{"line_num": "1", "item": PEANUT_BUTTER}, {"line_num": "2", "item": BANANAS}]
    return {"location_code": "000-3801", "items": items}


# Post-checkout: the order of user f"u-{u}", to be called with that user's token
# (``session.for_user(f"u-{u}")``).


def a_customer_order(dev: Api, u: str, kind: str = "delivery", state: str | None = None) -> dict:
    """A Post-checkout order (``{"order_id"}``), batched and moved to ``state`` if given."""
    ids = an_order(dev, u, kind)
    if state:
        batch = start_batch(dev, [ids["order_id"]])
        if state != "acknowledged":
            advance(dev, batch["id"], state)
    return {"order_id": ids["order_id"]}


def a_replaced_item(dev: Api, u: str) -> dict[str, Any]:
    ids = a_picking_order(dev, u)
    path = f"{SB}/shoppers/{ids['shopper_id']}/orders/{ids['order_id']}/items/1"
    dev.ok("PUT", path, {"status": "replaced", "replacement_item": BANANAS})
    return {"order_id": ids["order_id"], "order_item_id": "1"}


def a_vehicle(dev: Api, u: str) -> dict[str, Any]:
    ids = a_customer_order(dev, u, "pickup")
    assertion = base64.b64encode(json.dumps({"user_id": f"u-{u}"}).encode()).decode()
    token = dev.ok(
        "POST",
        "/v2/oauth/token",
        credentials(dev, grant_type="fulfillment_user_assertion", assertion=assertion),
        token=None,
    )["access_token"]
    path = f"/v2/post_checkout/orders/{ids['order_id']}/pickup/vehicle_info"
    dev.ok("PUT", path, {"model": "Corolla", "color": "silver"}, token=token)
    return ids


Setup = Callable[[Api, str], dict[str, Any]]
# For each operation: the arguments of a call that succeeds, made from a fresh unique suffix.
CALLS: dict[str, Setup] = {
    "create_token": lambda d, u: credentials(d, grant_type="client_credentials"),
    "revoke_token": lambda d, u: credentials(d, token=d.new_token()),
    "create_user": lambda d, u: {"user_id": f"u-{u}", "first_name": "Kamal"},
    "create_user_address": lambda d, u: {"user_id": f"u-{u}", "first_name": "Kamal", **ADDRESS},
    "link_user": a_linking_token,
    "get_user_link": a_linked_user,
    "find_delivery_stores": lambda d, u: {"find_by": ADDRESS},
    "find_pickup_stores": lambda d, u: {"find_by": {"postal_code": "94105"}},
    "find_last_mile_stores": lambda d, u: {"find_by": ADDRESS},
    "find_dispatch_stores": lambda d, u: {"find_by": {"postal_code": "94105"}},
    "preview_delivery_service_options": lambda d, u: {
        "postal_code": "94105",
        "with_eta_options": True,
    },
    "preview_pickup_service_options": lambda d, u: {"location_code": "000-3801"},
    "preview_last_mile_service_options": lambda d, u: {"location_code": "000-3801"},
    "list_delivery_service_options": lambda d, u: {
        **a_user(d, u),
        "address": ADDRESS,
        "items": cart(PEANUT_BUTTER),
    },
    "list_pickup_service_options": lambda d, u: {
        **a_user(d, u),
        "location_code": "000-3801",
        "items": cart(PEANUT_BUTTER),
    },
    "list_last_mile_service_options": lambda d, u: {
        **a_user(d, u),
        "location_code": "000-3801",
        **LAST_MILE_CART,
    },
    "reserve_service_option": a_slot,
    "reserve_desired_window": a_desired_window,
    "reserve_service_option_with_cart": a_previewed_slot,
    "lastmile_list_service_options": lambda d, u: {"location_code": "000-3801"},
    "lastmile_reserve_service_option": lambda d, u: a_slot(d, u, "last_mile"),
    "create_delivery_order": lambda d, u: {
        **a_hold(d, u),
        "order_id": f"o-{u}",
        "address": ADDRESS,
        "items": cart(PEANUT_BUTTER, BANANAS),
        "initial_tip_cents": 500,
    },
    "create_pickup_order": lambda d, u: {
        **a_hold(d, u, "pickup"),
        "order_id": f"o-{u}",
        "items": cart(PEANUT_BUTTER),
    },
    "get_order": lambda d, u: an_order(d, u),
    "list_orders": lambda d, u: without(an_order(d, u), "order_id"),
    "update_order": lambda d, u: {
        **an_order(d, u),
        "initial_tip_cents": 700,
        "items": cart(PEANUT_BUTTER),
    },
    "update_tip": lambda d, u: {**a_delivered_order(d, u), "tip_amount_cents": 900},
    "set_replacement_selections": lambda d, u: {
        **an_order(d, u),
        "selections": [{"line_num": "2", "count": 1, "replacement_items": [BANANAS]}],
    },
    "cancel_order": lambda d, u: an_order(d, u),
    "validate_items": lambda d, u: {
        "location_code": "000-3801",
        "items": [
            {"line_num": "1", "item": BANANAS},  # weighed, no weight: weight_required
            {"line_num": "2", "count": 1, "item": {"upc": "000000000000"}},
        ],
    },
    "create_last_mile_order": a_last_mile_body,
    "update_last_mile_order": lambda d, u: {**a_last_mile_order(d, u), "bags_count": 3},
    "stage_order": lambda d, u: {**a_last_mile_order(d, u), "bags_count": 2},
    "create_dispatch_order": lambda d, u: dispatch_body(u),
    "get_dispatch_order": lambda d, u: {**a_dispatch_order(d, u), "user_id": f"u-{u}"},
    "update_dispatch_order": lambda d, u: {**a_dispatch_order(d, u), "bags_count": 5},
    "cancel_dispatch_order": a_dispatch_order,
    "stage_dispatch_order": lambda d, u: {**a_dispatch_order(d, u), "bags_count": 2},
    "lastmile_create_order": a_last_mile_body,
    "lastmile_validate_address": lambda d, u: {
        "user_id": f"u-{u}",
        "first_name": "Kamal",
        **ADDRESS,
    },
    "lastmile_create_user_and_validate_address": lambda d, u: {
        "user_id": f"u-{u}",
        "first_name": "Kamal",
        **ADDRESS,
    },
    "create_shopper": lambda d, u: {"phone": shopper_phone()},
    "generate_batch": lambda d, u: {
        "shopper_id": new_shopper(d),
        "orders": [{"id": an_order(d, u)["order_id"]}],
    },
    "advance_batch": lambda d, u: {"batch_id": start_batch(d, [an_order(d, u)["order_id"]])["id"]},
    "create_shopper_order_item": lambda d, u: {
        **a_picking_order(d, u),
        "item": BANANAS,
        "delivered_weight": 1.25,
    },
    "update_shopper_order_item": lambda d, u: {
        **a_picking_order(d, u),
        "line_num": "1",
        "status": "found",
        "delivered_count": 1,
    },
    "simulate_order_callback": lambda d, u: {
        "order_id": an_order(d, u)["order_id"],
        "event_name": "late_delivery",
    },
    "create_instacart_user": lambda d, u: {
        "email": f"c-{u}@example.com",
        "phone": "4155550199",
        "password": "pw",
    },
    "authorize_instacart_user": lambda d, u: {
        **an_instacart_user(d, u),
        "redirect_uri": "https://example.com/cb",
        "scope": "account_linking",
    },
    "get_post_checkout_order": lambda d, u: a_customer_order(d, u),
    "get_order_handling": lambda d, u: a_customer_order(d, u),
    "get_order_location": lambda d, u: a_customer_order(d, u, state="delivering"),
    "get_order_items": lambda d, u: a_customer_order(d, u),
    "handle_item_replacement": lambda d, u: {**a_replaced_item(d, u), "status": "APPROVED"},
    "get_chat_messages": lambda d, u: a_customer_order(d, u, state="picking"),
    "send_chat_message": lambda d, u: {
        **a_customer_order(d, u, state="picking"),
        "body": {"body": "Ripe bananas, please"},  # the field is called body: given as body=
    },
    "mark_chat_messages_read": lambda d, u: a_customer_order(d, u, state="picking"),
    "get_order_messages": lambda d, u: a_customer_order(d, u, state="picking"),
    "get_pickup_details": lambda d, u: a_customer_order(d, u, "pickup"),
    "set_vehicle_info": lambda d, u: {
        **a_customer_order(d, u, "pickup"),
        "model": "Corolla",
        "vehicle_type": "sedan",
        "color": "silver",
    },
    "get_vehicle_info": a_vehicle,
    "record_user_arrival": lambda d, u: a_customer_order(d, u, "pickup", "staged"),
    "schedule_pickup": lambda d, u: {
        **a_customer_order(d, u, "pickup", "staged"),
        "schedule_pickup_eta": (datetime.now(UTC) + timedelta(minutes=20)).isoformat(),
    },
    # Order Feedback (the _as_user call speaks for user f"u-{u}"), Transaction, Catalog
    "set_order_feedback": lambda d, u: {**an_order(d, u), "rating_value": "STARS5"},
    "set_order_feedback_as_user": lambda d, u: {
        **without(an_order(d, u), "user_id"),
        "rating_value": "STARS4",
        "highlights": ["QUALITY_ITEMS"],
    },
    "send_pos_transaction": lambda d, u: {
        "last_four": "9929",
        "transaction_timestamp": "2022-09-12T17:34:00Z",
        "id": f"tx-{u}",
        "store_id": "12",
        "total": 100.22,
        "total_tax": 1.22,
    },
    "submit_catalog_product": lambda d, u: {"lookup_code": f"cat-{u}", "item_name": "Oat Milk"},
    "submit_catalog_item": lambda d, u: {
        "lookup_code": f"cat-{u}",
        "store_identifier": "000-3801",
        "available": True,
    },
    # Recommendations (the _as_user calls speak for user f"u-{u}")
    "find_replacement_items": lambda d, u: {**a_user(d, u), **a_shopping_list()},
    "find_replacement_items_as_user": lambda d, u: {
        **without(a_user(d, u), "user_id"),
        **a_shopping_list(),
    },
    "find_replacement_items_for_order": lambda d, u: an_order(d, u),
    "find_replacement_items_for_order_as_user": lambda d, u: without(an_order(d, u), "user_id"),
    "find_complementary_items": lambda d, u: {**a_user(d, u), **a_shopping_list()},
    "find_complementary_items_as_user": lambda d, u: {
        **without(a_user(d, u), "user_id"),
        **a_shopping_list(),
    },
    "find_complementary_items_for_order": lambda d, u: an_order(d, u),
    "find_complementary_items_for_order_as_user": lambda d, u: without(an_order(d, u), "user_id"),
}


def test_every_operation_has_a_call():
    assert sorted(CALLS) == sorted(spec.OPERATIONS)


@pytest.mark.parametrize("name", sorted(spec.OPERATIONS))
def test_the_frame_of_every_operation_follows_the_spec(name, session, dev, unique):
    arguments = CALLS[name](dev, unique)
    op = spec.get(name)
    # Post-checkout calls speak for the user that the call table made
    as_user = op.user_token  # Post-checkout and the frontend calls
    caller = session.for_user(f"u-{unique}") if as_user else session
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecatedWarning)
            res = caller.call(name, **arguments)
    finally:
        if caller is not session:
            caller.close()
    frame = assert_spec_frame(res)
    if name in NO_ROWS:
        assert frame.shape == (0, 0)
    elif op.records is None or op.records == "service_option_hold":
        assert len(frame) == 1  # one object: one row
    else:
        assert len(frame) == len(res.json[op.records]) > 0
    for column in frames.nested_names(op):
        assert column not in frame.columns  # nested lists are frames of their own
    for secret in ("access_token", "code"):
        if secret in frame.columns:
            assert frame[secret].tolist() == [REDACTED]


# Stores: unknown fields, empty results, dtype overrides ----------------------------------


def test_dev_time_zone_is_a_string_column_after_the_spec(session, sandbox):
    res = session.call("find_delivery_stores", find_by=ADDRESS)
    frame = assert_spec_frame(res)
    spec_columns = list(expected_dtypes(record_model(res.operation)))
    assert list(frame.columns) == [*spec_columns, "time_zone"]
    assert str(frame["time_zone"].dtype) == "string"
    assert set(frame["time_zone"]) == {s["time_zone"] for s in res.json["stores"]}
    with session_for(sandbox, "prod") as prod:  # prod does not serve it yet
        assert list(prod.call("find_delivery_stores", find_by=ADDRESS).frame) == spec_columns


def test_dispatch_stores_flag_partial_matches(session):
    frame = session.call("find_dispatch_stores", find_by={"postal_code": "94105"}).frame
    assert str(frame["flags.is_partial"].dtype) == "boolean"
    assert frame["flags.is_partial"].notna().all()


def test_an_empty_result_keeps_the_spec_columns(session):
    res = session.call("find_delivery_stores", find_by={"latitude": 0.0, "longitude": 0.0})
    assert res.json == {"stores": []}
    frame = res.frame
    assert frame.empty
    assert {c: str(t) for c, t in frame.dtypes.items()} == {
        "name": "string",
        "location_code": "string",
        "flags.alcohol": "boolean",
        "flags.pickup": "boolean",
        "flags.pickup_only": "boolean",
        "flags.long_distance_delivery": "boolean",
        "flags.is_partial": "boolean",
    }


def test_dtype_overrides_win(session, sandbox):
    res = session.call("find_delivery_stores", find_by=ADDRESS)
    wanted = {"location_code": "category", "time_zone": "category", "flags.alcohol": "string"}
    frame = res.to_frame(dtypes=wanted)
    assert {c: str(frame[c].dtype) for c in wanted} == wanted
    assert set(frame["flags.alcohol"]) <= {"True", "False"}
    assert list(frame["location_code"]) == [s["location_code"] for s in res.json["stores"]]
    assert str(res.frame["location_code"].dtype) == "string"  # the default is untouched
    assert res.frame is res.frame
    with session_for(sandbox, "prod") as prod:  # a column the answer lacks: added, empty
        other = prod.call("find_delivery_stores", find_by=ADDRESS).to_frame(dtypes=wanted)
    assert str(other["time_zone"].dtype) == "category" and other["time_zone"].isna().all()


def test_an_override_that_cannot_apply_names_the_column(session):
    res = session.call("find_delivery_stores", find_by=ADDRESS)
    with pytest.raises(ValueError, match="'name' cannot be read as Int64"):
        res.to_frame(dtypes={"name": "Int64"})


# Orders: one-row frames, nested items, identifiers ---------------------------------------


def test_get_order_is_one_typed_row(session, dev, unique):
    ids = an_order(dev, unique, items=cart(PEANUT_BUTTER, BANANAS))
    res = session.call("get_order", **ids)
    frame = assert_spec_frame(res)
    assert frame.shape[0] == 1
    row = frame.iloc[0]
    assert row["id"] == ids["order_id"] and row["status"] == "brand_new"
    assert "brand_new" in frame["status"].cat.categories
    assert "canceled" in frame["status"].cat.categories  # the spec's, even unseen
    starts = row["fulfillment_details.window_starts_at"]
    raw = res.json["fulfillment_details"]["window_starts_at"]
    assert starts == pd.Timestamp(datetime.fromisoformat(raw)) and str(starts.tz) == "UTC"
    assert frame["is_express"].tolist() == [False]
    assert str(frame["is_instacartplus"].dtype) == "boolean"
    assert "items" not in frame.columns


def test_nested_items_keep_the_order_id(session, dev, unique):
    ids = an_order(dev, unique, items=cart(PEANUT_BUTTER, BANANAS))
    res = session.call("get_order", **ids)
    items = res.nested("items")
    expected = expected_dtypes(OrderItemResponse)
    assert list(items.columns) == ["order_id", *expected]
    assert {c: str(items[c].dtype) for c in expected} == expected
    assert str(items["order_id"].dtype) == "string"
    assert items["order_id"].tolist() == [ids["order_id"]] * 2
    assert items["line_num"].tolist() == ["1", "2"]
    bananas = items.set_index("line_num").loc["2"]
    assert bananas["item.upc"] == "000000004011"  # leading zeros kept
    assert bananas["scan_code"] == "00000000004011"
    assert bananas["qty_unit"] == "lb"


def test_nested_items_of_several_orders(session, dev, unique):
    user = a_user(dev, unique)["user_id"]
    for n, items in enumerate((cart(PEANUT_BUTTER), cart(BANANAS, SPARKLING_WATER))):
        place_order(dev, user, f"o{n}-{unique}", items=items)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecatedWarning)
        res = session.call("list_orders", user_id=user)
    orders = res.frame
    assert orders["id"].tolist() == [f"o0-{unique}", f"o1-{unique}"]
    items = res.nested("items")
    assert items["order_id"].tolist() == [f"o0-{unique}", f"o1-{unique}", f"o1-{unique}"]
    assert items["item.upc"].tolist() == ["987665788999", "000000004011", "070481001157"]
    assert set(items["order_id"]) <= set(orders["id"])  # a key to merge on
    warnings_frame = res.nested("warnings")  # typed as get_order shows them, none here
    assert warnings_frame.empty
    assert list(warnings_frame.columns) == ["order_id", "error.message", "error.error_code"]


def test_validation_failures_keep_upcs(session):
    res = session.call(
        "validate_items",
        location_code="000-3801",
        items=[{"line_num": "1", "item": BANANAS}],  # weighed, no weight
    )
    frame = assert_spec_frame(res)
    assert frame[["line_num", "item.upc", "error.message"]].values.tolist() == [
        ["1", "000000004011", "weight is required for this item"]
    ]


def test_nested_refuses_a_field_that_is_not_a_list(session, dev, unique):
    res = session.call("get_order", **an_order(dev, unique))
    with pytest.raises(ValueError, match=r"not a nested list.*items"):
        res.nested("status")


# Hand-made records: what the sandbox never serves ----------------------------------------

ORDERS = spec.get("list_orders")


def order(**fields: Any) -> dict[str, Any]:
    return {"id": "0001", "status": "brand_new", **fields}


def test_missing_nested_objects_and_none_values():
    frame = frames.to_frame(
        ORDERS,
        {
            "orders": [
                order(fulfillment_details=None, is_express=None),
                order(),  # no fulfillment_details at all
                order(fulfillment_details={"window_starts_at": "2026-05-01T08:00:00-07:00"}),
            ]
        },
    )
    assert frame["fulfillment_details.store_location"].isna().all()
    assert frame["fulfillment_details.window_starts_at"].isna().tolist() == [True, True, False]
    assert frame.loc[2, "fulfillment_details.window_starts_at"] == pd.Timestamp(
        "2026-05-01T15:00:00Z"
    )
    assert frame["is_express"].isna().all() and str(frame["is_express"].dtype) == "boolean"
    expected = expected_dtypes(record_model(ORDERS))
    assert {c: str(frame[c].dtype) for c in expected} == expected


def test_a_value_outside_the_enum_is_kept():
    frame = frames.to_frame(
        ORDERS, {"orders": [order(status="teleported"), order(), order(status=None)]}
    )
    status = frame["status"]
    assert status.tolist()[:2] == ["teleported", "brand_new"] and pd.isna(status[2])
    categories = list(status.cat.categories)
    assert categories[: len(ORDER_STATUSES)] == list(ORDER_STATUSES)
    assert categories[-1] == "teleported"


def test_mixed_unknown_fields():
    rows = [
        order(new_text="a", new_count=1, new_mix="x", new_obj={"k": 1}, new_list=[1, 2]),
        order(new_count=None, new_mix=2, new_obj={"j": True}, late="z"),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # unknown fields are never a problem
        frame = frames.to_frame(ORDERS, {"orders": rows})
    spec_columns = list(expected_dtypes(record_model(ORDERS)))
    unknown = ["new_text", "new_count", "new_mix", "new_obj.k", "new_obj.j", "new_list", "late"]
    assert list(frame.columns) == spec_columns + unknown
    dtypes = {c: str(frame[c].dtype) for c in unknown}
    assert dtypes == {
        "new_text": "string",
        "new_count": "Int64",
        "new_mix": "object",
        "new_obj.k": "Int64",
        "new_obj.j": "boolean",
        "new_list": "object",
        "late": "string",
    }
    assert frame["new_mix"].tolist() == ["x", 2] and frame["new_list"][0] == [1, 2]


def test_free_form_metadata_flattens_in_place():
    rows = [order(metadata={"campaign": "spring", "n": 2}), order(metadata={"deep": {"a": "b"}})]
    frame = frames.to_frame(ORDERS, {"orders": rows})
    columns = list(frame.columns)
    where = columns.index("is_instacartplus") + 1
    assert columns[where : where + 3] == ["metadata.campaign", "metadata.n", "metadata.deep.a"]
    assert frame["metadata.deep.a"].tolist()[1] == "b"
    assert str(frame["metadata.n"].dtype) == "Int64"


def test_a_value_that_does_not_fit_its_spec_type_is_kept_with_a_warning():
    rows = [order(created_at="yesterday"), order(created_at="2026-05-01T08:00:00Z")]
    with pytest.warns(ConnectWarning, match=r"'created_at'.*kept as string"):
        frame = frames.to_frame(ORDERS, {"orders": rows})
    assert frame["created_at"].tolist() == ["yesterday", "2026-05-01T08:00:00Z"]


def test_an_object_that_is_not_an_object_is_kept():
    frame = frames.to_frame(ORDERS, {"orders": [order(fulfillment_details="soon"), order()]})
    assert frame["fulfillment_details"].tolist()[0] == "soon"
    assert frame["fulfillment_details.window_starts_at"].isna().all()


def test_identifiers_and_cents_keep_their_types():
    stores = spec.get("find_delivery_stores")
    frame = frames.to_frame(stores, {"stores": [{"name": "x", "location_code": "000-3801"}]})
    assert frame.loc[0, "location_code"] == "000-3801"
    token = frames.to_frame(spec.get("create_token"), {"access_token": "s3cr3t", "expires_in": 9})
    assert token.loc[0, "access_token"] == REDACTED and str(token["expires_in"].dtype) == "Int64"
    tip = frames.to_frame(None, [{"tip_amount_cents": 500}, {"tip_amount_cents": None}])
    assert str(tip["tip_amount_cents"].dtype) == "Int64"


def test_far_future_timestamps_fit():
    rows = [order(created_at="2999-12-31T23:00:00+00:00")]
    frame = frames.to_frame(ORDERS, {"orders": rows})
    assert frame.loc[0, "created_at"].year == 2999


def test_dates_are_dates():
    options = spec.get("preview_delivery_service_options")
    option = {"id": 1, "date": "2026-05-01", "window": {"type": "scheduled"}}
    frame = frames.to_frame(options, {"service_options": [option]})
    assert str(frame["date"].dtype) == "datetime64[us]"
    assert frame.loc[0, "date"] == pd.Timestamp("2026-05-01")
    assert frame["id"].tolist() == [1] and str(frame["id"].dtype) == "Int64"


def test_nested_without_a_spec_uses_the_row():
    data = [{"name": "a", "parts": [{"x": 1}, {"x": 2}]}, {"name": "b", "parts": []}]
    nested = frames.nested_frame(None, data, "parts")
    assert nested.columns.tolist() == ["parent_row", "x"]
    assert nested.values.tolist() == [[0, 1], [0, 2]]
    assert frames.to_frame(None, data)["parts"].tolist() == [[{"x": 1}, {"x": 2}], []]
    with pytest.raises(ValueError, match="'name' is not a nested list"):
        frames.nested_frame(None, data, "name")


def test_no_operation_no_records():
    assert frames.to_frame(None, None).empty
    assert frames.to_frame(ORDERS, None).columns.tolist()[:2] == ["id", "status"]
