"""The composer and the compare panel, driven from Python: set values, click, read."""

from __future__ import annotations

import json

import pytest
from helpers import ADDRESS, Api, delivery_order

import connect_kit as ck


@pytest.fixture(autouse=True)
def _sandbox_only(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no .env: dev and prod are the embedded sandbox


def field(form, name):
    return next(f for f in form.fields if f.name == name)


def test_the_form_follows_the_spec():
    form = ck.composer(operation="create_delivery_order")
    kinds = {f.name: (f.kind, f.required, f.where) for f in form.fields}
    assert kinds["user_id"] == ("text", True, "path")
    assert kinds["service_option_hold_id"] == ("int", True, "body")
    assert kinds["leave_unattended"][:2] == ("bool", False)
    assert kinds["items"][0] == "json" and kinds["address"][0] == "json"
    assert field(form, "order_id").widget.description == "order_id *"
    assert field(form, "order_id").widget.value == ""  # the spec's example is a placeholder
    assert field(form, "order_id").widget.placeholder == "e.g. a1b2c3"
    envs = dict(form.env.options)
    assert envs == {"dev (sandbox)": "dev", "prod (sandbox)": "prod"}
    assert all(not label.startswith("auth") for label, _ in form.operation.options)


def test_picking_filtering_and_deprecation_notices():
    form = ck.composer()
    form.search.value = "create_order"
    assert {value for _, value in form.operation.options} == {"lastmile_create_order"}
    form.search.value = "last_mile_order"
    assert {value for _, value in form.operation.options} == {
        "create_last_mile_order",
        "update_last_mile_order",
    }
    form.operation.value = "create_last_mile_order"
    assert "Deprecated" not in form.about.value
    form.search.value = "lastmile_create"
    form.operation.value = "lastmile_create_order"
    assert "Deprecated" in form.about.value and "create_last_mile_order" in form.about.value
    choice = ck.composer(operation="update_shopper_order_item")
    status = field(choice, "status")
    assert [v for _, v in status.widget.options] == [
        "",  # "—": not sent
        "not_found",
        "found",
        "replaced",
        "to_refund",
    ]


def test_send_fills_every_tab():
    form = ck.composer("dev", "find_delivery_stores")
    field(form, "find_by").widget.value = json.dumps(ADDRESS)
    form.send.click()
    assert form.result is not None and form.result.status_code == 200
    assert "000-3801" in form.outputs["Table"].value
    assert "&quot;stores&quot;" in form.outputs["JSON"].value
    assert "Bearer [redacted]" in form.outputs["Headers"].value
    row = form.answer.rows.children[0]
    assert "find_delivery_stores" in row.children[1].value and "200" in row.children[1].value
    codes = {}
    for lang in ("curl", "python", "java", "go"):  # one language at a time
        form.answer.language.value = lang
        codes[lang] = form.outputs["Code"].value
    assert "curl --silent" in codes["curl"] and "curl --silent" not in codes["go"]
    assert "import requests" in codes["python"] and "package main" in codes["go"]
    assert all('class="ck-code" readonly' in code for code in codes.values())
    assert "connect-kit token dev" in codes["curl"]  # what the program needs to run
    assert "INSTACART_CA_BUNDLE=" in codes["curl"]  # the sandbox's CA, by path
    token = form.session().auth.current.value
    assert all("INSTACART_TOKEN" in code and token not in code for code in codes.values())
    assert "200" in form.message.value


def test_json_fields_are_checked_as_you_type():
    form = ck.composer("dev", "find_delivery_stores")
    find_by = field(form, "find_by")
    find_by.widget.value = '{"postal_code": '
    assert "invalid JSON" in find_by.error.value
    find_by.widget.value = '{"postal_code": "94105"}'  # valid JSON, but not for delivery
    assert "latitude/longitude or an address" in find_by.error.value
    find_by.widget.value = json.dumps(ADDRESS)
    assert find_by.error.value == ""


def test_validation_errors_appear_next_to_their_field():
    form = ck.composer("dev", "find_delivery_stores")
    field(form, "find_by").widget.value = json.dumps({"postal_code": "94105"})
    assert form.submit() is None
    assert "latitude/longitude or an address" in field(form, "find_by").error.value
    assert "Refused by the spec" in form.message.value
    empty = ck.composer("dev", "get_order")
    empty.send.click()
    assert all("required" in f.error.value for f in empty.fields)
    assert empty.memory.sent == []  # refused before sending: not in History


def test_api_errors_are_a_readable_message(sandbox):
    form = ck.composer("dev", "get_order")
    field(form, "user_id").widget.value = "nobody-here"
    field(form, "order_id").widget.value = "none"
    assert form.submit() is None
    assert "User Not Found" in field(form, "user_id").error.value
    assert "Refused by the server (400, code 1001)" in form.message.value
    assert "Traceback" not in form.message.value
    # an error answer is an answer: status, code, message and the envelope in the tabs
    assert "User Not Found" in form.outputs["Table"].value and "1001" in form.outputs["Table"].value
    assert "&quot;meta&quot;" in form.outputs["JSON"].value  # the whole envelope
    assert "/v2/fulfillment/users/nobody-here/orders/none" in form.outputs["Headers"].value
    assert "nobody-here" in form.outputs["Code"].value
    sent = form.memory.sent[0]
    assert (sent.status, sent.error_code, sent.outcome) == (400, 1001, "User Not Found")
    assert "1001" in form.answer.rows.children[0].children[1].value


def test_prod_writes_need_the_confirmation_and_the_guard_still_applies(dev, unique):
    form = ck.composer("prod", "create_user")
    field(form, "first_name").widget.value = "Pat"
    field(form, "user_id").widget.value = f"form-{unique}"
    assert form.send.disabled and form.confirm.layout.display is None
    form.send.click()  # a click the browser would not allow: the session refuses anyway
    assert "ProdWriteRefused" in form.message.value
    form.confirm.value = True
    assert not form.send.disabled
    result = form.submit()
    assert result is not None and result.json["first_name"] == "Pat"
    # only what was typed: the spec's examples (Kamal Singh, +14155550100) stay placeholders
    assert result.request.body == {"user_id": f"form-{unique}", "first_name": "Pat"}
    assert set(result.json) == {"user_id", "first_name"}
    # one confirmation covers one Send
    assert not form.confirm.value and form.send.disabled
    form.env.value = "dev"
    assert not form.send.disabled and form.confirm.layout.display == "none"


def test_secrets_never_enter_a_widget(dev, unique, monkeypatch):
    form = ck.composer("dev", "link_user")
    token = field(form, "linking_token")
    assert token.secret and token.widget.value == "INSTACART_LINKING_TOKEN"
    field(form, "user_id").widget.value = "nobody"
    form.submit()
    assert "INSTACART_LINKING_TOKEN is not set" in token.error.value
    monkeypatch.setenv("INSTACART_LINKING_TOKEN", "not-a-real-linking-token")
    form.submit()
    session = form.session()
    secrets = [session.auth.current.value, session.env.client_secret, "not-a-real-linking-token"]
    state = json.dumps([w.get_state() for w in _all_widgets(form)], default=str)
    assert not any(secret in state for secret in secrets)


def _all_widgets(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _all_widgets(child)


def test_compare_panel_shows_the_comparison():
    panel = ck.compare_panel(("dev", "prod"), "find_delivery_stores")
    field(panel, "find_by").widget.value = json.dumps(ADDRESS)
    panel.send.click()
    assert panel.comparison is not None and panel.comparison.verdict == "differs"
    assert "999-0001" in panel.view.value and "Drift against the spec" in panel.view.value
    panel.operation.value = "cancel_order"
    assert panel.view.value == ""  # another operation: the old comparison is gone
    assert panel.send.disabled  # a write in both environments needs the confirmation
    panel.other.value = "dev"
    panel.confirm.value = True
    assert panel.submit() is None and "two different" in panel.message.value


def test_post_checkout_calls_speak_for_a_user(unique):
    embedded = Api(ck.sandbox.start(), "dev")  # the sandbox the composer connects to
    order = delivery_order(embedded, f"pcw-{unique}", f"pcw-order-{unique}")
    form = ck.composer("dev", "get_post_checkout_order")
    assert form.as_user in form.form.children
    field(form, "order_id").widget.value = order["id"]
    assert form.submit() is None and "as user" in form.message.value
    form.as_user.value = f"pcw-{unique}"
    result = form.submit()
    assert result is not None and result.status_code == 200
    assert form.session().token_info["scope"] == "connect:post_checkout"
    form.operation.value = "find_delivery_stores"
    assert form.as_user not in form.form.children


def test_frontend_calls_speak_for_a_user_too(unique):
    embedded = Api(ck.sandbox.start(), "dev")
    order = delivery_order(embedded, f"fe-{unique}", f"fe-order-{unique}")
    form = ck.composer("dev", "find_replacement_items_for_order_as_user")
    assert form.as_user in form.form.children
    field(form, "order_id").widget.value = order["id"]
    form.as_user.value = f"fe-{unique}"
    result = form.submit()
    assert result is not None and result.status_code == 200, form.message.value
    assert (
        "connect:recommendations"
        in form.session().tokens.for_scope("connect:recommendations").token().scope.split()
    )
