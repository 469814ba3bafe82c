"""The spec advises, the server decides: fields the spec does not know, against a "live"
server that has grown a new optional request field.

By default a field the spec does not know is sent with one SpecWarning (naming the field, the
operation and the spec's date), unless it looks like a typo of a known field; known fields
keep their strict checks. ``strict=True`` (per call, per session, per environment) refuses
every unknown field, ``strict=False`` checks nothing.
"""

from __future__ import annotations

import json
import traceback
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from helpers import ADDRESS, PEANUT_BUTTER
from hostile import hostile_server
from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from test_session import session_for

import connect_kit as ck
from connect_kit import spec
from connect_kit.client import _arguments as arguments
from connect_kit.client._session import ConnectSession
from connect_kit.errors import ConfigurationError, InvalidRequestError, SpecWarning
from connect_kit.spec.base import Operation, RequestModel

STORES = "/v2/fulfillment/stores/delivery"
CART = "/v2/fulfillment/users/{user_id}/service_options/cart/delivery"
LINE = {"line_num": "1", "count": 1, "item": PEANUT_BUTTER}


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch):
    """Unknown fields warn once per process: each test starts with none given."""
    monkeypatch.setattr(arguments, "_warned", set())


@pytest.fixture
def live(tmp_path) -> Iterator[tuple[Any, list[tuple[str, Any]]]]:
    """A "live" development server that accepts any optional field, and the bodies that
    reached it (path, JSON)."""
    bodies: list[tuple[str, Any]] = []

    async def stores(request: Request) -> JSONResponse:
        bodies.append((request.url.path, json.loads(await request.body())))
        return JSONResponse({"stores": []})

    async def cart(request: Request) -> JSONResponse:
        bodies.append((request.url.path, json.loads(await request.body())))
        return JSONResponse({"service_options": []})

    async def users(request: Request) -> JSONResponse:
        body = json.loads(await request.body())
        bodies.append((request.url.path, body))
        return JSONResponse({"user_id": str(body["user_id"]), "first_name": "Ann"})

    routes = [
        Route(STORES, stores, methods=["POST"]),
        Route(CART, cart, methods=["POST"]),
        Route("/v2/fulfillment/users", users, methods=["POST"]),
    ]
    with hostile_server(tmp_path, routes, name="live") as (env, _):
        yield env, bodies


def spec_warnings(caught: list[warnings.WarningMessage]) -> list[warnings.WarningMessage]:
    return [w for w in caught if issubclass(w.category, SpecWarning)]


# by default: new fields go, typos do not ------------------------------------------------


def test_a_new_optional_field_is_sent_with_one_warning_at_the_callers_line(live):
    env, bodies = live
    with ConnectSession(env) as session, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = session.call("find_delivery_stores", find_by=ADDRESS, new_optional_flag=True)
        line = traceback.extract_stack(limit=1)[0].lineno - 1
        again = session.call("find_delivery_stores", find_by=ADDRESS, new_optional_flag=False)
    assert [body for _, body in bodies] == [
        {"find_by": ADDRESS, "new_optional_flag": True},
        {"find_by": ADDRESS, "new_optional_flag": False},
    ]  # the server received the field, both times
    [warning] = spec_warnings(caught)  # once per operation and field
    message = str(warning.message)
    assert "new_optional_flag" in message and "find_delivery_stores" in message
    assert f"the spec of {spec.SPEC_DATE}" in message and spec.SPEC_DATE == "2026-12-01"
    assert (warning.filename, warning.lineno) == (__file__, line)
    assert message in first.warnings and message in again.warnings


def test_a_typo_is_refused_with_did_you_mean_before_sending(live):
    env, bodies = live
    with ConnectSession(env) as session:
        with pytest.raises(InvalidRequestError, match="did you mean postal_code") as caught:
            session.call("find_delivery_stores", find_by={"postal_cod": "94105"})
        assert caught.value.status is None and caught.value.key == "find_by.postal_cod"
        with pytest.raises(InvalidRequestError, match="did you mean find_by"):
            session.call("find_delivery_stores", find_bi=ADDRESS)
        with pytest.raises(InvalidRequestError, match="did you mean first_name"):
            session.call("create_user", user_id="u1", First_Name="Ann")  # case aside
        with pytest.raises(InvalidRequestError, match="did you mean order_id"):
            session.call("get_order", user_id="u1", order_idd="o1")  # a path parameter
    assert bodies == []


