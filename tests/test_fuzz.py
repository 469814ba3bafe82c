"""Robustness: property-based fuzzing of every operation, and hand-written hostile inputs.

The fuzzer reads the sandbox's own OpenAPI document (``/openapi.json``) and sends both valid
and invalid requests to every operation over HTTPS, with a valid bearer token. Whatever it
sends, the sandbox must answer a documented status with a body that fits the documented
schema, and never a server error.
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import ssl
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
import requests
import schemathesis
from helpers import (
    ADDRESS,
    PEANUT_BUTTER,
    SPARKLING_WATER,
    Api,
    cart,
    delivery_order,
    hold,
    new_user,
)
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import response_schema_conformance

from connect_kit import spec
from connect_kit.sandbox import Sandbox

pytestmark = pytest.mark.fuzz

MAX_EXAMPLES = 100  # per operation: about a minute for the 63 operations on 2 cores


@pytest.fixture(scope="module")
def api_schema(sandbox: Sandbox) -> Any:
    """The sandbox's own OpenAPI document, as served by the dev instance."""
    config = SchemathesisConfig.from_dict(
        {
            "tls-verify": sandbox.ca_file,
            "request-timeout": 10,
            # the tests send a valid token: invalid requests are invalid elsewhere than in it
            "generation": {"with-security-parameters": False},
        }
    )
    return schemathesis.openapi.from_url(
        sandbox.url("dev") + "/openapi.json", config=config, verify=sandbox.ca_file, timeout=10
    )


@pytest.fixture(scope="module")
def wire(sandbox: Sandbox) -> Iterator[requests.Session]:
    session = requests.Session()
    session.verify = sandbox.ca_file
    session.trust_env = False  # no proxy or CA bundle from outside
    yield session
    session.close()


@pytest.fixture(scope="module")
def known(dev: Api) -> dict[str, Any]:
    """Things that exist on dev, so that some fuzzed requests reach past "not found": a user
    with a brand_new order and an acknowledged one (in a batch), a shopper, a batch, a time
    slot and an Instacart account."""
    user_id = f"fuzz-{uuid.uuid4().hex[:12]}"
    fresh = delivery_order(dev, user_id, f"{user_id}-new")
    items = cart(PEANUT_BUTTER, SPARKLING_WATER)
    body = {
        "order_id": f"{user_id}-batched",
        "service_option_hold_id": hold(dev, user_id, items=items),
        "address": ADDRESS,
        "items": items,
    }
    batched = dev.ok("POST", f"/v2/fulfillment/users/{user_id}/orders/delivery", body)
    shopper_id = dev.ok("POST", "/v2/fulfillment_sandbox/shoppers", {})["id"]
    batch = {"shopper_id": shopper_id, "orders": [{"id": batched["id"], "user_id": user_id}]}
    batch_id = dev.ok("POST", "/v2/fulfillment_sandbox/batches", batch)["id"]
    account = {"email": f"{user_id}@example.com", "phone": "4155550199", "password": "pw"}
    options = dev.ok(
        "POST",
        f"/v2/fulfillment/users/{user_id}/service_options/cart/delivery",
        {"address": ADDRESS, "items": items},
    )["service_options"]
    return {
        "user_id": user_id,
        "order_id": [fresh["id"], batched["id"]],
        "shopper_id": shopper_id,
        "batch_id": batch_id,
        "instacart_user_id": dev.ok("POST", "/v2/fulfillment_sandbox/instacart_users", account)[
            "id"
        ],
        "service_option_id": next(o["id"] for o in options if o["availability"]["available"]),
        "line_num": "1",
        "order_item_id": "1",
        # Post-checkout and frontend (``_as_user``) operations speak for one user: their cases
        # carry that user's token, of every scope a user's grant may reach (no scope asked)
        "user_token": dev.new_token(
            None,
            grant_type="fulfillment_user_assertion",
            assertion=base64.b64encode(json.dumps({"user_id": user_id}).encode()).decode(),
        ),
    }


def known_parameters(name: str, known: dict[str, Any]) -> list[dict[str, Any]]:
    """Path parameters naming things that exist, one set per known order."""
    params = spec.get(name).path_params
    if not params:
        return []
    sets = []
    for order_id in known["order_id"] if "order_id" in params else [None]:
        values = {}
        for param, kind in params.items():
            if param == "order_id":
                values[param] = order_id
            elif param == "user_id" and kind is int:  # an Instacart account
                values[param] = known["instacart_user_id"]
            else:
                values[param] = known[param]
        sets.append(values)
    return sets


