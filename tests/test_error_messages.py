"""Errors that say what to fix, from real failures over HTTPS: each names the environment,
the host, the reason and the ``.env`` key to change, and never a secret.

The failures are real: a port with nothing listening, a name in the reserved ``.invalid``
domain, a server that accepts and never answers, a certificate from another CA, and the
sandbox refusing a bad secret, a scope, an app token on Post-checkout, and its sandbox API on
its prod instance.
"""

from __future__ import annotations

import errno
import socket
import ssl
from dataclasses import replace
from pathlib import Path

import pytest
import requests
import trustme
from helpers import ADDRESS
from hostile import bearer, hostile_server, json_of, silent_server
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from test_session import session_for
from urllib3.exceptions import MaxRetryError

import connect_kit as ck
from connect_kit.client import instance_environment
from connect_kit.client._config import Environment
from connect_kit.client._diagnosis import transport_reason
from connect_kit.client._retry import RetryPolicy
from connect_kit.client._session import ConnectSession
from connect_kit.errors import (
    AuthenticationError,
    ConfigurationError,
    ConnectError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    TransportError,
)
from connect_kit.sandbox import Sandbox

FIND = {"find_by": ADDRESS}
SECRET = "canary-secret-3f9d2c71e5a84b06"  # must never show in any message
ONCE = RetryPolicy(sleep=lambda seconds: None, max_attempts=1)


def shown(error: BaseException) -> str:
    """Everything a user can see of an error; checked for the secret each time."""
    text = f"{error}\n{error!r}"
    assert SECRET not in text
    return text


def live(name: str, url: str, ca_file: str | Path | None = None) -> Environment:
    """A live (not embedded) development environment with the canary secret."""
    return Environment(
        name,
        url,
        "id",
        SECRET,
        ca_bundle=str(ca_file) if ca_file else None,
        kind="development",
        kind_reason="declared by the test",
    )


def free_port() -> int:
    """A loopback port that nothing listens on (bound, then let go)."""
    with socket.create_server(("127.0.0.1", 0)) as sock:
        return sock.getsockname()[1]


# -- transport and TLS ---------------------------------------------------------------------


def test_a_port_with_nothing_listening_is_connection_refused(sandbox):
    port = free_port()
    env = live("dev", f"https://127.0.0.1:{port}", sandbox.ca_file)
    with ConnectSession(env, retry=ONCE) as dev, pytest.raises(TransportError) as caught:
        dev.call("find_delivery_stores", **FIND)
    text = shown(caught.value)
    assert caught.value.reason == "connection refused" and not caught.value.sent
    assert caught.value.setting == "INSTACART_DEV_URL"
    assert text.startswith("dev: could not connect to ")
    assert f"127.0.0.1:{port}" in text and "connection refused" in text
    assert "Check INSTACART_DEV_URL in .env" in text


def test_an_unknown_host_name_is_name_not_found():
    env = live("dev", "https://connect-kit-test.invalid")  # .invalid never resolves (RFC 6761)
    with ConnectSession(env, retry=ONCE) as dev, pytest.raises(TransportError) as caught:
        dev.call("find_delivery_stores", **FIND)
    text = shown(caught.value)
    # "name not found" when DNS answers that no such name exists; a machine with no DNS at
    # all cannot tell, and says the lookup failed
    assert caught.value.reason in ("name not found", "name lookup failed")
    assert caught.value.reason in text and "connect-kit-test.invalid" in text
    assert "INSTACART_DEV_URL" in text and caught.value.setting == "INSTACART_DEV_URL"
    assert not caught.value.sent


def test_a_server_that_never_answers_is_timed_out(tmp_path):
    with silent_server(tmp_path) as env:
        policy = RetryPolicy(sleep=lambda seconds: None, max_attempts=1, deadline=1.0)
        with ConnectSession(env, retry=policy) as dev, pytest.raises(TransportError) as caught:
            dev.call("find_delivery_stores", **FIND)
    text = shown(caught.value)
    assert caught.value.reason == "timed out" and "timed out" in text
    assert text.startswith("dev: ") and urlhost(env) in text
    assert "INSTACART_DEV_URL" in text and caught.value.setting == "INSTACART_DEV_URL"


def urlhost(env: Environment) -> str:
    return env.url.removeprefix("https://")


def test_a_certificate_from_another_ca_is_not_trusted(sandbox, tmp_path):
    other_ca = tmp_path / "other.pem"
    trustme.CA().cert_pem.write_to_path(str(other_ca))
    env = live("dev", sandbox.url("dev"), other_ca)
    with ConnectSession(env, retry=ONCE) as dev, pytest.raises(TransportError) as caught:
        dev.call("find_delivery_stores", **FIND)
    text = shown(caught.value)
    assert caught.value.reason == "certificate not trusted" and not caught.value.sent
    assert text.startswith(f"dev: TLS failed with {urlhost(env)}")
    assert "certificate not trusted" in text
    assert "INSTACART_DEV_CA_BUNDLE=/path/to/ca.pem" in text and str(other_ca) in text
    assert caught.value.setting == "INSTACART_DEV_CA_BUNDLE"


