"""Faults on demand, on a running sandbox: latency, 429s, server errors, drops, early expiry.

Timing is only ever checked as a lower bound: a slow machine can make answers slower than
asked, never faster.
"""

from __future__ import annotations

import math
import time
from typing import Any

import pytest
import requests
from helpers import Api, error_of

from connect_kit.sandbox import FaultSettings, Sandbox

LINK = "/v2/fulfillment/users/nobody/link"  # a cheap authenticated call (400 User Not Found)
STORES = "/v2/fulfillment/stores/pickup"
NEAR = {"find_by": {"postal_code": "94105"}}


def timed(call: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    answer = call()
    return time.perf_counter() - started, answer


def answered(api: Api) -> int:
    """The status of one cheap call that reaches the handlers."""
    return api.post(STORES, NEAR).status_code


# latency ----------------------------------------------------------------------------------


def test_latency_delays_every_answer_by_at_least_that_much(sandbox, dev):
    settings = sandbox.faults("dev", latency_ms=150)
    assert settings.latency_ms == 150
    for call in (lambda: dev.post(STORES, NEAR), lambda: dev.get(LINK)):
        elapsed, answer = timed(call)
        assert answer.status_code in (200, 400)
        assert elapsed >= 0.150


def test_latency_with_jitter_stays_above_its_lower_bound(sandbox, dev):
    sandbox.faults("dev", latency_ms=120, jitter_ms=40)
    for _ in range(5):
        elapsed, answer = timed(lambda: dev.post(STORES, NEAR))
        assert answer.status_code == 200
        assert elapsed >= 0.080


def test_latency_also_delays_the_token_endpoint(sandbox, dev):
    sandbox.faults("dev", latency_ms=100)
    elapsed, token = timed(dev.new_token)
    assert token and elapsed >= 0.100


# rate limit -------------------------------------------------------------------------------


def until_limited(api: Api, tries: int = 50) -> Any:
    """Call until a 429 comes (with rate_limit=1 the second call of a second is refused)."""
    for _ in range(tries):
        answer = api.post(STORES, NEAR)
        if answer.status_code == 429:
            return answer
        assert answer.status_code == 200, answer.text
    raise AssertionError(f"no 429 in {tries} calls")


def test_rate_limit_answers_429_with_retry_after(sandbox, dev):
    sandbox.faults("dev", rate_limit=1, retry_after=7)
    answer = until_limited(dev)
    assert answer.headers["Retry-After"] == "7"
    assert answer.json() == {"error": {"message": "Too many requests", "code": None}, "meta": {}}
    time.sleep(1.05)  # a new one-second window
    assert answered(dev) == 200


@pytest.mark.parametrize(
    ("retry_after", "header"),
    [(0.5, "0.5"), (0.25, "0.25"), (3600, "3600"), (1_000_000, "1000000"), (0, "0")],
)
def test_retry_after_is_a_plain_number_of_seconds(sandbox, dev, retry_after, header):
    sandbox.faults("dev", rate_limit=1, retry_after=retry_after)
    assert until_limited(dev).headers["Retry-After"] == header


def test_a_rate_limit_below_one_a_second_still_lets_some_through(sandbox, dev):
    sandbox.faults("dev", rate_limit=0.5)  # one request every two seconds
    until_limited(dev)
    time.sleep(2.05)
    assert answered(dev) == 200


def test_rate_limit_is_per_client():
    with Sandbox(latency=False) as sb:
        first = Api(sb, "dev")
        client_id, client_secret = sb.create_client("dev")
        second = Api(sb, "dev")
        second.client_id, second.client_secret = client_id, client_secret
        second.token = second.new_token()
        sb.faults("dev", rate_limit=1)
        until_limited(first)
        assert answered(second) == 200  # its own window: the first call always passes
        assert until_limited(second).status_code == 429
        prod = Api(sb, "prod")  # and the other instance has no limit at all
        assert all(answered(prod) == 200 for _ in range(5))


def test_rate_limit_counts_token_requests_too(sandbox, dev):
    sandbox.faults("dev", rate_limit=1)
    body = {
        "client_id": dev.client_id,
        "client_secret": dev.client_secret,
        "grant_type": "client_credentials",
    }
    statuses = set()
    for _ in range(50):
        answer = dev.post("/v2/oauth/token", body, token=None)
        statuses.add(answer.status_code)
        if answer.status_code == 429:
            assert error_of(answer)[:3] == (429, "Too many requests", None)
            assert answer.headers["Retry-After"] == "1"
            break
    assert 429 in statuses


# server errors ----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_error_rate_one_answers_the_configured_status(sandbox, dev, prod, status):
    sandbox.faults("dev", error_rate=1.0, error_status=status)
    for call in (
        lambda: dev.post(STORES, NEAR),
        lambda: dev.get(LINK),
        lambda: dev.post("/v2/fulfillment_sandbox/shoppers", {}),
        lambda: dev.post("/v2/oauth/token", {}, token=None),
    ):
        answer = call()
        assert answer.status_code == status
        body = answer.json()
        assert body["error"]["code"] == 5000 and body["error"]["message"]
        assert body["meta"] == {}
    assert answered(prod) == 200  # a fault set on dev does not affect prod


def test_error_rate_defaults_to_503(sandbox, dev):
    assert sandbox.faults("dev", error_rate=1.0).error_status == 503
    assert error_of(dev.post(STORES, NEAR))[0::2] == (503, 5000)


def test_error_rate_zero_and_reset_serve_again(sandbox, dev):
    sandbox.faults("dev", error_rate=1.0)
    assert answered(dev) == 503
    sandbox.faults("dev", error_rate=0.0)
    assert answered(dev) == 200


def test_a_partial_error_rate_fails_some_requests(sandbox, dev):
    sandbox.faults("dev", error_rate=0.5, error_status=502)
    statuses = {answered(dev) for _ in range(60)}
    assert statuses == {200, 502}


# dropped connections ----------------------------------------------------------------------


def test_drop_rate_one_closes_the_connection_without_an_answer(sandbox, dev, prod):
    sandbox.faults("dev", drop_rate=1.0)
    for _ in range(3):
        with pytest.raises(requests.ConnectionError):
            dev.post(STORES, NEAR)
    with requests.Session() as fresh, pytest.raises(requests.ConnectionError):
        fresh.post(
            dev.url + STORES,
            json=NEAR,
            headers={"Authorization": f"Bearer {dev.token}"},
            verify=sandbox.ca_file,
            timeout=10,
        )
    assert answered(prod) == 200
    sandbox.reset_faults("dev")
    assert answered(dev) == 200  # the server keeps serving
    assert dev.get("/openapi.json").status_code == 200


def test_faults_can_be_turned_off_over_http_while_dropping(sandbox, dev):
    sandbox.faults("dev", drop_rate=1.0, error_rate=1.0)
    answer = dev.put("/_sandbox/faults", {"drop_rate": 0, "error_rate": 0})
    assert answer.status_code == 200
    assert answered(dev) == 200


# early token expiry -----------------------------------------------------------------------


def test_token_lifetime_makes_new_tokens_die_early(sandbox, dev):
    sandbox.faults("dev", token_lifetime=30)
    answer = dev.post(
        "/v2/oauth/token",
        {
            "client_id": dev.client_id,
            "client_secret": dev.client_secret,
            "grant_type": "client_credentials",
        },
        token=None,
    )
    assert answer.json()["expires_in"] == 86400  # still announces a day
    token = answer.json()["access_token"]
    assert dev.get(LINK, token=token).status_code == 400  # alive: User Not Found
    sandbox.advance_clock("dev", 31)
    try:
        expired = dev.get(LINK, token=token)
        assert error_of(expired)[:3] == (401, "The access token expired", None)
        assert "invalid_token" in expired.headers["WWW-Authenticate"]
        assert dev.get(LINK).status_code == 400  # tokens issued before the fault live on
    finally:
        sandbox.advance_clock("dev", -31)


def test_token_lifetime_zero_gives_tokens_that_are_dead_at_once(sandbox, dev):
    sandbox.faults("dev", token_lifetime=0)
    token = dev.new_token()
    assert error_of(dev.get(LINK, token=token))[:2] == (401, "The access token expired")


def test_token_lifetime_never_lengthens_a_token():
    with Sandbox(latency=False, token_ttl=60, faults={"dev": {"token_lifetime": 3600}}) as sb:
        api = Api(sb, "dev")
        sb.advance_clock("dev", 61)
        assert error_of(api.get(LINK))[:2] == (401, "The access token expired")


# changing faults --------------------------------------------------------------------------


def test_faults_change_while_running_and_read_back(sandbox):
    settings = sandbox.faults("dev", latency_ms=5, rate_limit=100)
    assert isinstance(settings, FaultSettings)
    assert (settings.latency_ms, settings.rate_limit) == (5, 100)
    again = sandbox.faults("dev")  # no changes: read only
    assert again == settings
    assert sandbox.faults("dev", latency_ms=0).rate_limit == 100  # others are kept
    assert sandbox.faults("prod") == FaultSettings()


def test_faults_over_http_with_a_bearer_token(sandbox, dev, prod):
    answer = dev.put("/_sandbox/faults", {"error_rate": 1.0, "error_status": 504})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["error_rate"], body["error_status"]) == (1.0, 504)
    assert set(body["names"]) == set(FaultSettings.names())
    assert answered(dev) == 504
    assert answered(prod) == 200
    assert sandbox.faults("dev").error_status == 504
    assert dev.get("/_sandbox/faults").json()["error_rate"] == 1.0
    assert prod.get("/_sandbox/faults").json()["error_rate"] == 0.0


