"""The spec's one reader: every field of every operation answers, with its marks; the
consumers (frames, widgets, the CLI, redaction, drift, compare) read it; the vocabularies
(order statuses, workflow states, batch states, event names) are made once."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import requests

import connect_kit as ck
from connect_kit import _redact as redact
from connect_kit import spec
from connect_kit.cli import _value
from connect_kit.client._result import RequestInfo, Result
from connect_kit.data._compare import volatile_paths
from connect_kit.data._drift import drift
from connect_kit.sandbox.handlers import lifecycle
from connect_kit.spec import events, post_checkout, sandbox
from connect_kit.spec.common import ORDER_STATUSES, Order, order_statuses

JSON_TYPES = {"string", "integer", "number", "boolean", "object", "array", "any"}
EVERY_FIELD = [
    (op.name, part, shape)
    for op in spec.OPERATIONS.values()
    for part in ("request", "response")
    for shape in spec.fields(op, part)
]


def test_every_field_of_every_operation_answers():
    assert len(EVERY_FIELD) > 500
    for name, part, shape in EVERY_FIELD:
        assert spec.field(name, part, shape.path) == shape, (name, shape.path)
        assert shape.path.endswith(shape.name)
        assert shape.type in JSON_TYPES, (name, shape.path, shape.type)
        assert (shape.model is not None) <= (shape.type in ("object", "array"))
        assert (shape.replacement is not None) <= shape.deprecated


def test_every_model_field_is_read_in_declaration_order():
    for op in spec.OPERATIONS.values():
        for model in filter(None, (op.request, op.response)):
            names = [f.name for f in spec.fields_of(model)]
            assert names == [i.alias or n for n, i in model.model_fields.items()], model


def test_types_requiredness_enums_and_examples():
    upc = spec.field("list_orders", "response", "orders[].items[].item.upc")
    assert (upc.type, upc.required, upc.nullable, upc.model) == ("string", False, True, None)
    items = spec.field("get_order", "response", "items")
    assert items.type == "array" and items.items == "object"
    assert items.model.__name__ == "OrderItemResponse"
    status = spec.field("get_order", "response", "status")
    assert status.required and status.open_enum and status.enum == ORDER_STATUSES
    decision = spec.field("handle_item_replacement", "request", "status")
    assert decision.enum == ("APPROVED", "REJECTED") and not decision.open_enum
    assert spec.field("get_order", "response", "items[].qty").type == "number"  # int | float
    assert spec.field("get_order", "response", "created_at").format == "date-time"
    assert spec.field("get_order", "response", "metadata").model is None  # a free object
    find_by = spec.field("find_delivery_stores", "request", "find_by")
    assert find_by.required and find_by.example == {
        "address_line_1": "50 Beale St",
        "postal_code": "94105",
    }
    postal = spec.field("find_delivery_stores", "request", "find_by.postal_code")
    assert postal.description == "Digits and uppercase letters, no spaces."
    assert spec.field(Order, path="fulfillment_details.bag_count").type == "integer"


def test_paths_are_read_with_any_index_and_unknown_ones_are_named():
    same = spec.field("list_orders", "response", "orders[].created_at")
    for path in ("orders[*].created_at", "orders[3].created_at", "orders[id=a1].created_at"):
        assert spec.field("list_orders", "response", path) == same
    with pytest.raises(spec.UnknownFieldError, match=r"Did you mean orders\[\]\.created_at"):
        spec.field("list_orders", "response", "orders[].created")
    with pytest.raises(ValueError, match="part must be"):
        spec.field("list_orders", "orders")
    with pytest.raises(spec.UnknownOperationError):
        spec.field("no_such_operation", "response", "id")


def test_marks_secret_volatile_deprecated():
    secret = {(n, p, s.path) for n, p, s in EVERY_FIELD if s.secret}
    assert {
        ("create_token", "request", "client_secret"),
        ("create_token", "request", "code"),
        ("create_token", "request", "assertion"),
        ("create_token", "response", "access_token"),
        ("revoke_token", "request", "client_secret"),
        ("revoke_token", "request", "token"),
        ("link_user", "request", "linking_token"),
        ("create_instacart_user", "request", "password"),
        ("authorize_instacart_user", "response", "code"),
    } == secret
    volatile = {s.path for _, _, s in EVERY_FIELD if s.volatile}
    assert {
        "created_at",
        "orders[].created_at",
        "fulfillment_details.delivered_at",
        "service_option_hold.id",
        "service_option_hold.expires_at",
        "service_options[].service_option_reference",
        "chat_messages[].created_at",
        "id",
    } <= volatile
    assert not any(s.volatile for _, part, s in EVERY_FIELD if part == "request")
    assert [f.path for f in spec.fields(events.EventEnvelope) if f.volatile] == [
        "event_id",
        "event_timestamp",
    ]
    express = spec.field("list_orders", "response", "orders[].is_express")
    assert express.deprecated and express.replacement == "is_instacartplus"
    assert spec.deprecated_fields(spec.get("list_orders").response) == {
        "orders[].is_express": "is_instacartplus"
    }


def test_json_types_and_what_a_field_admits():
    assert [spec.json_type(v) for v in (None, False, 0, 0.5, "", {}, [], ())] == [
        "null",
        "boolean",
        "integer",
        "number",
        "string",
        "object",
        "array",
        "array",
    ]
    bag_count = spec.field(Order, path="fulfillment_details.bag_count")
    assert bag_count.admits(3) and bag_count.admits(None)
    assert not bag_count.admits(3.5) and not bag_count.admits(True) and not bag_count.admits("3")
    qty = spec.field(Order, path="items[].qty")
    assert qty.admits(1) and qty.admits(1.5) and not qty.admits(False)
    assert spec.field(Order, path="status").admits("a_status_added_later")
    assert not spec.field(Order, path="items").admits({"line_num": "1"})


def test_problems_are_the_servers_own_words():
    find_by = spec.field("find_delivery_stores", "request", "find_by")
    assert find_by.problems({"address_line_1": "50 Beale St", "postal_code": "94105"}) == []
    [(key, message)] = find_by.problems({"postal_code": "94105"})
    assert key == "find_by" and "latitude/longitude or an address" in message


# Consumers -------------------------------------------------------------------------------


def _result(op: str, body: Any, env: str) -> Result:
    response = requests.Response()
    response._content = json.dumps(body).encode()
    response.status_code = 200
    response.elapsed = timedelta(milliseconds=5)
    request = RequestInfo("GET", "https://example.test/", "/", {}, None, env)
    return Result(spec.get(op), response, request)


def test_the_default_ignore_list_follows_the_spec_marks_not_field_names():
    order = {"id": "o1", "status": "brand_new", "created_at": "2026-01-01T10:00:00Z"}
    a = _result("get_order", {**order, "warnings": [{"code": "W1", "message": "late"}]}, "dev")
    b = {**order, "created_at": "2026-01-02T10:00:00Z"}
    b = _result("get_order", {**b, "warnings": [{"code": "W2", "message": "late"}]}, "prod")
    cmp = ck.compare_results(a, b)
    assert [(d.path, d.kind) for d in cmp.differences] == [("warnings[0].code", "changed")]
    assert "created_at" in cmp.ignored and "code" not in cmp.ignored
    kept = ck.compare_results(a, b, volatile=False)
    assert {d.path for d in kept.differences} == {"created_at", "warnings[0].code"}


def test_a_token_is_still_left_out_by_default():
    token = {"token_type": "Bearer", "expires_in": 86400, "scope": "connect:fulfillment"}
    a = _result("create_token", {**token, "access_token": "a" * 40, "created_at": 1}, "dev")
    b = _result("create_token", {**token, "access_token": "b" * 40, "created_at": 2}, "prod")
    assert ck.compare_results(a, b).verdict == "same"
    kept = ck.compare_results(a, b, volatile=False)
    assert {d.path for d in kept.differences} == {"access_token", "created_at"}
    assert all(d.a == redact.REDACTED for d in kept.differences if d.path == "access_token")


def test_volatile_paths_are_where_the_fields_are():
    assert volatile_paths(spec.get("reserve_service_option")) == (
        "service_option_hold.id",
        "service_option_hold.expires_at",
        "service_option_hold.service_option.service_option_reference",
    )
    assert volatile_paths(spec.get("authorize_instacart_user")) == ("code",)
    assert volatile_paths(spec.get("find_delivery_stores")) == ()


def test_drift_reads_types_from_the_spec():
    op = spec.get("get_order")
    answer = {"id": "o1", "status": "picking", "fulfillment_details": {"bag_count": "2"}}
    rows = {(r["kind"], r["path"]): r["detail"] for r in drift(op, "dev", answer, "prod", {})}
    assert rows[("type_changed", "fulfillment_details.bag_count")] == (
        "string where the spec has integer"
    )


def test_secret_fields_are_the_readers_secrets():
    marked = {s.name for _, _, s in EVERY_FIELD if s.secret}
    assert marked <= redact.secret_fields()


def test_the_cli_keeps_text_where_the_reader_says_string():
    op = spec.get("set_replacement_selections")
    assert _value(op, "selections.replacement_items.upc", "000000004011") == "000000004011"
    assert _value(op, "selections.count", "2") == 2
    assert _value(spec.get("get_order"), "order_id", "42") == "42"  # a path parameter


# Vocabularies ----------------------------------------------------------------------------


def test_one_vocabulary_per_concept():
    assert set(ORDER_STATUSES) < set(post_checkout.WORKFLOW_STATES)
    assert set(post_checkout.WORKFLOW_STATES) - set(ORDER_STATUSES) == set(
        post_checkout.HANDOVER_STATES
    )
    for states in sandbox.BATCH_STATES.values():
        assert set(states) <= {*ORDER_STATUSES, sandbox.BATCH_COMPLETED}
    assert lifecycle.SEQUENCES is sandbox.BATCH_STATES
    for statuses in (*lifecycle.READY.values(), lifecycle.PICKING):
        assert set(statuses) <= set(ORDER_STATUSES)
    assert tuple(events.STATUS_EVENT) == ORDER_STATUSES
    assert {e for e in events.STATUS_EVENT.values() if e is not None} < set(events.EVENT_NAMES)
    event_name = spec.field("simulate_order_callback", "request", "event_name")
    assert event_name.enum == events.SIMULATED_EVENTS
    assert {f"fulfillment.{e}" for e in events.SIMULATED_EVENTS} <= set(events.EVENT_NAMES)
    assert spec.field(events.EventEnvelope, path="event_name").enum == events.EVENT_NAMES
    with pytest.raises(ValueError, match="not order statuses: bagged"):
        order_statuses("staged", "bagged")