def cases(operation: Any, name: str, known: dict[str, Any]) -> st.SearchStrategy:
    """The operation's documented examples, valid requests and invalid ones: some about things
    that exist, the others about anything."""
    query = {"user_id": known["user_id"]} if spec.get(name).query else None
    modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    return st.one_of(
        *operation.get_strategies_from_examples(),
        *(operation.as_strategy(mode) for mode in modes),
        *(
            operation.as_strategy(mode, path_parameters=values, query=query)
            for values in known_parameters(name, known)
            for mode in modes
        ),
    )


def with_credentials(case: Any, dev: Api) -> None:
    """Give half of the token endpoints' cases the real client credentials, so that fuzzing
    reaches past client authentication (grant types, scopes, assertions, codes)."""
    if isinstance(case.body, dict) and hashlib.sha256(repr(case.body).encode()).digest()[0] % 2:
        case.body = {**case.body, "client_id": dev.client_id, "client_secret": dev.client_secret}


@pytest.mark.parametrize("name", list(spec.OPERATIONS))
def test_no_operation_answers_a_server_error(name, api_schema, known, dev, wire):
    operation = api_schema.find_operation_by_id(name)
    answers: Counter[int] = Counter()

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(case=cases(operation, name, known))
    def fuzz(case: Any) -> None:
        if name in ("create_token", "revoke_token"):
            with_credentials(case, dev)
        as_user = spec.get(name).user_token
        token = known["user_token"] if as_user else dev.token
        response = case.call(session=wire, headers={"Authorization": f"Bearer {token}"}, timeout=10)
        answers[response.status_code] += 1
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

    fuzz()
    assert sum(answers.values()) >= min(MAX_EXAMPLES, 10), answers
    assert all(status < 500 for status in answers), answers


def test_the_fuzzer_covers_every_operation(api_schema):
    fuzzed = {
        result.ok().definition.raw["operationId"] for result in api_schema.get_all_operations()
    }
    assert fuzzed == set(spec.OPERATIONS)
    # 41 catalogued, 8 sandbox, 14 Post-checkout; 8 Recommendations; 2 Order Feedback,
    # 1 Transaction, 2 Catalog
    assert len(fuzzed) == 63 + 8 + 5


# Hand-written hostile inputs -------------------------------------------------------------

USERS = "/v2/fulfillment/users"
STORES = "/v2/fulfillment/stores/delivery"
TOKEN = "/v2/oauth/token"


def raw(api: Api, method: str, path: str, data: Any = None, **kw: Any) -> Any:
    """Send bytes as they are, labelled as JSON unless told otherwise."""
    headers = {"Content-Type": "application/json", **kw.pop("headers", {})}
    return api.request(method, path, data=data, headers=headers, **kw)