def test_closeness_has_both_sides():
    op = spec.get("find_delivery_stores")
    found = arguments.unknown_fields(
        op, {"find_by": {"postal_cod": "1", "shoe_size": 44}, "new_optional_flag": 1}
    )
    assert {u.key: u.close for u in found} == {
        "find_by.postal_cod": "postal_code",  # a typo
        "find_by.shoe_size": None,  # not one
        "new_optional_flag": None,
    }


def test_nested_unknown_fields_are_sent_and_nested_typos_refused(live):
    env, bodies = live
    address = {**ADDRESS, "appartment": "4B"}
    items = [{**LINE, "item": {**PEANUT_BUTTER, "upc_code": "x"}}]
    with ConnectSession(env) as session:
        with pytest.warns(SpecWarning) as caught:
            result = session.call(
                "list_delivery_service_options", user_id="u1", address=address, items=items
            )
        assert bodies == [
            (CART.format(user_id="u1"), {"address": address, "items": items})
        ]  # exactly what the caller gave
        named = " ".join(str(w.message) for w in caught)
        assert "address.appartment" in named and "items[].item.upc_code" in named
        assert len(result.warnings) == 2
        for wrong, close in (
            ({"address": {**ADDRESS, "postal_cod": "94105"}, "items": [LINE]}, "postal_code"),
            ({"address": ADDRESS, "items": [{**LINE, "item": {"upcc": "1"}}]}, "upc"),
            ({"address": ADDRESS, "items": [{**LINE, "cuont": 2}]}, "count"),
        ):
            with pytest.raises(InvalidRequestError, match=f"did you mean {close}"):
                session.call("list_delivery_service_options", user_id="u1", **wrong)
    assert len(bodies) == 1


def test_known_fields_keep_their_strict_checks(live):
    env, bodies = live
    with ConnectSession(env) as session:
        with pytest.raises(InvalidRequestError) as caught:
            session.call(
                "list_delivery_service_options",
                user_id="u1",
                address=ADDRESS,
                items=[{**LINE, "count": "2"}],
                new_optional_flag=True,
            )
        assert [e.key for e in caught.value.errors] == ["items[0].count"]
        with pytest.raises(InvalidRequestError, match="address_line_1: can't be blank"):
            session.call(
                "list_delivery_service_options",
                user_id="u1",
                address={"postal_code": "94105", "appartment": "4B"},
                items=[LINE],
            )
    assert bodies == []


# strict=True: every unknown field refused ------------------------------------------------


def test_strict_per_call_refuses_a_new_field_before_sending(live):
    env, bodies = live
    with ConnectSession(env) as session, warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(InvalidRequestError, match="new_optional_flag: is not a field") as e:
            session.call(
                "find_delivery_stores", find_by=ADDRESS, new_optional_flag=True, strict=True
            )
        assert "expected one of find_by" in str(e.value) and "2026-12-01" in str(e.value)
        with pytest.raises(InvalidRequestError) as nested:
            session.call(
                "list_delivery_service_options",
                user_id="u1",
                address={**ADDRESS, "appartment": "4B"},
                items=[LINE],
                strict=True,
            )
        assert nested.value.key == "address.appartment"
    assert bodies == []


def test_strict_per_session_and_the_call_may_say_otherwise(live):
    env, bodies = live
    with ConnectSession(env, strict=True) as session:
        assert session.strict is True
        with pytest.raises(InvalidRequestError, match="new_optional_flag"):
            session.call("find_delivery_stores", find_by=ADDRESS, new_optional_flag=True)
        with pytest.raises(InvalidRequestError, match="new_optional_flag"):
            session.call(  # None: the session's own
                "find_delivery_stores", find_by=ADDRESS, new_optional_flag=True, strict=None
            )
        assert bodies == []
        with session.for_user("u1") as user:
            assert user.strict is True
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            session.call(
                "find_delivery_stores", find_by=ADDRESS, new_optional_flag=True, strict=False
            )
    assert bodies[0][1]["new_optional_flag"] is True


