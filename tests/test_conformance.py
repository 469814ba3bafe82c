"""Live conformance: every answer is checked against the spec as it arrives.

The sandbox's own answers fit the spec (every operation, through a real session): its prod
instance's produce no finding at all, its dev instance's only the one drift it simulates on
purpose (SANDBOX.md: stores carry ``time_zone`` ahead of the reference), which is exactly
what the check is for. A hostile "live" server answers off the spec in every way the check
knows; each lands in ``session.conformance`` with its kind, path and detail, nothing raises,
and ``ck.conformance_report`` renders it.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from helpers import ADDRESS, Api
from hostile import hostile_server, json_of
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from test_frames import CALLS
from test_session import session_for

import connect_kit as ck
from connect_kit import spec
from connect_kit.client._conformance import Conformance
from connect_kit.client._retry import RetryPolicy
from connect_kit.client._session import ConnectSession
from connect_kit.data import _conformance as rules
from connect_kit.errors import APIError, DeprecatedWarning
from connect_kit.sandbox import Sandbox

COLUMNS = ["time", "env", "operation", "status", "kind", "path", "detail", "count"]
# The drift the sandbox's dev instance serves on purpose: a new optional field of stores
PREVIEW = ("additive", "stores[*].time_zone")
DECLARED = {PREVIEW}
USERS = "/v2/fulfillment/users"
STORE_FINDERS = {name for name, op in spec.OPERATIONS.items() if op.records == "stores"}


def _found(frame: pd.DataFrame) -> set[tuple[str, str, str]]:
    return set(zip(frame["operation"], frame["kind"], frame["path"], strict=True))


# The sandbox's own answers -----------------------------------------------------------------


# Operations whose set-up (or the operation itself) uses the sandbox APIs (a shopper, a batch,
# an order moved along, an Instacart user), which production does not serve: dev's only.
NEEDS_SANDBOX_APIS = {
    "advance_batch", "authorize_instacart_user", "create_instacart_user", "create_shopper",
    "create_shopper_order_item", "generate_batch", "get_chat_messages", "get_order_location",
    "get_order_messages", "get_user_link", "handle_item_replacement", "link_user",
    "mark_chat_messages_read", "record_user_arrival", "schedule_pickup", "send_chat_message",
    "simulate_order_callback", "update_shopper_order_item", "update_tip",
}  # fmt: skip


@pytest.fixture(scope="module")
def every(tmp_path_factory) -> Iterator[tuple[dict[str, ConnectSession], dict[str, Api]]]:
    """A sandbox of this module's own (every operation books time slots: the shared one's
    would fill up), a session on each instance, and a plain client of each for the set-up."""
    with (
        Sandbox(latency=False) as own,
        session_for(own, "dev") as dev,
        session_for(own, "prod", allow_writes=True) as prod,
    ):
        yield {"dev": dev, "prod": prod}, {"dev": Api(own, "dev"), "prod": Api(own, "prod")}


def _findings_of(session: ConnectSession, name: str, api: Any, unique: str) -> pd.DataFrame:
    """The findings of one call of ``name`` (a user session's own too, its token call's), made
    as the frames' tests make it (set up through ``api``)."""
    arguments = CALLS[name](api, unique)
    op = spec.get(name)
    caller = session.for_user(f"u-{unique}") if op.user_token else session
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecatedWarning)
            res = caller.call(name, **arguments)
        assert res.status_code == 200
        mine = session.conformance
        found = [mine[mine["operation"] == name]]
        if caller is not session:
            found.append(caller.conformance)
    finally:
        if caller is not session:
            caller.close()
    return pd.concat(found)


@pytest.mark.parametrize("name", sorted(set(spec.OPERATIONS) - NEEDS_SANDBOX_APIS))
def test_every_answer_of_the_sandboxs_prod_fits_the_spec(name, every, unique):
    sessions, apis = every
    frame = _findings_of(sessions["prod"], name, apis["prod"], unique)
    assert frame.empty, frame.to_string()


@pytest.mark.parametrize("name", sorted(spec.OPERATIONS))
def test_every_answer_of_the_sandboxs_dev_fits_the_spec_but_its_preview_field(name, every, unique):
    sessions, apis = every
    frame = _findings_of(sessions["dev"], name, apis["dev"], unique)
    declared = DECLARED if name in STORE_FINDERS else set()
    assert {(k, p) for k, p in zip(frame["kind"], frame["path"], strict=True)} == declared, (
        frame.to_string()
    )


