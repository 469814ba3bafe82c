"""The sandbox can be trusted as a server: clients that leave are not errors, fault values are
bounded, and only the instance's own application may read or change its faults.

Timing is never asserted, except as bounds that only a hang would break.
"""

from __future__ import annotations

import base64
import json
import logging
import socket
import ssl
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
import requests
from helpers import Api, error_of, new_user

from connect_kit import cli
from connect_kit.sandbox import FaultSettings, Sandbox

USERS = "/v2/fulfillment/users"
STORES = "/v2/fulfillment/stores/pickup"
NEAR = {"find_by": {"postal_code": "94105"}}
FAULTS = "/_sandbox/faults"
OWN_TOKEN_NEEDED = "client-credentials token of this instance"


# clients that leave mid-request -----------------------------------------------------------


def raw_request(sandbox: Sandbox, env: str, head: str, body: bytes) -> None:
    """Send a request head and some body bytes over TLS, then close without reading."""
    url = urlsplit(sandbox.url(env))
    host, port = url.hostname or "127.0.0.1", url.port or 443
    context = ssl.create_default_context(cafile=sandbox.ca_file)
    with (
        socket.create_connection((host, port), timeout=10) as plain,
        context.wrap_socket(plain, server_hostname=host) as tls,
    ):
        tls.sendall(head.encode() + body)


def post_head(api: Api, path: str, content_length: int, method: str = "POST") -> str:
    return (
        f"{method} {path} HTTP/1.1\r\n"
        f"Host: {urlsplit(api.url).netloc}\r\n"
        f"Authorization: Bearer {api.token}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {content_length}\r\n\r\n"
    )


def sandbox_has_spoken(caplog: pytest.LogCaptureFixture, timeout: float = 10.0) -> bool:
    """Wait until the sandbox or its server logged anything (a note or an error): the sign
    that it has dealt with the departed client. A bound that only a hang would reach."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(r.name.startswith(("connect_kit", "uvicorn")) for r in caplog.records):
            return True
        time.sleep(0.01)
    return False


def assert_quiet(caplog: pytest.LogCaptureFixture) -> None:
    """No ERROR record on any logger, and no traceback anywhere."""
    loud = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not loud, [f"{r.name} {r.levelname}: {r.getMessage()}" for r in loud]


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every logger's warnings and errors, and the sandbox's own notes down to DEBUG."""
    caplog.set_level(logging.DEBUG, logger="connect_kit.sandbox")
    return caplog


def test_a_client_that_disconnects_mid_body_is_not_an_internal_error(sandbox, dev, logs, unique):
    raw_request(sandbox, "dev", post_head(dev, USERS, 1000), b'{"user_id": "')
    assert sandbox_has_spoken(logs)
    assert_quiet(logs)
    assert new_user(dev, f"after-disconnect-{unique}")["user_id"]  # it keeps serving


def test_a_client_that_disconnects_mid_body_on_the_faults_endpoint_is_quiet(sandbox, dev, logs):
    raw_request(sandbox, "dev", post_head(dev, FAULTS, 1000, "PUT"), b'{"latency_ms"')
    assert sandbox_has_spoken(logs)
    assert_quiet(logs)
    assert sandbox.faults("dev") == FaultSettings()
    assert dev.get(FAULTS).status_code == 200


def test_a_client_that_leaves_during_a_latency_fault_is_not_an_internal_error(
    sandbox, dev, logs, unique
):
    body = json.dumps(
        {"user_id": f"gone-{unique}", "first_name": "kamal", "phone_number": "+18005550100"}
    ).encode()
    sandbox.faults("dev", latency_ms=200)
    raw_request(sandbox, "dev", post_head(dev, USERS, len(body)), body)  # all sent, then gone
    assert sandbox_has_spoken(logs)
    assert_quiet(logs)
    sandbox.reset_faults("dev")
    assert new_user(dev, f"after-latency-{unique}")["user_id"]


# fault values are bounded -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "allowed"),
    [
        ("latency_ms", 1e12, "at most 60,000 ms"),
        ("latency_ms", 60_000.5, "at most 60,000 ms"),
        ("jitter_ms", 60_001, "at most 60,000 ms"),
        ("retry_after", 1_000_001, "at most 1,000,000 s"),
        ("rate_limit", 1e12, "at most 1,000,000 requests a second"),
        ("token_lifetime", 1e300, "at most 315,360,000 s"),
    ],
)
def test_fault_values_beyond_their_bound_are_refused(sandbox, name, value, allowed):
    before = sandbox.faults("dev")
    with pytest.raises(ValueError) as refused:
        sandbox.faults("dev", **{name: value})
    message = str(refused.value)
    assert f"fault {name} " in message and allowed in message and repr(value) in message
    assert sandbox.faults("dev") == before


def test_every_fault_has_a_bound():
    too_big = {name: 1e15 for name in FaultSettings.names() if name != "error_status"}
    for name, value in too_big.items():
        with pytest.raises(ValueError, match=name):
            FaultSettings(**{name: value})
    with pytest.raises(ValueError, match="error_status"):
        FaultSettings(error_status=10**15)


