"""The sandbox by name: ``sandbox:dev`` and ``sandbox:prod`` are always the embedded
instances, whatever ``.env`` holds, so that the sandbox can sit beside real servers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from helpers import ADDRESS
from hostile import hostile_server
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

import connect_kit as ck
from connect_kit import sandbox
from connect_kit.client import kind_of, resolve, sandbox_instance
from connect_kit.client._guard import environment_kind, setting_variable
from connect_kit.errors import ConfigurationError, ProdWriteRefused
from connect_kit.widgets._composer import environment_options

STORE = {"name": "Hostile Market", "location_code": "h1", "flags": {}}


@pytest.fixture
def live_dev(tmp_path, monkeypatch) -> Iterator[list[Any]]:
    """``dev`` in the process environment is a "live" server (a hostile one, with real-looking
    credentials); ``prod`` has real-looking credentials too. Yields the bodies dev received."""
    bodies: list[Any] = []

    async def stores(request: Request) -> JSONResponse:
        bodies.append(json.loads(await request.body()))
        return JSONResponse({"stores": [STORE]})

    routes = [Route("/v2/fulfillment/stores/delivery", stores, methods=["POST"])]
    monkeypatch.chdir(tmp_path)  # no .env but the process environment's
    with hostile_server(tmp_path, routes, name="live") as (env, _):
        for setting, value in {
            "URL": env.url,
            "CLIENT_ID": "real-looking-client-id",
            "CLIENT_SECRET": "real-looking-client-secret",
            "CA_BUNDLE": env.ca_bundle,
            "KIND": "production",  # dev's settings say nothing about sandbox:dev
        }.items():
            monkeypatch.setenv(f"INSTACART_DEV_{setting}", value)
        monkeypatch.setenv("INSTACART_PROD_CLIENT_ID", "real-looking-prod-id")
        monkeypatch.setenv("INSTACART_PROD_CLIENT_SECRET", "real-looking-prod-secret")
        yield bodies


def test_sandbox_dev_is_the_embedded_instance_whatever_dev_holds(live_dev):
    with ck.connect("sandbox:dev") as session:
        assert session.env.sandbox and session.env.name == "sandbox:dev"
        assert session.base_url == sandbox.running().url("dev")
        assert session.env.client_id != "real-looking-client-id"
        result = session.call("find_delivery_stores", find_by=ADDRESS)
        assert result.status_code == 200 and len(result.frame) > 1
        assert "<ConnectSession sandbox:dev (development, embedded sandbox)" in repr(session)
        assert set(session.history["env"]) == {"sandbox:dev"}
        assert result.request.env == "sandbox:dev"
    assert live_dev == []  # the live dev never heard of it
    live = resolve("dev")
    assert not live.sandbox and live.client_id == "real-looking-client-id"
    assert resolve("SANDBOX:DEV").name == "sandbox:dev"


def test_kinds_of_the_named_instances(live_dev):
    dev, prod = resolve("sandbox:dev"), resolve("sandbox:prod")
    assert (dev.kind, dev.kind_reason) == ("development", "the sandbox's dev instance")
    assert (prod.kind, prod.kind_reason) == ("production", "the sandbox's prod instance")
    assert prod.url == sandbox.running().url("prod") and prod.sandbox
    assert kind_of("sandbox:dev") == "development" and kind_of("sandbox:prod") == "production"
    assert kind_of("dev") == "production"  # as declared in the environment
    assert sandbox_instance("sandbox:prod") == "prod" and sandbox_instance("dev") is None
    assert sandbox_instance("sandbox:staging") is None


def test_a_sandbox_name_has_no_settings(live_dev, unique):
    assert setting_variable("sandbox:dev", "KIND") is None
    assert setting_variable("dev", "KIND") == "INSTACART_DEV_KIND"
    assert environment_kind("sandbox:prod", "https://127.0.0.1:1", None, "prod") == (
        "production",
        "the sandbox's prod instance",
    )
    with ck.connect("sandbox:prod") as prod:
        with pytest.raises(ProdWriteRefused) as refused:
            prod.call("create_user", user_id=f"named-{unique}", first_name="Ann")
        message = str(refused.value)
        assert "sandbox:prod" in message and "pass allow_writes=True to connect()" in message
        assert "INSTACART_" not in message  # no INSTACART_SANDBOX:PROD_... to set
        assert len(prod.history) == 0  # refused before anything was sent
    with ck.connect("sandbox:prod", allow_writes=True) as prod:
        created = prod.call("create_user", user_id=f"named-{unique}", first_name="Ann")
        assert created.status_code == 200


def test_an_unknown_instance_lists_the_names(live_dev):
    with pytest.raises(ConfigurationError, match=r"'sandbox:staging'.*sandbox:dev, sandbox:prod"):
        ck.connect("sandbox:staging")


def test_the_composer_offers_the_sandbox_beside_real_credentials(live_dev, monkeypatch):
    assert environment_options() == [
        ("dev", "dev"),
        ("prod", "prod"),
        ("sandbox:dev (sandbox)", "sandbox:dev"),
        ("sandbox:prod (sandbox)", "sandbox:prod"),
    ]
    monkeypatch.delenv("INSTACART_PROD_CLIENT_ID")
    monkeypatch.delenv("INSTACART_PROD_CLIENT_SECRET")
    assert ("prod (sandbox)", "prod") in environment_options()
    assert "sandbox:prod" not in dict(environment_options()).values()  # prod is the sandbox
    form = ck.composer("sandbox:dev", "find_delivery_stores")
    form.fields[0].widget.value = json.dumps(ADDRESS)
    result = form.submit()
    assert result is not None and result.request.env == "sandbox:dev"
    named = ck.composer("sandbox:prod", "find_delivery_stores")  # asked for by name: always
    assert named.env.value == "sandbox:prod"


def test_compare_a_named_sandbox_with_a_live_server(live_dev):
    cmp = ck.compare("find_delivery_stores", envs=("sandbox:dev", "dev"), find_by=ADDRESS)
    assert (cmp.a.env, cmp.a.kind, cmp.b.env, cmp.b.kind) == (
        "sandbox:dev",
        "sandbox",
        "dev",
        "live",
    )
    assert cmp.a.ok and cmp.b.ok and cmp.b.records == 1
    assert live_dev == [{"find_by": ADDRESS}]
    assert any("sandbox:dev is the embedded sandbox" in note for note in cmp.notes)