def test_prod_serves_no_drift_and_dev_shows_its_preview_field(sandbox):
    with session_for(sandbox, "prod") as prod, session_for(sandbox, "dev") as dev:
        for name in sorted(STORE_FINDERS):
            find_by = {"postal_code": "94105"} if name == "find_pickup_stores" else ADDRESS
            prod.call(name, find_by=find_by)
            dev.call(name, find_by=find_by)
            dev.call(name, find_by=find_by)
        assert prod.conformance.empty
        frame = dev.conformance
    assert list(frame.columns) == COLUMNS
    assert _found(frame) == {(name, *PREVIEW) for name in STORE_FINDERS}
    assert set(frame["count"]) == {2}  # once per operation and path, counted
    assert set(frame["detail"]) == {"string, not in the spec"}
    assert set(frame["env"]) == {"dev"} and set(frame["status"]) == {200}
    assert "UTC" in str(frame["time"].dtype)


def test_plain_requests_on_an_operation_path_are_checked_too(sandbox):
    with session_for(sandbox) as dev:
        answer = dev.post("/v2/fulfillment/stores/delivery", json={"find_by": ADDRESS})
        assert answer.status_code == 200
        dev.get("/v2/fulfillment/not-an-operation")  # a path the spec lacks: not checked
        assert _found(dev.conformance) == {("find_delivery_stores", *PREVIEW)}


def test_documented_errors_of_the_sandbox_fit_the_spec(sandbox):
    once = RetryPolicy(max_attempts=1)
    with session_for(sandbox, retry=once) as dev:
        with pytest.raises(APIError):
            dev.call("get_order", user_id="nobody", order_id="none")  # 400 1001
        assert dev.post(USERS, json={"user_id": "u"}).status_code == 400  # first_name: 1001
        assert dev.post(USERS, json={}).status_code == 400  # the 9999 wrapper
        token = {"client_id": "x", "client_secret": "y", "grant_type": "client_credentials"}
        assert dev.post("/v2/oauth/token", json=token).status_code == 401  # invalid_client
        sandbox.faults("dev", error_rate=1.0, error_status=503)
        try:
            assert dev.get(f"{USERS}/nobody/orders/none").status_code == 503  # code 5000
        finally:
            sandbox.reset_faults()
        assert dev.history["status"].tolist()[-5:] == [400, 400, 400, 401, 503]
        assert dev.conformance.empty, dev.conformance.to_string()


def test_an_undocumented_fault_status_is_a_finding_on_every_attempt(sandbox):
    twice = RetryPolicy(max_attempts=2, backoff=0.01)
    with session_for(sandbox, retry=twice) as dev:
        dev.auth.token()
        sandbox.faults("dev", error_rate=1.0, error_status=502)
        try:
            dev.get(f"{USERS}/nobody/orders")
        finally:
            sandbox.reset_faults()
        frame = dev.conformance
    assert _rows(frame) == {
        ("list_orders", "status", "(status)"): ("HTTP 502: the docs give no such status", 502)
    }
    assert frame["count"].tolist() == [2]  # the retried attempt was an answer too


def test_the_check_hands_its_parse_to_the_result(sandbox):
    with session_for(sandbox) as dev:
        res = dev.call("find_delivery_stores", find_by=ADDRESS)
        assert res.json is res.response._connect_kit_json
        assert res.json == res.response.json()


# A hostile live server -----------------------------------------------------------------------

ORDER = {
    "id": "o1",
    "status": "brand_new",
    "is_express": False,
    "is_instacartplus": False,
    "fulfillment_details": {"window_starts_at": "2026-01-01T10:00:00Z", "window_ends_at": "x"},
}


async def _stores(request: Request) -> Response:
    flags = {"alcohol": True, "pickup": True, "pickup_only": False}
    return json_of(
        {
            "stores": [
                {"name": "A", "location_code": "1", "flags": flags, "parking": "ample"},
                {"name": "B", "location_code": 2, "flags": flags},  # a number
                {"location_code": "3", "flags": flags},  # no name
            ]
        }
    )


async def _order(request: Request) -> Response:
    order = dict(ORDER, status="teleported")  # an open list: the API may add values
    del order["is_instacartplus"]  # the deprecated field alone
    return json_of(order)


async def _orders(request: Request) -> Response:
    if request.path_params["user_id"] == "ok":
        return json_of({"orders": [ORDER]})
    return json_of({"error": {"message": "Teapot", "code": 7777}, "meta": {}}, 418)


async def _create_user(request: Request) -> Response:
    return json_of({"user_id": "u1", "first_name": "Ana"}, 201)


