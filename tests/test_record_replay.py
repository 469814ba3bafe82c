"""Record and replay: a flow recorded against a sandbox of the test's own (every exchange, as it
happens, a valid HAR 1.2 file after each call, no secret in it), the sandbox stopped, and the
same flow replayed with no network: the same Results, frames and errors. A request that was
not recorded names the closest recorded one; the rules still hold on replay.

The HAR 1.2 JSON Schema in tests/fixtures/har-schema/ is ahmadnassri/har-schema's (ISC).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pandas as pd
import pytest
import requests
from helpers import ADDRESS, PEANUT_BUTTER, SPARKLING_WATER, cart
from referencing import Registry, Resource

import connect_kit as ck
from connect_kit import _redact as redact
from connect_kit.client import ConnectSession, Environment, Recorder, recorder_of
from connect_kit.errors import (
    ConfigurationError,
    ConnectError,
    NotFoundError,
    ProdWriteRefused,
    ReplayMissError,
)
from connect_kit.sandbox import Sandbox

SCHEMAS = Path(__file__).parent / "fixtures" / "har-schema"
STORE = "000-3801"  # San Francisco: delivers to ADDRESS


def _validator() -> jsonschema.protocols.Validator:
    resources = [
        (path.name, Resource.from_contents(json.loads(path.read_text())))
        for path in SCHEMAS.glob("*.json")
    ]
    registry: Registry = Registry().with_resources(resources)
    schema = json.loads((SCHEMAS / "har.json").read_text())
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, registry=registry, format_checker=cls.FORMAT_CHECKER)


HAR = _validator()


def valid_har(path: Path) -> dict[str, Any]:
    """The recording, read as it is on disk, after checking it against the HAR 1.2 schema and
    what devtools and Postman need (text bodies, a MIME type each)."""
    document = json.loads(path.read_bytes())
    errors = sorted(HAR.iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    for entry in document["log"]["entries"]:
        post = entry["request"].get("postData")
        if post is not None:
            assert isinstance(post["text"], str) and post["mimeType"]
        content = entry["response"]["content"]
        assert isinstance(content["text"], str) and content["mimeType"]
        names = {h["name"].lower() for h in entry["request"]["headers"]}
        assert "authorization" not in names
    return document


# A sandbox of the test's own, with a client whose secret we know -----------------------------


class Secrets:
    """Every secret seen during the test: the canary client secret and each value of a
    secret-marked field in any answer parsed (tokens above all)."""

    def __init__(self, client_secret: str) -> None:
        self.client_secret = client_secret
        self.seen: set[str] = set()

    def collect(self, value: Any) -> None:
        if isinstance(value, dict):
            for name, item in value.items():
                if name in redact.secret_fields() and isinstance(item, str) and len(item) >= 8:
                    self.seen.add(item)
                else:
                    self.collect(item)
        elif isinstance(value, list):
            for item in value:
                self.collect(item)

    def every(self) -> set[str]:
        return {self.client_secret, *self.seen}


@pytest.fixture
def recorded_sandbox(monkeypatch, tmp_path) -> Iterator[tuple[Sandbox, Secrets]]:
    """A sandbox of the test's own whose dev and prod know a canary client, declared in the
    process environment as ``dev`` and ``prod``; every answer off the wire is tapped (whoever
    parses it later, and however)."""
    client_id = f"canary-{uuid.uuid4().hex[:8]}"
    secrets = Secrets(f"canary-secret-{uuid.uuid4().hex}")
    monkeypatch.chdir(tmp_path)  # no .env but ours
    send = requests.Session.send

    def tapped(session: requests.Session, request: Any, **kwargs: Any) -> Any:
        response = send(session, request, **kwargs)
        with contextlib.suppress(ValueError):
            secrets.collect(json.loads(response.content))
        return response

    monkeypatch.setattr(requests.Session, "send", tapped)
    with Sandbox(latency=False) as sb:
        for env in ("dev", "prod"):
            client = {"client_id": client_id, "secret": secrets.client_secret}
            sb.instances[env].state.put("client", client_id, client)
            for setting, value in {
                "URL": sb.url(env),
                "CLIENT_ID": client_id,
                "CLIENT_SECRET": secrets.client_secret,
                "CA_BUNDLE": sb.ca_file,
            }.items():
                monkeypatch.setenv(f"INSTACART_{env.upper()}_{setting}", value)
        yield sb, secrets


@pytest.fixture
def offline(monkeypatch) -> Callable[[], None]:
    """Call it to take the network away (and every INSTACART_ setting: no credentials)."""

    def cut() -> None:
        def refused(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError("replay opened a connection")

        monkeypatch.setattr(socket, "create_connection", refused)
        monkeypatch.setattr(socket.socket, "connect", refused)
        for name in [n for n in os.environ if n.startswith("INSTACART_")]:
            monkeypatch.delenv(name)

    return cut


# The flow --------------------------------------------------------------------------------


Step = Callable[[ConnectSession, dict[str, Any]], Any]


def _flow(user: str, order: str) -> list[tuple[str, Step]]:
    items = cart(PEANUT_BUTTER, SPARKLING_WATER)
    person = {"user_id": user, "first_name": "Ada", "phone_number": "+18005550100"}

    def slots(s: ConnectSession, seen: dict[str, Any]) -> Any:
        res = s.call(
            "list_delivery_service_options",
            user_id=user,
            location_code=STORE,
            address=ADDRESS,
            items=items,
        )
        options = res.json["service_options"]
        seen["slot"] = next(o["id"] for o in options if o["availability"]["available"])
        return res

    def hold(s: ConnectSession, seen: dict[str, Any]) -> Any:
        res = s.call("reserve_service_option", user_id=user, service_option_id=seen["slot"])
        seen["hold"] = res.json["service_option_hold"]["id"]
        return res

    def order_it(s: ConnectSession, seen: dict[str, Any]) -> Any:
        return s.call(
            "create_delivery_order",
            user_id=user,
            order_id=order,
            service_option_hold_id=seen["hold"],
            location_code=STORE,
            items=items,
            address=ADDRESS,
            initial_tip_cents=500,
        )

    def customer(s: ConnectSession, seen: dict[str, Any]) -> Any:
        with s.for_user(user) as as_user:
            return as_user.call("get_post_checkout_order", order_id=order)

    return [
        ("stores", lambda s, _: s.call("find_delivery_stores", find_by=ADDRESS)),
        ("user", lambda s, _: s.call("create_user", **person)),
        (
            "instacart user",
            lambda s, _: s.call(
                "create_instacart_user",
                email=f"{user}@example.com",
                phone="4155550199",
                password=f"canary-password-{user}",
            ),
        ),
        ("slots", slots),
        ("reserve", hold),
        ("order", order_it),
        ("get order", lambda s, _: s.call("get_order", user_id=user, order_id=order)),
        ("as the customer", customer),
        ("the same user again", lambda s, _: s.call("create_user", **person)),
        ("no such order", lambda s, _: s.call("get_order", user_id=user, order_id="nope")),
        ("plain get", lambda s, _: s.get(f"/v2/fulfillment/users/{user}/orders/{order}")),
    ]


def _outcome(step: Step, session: ConnectSession, seen: dict[str, Any]) -> dict[str, Any]:
    try:
        res = step(session, seen)
    except ConnectError as error:
        return {
            "error": type(error),
            "text": str(error),
            "status": getattr(error, "status", None),
            "code": getattr(error, "code", None),
            "body": getattr(error, "body", None),
        }
    if isinstance(res, requests.Response):
        return {"status": res.status_code, "json": res.json(), "text": res.text}
    return {"status": res.status_code, "json": res.json, "frame": res.frame, "op": res.operation}


def _same(recorded: dict[str, Any], replayed: dict[str, Any], name: str) -> None:
    assert recorded.keys() == replayed.keys(), name
    for key, value in recorded.items():
        if key == "frame":
            pd.testing.assert_frame_equal(replayed["frame"], value, obj=f"{name} frame")
        else:
            assert replayed[key] == value, f"{name}: {key}"


def _record(tmp_path: Path, user: str, order: str) -> tuple[Path, list[tuple[str, Any]]]:
    """Record the flow with ``ck.connect("dev", record=...)``, checking the file after each
    call; its path, and each step's outcome."""
    path = tmp_path / "flows" / "dev.har"  # the folder does not exist yet
    outcomes: list[tuple[str, Any]] = []
    seen: dict[str, Any] = {}
    sizes: list[int] = []
    with ck.connect("dev", record=path) as dev:
        assert recorder_of(dev) is not None and valid_har(path)["log"]["entries"] == []
        for name, step in _flow(user, order):
            outcomes.append((name, _outcome(step, dev, seen)))
            entries = valid_har(path)["log"]["entries"]  # one valid file after each call
            assert len(entries) > (sizes[-1] if sizes else 0), f"{name} was not recorded"
            sizes.append(len(entries))
    return path, outcomes