def test_fault_bounds_themselves_are_allowed(sandbox):
    most = {
        "latency_ms": 60_000,
        "jitter_ms": 60_000,
        "retry_after": 1_000_000,
        "rate_limit": 1_000_000,
        "token_lifetime": 315_360_000,
    }
    assert vars(sandbox.faults("dev", **most)).items() >= most.items()


def test_a_huge_latency_is_refused_over_http(sandbox, dev):
    answer = dev.put(FAULTS, {"latency_ms": 1e12})
    status, message, code, key = error_of(answer)
    assert (status, code, key) == (400, 1001, "body")
    assert "latency_ms" in message and "at most 60,000 ms" in message
    assert sandbox.faults("dev").latency_ms == 0
    assert dev.post(STORES, NEAR, timeout=10).status_code == 200  # and nothing hangs


def test_the_cli_refuses_a_huge_latency_in_one_line(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)  # its state folder, .connect-kit/, would go here
    # were it accepted, the sandbox would start: stop it at once instead of serving forever
    monkeypatch.setattr(Sandbox, "serve_forever", Sandbox.stop)
    monkeypatch.setattr("signal.signal", lambda *args: None)
    code = cli.main(["sandbox", "--no-latency", "--latency-ms", "1e12"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "latency_ms" in err and "at most 60,000 ms" in err


def test_a_small_rate_limit_still_lets_a_first_request_through():
    with Sandbox(latency=False, faults={"dev": {"rate_limit": 0.013}}) as sb:
        api = Api(sb, "dev")  # the token request is the first of its address's window
        assert api.post(STORES, NEAR).status_code == 200  # the first of the client's window
        assert api.post(STORES, NEAR).status_code == 429  # the next one is 77 s away


# only the instance's own application may touch its faults ---------------------------------


def user_token(api: Api, user_id: str) -> str:
    """A Post-checkout token (grant fulfillment_user_assertion) of a new user."""
    new_user(api, user_id)
    assertion = base64.b64encode(json.dumps({"user_id": user_id}).encode()).decode()
    answer = api.http.post(
        api.url + "/v2/oauth/token",
        json={
            "client_id": api.client_id,
            "client_secret": api.client_secret,
            "grant_type": "fulfillment_user_assertion",
            "assertion": assertion,
            "scope": "connect:post_checkout",
        },
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def linking_token(api: Api, unique: str) -> str:
    """An account-linking token (grant authorization_code) of a new Instacart user."""
    account = {"email": f"{unique}@example.com", "phone": "4155550142", "password": "pw"}
    instacart = api.ok("POST", "/v2/fulfillment_sandbox/instacart_users", account)["id"]
    redirect = "https://example.com/cb"
    code = api.ok(
        "POST",
        f"/v2/fulfillment_sandbox/instacart_users/{instacart}/authorize",
        {"redirect_uri": redirect, "scope": "account_linking"},
    )["code"]
    answer = api.http.post(
        api.url + "/v2/oauth/token",
        json={
            "client_id": api.client_id,
            "client_secret": api.client_secret,
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect,
        },
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def assert_refused(answer: requests.Response) -> None:
    status, message, code, _ = error_of(answer)
    assert (status, code) == (403, None)
    assert OWN_TOKEN_NEEDED in message


TOKENS: dict[str, Callable[[Api, Sandbox, str], str]] = {
    "post-checkout user": lambda api, sb, unique: user_token(api, f"faults-{unique}"),
    "account linking": lambda api, sb, unique: linking_token(api, unique),
    "another client": lambda api, sb, unique: another_client_token(api, sb),
}


def another_client_token(api: Api, sandbox: Sandbox) -> str:
    """A client-credentials token of a second OAuth application of the same instance."""
    other = Api(sandbox, api.env)
    other.client_id, other.client_secret = sandbox.create_client(api.env)
    return other.new_token()


@pytest.mark.parametrize("kind", list(TOKENS))
def test_only_the_instances_own_client_token_may_change_faults(sandbox, dev, unique, kind):
    token = TOKENS[kind](dev, sandbox, unique)
    assert_refused(dev.put(FAULTS, {"error_rate": 1.0}, token=token))
    assert sandbox.faults("dev") == FaultSettings()
    assert dev.post(STORES, NEAR).status_code == 200


@pytest.mark.parametrize("kind", list(TOKENS))
def test_only_the_instances_own_client_token_may_read_faults(sandbox, dev, unique, kind):
    assert_refused(dev.get(FAULTS, token=TOKENS[kind](dev, sandbox, unique)))


def test_the_instances_own_client_token_still_reads_and_changes_faults(sandbox, dev):
    for scope in (None, "connect:recommendations"):
        token = dev.new_token(scope)
        answer = dev.put(FAULTS, {"latency_ms": 1}, token=token)
        assert answer.status_code == 200 and answer.json()["latency_ms"] == 1
        assert dev.get(FAULTS, token=token).json()["latency_ms"] == 1