def test_the_embedded_instance_by_name_has_no_setting_to_change(tmp_path):
    stopped = Sandbox(tmp_path, latency=False)
    env = replace(instance_environment(stopped, "dev"), name="sandbox:dev")
    stopped.stop()
    with ConnectSession(env, retry=ONCE) as dev, pytest.raises(TransportError) as caught:
        dev.call("find_delivery_stores", **FIND)
    text = str(caught.value)
    assert caught.value.reason == "connection refused" and caught.value.setting is None
    assert text.startswith("sandbox:dev: could not connect") and "INSTACART_" not in text
    assert "embedded sandbox: is it still running?" in text


def _verify_failed(code: int) -> ssl.SSLCertVerificationError:
    error = ssl.SSLCertVerificationError(1, "certificate verify failed: connection refused")
    error.verify_code = code  # what OpenSSL sets; the text is left misleading on purpose
    return error


def _wrapped(cause: BaseException) -> requests.ConnectionError:
    return requests.ConnectionError(MaxRetryError(None, "/x", cause))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (
            _wrapped(socket.gaierror(socket.EAI_AGAIN, "Name or service not known")),
            "name lookup failed",
        ),
        (_wrapped(socket.gaierror(socket.EAI_NONAME, "Temporary failure")), "name not found"),
        (
            requests.exceptions.SSLError(_wrapped(_verify_failed(62))),
            "certificate for another host",
        ),
        (requests.exceptions.SSLError(_wrapped(_verify_failed(10))), "certificate expired"),
        (requests.exceptions.SSLError(_wrapped(_verify_failed(19))), "certificate not trusted"),
        (
            _wrapped(ConnectionResetError(errno.ECONNRESET, "Connection refused")),
            "connection reset",
        ),
        (requests.ConnectTimeout("connection refused"), "timed out"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_the_reason_is_decided_by_type_and_attributes_not_text(exc, reason):
    assert transport_reason(exc, "connect.dev.instacart.tools").what == reason


# -- settings ------------------------------------------------------------------------------


def test_a_url_without_a_scheme_says_so(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("INSTACART_DEV_URL", "connect.dev.instacart.tools")
    monkeypatch.setenv("INSTACART_DEV_CLIENT_ID", "id")
    monkeypatch.setenv("INSTACART_DEV_CLIENT_SECRET", SECRET)
    with pytest.raises(ConfigurationError) as caught:
        ck.connect("dev")
    text = shown(caught.value)
    assert "INSTACART_DEV_URL='connect.dev.instacart.tools' has no scheme" in text
    assert "expected https://connect.dev.instacart.tools" in text and "HTTP" not in text
    with pytest.raises(ConfigurationError, match=r"has no scheme: expected https://x\.test:8443"):
        ConnectSession(live("dev", "x.test:8443"))


def test_plain_http_still_says_https_only(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("INSTACART_DEV_URL", "http://connect.dev.instacart.tools")
    with pytest.raises(ConfigurationError, match=r"only speaks HTTPS.*https://connect\.dev"):
        ck.connect("dev")


# -- authentication and scope --------------------------------------------------------------


def test_a_bad_client_secret_names_the_credentials_to_check(sandbox):
    client_id, _ = sandbox.credentials("dev")
    env = replace(live("dev", sandbox.url("dev"), sandbox.ca_file), client_id=client_id)
    with ConnectSession(env) as dev, pytest.raises(AuthenticationError) as caught:
        dev.call("find_delivery_stores", **FIND)
    text = shown(caught.value)
    assert caught.value.status == 401 and caught.value.code == "invalid_client"
    assert f"dev ({urlhost(env)}) refused the client id and secret" in text
    assert "INSTACART_DEV_CLIENT_ID" in text and "INSTACART_DEV_CLIENT_SECRET" in text
    assert client_id not in text.split("refused", 1)[1]  # names the variables, not values


def test_a_scope_the_server_refuses_names_the_scope_setting(sandbox):
    env = replace(instance_environment(sandbox, "dev"), scope="connect:fulfilment")  # typo
    with ConnectSession(env) as dev, pytest.raises(InvalidRequestError) as caught:
        dev.token_info  # noqa: B018 (the session's own token, of the scope set)
    text = str(caught.value)
    assert env.client_secret not in text and caught.value.code == "invalid_scope"
    assert f"dev ({urlhost(env)}) refused the scope 'connect:fulfilment'" in text
    assert "Check INSTACART_DEV_SCOPE in .env" in text


def narrow_token_routes() -> list[Route]:
    """A token endpoint granting less than asked (connect:recommendations only), and a
    Fulfillment endpoint answering 403 to a token without connect:fulfillment."""
    issued: set[str] = set()

    async def token(request: Request) -> JSONResponse:
        value = f"narrow-{len(issued)}-" + "y" * 36
        issued.add(value)
        granted = "connect:recommendations"  # whatever was asked for
        return json_of(
            {"access_token": value, "token_type": "Bearer", "expires_in": 3600, "scope": granted}
        )

    async def stores(request: Request) -> JSONResponse:
        assert bearer(request) in issued
        message = "The access token's scope does not include connect:fulfillment"
        return json_of({"error": {"message": message, "code": None}, "meta": {}}, 403)

    return [
        Route("/v2/oauth/token", token, methods=["POST"]),
        Route("/v2/fulfillment/stores/delivery", stores, methods=["POST"]),
    ]


def test_a_token_without_the_scope_names_the_scope_setting(tmp_path):
    with hostile_server(tmp_path, narrow_token_routes(), name="dev", tokens=False) as (env, _):
        env = replace(env, client_secret=SECRET)
        with ConnectSession(env) as dev, pytest.raises(PermissionDeniedError) as caught:
            dev.call("find_delivery_stores", **FIND)
    text = shown(caught.value)
    assert caught.value.status == 403
    assert f"dev ({urlhost(env)}) refused the token's scope for find_delivery_stores" in text
    assert "it needs connect:fulfillment, and the token has connect:recommendations" in text
    assert "Add connect:fulfillment to INSTACART_DEV_SCOPE in .env" in text


def test_a_user_token_on_an_app_operation_says_to_use_the_app_session(sandbox, unique):
    with session_for(sandbox) as dev:
        dev.call("create_user", user_id=f"u-{unique}", first_name="Ada")
        with dev.for_user(f"u-{unique}") as user, pytest.raises(PermissionDeniedError) as caught:
            user.call("find_delivery_stores", **FIND)
    text = str(caught.value)
    assert dev.env.client_secret not in text
    assert "find_delivery_stores needs the app's token (scope connect:fulfillment)" in text
    assert f"speaks for Connect user 'u-{unique}'" in text and "for_user" in text


def test_a_post_checkout_call_with_the_app_token_suggests_for_user(sandbox):
    with session_for(sandbox) as dev, pytest.raises(ConnectError) as caught:
        dev.call("get_post_checkout_order", order_id="o-1")
    text = str(caught.value)
    assert caught.value.status in (400, 401, 403)  # the docs: 400 "User ID not found", 4001
    assert dev.env.client_secret not in text
    assert "get_post_checkout_order needs a user's token" in text
    assert f"dev ({urlhost(dev.env)})" in text and "session.for_user(user_id)" in text


def test_an_app_error_without_a_known_cause_gets_no_hint(sandbox):
    with session_for(sandbox) as dev, pytest.raises(InvalidRequestError) as caught:
        dev.call("get_order", user_id="nobody-here", order_id="none")
    assert (
        caught.value.status == 400
        and caught.value.hint is None
        and "INSTACART_" not in str(caught.value)
    )


# -- the sandbox API -----------------------------------------------------------------------


def test_the_sandbox_api_on_a_production_server_is_refused_before_sending(sandbox):
    with session_for(sandbox, "prod", allow_writes=True) as prod:
        with pytest.raises(ConfigurationError) as caught:
            prod.call("create_shopper", email="s@example.com")
        assert len(prod.history) == 0  # not even a token was fetched
    text = str(caught.value)
    assert prod.env.client_secret not in text
    assert f"prod ({urlhost(prod.env)}) is a production environment" in text
    assert "exists on development servers only" in text and "the sandbox's prod instance" in text


def test_the_sandbox_api_answering_404_on_an_undeclared_server_says_why(sandbox):
    client_id, secret = sandbox.credentials("prod")
    env = Environment("staging", sandbox.url("prod"), client_id, secret, ca_bundle=sandbox.ca_file)
    assert env.kind == "production"  # an unknown server: it may be a development one
    with ConnectSession(env, allow_writes=True) as staging:
        with pytest.raises(NotFoundError) as caught:
            staging.call("create_shopper", email="s@example.com")
        assert staging.history["status"].iloc[-1] == 404  # sent: the server decided
    text = str(caught.value)
    assert secret not in text and "exists on development servers only" in text
    assert f"staging ({urlhost(env)})" in text
    assert "declare it: INSTACART_STAGING_KIND=development" in text


def test_the_sandbox_api_on_a_development_server_is_sent(sandbox):
    with session_for(sandbox, "dev") as dev:
        assert dev.call("create_shopper", email="s@example.com").status_code == 200