def envelope(answer: Any, status: int, code: int | None = 1001) -> tuple[str, str | None]:
    """The (message, meta key) of an error envelope, checked for status, code and shape."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    assert set(body) == {"error", "meta"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert body["error"]["code"] == code, body
    return body["error"]["message"], body["meta"].get("key")


def oauth_error(answer: Any) -> tuple[int, str]:
    assert set(answer.json()) == {"error", "error_description"}, answer.text
    assert answer.headers["Cache-Control"] == "no-store"
    return answer.status_code, answer.json()["error"]


@pytest.mark.parametrize(
    "junk", [b"{", b'{"user_id": }', b"not json", b'{"a": 1,}', b"\xef\xbb\xbf{}", b"{'a': 1}"]
)
def test_invalid_json_is_a_400_naming_the_body(dev, junk):
    message, key = envelope(raw(dev, "POST", USERS, junk), 400)
    assert message.startswith("Invalid JSON") and key == "body"


@pytest.mark.parametrize("body", [b"[]", b'[{"user_id": "x"}]', b"42", b"null", b'"x"', b"true"])
def test_a_body_that_is_not_an_object_is_refused(dev, body):
    assert envelope(raw(dev, "POST", USERS, body), 400) == ("must be a JSON object", "body")


@pytest.mark.parametrize(
    ("path", "body", "key"),
    [
        (USERS, b'{"user_id": 12, "first_name": "kamal"}', "user_id"),
        (USERS, b'{"user_id": {"a": 1}, "first_name": "kamal"}', "user_id"),
        (STORES, b'{"find_by": {"latitude": "37.79", "longitude": -122.39}}', "find_by.latitude"),
        (STORES, b'{"find_by": {"latitude": true, "longitude": -122.39}}', "find_by.latitude"),
        (STORES, b'{"find_by": {"latitude": 1e999, "longitude": 0}}', "find_by.latitude"),
        (STORES, b'{"find_by": "94105"}', "find_by"),
        (STORES, b'{"find_by": [1, 2]}', "find_by"),
        (
            "/v2/fulfillment_sandbox/batches",
            b'{"shopper_id": 1e3, "orders": [{"id": "a"}]}',
            "shopper_id",
        ),
        (
            "/v2/fulfillment_sandbox/batches",
            b'{"shopper_id": "7", "orders": [{"id": "a"}]}',
            "shopper_id",
        ),
    ],
)
def test_wrong_types_are_a_400_naming_the_field(dev, path, body, key):
    assert envelope(raw(dev, "POST", path, body), 400)[1] == key


@pytest.mark.parametrize("big", [2**63, -(2**63) - 1, 10**30])
def test_integers_beyond_64_bits_are_a_400(dev, unique, big):
    """They used to reach the handlers, and failed when an order was stored (500)."""
    user_id = f"u-{unique}"
    line = {"line_num": "1", "count": big, "item": PEANUT_BUTTER}
    body = {
        "order_id": f"o-{unique}",
        "service_option_hold_id": 1,
        "location_code": "000-3801",
        "items": [line],
    }
    answer = dev.post(f"{USERS}/{user_id}/orders/pickup", body)
    assert envelope(answer, 400)[1] == "items[0].count"
    answer = dev.put(f"{USERS}/{user_id}/orders/o-{unique}/tip", {"tip_amount_cents": big})
    assert envelope(answer, 400)[1] == "tip_amount_cents"


def test_the_largest_64_bit_integer_is_still_an_integer(dev, unique):
    new_user(dev, f"u-{unique}")
    answer = dev.put(f"{USERS}/u-{unique}/orders/o-{unique}/tip", {"tip_amount_cents": 2**63 - 1})
    assert envelope(answer, 404, 4000) == ("Order not found", "order_id")


@pytest.mark.parametrize("number", [b"1e999", b"-1e999", b"Infinity", b"NaN"])
def test_numbers_that_are_not_finite_are_a_400(dev, number):
    line = b'{"line_num": "1", "weight": ' + number + b', "item": {"upc": "000000004011"}}'
    answer = raw(dev, "POST", "/v2/fulfillment/validate_items", b'{"items": [' + line + b"]}")
    message, key = envelope(answer, 400)
    assert key == "items[0].weight", message


@pytest.mark.parametrize("digits", ["1" * 30, "9" * 5000, "-" + "9" * 40])
def test_huge_integers_in_the_body_are_a_400(dev, digits):
    body = b'{"shopper_id": ' + digits.encode() + b', "orders": [{"id": "a"}]}'
    message, key = envelope(raw(dev, "POST", "/v2/fulfillment_sandbox/batches", body), 400)
    assert key in ("shopper_id", "body"), message


def test_a_body_over_one_mebibyte_is_a_413(dev):
    huge = b'{"user_id": "' + b"x" * (2 << 20) + b'"}'
    message, key = envelope(raw(dev, "POST", USERS, huge), 413)
    assert "1 MiB" in message and key == "body"


def test_a_chunked_body_over_one_mebibyte_is_a_413(dev):
    def chunks() -> Iterator[bytes]:  # no Content-Length: the cap is counted as it streams
        yield b'{"user_id": "'
        for _ in range(40):
            yield b"x" * 65536
        yield b'"}'

    assert envelope(raw(dev, "POST", USERS, chunks()), 413)[1] == "body"


def test_a_big_body_on_the_token_endpoint_and_faults_is_a_413(dev):
    assert envelope(raw(dev, "POST", TOKEN, b" " * (2 << 20), token=None), 413)[1] == "body"
    assert envelope(raw(dev, "PUT", "/_sandbox/faults", b" " * (2 << 20)), 413)[1] == "body"


@pytest.mark.parametrize("depth", [100, 5000, 100_000])
@pytest.mark.parametrize("path", [USERS, STORES, "/v2/fulfillment/validate_items"])
def test_deeply_nested_json_is_a_400(dev, path, depth):
    arrays = b"[" * depth + b"]" * depth
    assert envelope(raw(dev, "POST", path, arrays), 400)[1] == "body"
    objects = b'{"find_by": ' + b'{"a": ' * depth + b"1" + b"}" * depth + b"}"
    answer = raw(dev, "POST", path, objects)
    assert answer.status_code == 400 and set(answer.json()) == {"error", "meta"}, answer.text


@pytest.mark.parametrize("depth", [5000, 100_000])
def test_deeply_nested_json_on_the_token_endpoint_is_an_oauth_400(dev, depth):
    answer = raw(dev, "POST", TOKEN, b"[" * depth + b"]" * depth, token=None)
    assert oauth_error(answer) == (400, "invalid_request")


@pytest.mark.parametrize(
    "body", [b'{"user_id": "\xff\xfe", "first_name": "k"}', b"\x80\x81\x82", b"\xff", b"\xc3("]
)
def test_non_utf8_bytes_are_a_400(dev, body):
    message, key = envelope(raw(dev, "POST", USERS, body), 400)
    assert message.startswith("Invalid JSON") and key == "body"


def test_non_utf8_bytes_on_the_token_endpoint_are_oauth_errors(dev):
    assert oauth_error(raw(dev, "POST", TOKEN, b"\xff\xfe", token=None)) == (
        400,
        "invalid_request",
    )
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    answer = raw(dev, "POST", TOKEN, b"client_id=\xff&client_secret=\xfe", headers=form, token=None)
    assert oauth_error(answer) == (401, "invalid_client")


def test_a_nul_character_in_a_string_is_no_server_error(dev, unique):
    answer = dev.post(USERS, {"user_id": f"nul\x00{unique}", "first_name": "k\x00"})
    assert answer.status_code in (200, 400), answer.text


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/v2",
        "/v2/fulfillment",
        "/v2/fulfillment/nowhere",
        "/v2/fulfillment/users/kamal/orders/a1/unknown",
        "/v3/fulfillment/users",
        "/v2/fulfillment/users/%2e%2e/%2e%2e/openapi.json/x",
        "/%ff%fe",
        "/v2/fulfillment/users/" + "x" * 5000 + "/nowhere",
        "/v2/fulfillment/users/",
        "/v2/fulfillment/users/kamal/link/",
        "/openapi.json/",
    ],
)
@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE", "PATCH"])
def test_unknown_paths_are_a_404_envelope(dev, path, method):
    assert envelope(dev.request(method, path), 404, 4000) == ("Not found", None)


def test_unknown_paths_are_a_404_without_a_token_too(dev):
    assert envelope(dev.get("/v2/nowhere", token=None), 404, 4000) == ("Not found", None)


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", USERS, "POST"),
        ("DELETE", USERS, "POST"),
        ("PATCH", "/v2/fulfillment/users/kamal/orders/a1", "GET, HEAD, PUT"),
        ("POST", "/v2/fulfillment/users/kamal/orders/a1", "GET, HEAD, PUT"),
        ("DELETE", "/v2/fulfillment/users/kamal/link", "GET, HEAD, POST"),
        ("GET", TOKEN, "POST"),
        ("PUT", STORES, "POST"),
        ("POST", "/openapi.json", "GET, HEAD"),
        ("DELETE", "/_sandbox/faults", "GET, HEAD, PUT"),
    ],
)
def test_wrong_methods_are_a_405_envelope_with_allow(dev, method, path, allowed):
    answer = dev.request(method, path)
    envelope(answer, 405, None)
    assert sorted(answer.headers["Allow"].split(", ")) == allowed.split(", ")


def test_a_wrong_method_needs_no_token(dev):
    answer = dev.request("DELETE", USERS, token=None)
    envelope(answer, 405, None)
    assert answer.headers["Allow"] == "POST"


@pytest.mark.parametrize(
    "value", ["9" * 19, "9" * 400, "-1", "1.5", "1e3", "0x10", "%C2%B2", "%D9%A1%D9%A2", "%20"]
)
def test_bad_integer_path_parameters_are_a_400(dev, unique, value):
    path = f"/v2/fulfillment/users/u-{unique}/service_options/{value}/reserve"
    assert envelope(dev.post(path), 400) == ("must be an integer", "service_option_id")


@pytest.mark.parametrize("path", [TOKEN, TOKEN + "/revoke"])
@pytest.mark.parametrize(
    "fields", [("client_id", "client_secret"), ("client_secret",), ("client_id",)]
)
def test_credentials_in_the_query_string_are_forbidden(dev, path, fields):
    query = {name: getattr(dev, name) for name in fields}
    body = {
        "client_id": "x",
        "client_secret": "y",
        "grant_type": "client_credentials",
        "token": "t",
    }
    answer = dev.post(path, body, params=query, token=None)
    assert oauth_error(answer) == (403, "query_params_forbidden")
    assert "security team" in answer.json()["error_description"]


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (b"{", 400, "invalid_request"),
        (b"[]", 400, "invalid_request"),
        (b"null", 400, "invalid_request"),
        (b"7", 400, "invalid_request"),
        (b'{"client_id": "nobody", "client_secret": "x"}', 401, "invalid_client"),
        (b'{"client_id": 1, "client_secret": []}', 400, "invalid_request"),
        (b'{"client_id": "x", "client_secret": "y", "grant_type": ["a"]}', 400, "invalid_request"),
        (b'{"client_id": "x", "client_secret": "y", "grant_type": {}}', 400, "invalid_request"),
        (b'{"client_id": "x", "client_secret": "y", "scope": 1}', 400, "invalid_request"),
    ],
)
def test_hostile_token_bodies_answer_oauth_errors(dev, body, status, error):
    answer = raw(dev, "POST", TOKEN, body, token=None)
    assert oauth_error(answer) == (status, error)


@pytest.mark.parametrize("field", ["grant_type", "scope", "assertion", "code", "redirect_uri"])
@pytest.mark.parametrize("value", [["client_credentials"], {"a": 1}, 7, True])
def test_token_fields_of_the_wrong_type_are_invalid_requests(dev, field, value):
    body = {
        "client_id": dev.client_id,
        "client_secret": dev.client_secret,
        "grant_type": "client_credentials",
        field: value,
    }
    answer = dev.post(TOKEN, body, token=None)
    assert oauth_error(answer) == (400, "invalid_request")
    assert answer.json()["error_description"] == f"{field} must be a string."


@pytest.mark.parametrize("value", [["t"], {"t": 1}, 7])
def test_revoke_with_a_token_of_the_wrong_type_is_an_invalid_request(dev, value):
    body = {"client_id": dev.client_id, "client_secret": dev.client_secret, "token": value}
    answer = dev.post(TOKEN + "/revoke", body, token=None)
    assert oauth_error(answer) == (400, "invalid_request")


@pytest.mark.parametrize(
    "authorization",
    [b"Bearer", b"Bearer  ", b"Basic abc", b"bearer " + b"x" * 8000, b"Bearer \xe9"],
)
def test_hostile_authorization_headers_are_a_401(dev, authorization):
    answer = dev.get(
        "/v2/fulfillment/users/u/link", token=None, headers={"Authorization": authorization}
    )
    envelope(answer, 401, None)
    assert answer.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')


@pytest.mark.parametrize("content_type", ["text/plain", "x/y", "application/xml", ""])
def test_a_body_of_another_media_type_is_a_400_not_a_crash(dev, content_type):
    answer = raw(dev, "POST", USERS, b"<user id='1'/>", headers={"Content-Type": content_type})
    message, key = envelope(answer, 400)
    assert message.startswith("Invalid JSON") and key == "body"


FAR = [
    "9999-12-31T23:00:00Z",
    "9999-12-31T23:00:00",
    "0001-01-01T00:00:00+14:00",
    "1969-12-31T23:00:00Z",
]


@pytest.mark.parametrize("moment", FAR)
def test_times_at_the_ends_of_the_calendar_are_a_400(dev, unique, moment):
    """Year 9999 plus an hour, or year 1 in UTC, overflowed inside the handlers (500)."""
    dispatch = {
        "order_id": f"o-{unique}",
        "location_code": "000-3801",
        "start_at": moment,
        "user_id": f"u-{unique}",
        "first_name": "kamal",
        "last_name": "singh",
        "user_phone": "+18005550100",
        "address": ADDRESS,
        "items_count": 3,
        "items_weight": 4.5,
    }
    answer = dev.post("/v2/fulfillment/lastmile/orders", dispatch)
    assert envelope(answer, 400)[1] == "start_at"
    preview = {"location_code": "000-3801", "earliest_option_start_at": moment}
    answer = dev.post("/v2/fulfillment/service_options/last_mile", preview)
    assert envelope(answer, 400)[1] == "earliest_option_start_at"
    window = {"starts_at": moment, "ends_at": "2030-01-01T12:00:00Z"}
    body = {"postal_code": "94105", "desired_windows": [window]}
    answer = dev.post("/v2/fulfillment/service_options/delivery", body)
    assert envelope(answer, 400)[1] == "desired_windows[0].starts_at"


def test_a_desired_window_mixing_offsets_and_local_times_is_a_400(dev):
    """One end with a UTC offset and one without could not be compared (500)."""
    window = {"starts_at": "2030-01-01T10:00:00", "ends_at": "2030-01-01T12:00:00Z"}
    body = {"postal_code": "94105", "desired_windows": [window]}
    answer = dev.post("/v2/fulfillment/service_options/delivery", body)
    message, key = envelope(answer, 400)
    assert key == "desired_windows[0]" and "UTC offset" in message


def test_earliest_option_start_at_without_an_offset_is_no_server_error(dev):
    body = {"location_code": "000-3801", "earliest_option_start_at": "2030-01-01T10:00:00"}
    answer = dev.post("/v2/fulfillment/service_options/last_mile", body)
    assert answer.status_code == 200, answer.text  # read as the store's local time
    assert answer.json()["service_options"] == []  # no slot that far ahead


def over_tls(sandbox: Sandbox, request: bytes) -> bytes:
    """Send raw bytes to dev over TLS; the answer, up to the closing of the connection."""
    context = ssl.create_default_context(cafile=sandbox.ca_file)
    host, port = sandbox.url("dev").removeprefix("https://").split(":")
    with (
        socket.create_connection((host, int(port)), timeout=10) as plain,
        context.wrap_socket(plain, server_hostname=host) as tls,
    ):
        tls.sendall(request)
        chunks = []
        while chunk := tls.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /openapi.json HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n",
        b"GET /openapi.json HTTP/9.9\r\nHost: x\r\n\r\n",
        b"\x16\x03\x01 not http at all\r\n\r\n",
        b"POST /v2/fulfillment/users HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"zz\r\n{}\r\n0\r\n\r\n",
        b"POST /v2/fulfillment/users HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n{}",
    ],
)
def test_a_request_that_is_not_http_gets_an_envelope(sandbox, request_bytes):
    answer = over_tls(sandbox, request_bytes)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 "), answer[:200]
    assert b"content-type: application/json" in head.lower()
    error = orjson.loads(body)
    assert error["error"]["message"] and error["error"]["code"] is None and error["meta"] == {}


def test_the_server_keeps_serving_after_hostile_inputs(dev):
    assert dev.get("/openapi.json", token=None).status_code == 200
    body = {"find_by": {"address_line_1": "50 Beale St", "postal_code": "94105"}}
    assert dev.ok("POST", STORES, body)["stores"]


# the OpenAPI document tells the errors that the fuzzer may meet ------------------------


def test_every_operation_documents_its_error_statuses(dev):
    document = dev.ok("GET", "/openapi.json")
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            statuses = {"400", "401", "403", "413", "429"}
            if operation["security"]:
                statuses.add("404")
            assert statuses <= set(operation["responses"]), (method, path)


def test_the_token_endpoints_document_oauth_errors(dev):
    document = dev.ok("GET", "/openapi.json")
    schemas = document["components"]["schemas"]
    for path in (TOKEN, TOKEN + "/revoke"):
        responses = document["paths"][path]["post"]["responses"]
        for status, model in (
            ("400", "OAuthErrorBody"),
            ("401", "OAuthErrorBody"),
            ("403", "OAuthErrorBody"),
            ("413", "ErrorEnvelope"),
        ):
            ref = responses[status]["content"]["application/json"]["schema"]["$ref"]
            assert ref.rsplit("/", 1)[1] == model, (path, status)
    assert set(schemas["OAuthErrorBody"]["required"]) == {"error", "error_description"}


def test_integer_path_parameters_are_documented_with_their_bounds(dev):
    document = dev.ok("GET", "/openapi.json")
    path = "/v2/fulfillment_sandbox/batches/{batch_id}/advance"
    (param,) = document["paths"][path]["post"]["parameters"]
    assert param["schema"] == {"type": "integer", "minimum": 0, "maximum": 10**18 - 1}


def test_a_request_body_is_documented_as_required_when_an_empty_one_is_refused(dev):
    document = dev.ok("GET", "/openapi.json")
    shoppers = document["paths"]["/v2/fulfillment_sandbox/shoppers"]["post"]
    assert shoppers["requestBody"]["required"] is False
    assert dev.post("/v2/fulfillment_sandbox/shoppers", None).status_code == 200
    users = document["paths"][USERS]["post"]
    assert users["requestBody"]["required"] is True
    assert dev.post(USERS, None).status_code == 400


def test_the_openapi_document_needs_no_token_and_is_valid_json(dev):
    answer = dev.get("/openapi.json", token=None)
    assert answer.status_code == 200
    assert orjson.loads(answer.content)["openapi"].startswith("3.1")
