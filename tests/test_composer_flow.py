"""The composer as a workbench: placeholders, not values; errors as answers; values that carry
and ids from earlier answers; History back into the form; names it cannot offer."""

from __future__ import annotations

import json

import pytest
from helpers import ADDRESS, PEANUT_BUTTER, Api, cart, delivery_order

import connect_kit as ck
from connect_kit import spec
from connect_kit.errors import ConfigurationError
from connect_kit.spec import UnknownOperationError
from connect_kit.widgets._fields import MISSING


@pytest.fixture(autouse=True)
def _sandbox_only(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no .env: dev and prod are the embedded sandbox


def field(form, name):
    return next(f for f in form.fields if f.name == name)


def test_examples_are_placeholders_and_templates_come_from_the_spec():
    form = ck.composer("dev", "create_delivery_order")
    assert all(f.widget.value in ("", None, False) for f in form.fields if not f.secret)
    assert form.params() is None  # nothing typed: the required fields say so
    assert field(form, "paid_with_ebt").widget.index == 0  # "—" shows (a None would not)
    assert field(form, "paid_with_ebt").read() is MISSING  # ...and is not sent
    for name in ("items", "address", "user"):
        box = field(form, name)
        template = json.loads(box.widget.placeholder)  # a template built from the spec...
        assert box.shape.problems(template) == [], name  # ...that the spec accepts
    assert json.loads(field(form, "address").widget.placeholder)["postal_code"] == "94105"
    assert json.loads(field(form, "items").widget.placeholder)[0]["line_num"] == "1"
    hold = field(form, "service_option_hold_id")
    assert "From a reserve call." in hold.help.value  # the spec's description
    stores = ck.composer("dev", "find_delivery_stores")
    assert json.loads(field(stores, "find_by").widget.placeholder) == ADDRESS
    user = ck.composer("dev", "create_user")
    assert field(user, "phone_number").widget.placeholder == "e.g. +14155550100"
    assert "E.164" in field(user, "phone_number").help.value


def test_deprecated_fields_name_their_replacement():
    form = ck.composer("dev", "create_instacart_user")
    old = field(form, "express_member")
    assert "Deprecated: use instacartplus_member." in old.help.value
    assert form.fields[-1] is old  # after the fields to use


def test_a_name_it_cannot_offer_is_a_clear_error(monkeypatch):
    with pytest.raises(UnknownOperationError, match="Did you mean find_delivery_stores"):
        ck.composer(operation="find_delivery_store")
    with pytest.raises(UnknownOperationError, match="Did you mean"):
        ck.compare_panel(operation="find_delivery_store")
    with pytest.raises(ConfigurationError, match=r"unknown environment 'staging'.*dev, prod"):
        ck.composer("staging")
    monkeypatch.setenv("INSTACART_STAGING_URL", "https://staging.example.com")
    form = ck.composer()
    assert "staging" not in dict(form.env.options).values()
    assert "staging" in form.unusable.value and "INSTACART_STAGING_CLIENT_ID" in form.unusable.value
    with pytest.raises(ConfigurationError, match=r"cannot use 'staging'.*no credentials"):
        ck.composer("staging")
    with pytest.raises(ConfigurationError, match="cannot use 'staging'"):
        ck.compare_panel(("dev", "staging"))


def test_tabs_are_cleared_when_the_operation_or_environment_changes():
    form = ck.composer("dev", "find_delivery_stores")
    field(form, "find_by").widget.value = json.dumps(ADDRESS)
    assert form.submit() is not None
    assert "000-3801" in form.outputs["Table"].value
    form.env.value = "prod"
    assert all(form.outputs[name].value == "" for name in ("Table", "JSON", "Headers", "Code"))
    assert form.message.value == "" and form.answer.rows.children  # History stays
    field(form, "find_by").widget.value = json.dumps(ADDRESS)
    assert form.submit() is not None and form.outputs["JSON"].value
    form.operation.value = "find_pickup_stores"
    assert form.outputs["JSON"].value == "" and form.outputs["Table"].value == ""


def test_the_delivery_flow_carries_values_and_offers_earlier_ids(unique):
    user_id = f"flow-{unique}"
    form = ck.composer("dev", "create_user")
    assert len(field(form, "user_id").row.children) == 1  # no answer yet: no ids to offer
    field(form, "user_id").widget.value = user_id
    field(form, "first_name").widget.value = "Pat"
    field(form, "phone_number").widget.value = "+14155550100"
    assert form.submit() is not None

    form.operation.value = "list_delivery_service_options"
    assert field(form, "user_id").widget.value == user_id  # carried: same field name
    field(form, "address").widget.value = json.dumps(ADDRESS)
    field(form, "items").widget.value = json.dumps(cart(PEANUT_BUTTER))
    options = form.submit()
    assert options is not None
    free = next(o["id"] for o in options.json["service_options"] if o["availability"]["available"])

    form.operation.value = "reserve_service_option"
    assert field(form, "user_id").widget.value == user_id
    slots = form.seen_choices["service_option_id"]
    assert slots in field(form, "service_option_id").row.children  # offered beside the field
    label = next(label for label, value in slots.options if value == free)
    assert "available" in label
    assert slots.index == 0  # "from an earlier answer…" shows
    slots.value = free  # picked from the list: the field takes it
    assert field(form, "service_option_id").widget.value == str(free)
    assert slots.value == free  # the pick stays shown
    held = form.submit()
    assert held is not None
    hold = held.json["service_option_hold"]["id"]

    form.operation.value = "create_delivery_order"
    assert json.loads(field(form, "address").widget.value) == ADDRESS  # carried
    assert json.loads(field(form, "items").widget.value) == cart(PEANUT_BUTTER)
    form.seen_choices["service_option_hold_id"].value = hold
    field(form, "order_id").widget.value = f"flow-order-{unique}"
    order = form.submit()
    assert order is not None, form.message.value
    assert order.json["status"] == "brand_new"
    assert order.request.body["service_option_hold_id"] == hold
    assert order.request.path == f"/v2/fulfillment/users/{user_id}/orders/delivery"

    form.operation.value = "get_order"  # the new order's id is offered in turn
    assert field(form, "user_id").widget.value == user_id
    assert field(form, "order_id").widget.value == f"flow-order-{unique}"  # typed earlier
    seen = [value for _, value in form.seen_choices["order_id"].options]
    assert f"flow-order-{unique}" in seen


def test_history_rows_go_back_into_the_form(unique):
    form = ck.composer("dev", "find_delivery_stores")
    field(form, "find_by").widget.value = json.dumps(ADDRESS)
    assert form.submit() is not None
    form.operation.value = "get_order"
    field(form, "user_id").widget.value = "nobody-here"
    field(form, "order_id").widget.value = "none"
    assert form.submit() is None
    assert [(s.operation, s.status) for s in form.memory.sent] == [
        ("get_order", 400),
        ("find_delivery_stores", 200),
    ]
    form.env.value = "prod"
    load = form.answer.rows.children[1].children[0]  # the find_delivery_stores row
    load.click()
    assert (form.env.value, form.operation.value) == ("dev", "find_delivery_stores")
    assert json.loads(field(form, "find_by").widget.value) == ADDRESS
    assert "History" in form.message.value
    again = form.submit()
    assert again is not None and again.status_code == 200
    assert len(form.answer.rows.children) == 3


def test_tables_are_bounded_and_ids_stay_on_one_line():
    form = ck.composer("dev", "find_delivery_stores")
    field(form, "find_by").widget.value = json.dumps(ADDRESS)
    assert form.submit() is not None
    table = form.outputs["Table"].value
    assert "max-height:420px;overflow:auto" in table and "white-space:nowrap" in table
    widest = max(
        len(f.widget.description)
        for op in spec.OPERATIONS.values()
        if op.area != "auth"
        for f in ck.composer("dev", op.name).fields
    )
    assert widest <= 28  # fits the 230px label column at the notebook's font size
    assert field(form, "find_by").widget.layout.width == "760px"


def test_compare_speaks_for_a_user_in_post_checkout(unique):
    sb = ck.sandbox.start()  # the sandbox the default environments use
    user_id, order_id = f"pcc-{unique}", f"pcc-order-{unique}"
    for env in ("dev", "prod"):
        delivery_order(Api(sb, env), user_id, order_id)
    with pytest.raises(ConfigurationError, match=r"as_user=<user_id>"):
        ck.compare("get_post_checkout_order", order_id=order_id)
    result = ck.compare("get_post_checkout_order", as_user=user_id, order_id=order_id)
    assert (result.a.status, result.b.status) == (200, 200), result.summary
    assert result.a.result.json["id"] == order_id

    panel = ck.compare_panel(("dev", "prod"), "get_post_checkout_order")
    field(panel, "order_id").widget.value = order_id
    assert panel.submit() is None and "as user" in panel.message.value
    panel.as_user.value = user_id
    shown = panel.submit()
    assert shown is not None and shown.verdict in ("same", "differs"), panel.message.value
    assert (shown.a.status, shown.b.status) == (200, 200)