def test_faults_over_http_need_a_valid_token(dev):
    for token in (None, "nope"):
        answer = dev.put("/_sandbox/faults", {"error_rate": 1.0}, token=token)
        assert answer.status_code == 401
        assert "WWW-Authenticate" in answer.headers
    assert dev.get("/_sandbox/faults").json()["error_rate"] == 0.0


def test_faults_over_http_accept_any_scope(dev):
    token = dev.new_token("connect:recommendations")
    answer = dev.put("/_sandbox/faults", {"latency_ms": 1}, token=token)
    assert answer.status_code == 200 and answer.json()["latency_ms"] == 1


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"latency_ms": -1}, "latency_ms must be a number >= 0"),
        ({"latency_ms": "fast"}, "latency_ms must be a number >= 0"),
        ({"latency_ms": True}, "latency_ms must be a number >= 0"),
        ({"jitter_ms": None}, "jitter_ms must be a number >= 0"),
        ({"retry_after": -0.5}, "retry_after must be a number >= 0"),
        ({"error_rate": 1.5}, "error_rate must be between 0 and 1"),
        ({"error_rate": "half"}, "error_rate must be between 0 and 1"),
        ({"drop_rate": -0.1}, "drop_rate must be between 0 and 1"),
        ({"drop_rate": True}, "drop_rate must be between 0 and 1"),
        ({"rate_limit": 0}, "rate_limit must be > 0 or None"),
        ({"rate_limit": "10"}, "rate_limit must be > 0 or None"),
        ({"error_status": 404}, "error_status must be 500, 502, 503 or 504"),
        ({"error_status": "503"}, "error_status must be 500, 502, 503 or 504"),
        ({"error_status": 503.0}, "error_status must be 500, 502, 503 or 504"),
        ({"token_lifetime": -1}, "token_lifetime must be a number of seconds >= 0"),
        ({"token_lifetime": "1h"}, "token_lifetime must be a number of seconds >= 0"),
        ({"latency": 5}, "unknown fault(s) ['latency']; expected some of"),
    ],
)
def test_invalid_faults_are_refused_with_a_clear_error(sandbox, dev, changes, says):
    before = sandbox.faults("dev")
    with pytest.raises(ValueError) as refused:
        sandbox.faults("dev", **changes)
    assert says in str(refused.value)
    answer = dev.put("/_sandbox/faults", changes)
    status, message, code, key = error_of(answer)
    assert (status, code, key) == (400, 1001, "body")
    assert says in message
    assert sandbox.faults("dev") == before  # nothing changed


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_numbers_are_refused(sandbox, value):
    for name in ("latency_ms", "jitter_ms", "retry_after", "error_rate", "drop_rate"):
        with pytest.raises(ValueError, match=name):
            sandbox.faults("dev", **{name: value})
    for name in ("rate_limit", "token_lifetime"):
        with pytest.raises(ValueError, match=name):
            sandbox.faults("dev", **{name: value})