async def _link(request: Request) -> Response:
    wrapper = {
        "message": "There were issues with your request",
        "code": 9999,
        "errors": [
            {"error": {"message": "bad", "code": 1001}, "meta": {"key": "a"}},
            {"error": {"message": "odd", "code": 8888}, "meta": {"key": "b"}},
        ],
    }
    return json_of({"error": wrapper, "meta": {}}, 400)


async def _cancel(request: Request) -> Response:
    answer = json_of(dict(ORDER, status="canceled"))
    answer.headers["Deprecation"] = "@1767225600"
    return answer


async def _maintenance(request: Request) -> Response:
    return PlainTextResponse("<html>no such store</html>", status_code=404)


ROUTES = [
    Route("/v2/fulfillment/stores/delivery", _stores, methods=["POST"]),
    Route("/v2/fulfillment/users/{user_id}/orders/{order_id}", _order, methods=["GET"]),
    Route("/v2/fulfillment/users/{user_id}/orders", _orders, methods=["GET"]),
    Route("/v2/fulfillment/users", _create_user, methods=["POST"]),
    Route("/v2/fulfillment/users/{user_id}/link", _link, methods=["GET"]),
    Route("/v2/fulfillment/users/{user_id}/orders/{order_id}/cancel", _cancel, methods=["POST"]),
    Route("/v2/fulfillment/stores/pickup", _maintenance, methods=["POST"]),
]


@pytest.fixture
def hostile(tmp_path) -> Iterator[ConnectSession]:
    with hostile_server(tmp_path, ROUTES, name="live") as (env, _), ConnectSession(env) as s:
        yield s


def _rows(frame: pd.DataFrame) -> dict[tuple[str, str, str], tuple[str, int]]:
    return {
        (op, kind, path): (detail, int(status))
        for op, kind, path, detail, status in zip(
            frame["operation"],
            frame["kind"],
            frame["path"],
            frame["detail"],
            frame["status"],
            strict=True,
        )
    }


def test_every_kind_of_departure_lands_with_its_path_and_detail(hostile):
    hostile.call("find_delivery_stores", find_by=ADDRESS)
    hostile.call("get_order", user_id="u1", order_id="o1")
    hostile.call("create_user", user_id="u1", first_name="Ana")
    hostile.call("list_orders", user_id="ok")
    with pytest.raises(APIError):  # the error is the caller's, as ever; the check adds rows
        hostile.call("list_orders", user_id="teapot")
    hostile.get("/v2/fulfillment/users/u1/link")
    hostile.call("cancel_order", user_id="u1", order_id="o1")
    hostile.post("/v2/fulfillment/stores/pickup", json={"find_by": {"postal_code": "94105"}})
    rows = _rows(hostile.conformance)
    expected = {
        ("find_delivery_stores", "additive", "stores[*].parking"): (
            "string, not in the spec",
            200,
        ),
        ("find_delivery_stores", "type", "stores[*].location_code"): (
            "integer where the spec has string",
            200,
        ),
        ("find_delivery_stores", "missing", "stores[*].name"): (
            "required by the spec, absent",
            200,
        ),
        ("get_order", "enum", "status"): (
            "'teleported' is not among the documented values (an open list: the API may add "
            "values)",
            200,
        ),
        ("get_order", "deprecated", "is_express"): (
            "deprecated field served without its replacement is_instacartplus",
            200,
        ),
        ("create_user", "status", "(status)"): (
            "HTTP 201: the docs give 200 for every success",
            201,
        ),
        ("list_orders", "status", "(status)"): ("HTTP 418: the docs give no such status", 418),
        ("list_orders", "status", "error.code"): ("error code 7777: not one the docs give", 418),
        ("get_user_link", "status", "error.errors[*].error.code"): (
            "error code 8888: not one the docs give",
            400,
        ),
        ("cancel_order", "deprecated", "(operation)"): (
            "the server marks it deprecated (Deprecation: @1767225600); the spec does not",
            200,
        ),
        ("find_pickup_stores", "type", "(body)"): (
            "not JSON where the spec has the error shape of the docs",
            404,
        ),
    }
    assert rows == expected
    assert set(hostile.conformance["kind"]) == set(rules.KINDS)


def test_a_finding_counts_up_once_per_operation_kind_and_path(hostile):
    for _ in range(3):
        hostile.call("find_delivery_stores", find_by=ADDRESS)
    frame = hostile.conformance
    assert len(frame) == 3 and set(frame["count"]) == {3}
    assert frame["time"].is_monotonic_increasing