def test_a_write_that_fails_warns_and_the_next_call_writes_the_whole_file(
    recorded_sandbox, tmp_path, monkeypatch
):
    """Each call is appended at the end of the file; when that fails (a full disk), the file
    stays the last whole one, and the next call writes it whole, atomically."""
    path = tmp_path / "dev.har"
    full = OSError(28, "No space left on device")
    with ck.connect("dev", record=path) as dev:
        dev.call("find_delivery_stores", find_by=ADDRESS)  # a token call, then the call
        on_disk = path.read_text(encoding="utf-8")
        assert on_disk == recorder_of(dev).document()  # appended: what the whole would be

        def no_space(*args: Any) -> int:
            raise full

        with monkeypatch.context() as disk_full:
            disk_full.setattr(os, "pwrite", no_space)
            with pytest.warns(UserWarning, match="could not write the file .*No space left"):
                dev.call("find_pickup_stores", find_by={"postal_code": "94105"})
        assert len(valid_har(path)["log"]["entries"]) == 2  # the last good file, whole
        dev.call("find_last_mile_stores", find_by=ADDRESS)
        entries = valid_har(path)["log"]["entries"]
        assert [e["request"]["url"].rsplit("/", 1)[-1] for e in entries] == [
            "token",
            "delivery",
            "pickup",
            "last_mile",
        ]
        dev.call("find_dispatch_stores", find_by={"postal_code": "94105"})  # appended again
        assert path.read_text(encoding="utf-8") == recorder_of(dev).document()


