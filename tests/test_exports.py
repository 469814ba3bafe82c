"""Exports: a whole delivery flow recorded against a sandbox of the test's own, exported to
HAR, .http, Postman, Hurl and a pytest module; the HAR validates, no file holds the canary
secret, ``ck.load`` of each file runs the flow again with the same statuses, and the pytest
module passes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from helpers import ADDRESS, PEANUT_BUTTER, SPARKLING_WATER, cart
from test_record_replay import recorded_sandbox, valid_har  # noqa: F401 (a fixture)

import connect_kit as ck

STORE = "000-3801"
FILES = ("flow.har", "flow.http", "flow.postman_collection.json", "flow.hurl", "test_flow.py")


def record_flow(path: Path) -> list[ck.Result]:
    """create_user, list_delivery_service_options, reserve_service_option,
    create_delivery_order, get_order, recorded to ``path``."""
    with ck.connect("dev", record=path) as dev:
        return delivery_flow(dev)


def delivery_flow(dev: ck.ConnectSession) -> list[ck.Result]:
    """The flow's five calls through ``dev``."""
    user, order = f"ada-{uuid.uuid4().hex[:6]}", f"order-{uuid.uuid4().hex[:6]}"
    items = cart(PEANUT_BUTTER, SPARKLING_WATER)
    made = dev.call("create_user", user_id=user, first_name="Ada", phone_number="+18005550100")
    slots = dev.call(
        "list_delivery_service_options",
        user_id=user,
        location_code=STORE,
        address=ADDRESS,
        items=items,
    )
    slot = slots.json["service_options"][0]["id"]
    hold = dev.call("reserve_service_option", user_id=user, service_option_id=slot)
    placed = dev.call(
        "create_delivery_order",
        user_id=user,
        order_id=order,
        service_option_hold_id=hold.json["service_option_hold"]["id"],
        location_code=STORE,
        items=items,
        address=ADDRESS,
        initial_tip_cents=500,
    )
    read = dev.call("get_order", user_id=user, order_id=order)
    return [made, slots, hold, placed, read]


@pytest.fixture
def exported(recorded_sandbox, tmp_path):  # noqa: F811
    sb, secrets = recorded_sandbox
    results = record_flow(tmp_path / "rec" / "dev.har")
    for name in FILES:
        ck.export(tmp_path / "rec" / "dev.har", tmp_path / name)
    return sb, secrets, tmp_path, results


def test_every_export_is_written_without_a_secret(exported):
    sb, secrets, folder, _ = exported
    written = [p for p in folder.iterdir() if p.is_file()]
    assert {p.name for p in written} >= {*FILES, "flow.postman_environment.json"}
    for path in written:
        text = path.read_text()
        for secret in secrets.every():
            assert secret not in text, f"a secret in {path.name}"
        assert "[redacted:" not in text or path.suffix == ".har", path.name
    environment = json.loads((folder / "flow.postman_environment.json").read_text())
    values = {v["key"]: v["value"] for v in environment["values"]}
    assert values == {"base_url": sb.url("dev"), "client_id": "", "client_secret": ""}


def test_the_har_validates_and_the_http_file_names_each_operation(exported):
    _, _, folder, _ = exported
    assert len(valid_har(folder / "flow.har")["log"]["entries"]) >= 5
    text = (folder / "flow.http").read_text()
    for op in ("create_user", "list_delivery_service_options", "reserve_service_option"):
        assert f"# @name {op}" in text
    assert "POST {{base_url}}/v2/oauth/token" in text and '"{{client_secret}}"' in text
    assert "@user_id = ada-" in text and "{{service_option_hold_id}}" in text
    hurl = (folder / "flow.hurl").read_text()
    assert 'service_option_hold_id: jsonpath "$.service_option_hold.id"' in hurl