def test_an_enum_value_is_a_finding_of_its_own_per_value():
    store = Conformance(10, "live")
    op = spec.get("get_order")
    for status in ("teleported", "teleported", "beamed"):
        store._add(op.name, 200, rules.findings(op, 200, dict(ORDER, status=status)))
    frame = store.frame()
    assert list(frame["detail"].str.split().str[0]) == ["'teleported'", "'beamed'"]
    assert list(frame["count"]) == [2, 1]


def test_the_findings_are_bounded_and_safe_to_read_while_threads_write():
    store = Conformance(5, "live")
    op = spec.get("find_delivery_stores")

    def write(n: int) -> None:
        for i in range(200):
            body = {"stores": [{"name": "a", "location_code": "1", "flags": {}, f"f{n}_{i}": 1}]}
            store._add(op.name, 200, rules.findings(op, 200, body))
            store.frame()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(store) == 5 and len(store.frame()) == 5


def test_a_check_that_fails_never_reaches_the_caller(hostile, monkeypatch):
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the check itself is broken")

    monkeypatch.setattr("connect_kit.client._conformance.findings", broken)
    res = hostile.call("find_delivery_stores", find_by=ADDRESS)
    assert res.status_code == 200 and len(res.records) == 3
    assert hostile.conformance.empty


def test_a_streamed_answer_is_checked_by_its_status_and_left_unread(hostile):
    answer = hostile.post(USERS, json={"user_id": "u1", "first_name": "Ana"}, stream=True)
    assert not answer._content_consumed  # the body is still the caller's to read
    assert _found(hostile.conformance) == {("create_user", "status", "(status)")}
    assert answer.json()["user_id"] == "u1"


def test_details_show_no_secret(hostile):
    op = spec.get("create_token")
    found = rules.findings(op, 200, {"access_token": 5, "expires_in": 1, "created_at": 0})
    assert found == [("type", "access_token", "integer where the spec has string (password)")]
    found = rules.findings(op, 200, {"access_token": "tok-secret", "expires_in": 1, "x": "s3"})
    assert "tok-secret" not in str(found) and "s3" not in str(found)


# The report ----------------------------------------------------------------------------------


def test_the_report_groups_by_operation_and_path_with_the_envs_side_by_side(hostile, sandbox):
    hostile.call("find_delivery_stores", find_by=ADDRESS)
    hostile.call("get_order", user_id="u1", order_id="o1")
    with session_for(sandbox) as dev:
        dev.call("find_delivery_stores", find_by=ADDRESS)
        report = ck.conformance_report(hostile, dev)
    assert report.envs == ["live", "dev"]
    assert repr(report) == "<ConformanceReport live, dev: 6 findings in 2 operations>"
    page = report._repr_html_()
    assert "<script" not in page.lower() and "<style" not in page.lower()
    header = page.index("<th")
    assert page.index(">live<", header) < page.index(">dev<", header)  # side by side
    assert page.index("<b>find_delivery_stores</b>") < page.index("<b>get_order</b>")
    assert "stores[*].time_zone" in page and "stores[*].parking" in page
    assert "&#x27;teleported&#x27;" in page  # escaped
    assert len(report.frame) == 6


def test_the_report_adds_up_sessions_of_one_env_and_reads_saved_frames(hostile):
    hostile.call("find_delivery_stores", find_by=ADDRESS)
    saved = hostile.conformance
    hostile.call("find_delivery_stores", find_by=ADDRESS)
    report = ck.conformance_report(hostile, saved)
    assert report.envs == ["live"]
    assert set(report.frame["count"]) == {3}


def test_an_empty_report_says_every_answer_fit(sandbox):
    with session_for(sandbox, "prod") as prod:
        prod.call("find_delivery_stores", find_by=ADDRESS)
        report = ck.conformance_report(prod)
    assert len(report) == 0
    assert "no finding" in report._repr_html_()
    assert repr(report) == "<ConformanceReport prod: every answer fit the spec>"


def test_the_report_is_saved_as_a_page_to_send(hostile, tmp_path):
    hostile.call("find_delivery_stores", find_by=ADDRESS)
    report = ck.conformance_report(hostile)
    page = report.save(tmp_path / "conformance.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and report._repr_html_() in page
    assert "stores[*].parking" in page and "<title>Conformance: live</title>" in page


def test_the_report_asks_for_sessions():
    with pytest.raises(ValueError, match="at least one session"):
        ck.conformance_report()
    with pytest.raises(TypeError, match="takes sessions"):
        ck.conformance_report("dev")