def test_a_recorded_flow_replays_offline_with_the_same_results_frames_and_errors(
    recorded_sandbox, tmp_path, offline
):
    sandbox, _ = recorded_sandbox
    user, order = f"rr-{uuid.uuid4().hex[:8]}", f"rr-order-{uuid.uuid4().hex[:8]}"
    path, recorded = _record(tmp_path, user, order)
    errors = {name: o["error"] for name, o in recorded if "error" in o}
    assert set(errors) == {"the same user again", "no such order"}
    assert errors["no such order"] is NotFoundError
    sandbox.stop()
    offline()
    embedded = ck.sandbox.running()

    with ck.connect("dev", replay=path) as replayed:
        assert replayed.env.kind == "development" and replayed.base_url == sandbox.url("dev")
        seen: dict[str, Any] = {}
        for (name, step), (_, outcome) in zip(_flow(user, order), recorded, strict=True):
            _same(outcome, _outcome(step, replayed, seen), name)
        assert len(replayed.history) >= len(recorded)
    assert ck.sandbox.running() is embedded  # no sandbox was started to replay


def test_the_recording_holds_no_secret_and_stable_placeholders(recorded_sandbox, tmp_path):
    _, secrets = recorded_sandbox
    path, _ = _record(tmp_path, f"rs-{uuid.uuid4().hex[:8]}", f"rs-o-{uuid.uuid4().hex[:8]}")
    raw = path.read_bytes()
    assert len(secrets.seen) >= 2, "no tokens were issued: the canary would find nothing"
    leaked = sorted(f"{s[:12]}..." for s in secrets.every() if s.encode() in raw)
    assert leaked == []
    assert b"canary-password-" not in raw and b"canary-secret-" not in raw
    entries = valid_har(path)["log"]["entries"]
    by_op: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        by_op.setdefault(entry["_connectKit"]["operation"], []).append(entry)
    issued = [
        json.loads(e["response"]["content"]["text"])["access_token"] for e in by_op["create_token"]
    ]
    assert len(issued) >= 2  # the app's token and the customer's (for_user)
    assert issued[0] == "[redacted:access_token:1]" and len(set(issued)) == len(issued)
    for entry in by_op["create_token"]:
        sent = json.loads(entry["request"]["postData"]["text"])
        assert sent["client_secret"] == "[redacted:client_secret:1]"  # the same each time
    revoked = [json.loads(e["request"]["postData"]["text"])["token"] for e in by_op["revoke_token"]]
    assert revoked and set(revoked) <= set(issued)  # the same token, the same placeholder
    password = json.loads(by_op["create_instacart_user"][0]["request"]["postData"]["text"])
    assert password["password"] == "[redacted:password:1]"
    for entry in entries:
        comment = entry["request"].get("comment")
        assert comment in (None, "Authorization header left out by connect-kit")
        if entry["_connectKit"]["operation"] not in ("create_token", "revoke_token"):
            assert comment is not None