def test_faults_over_http_refuse_bodies_that_are_not_objects(dev):
    for body in (b"[]", b"{", b"null", b"\xff"):
        answer = dev.put(
            "/_sandbox/faults", data=body, headers={"Content-Type": "application/json"}
        )
        status, _, _, key = error_of(answer)
        assert (status, key) == (400, "body"), body


def test_faults_for_an_unknown_environment_are_refused(sandbox):
    with pytest.raises(ValueError, match="staging"):
        sandbox.faults("staging", latency_ms=1)


# at start, and reset ----------------------------------------------------------------------


def test_faults_given_at_start():
    faults = {"dev": {"error_rate": 1.0, "error_status": 502}, "prod": {"latency_ms": 50}}
    with Sandbox(latency=False, faults=faults) as sb:
        refused = requests.post(
            sb.url("dev") + "/v2/oauth/token", json={}, verify=sb.ca_file, timeout=10
        )
        assert error_of(refused)[0::2] == (502, 5000)
        elapsed, prod = timed(lambda: Api(sb, "prod"))
        assert elapsed >= 0.050
        elapsed, status = timed(lambda: answered(prod))
        assert status == 200 and elapsed >= 0.050
        sb.reset_faults()
        assert answered(Api(sb, "dev")) == 200
        assert sb.faults("prod") == FaultSettings()


@pytest.mark.parametrize(
    "faults",
    [
        {"staging": {"latency_ms": 1}},
        {"dev": {"latency": 1}},
        {"dev": {"error_rate": 2}},
    ],
)
def test_invalid_faults_at_start_are_refused(faults):
    with pytest.raises(ValueError):
        Sandbox(latency=False, faults=faults)


def test_reset_faults_turns_everything_off(sandbox, dev, prod):
    for env in ("dev", "prod"):
        sandbox.faults(env, latency_ms=1, rate_limit=1000, error_rate=1.0, token_lifetime=5)
    sandbox.reset_faults("dev")
    assert sandbox.faults("dev") == FaultSettings()
    assert sandbox.faults("prod").error_rate == 1.0  # only the one asked for
    assert answered(dev) == 200
    assert answered(prod) == 503
    sandbox.reset_faults()
    assert sandbox.faults("prod") == FaultSettings()
    assert answered(prod) == 200


def test_a_fault_on_dev_does_not_affect_prod(sandbox, dev, prod):
    sandbox.faults("dev", error_rate=1.0, drop_rate=0.0, rate_limit=1, token_lifetime=0)
    assert sandbox.faults("prod") == FaultSettings()
    for _ in range(5):
        assert answered(prod) == 200
    assert prod.get(LINK, token=prod.new_token()).status_code == 400  # a normal token