def test_postman_collection_has_folders_descriptions_and_a_token_script(exported):
    _, _, folder, _ = exported
    document = json.loads((folder / "flow.postman_collection.json").read_text())
    assert document["info"]["schema"].endswith("v2.1.0/collection.json")
    assert [f["name"] for f in document["item"]] == ["auth", "fulfillment"]
    token = document["item"][0]["item"][0]
    assert "access_token" in "".join(token["event"][1]["script"]["exec"])
    requests_ = document["item"][1]["item"]
    assert [r["name"] for r in requests_][:2] == ["create_user", "list_delivery_service_options"]
    assert all(r["request"]["description"] for r in requests_)


@pytest.mark.parametrize("name", ["flow.har", "flow.http", "flow.postman_collection.json"])
def test_load_runs_the_flow_again_with_the_same_statuses(exported, name):
    _, _, folder, results = exported
    collection = ck.load(folder / name)
    assert [r.operation for r in collection] == [r.operation.name for r in results]
    with ck.connect("dev") as dev:
        outcome = collection.run(dev)
    assert outcome.statuses == [r.status_code for r in results], outcome.frame
    assert outcome.ok and list(outcome.frame["ok"]) == [True] * 5
    first, again = results[4].json, outcome[4].json
    assert first["id"] != again["id"]  # a fresh order id: the flow ran again, not replayed


def test_the_exported_pytest_module_passes(exported):
    folder = exported[2]
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    env["INSTACART_DEV_KIND"] = "development"  # another process: it cannot tell a sandbox
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_flow.py"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert "5 passed" in done.stdout


@pytest.mark.usefixtures("recorded_sandbox")
def test_export_of_results_and_a_session_that_does_not_record(tmp_path):
    results = record_flow(tmp_path / "dev.har")
    ck.export(results, tmp_path / "results.har")
    assert len(valid_har(tmp_path / "results.har")["log"]["entries"]) == 5
    ck.export(results, tmp_path / "results.http")
    assert "{{service_option_hold_id}}" in (tmp_path / "results.http").read_text()
    with pytest.raises(ValueError, match="format"):
        ck.export(results, tmp_path / "x.txt")


def test_openapi_is_openapi_3_1():
    document = ck.openapi()
    assert document["openapi"].startswith("3.1")
    assert "find_delivery_stores" in {
        op["operationId"] for path in document["paths"].values() for op in path.values()
    }


def test_a_session_exports_what_its_history_keeps(recorded_sandbox, tmp_path):  # noqa: F811
    _, secrets = recorded_sandbox
    with ck.connect("dev") as dev:  # no record=: the history keeps the exchanges
        results = delivery_flow(dev)
        exchanges = dev.exchanges
        for name in ("flow.har", "flow.http", "flow.postman_collection.json"):
            ck.export(dev, tmp_path / name)
    assert [e["response"]["status"] for e in exchanges] == [200] * 6  # the token call, then 5
    assert exchanges[1]["request"]["url"].endswith("/v2/fulfillment/users")
    assert json.loads(exchanges[1]["request"]["postData"]["text"])["first_name"] == "Ada"
    assert valid_har(tmp_path / "flow.har")["log"]["entries"] == exchanges
    shown = json.dumps(exchanges) + "".join(p.read_text() for p in tmp_path.iterdir())
    assert secrets.every() and not [s for s in secrets.every() if s in shown]
    assert all(
        h["name"].lower() != "authorization" for e in exchanges for h in e["request"]["headers"]
    )
    with ck.connect("dev") as dev:
        again = ck.load(tmp_path / "flow.http").run(dev)
    assert again.statuses == [r.status_code for r in results]


def test_the_history_keeps_as_many_exchanges_as_rows(recorded_sandbox):  # noqa: F811
    with ck.connect("dev", history_size=3) as dev:
        for _ in range(5):
            dev.call("find_delivery_stores", find_by=ADDRESS)
        assert len(dev.history) == 3 and len(dev.exchanges) == 3
        with dev.post("/v2/fulfillment/stores/delivery", json={"find_by": ADDRESS}, stream=True):
            pass  # a streamed answer is the caller's to read: its row, no exchange
        assert len(dev.history) == 3 and len(dev.exchanges) == 2