def test_a_request_that_was_not_recorded_names_the_closest_recorded_one(
    recorded_sandbox, tmp_path, offline
):
    user, order = f"rm-{uuid.uuid4().hex[:8]}", f"rm-o-{uuid.uuid4().hex[:8]}"
    path, _ = _record(tmp_path, user, order)
    recorded_sandbox[0].stop()
    offline()
    with ck.connect("dev", replay=path) as replayed:
        with pytest.raises(ReplayMissError) as miss:
            replayed.call(
                "create_user", user_id=user, first_name="Bob", phone_number="+18005550100"
            )
        assert miss.value.closest is not None
        assert miss.value.closest.endswith("POST /v2/fulfillment/users")
        assert miss.value.differences == ['body.first_name: recorded "Ada", sent "Bob"']
        assert "The closest recorded request is #" in str(miss.value)
        with pytest.raises(ReplayMissError, match="nothing was sent") as other:
            replayed.call("get_order", user_id=f"{user}-other", order_id=order)
        assert other.value.closest is not None and "/orders" in other.value.closest


def test_a_secret_sent_on_replay_stands_for_one_recorded_placeholder(
    recorded_sandbox, tmp_path, offline
):
    user, order = f"rp-{uuid.uuid4().hex[:8]}", f"rp-o-{uuid.uuid4().hex[:8]}"
    path, recorded = _record(tmp_path, user, order)
    recorded_sandbox[0].stop()
    offline()
    body = {"email": f"{user}@example.com", "phone": "4155550199"}
    with ck.connect("dev", replay=path) as replayed:
        first = replayed.call("create_instacart_user", **body, password=f"canary-password-{user}")
        assert first.json == dict(recorded)["instacart user"]["json"]
        with pytest.raises(ReplayMissError, match="a different secret") as miss:
            replayed.call("create_instacart_user", **body, password="another-password")
        assert "another-password" not in str(miss.value)
        assert miss.value.differences == [
            "body.password: a different secret than the recorded [redacted:password:1]"
        ]