def declare(monkeypatch, env, name: str = "LIVE", **settings: str) -> None:
    values = {
        "URL": env.url,
        "CLIENT_ID": env.client_id,
        "CLIENT_SECRET": env.client_secret,
        "CA_BUNDLE": env.ca_bundle,
        "KIND": "development",
        **settings,
    }
    for setting, value in values.items():
        monkeypatch.setenv(f"INSTACART_{name}_{setting}", value)


def test_strict_per_environment_and_per_connect(live, monkeypatch, tmp_path):
    env, bodies = live
    monkeypatch.chdir(tmp_path)
    declare(monkeypatch, env, STRICT="true")
    with ck.connect("live") as session:
        assert session.env.strict is True
        with pytest.raises(InvalidRequestError, match="new_optional_flag"):
            session.call("find_delivery_stores", find_by=ADDRESS, new_optional_flag=True)
    with ck.connect("live", strict=None) as session:  # None: the environment's setting
        assert session.strict is True
    with ck.connect("live", strict=False) as session:  # connect's own wins
        session.call("find_delivery_stores", find_by=ADDRESS, new_optional_flag=True)
    declare(monkeypatch, env, STRICT="")
    with ck.connect("live") as session:
        assert session.strict is None
    declare(monkeypatch, env, STRICT="false")
    with ck.connect("live") as session:
        assert session.strict is False
    declare(monkeypatch, env, STRICT="maybe")
    with pytest.raises(ConfigurationError, match="INSTACART_LIVE_STRICT='maybe'"):
        ck.connect("live")
    with (
        ck.connect("dev", strict=True) as sandboxed,  # the sandbox: the same for it
        pytest.raises(InvalidRequestError, match="new_optional_flag"),
    ):
        sandboxed.call("find_delivery_stores", find_by=ADDRESS, new_optional_flag=True)
    assert len(bodies) == 1


def test_strict_takes_true_false_or_none(live):
    env, bodies = live
    with (
        ConnectSession(env) as session,
        pytest.raises(ConfigurationError, match="strict must be True"),
    ):
        session.call("find_delivery_stores", find_by=ADDRESS, strict="yes")
    assert bodies == []


# strict=False: nothing checked ------------------------------------------------------------


def test_strict_false_sends_even_a_wrongly_typed_known_field(live):
    env, bodies = live
    with ConnectSession(env) as session, warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing is checked: nothing to warn of either
        result = session.call("create_user", user_id=5, first_name="Ann", strict=False)
        session.call("find_delivery_stores", find_by={"postal_cod": 94105}, strict=False)
    assert bodies == [
        ("/v2/fulfillment/users", {"user_id": 5, "first_name": "Ann"}),
        (STORES, {"find_by": {"postal_cod": 94105}}),
    ]
    assert result.warnings == []


# the sandbox decides for itself ----------------------------------------------------------


def test_the_sandbox_stays_strict_where_the_docs_say(sandbox, unique):
    with session_for(sandbox) as dev:
        with pytest.warns(SpecWarning, match="shoe_size"):
            created = dev.call("create_user", user_id=f"fc-{unique}", first_name="A", shoe_size=44)
        assert "shoe_size" not in created.json  # unknown top-level fields: ignored
        with (  # unknown fields inside find_by: the sandbox refuses them (SANDBOX.md)
            pytest.warns(SpecWarning, match="find_by.planet"),
            pytest.raises(InvalidRequestError) as caught,
        ):
            dev.call("find_delivery_stores", find_by={**ADDRESS, "planet": "Mars"})
        assert (caught.value.status, caught.value.key) == (400, "find_by.planet")
        assert caught.value.message == "is not a known field here"


# a field called strict -------------------------------------------------------------------


class _Toggle(RequestModel):
    strict: bool | None = Field(None)
    name: str


def test_an_operation_with_a_field_called_strict_takes_it_as_that_field():
    op = Operation("toggle", "POST", "/v2/toggle", "sandbox", "toggle", "t", request=_Toggle)
    _, _, payload, _ = arguments.split(op, None, {"name": "a", "strict": True}, None)
    assert payload == {"name": "a", "strict": True}  # the field, sent
    with pytest.raises(InvalidRequestError, match="did you mean name"):
        arguments.split(op, None, {"nmae": "a", "strict": True}, None)
    _, _, payload, _ = arguments.split(op, None, {"nmae": "a", "strict": True}, False)
    assert payload == {"nmae": "a", "strict": True}  # the session's False holds
