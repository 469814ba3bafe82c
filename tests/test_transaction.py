"""The Transaction API against the sandbox, over HTTPS: a POS transaction as the docs send it,
its required fields and types, the token it needs (the app's, no scope), the transaction kept
in the instance's state, and a reused id; through requests and a session."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest
from helpers import Api, error_of, new_user, status_and_key
from test_session import session_for

from connect_kit import spec
from connect_kit.errors import InvalidRequestError, PermissionDeniedError

PATH = "/v2/retailer_transaction/pos_transactions"


def transaction(unique: str, **fields: Any) -> dict[str, Any]:
    """The docs' tutorial example, with an id of the test's own."""
    body: dict[str, Any] = {
        "bin": "546683",
        "last_four": "9929",
        "transaction_timestamp": "2022-09-12T17:34:00Z",
        "id": f"12_0200_0036_{unique}",
        "store_id": "12",
        "sub_total": 99.0,
        "total": 100.22,
        "currency_code": "USD",
        "total_tax": 1.22,
        "cardholder_name": "string",
        "tenders": [
            {"type": "CREDIT_CARD", "amount": 100.22, "approval_processed_by_code": "RETAILER"}
        ],
        "items": [
            {
                "line_item_number": "1",
                "bar_code": "7789048811",
                "retailer_reference_code": "48811",
                "description": "string",
                "category": "string",
                "price_per_unit": 0.05,
                "item_price": 0.05,
                "quantity": 1,
            }
        ],
        "taxes": [{"type": "OTHER", "type_other": "TotalTaxes", "amount": 1.22}],
    }
    return {**body, **fields}


def minimal(unique: str) -> dict[str, Any]:
    """Only the documented required fields."""
    return {
        "last_four": "7890",
        "transaction_timestamp": "2022-03-09T16:37:00Z",
        "id": f"min-{unique}",
        "store_id": "4211",
        "total": 12.32,
        "total_tax": 1.25,
    }


def kept(sandbox, transaction_id: str, env: str = "dev") -> dict[str, Any] | None:
    return sandbox.instances[env].state.get("pos_transaction", transaction_id)


def test_the_spec_says_what_the_docs_say():
    op = spec.get("send_pos_transaction")
    assert (op.method, op.path, op.area) == ("POST", PATH, "transaction")
    assert op.scope == "" and op.needs_token  # any token of the app
    assert op.mutating and not op.deprecated and op.records is None
    assert op.identity == "id" and op.read_back is None  # nothing reads a transaction back
    required = {f.name for f in spec.fields(op, "request") if f.required and "." not in f.path}
    assert required == {
        "last_four",
        "transaction_timestamp",
        "id",
        "store_id",
        "total",
        "total_tax",
    }
    assert set(spec.field(op, "request", "bin").enum) == {"539186", "546683", "555370", "551917"}


def test_the_docs_example_is_accepted_and_kept(dev, sandbox, unique):
    body = transaction(unique)
    answer = dev.ok("POST", PATH, body)
    assert set(answer) == {"id"} and answer["id"].startswith("transaction-")
    record = kept(sandbox, body["id"])
    assert record is not None and record["instacart_id"] == answer["id"]
    assert record["request"]["tenders"][0]["type"] == "CREDIT_CARD"
    assert record["request"]["total"] == 100.22 and record["client_id"] == dev.client_id
    assert dev.ok("POST", PATH, minimal(unique))["id"] != answer["id"]


@pytest.mark.parametrize(
    "moment",
    ["2022-03-09T16:37:00Z", "2022-03-09T11:37:00-05:00", "2022-03-09T11:37:00-5:00"],
)
def test_a_time_with_its_zone_is_accepted_as_the_docs_write_it(dev, unique, moment):
    assert dev.ok("POST", PATH, {**minimal(unique), "transaction_timestamp": moment})["id"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("transaction_timestamp", "2022-03-09T16:37:00"),  # no time zone
        ("transaction_timestamp", "2022-03-09"),
        ("transaction_timestamp", "yesterday"),
        ("transaction_timestamp", "2022-13-09T16:37:00Z"),
        ("bin", "411111"),
        ("last_four", "123"),
        ("last_four", 7890),
        ("total", "12.32"),
        ("total_tax", None),
        ("id", ""),
        ("store_id", 4211),
        ("currency_code", "usd"),
        ("tenders", {"type": "CREDIT_CARD"}),
        ("items", [{"quantity": "one"}]),
    ],
)
def test_wrong_fields_are_a_400_naming_them(dev, unique, field, value):
    answer = dev.post(PATH, {**minimal(unique), field: value})
    status, key = status_and_key(answer)
    assert status == 400 and key is not None and key.startswith(field), answer.text


@pytest.mark.parametrize(
    "field", ["last_four", "transaction_timestamp", "id", "store_id", "total", "total_tax"]
)
def test_each_required_field_is_required(dev, unique, field):
    body = minimal(unique)
    del body[field]
    assert error_of(dev.post(PATH, body)) == (400, "can't be blank", 1001, field)


def test_a_transaction_sent_again_gets_the_same_id_and_an_id_reused_is_refused(
    dev, sandbox, unique
):
    body = transaction(unique)
    first = dev.ok("POST", PATH, body)
    assert dev.ok("POST", PATH, copy.deepcopy(body)) == first  # a retry: the same transaction
    answer = dev.post(PATH, {**body, "total": 5.0})
    assert error_of(answer) == (400, "Transaction with this id already exists", 1001, "id")
    assert kept(sandbox, body["id"])["request"]["total"] == 100.22


def test_any_app_token_will_do_but_not_a_users(dev, unique):
    for scope in ("connect:fulfillment", "connect:data_ingestion", None):
        token = dev.new_token(scope)
        assert dev.post(PATH, minimal(f"{unique}-{scope}"), token=token).status_code == 200
    user_id = f"tx-u-{unique}"
    new_user(dev, user_id)
    assertion = base64.b64encode(json.dumps({"user_id": user_id}).encode()).decode()
    token = dev.new_token(None, grant_type="fulfillment_user_assertion", assertion=assertion)
    answer = dev.post(PATH, minimal(f"{unique}-user"), token=token)
    assert answer.status_code == 403 and "client credentials" in error_of(answer)[1]
    assert dev.post(PATH, minimal(f"{unique}-none"), token=None).status_code == 401


def test_each_instance_keeps_its_own(dev, prod, sandbox, unique):
    body = transaction(unique)
    assert prod.ok("POST", PATH, body)["id"]
    assert kept(sandbox, body["id"], "prod") is not None
    assert kept(sandbox, body["id"], "dev") is None


def test_a_session_sends_one_and_refuses_a_bad_one_before_sending(sandbox, unique):
    body = transaction(unique)
    with session_for(sandbox, scope="connect:fulfillment") as session:
        res = session.call("send_pos_transaction", **body)
        assert res.status_code == 200 and res.json["id"].startswith("transaction-")
        assert list(res.frame.columns) == ["id"] and len(res.frame) == 1
        assert res.warnings == []
        with pytest.raises(InvalidRequestError) as refused:
            session.call("send_pos_transaction", **{**body, "last_four": "12"})
        assert refused.value.key == "last_four" and refused.value.status is None
        with session.for_user(f"tx-u-{unique}") as customer, pytest.raises(PermissionDeniedError):
            new_user(Api(sandbox, "dev"), f"tx-u-{unique}")
            customer.call("send_pos_transaction", **minimal(f"{unique}-as-user"))