def test_the_same_request_recorded_twice_is_answered_in_order_then_the_last_again(
    recorded_sandbox, tmp_path, offline
):
    path = tmp_path / "twice.har"
    user = f"rt-{uuid.uuid4().hex[:8]}"
    with ck.connect("dev", record=path) as dev:
        created = dev.call("create_user", user_id=user, first_name="Tia")
        with pytest.raises(ConnectError) as again:
            dev.call("create_user", user_id=user, first_name="Tia")
    recorded_sandbox[0].stop()
    offline()
    with ck.connect("dev", replay=path) as replayed:
        assert replayed.call("create_user", user_id=user, first_name="Tia").json == created.json
        for _ in range(2):
            with pytest.raises(type(again.value)) as replayed_error:
                replayed.call("create_user", user_id=user, first_name="Tia")
            assert str(replayed_error.value) == str(again.value)


def test_writes_to_a_recorded_production_are_refused_on_replay_unless_allowed(
    recorded_sandbox, tmp_path, offline
):
    path = tmp_path / "prod.har"
    user = f"rw-{uuid.uuid4().hex[:8]}"
    with ck.connect("prod", record=path, allow_writes=True) as prod:
        assert prod.env.kind == "production"
        created = prod.call("create_user", user_id=user, first_name="Pat")
        stores = prod.call("find_delivery_stores", find_by=ADDRESS)
    recorded_sandbox[0].stop()
    offline()
    with ck.connect("prod", replay=path) as replayed:
        assert replayed.env.kind == "production"
        pd.testing.assert_frame_equal(
            replayed.call("find_delivery_stores", find_by=ADDRESS).frame, stores.frame
        )
        with pytest.raises(ProdWriteRefused, match="refused before sending"):
            replayed.call("create_user", user_id=user, first_name="Pat")
    with ck.connect("prod", replay=path, allow_writes=True) as allowed:
        assert allowed.call("create_user", user_id=user, first_name="Pat").json == created.json
    with pytest.raises(ConfigurationError, match="a recording of 'prod'"):
        ck.connect("dev", replay=path)


def test_a_har_from_elsewhere_replays_as_production_of_its_server_unless_declared(
    recorded_sandbox, tmp_path, offline, monkeypatch
):
    path = tmp_path / "devtools.har"
    user = f"rf-{uuid.uuid4().hex[:8]}"
    with ck.connect("dev", record=path) as dev:
        stores = dev.call("find_delivery_stores", find_by=ADDRESS)
        dev.call("create_user", user_id=user, first_name="Fay")
    document = json.loads(path.read_text())
    del document["log"]["_connectKit"]
    for entry in document["log"]["entries"]:
        del entry["_connectKit"]
    path.write_text(json.dumps(document))
    recorded_sandbox[0].stop()
    offline()
    with ck.connect("dev", replay=path) as replayed:
        assert replayed.env.kind == "production"  # an unknown server: the safe side
        assert replayed.call("find_delivery_stores", find_by=ADDRESS).json == stores.json
        with pytest.raises(ProdWriteRefused, match="INSTACART_DEV_KIND=development"):
            replayed.call("create_user", user_id=user, first_name="Fay")
    monkeypatch.setenv("INSTACART_DEV_KIND", "development")
    with ck.connect("dev", replay=path) as declared:
        assert declared.env.kind == "development"
        assert declared.call("create_user", user_id=user, first_name="Fay").status_code == 200


def test_an_empty_recording_is_valid_and_replays_nothing(recorded_sandbox, tmp_path, offline):
    path = tmp_path / "empty.har"
    ck.connect("dev", record=path).close()
    assert valid_har(path)["log"]["entries"] == []
    recorded_sandbox[0].stop()
    offline()
    with ck.connect("dev", replay=path) as replayed, pytest.raises(ReplayMissError) as miss:
        replayed.call("find_delivery_stores", find_by=ADDRESS)
    assert miss.value.closest is None and "holds no request" in str(miss.value)


def test_a_bulk_pull_records_every_call_from_its_threads_and_replays(
    recorded_sandbox, tmp_path, offline
):
    path = tmp_path / "bulk.har"
    users = [{"user_id": f"rb-{uuid.uuid4().hex[:8]}", "first_name": f"B{n}"} for n in range(12)]
    with ck.connect("dev", record=path) as dev:
        pulled = dev.call_many("create_user", users, workers=6, progress=False)
    entries = valid_har(path)["log"]["entries"]
    assert sum(e["_connectKit"]["operation"] == "create_user" for e in entries) == len(users)
    recorded_sandbox[0].stop()
    offline()
    with ck.connect("dev", replay=path) as replayed:
        again = replayed.call_many("create_user", users, workers=6, progress=False)
    pd.testing.assert_frame_equal(again.frame, pulled.frame)


def test_every_secret_of_an_exchange_becomes_its_placeholder_wherever_it_shows(tmp_path):
    """An exchange made by hand: a bearer token echoed in an error message, a secret in the
    query, the client secret inside another field, cookies, and a password field."""
    env = Environment("dev", "https://connect.dev.instacart.tools", "id", "canary-secret-hand")
    recorder = Recorder(tmp_path / "hand.har", env, env.url)
    request = requests.Request(
        "POST",
        env.url + "/v2/fulfillment/users?token=query-token-hand",
        json={"password": "pw", "note": "I typed canary-secret-hand here"},
        headers={"Authorization": "Bearer bearer-token-hand", "Cookie": "sid=cookie-hand"},
    ).prepare()
    response = requests.Response()
    response.status_code, response.reason, response.request = 401, "Unauthorized", request
    response.headers = requests.structures.CaseInsensitiveDict(
        {"Content-Type": "application/json", "Set-Cookie": "sid=cookie-hand-2; Path=/"}
    )
    answer = {"error": {"message": "bearer-token-hand expired"}, "refresh_token": "rt-hand"}
    response._content = json.dumps(answer).encode()
    response.elapsed = timedelta(milliseconds=12)
    recorder.add(response, None)
    raw = (tmp_path / "hand.har").read_bytes()
    for secret in ("canary-secret-hand", "bearer-token-hand", "query-token-hand", "cookie-hand"):
        assert secret.encode() not in raw
    (entry,) = valid_har(tmp_path / "hand.har")["log"]["entries"]
    sent = json.loads(entry["request"]["postData"]["text"])
    assert sent == {
        "password": "[redacted:password:1]",
        "note": "I typed [redacted:client_secret:1] here",
    }
    assert entry["request"]["queryString"] == [{"name": "token", "value": "[redacted:token:1]"}]
    assert "query-token-hand" not in entry["request"]["url"]
    headers = {h["name"]: h["value"] for h in entry["request"]["headers"]}
    assert "Authorization" not in headers and headers["Cookie"] == "sid=[redacted]"
    assert headers["Content-Length"] == str(entry["request"]["bodySize"])
    got = json.loads(entry["response"]["content"]["text"])
    assert got == {
        "error": {"message": "[redacted:access_token:1] expired"},
        "refresh_token": "[redacted:refresh_token:1]",
    }
    shown = {h["name"]: h["value"] for h in entry["response"]["headers"]}
    assert shown["Set-Cookie"] == "sid=[redacted]"


def test_the_schema_check_finds_what_is_not_har(tmp_path):
    path = tmp_path / "broken.har"
    Recorder(path, Environment("dev", "https://example.com"), "https://example.com")
    document = json.loads(path.read_text())
    document["log"]["entries"] = [{"startedDateTime": "yesterday", "time": 1}]
    path.write_text(json.dumps(document))
    with pytest.raises(AssertionError, match=r"startedDateTime|request"):
        valid_har(path)


def test_record_and_replay_together_are_refused(tmp_path):
    with pytest.raises(ConfigurationError, match="record= and replay="):
        ck.connect("dev", record=tmp_path / "a.har", replay=tmp_path / "a.har")


def test_a_recording_that_is_not_a_har_file_says_so(tmp_path):
    path = tmp_path / "notes.har"
    path.write_text("{}")
    with pytest.raises(ConfigurationError, match="not a HAR file"):
        ck.connect("dev", replay=path)
    with pytest.raises(ConfigurationError, match="cannot read"):
        ck.connect("dev", replay=tmp_path / "missing.har")
