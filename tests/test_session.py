"""ConnectSession against the sandbox: paths, tokens, calls, errors, history, prod guard."""

from __future__ import annotations

import warnings
from dataclasses import replace

import pytest
import requests
from helpers import ADDRESS, PEANUT_BUTTER

import connect_kit as ck
from connect_kit.client import instance_environment
from connect_kit.client._config import Environment
from connect_kit.client._retry import RetryPolicy
from connect_kit.client._session import ConnectSession
from connect_kit.errors import (
    AuthenticationError,
    ConfigurationError,
    DeprecatedWarning,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    ProdWriteRefused,
    ServerError,
    TransportError,
)

FIND = {"find_by": ADDRESS}


def session_for(sandbox, env="dev", scope="connect:fulfillment", **options) -> ConnectSession:
    """A session on one instance of ``sandbox``, of that instance's kind."""
    return ConnectSession(replace(instance_environment(sandbox, env), scope=scope), **options)


def tokens_issued(sandbox, env="dev") -> int:
    return sandbox.instances[env].state.count("token")


def test_relative_paths_json_and_a_result(sandbox):
    with session_for(sandbox) as dev:
        raw = dev.post("/v2/fulfillment/stores/delivery", json=FIND)
        assert raw.status_code == 200 and raw.json()["stores"]
        result = dev.call("find_delivery_stores", **FIND)
        assert result.status_code == 200 and result.operation.name == "find_delivery_stores"
        assert list(result.frame["location_code"]) == [
            s["location_code"] for s in raw.json()["stores"]
        ]
        assert result.elapsed.total_seconds() > 0
        assert result.request.path == "/v2/fulfillment/stores/delivery"
        assert result.request.headers["Authorization"] == "Bearer [redacted]"
        assert "7 stores" in repr(result) or "stores" in repr(result)


def test_tls_is_always_verified(sandbox, tmp_path):
    other_ca = tmp_path / "other.pem"
    import trustme

    trustme.CA().cert_pem.write_to_path(str(other_ca))
    client_id, secret = sandbox.credentials("dev")
    env = Environment("dev", sandbox.url("dev"), client_id, secret, ca_bundle=str(other_ca))
    with ConnectSession(env) as wrong, pytest.raises(TransportError, match="TLS"):
        wrong.call("find_delivery_stores", **FIND)


def test_the_session_keeps_its_ca_whatever_requests_ca_bundle_says(sandbox, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    with session_for(sandbox) as dev:
        dev.trust_env = True
        assert dev.call("find_delivery_stores", **FIND).status_code == 200


def test_plain_http_is_refused_before_anything_is_sent(sandbox):
    client_id, secret = sandbox.credentials("dev")
    plain = Environment("dev", sandbox.url("dev").replace("https", "http"), client_id, secret)
    with pytest.raises(ConfigurationError, match="https"):
        ConnectSession(plain)
    with session_for(sandbox) as dev, pytest.raises(ConfigurationError, match="plain http"):
        dev.get(sandbox.url("dev").replace("https", "http") + "/openapi.json")


def test_one_token_shared_and_reused_and_token_info_hides_it(sandbox):
    before = tokens_issued(sandbox)
    with session_for(sandbox) as first, session_for(sandbox) as second:
        for _ in range(3):
            first.call("find_delivery_stores", **FIND)
            second.call("find_delivery_stores", **FIND)
        info = first.token_info
        assert info["scope"] == "connect:fulfillment" and info["expires_in_s"] > 86000
        assert first.auth.current.value not in repr(info)
    assert tokens_issued(sandbox) - before == 1


def test_a_401_fetches_a_new_token_once_and_resends(own_sandbox):
    sandbox = own_sandbox
    with session_for(sandbox) as dev:
        dev.call("find_delivery_stores", **FIND)
        old = dev.auth.current.value
        sandbox.expire_tokens("dev")
        result = dev.call("find_delivery_stores", **FIND)
        assert result.status_code == 200 and dev.auth.current.value != old
        history = dev.history
        assert list(history["operation"]).count("create_token") == 2


def test_early_token_expiry_is_survived(own_sandbox):
    sandbox = own_sandbox
    sandbox.faults("dev", token_lifetime=0)
    with session_for(sandbox) as dev:
        # every token dies at once: the refresh is tried once, then the 401 is the answer
        with pytest.raises(AuthenticationError, match="expired"):
            dev.call("find_delivery_stores", **FIND)
        sandbox.reset_faults()
        assert dev.call("find_delivery_stores", **FIND).status_code == 200


def test_close_revokes_the_token(sandbox):
    dev = session_for(sandbox)
    dev.call("find_delivery_stores", **FIND)
    token = dev.auth.current.value
    dev.close()
    answer = requests.post(
        sandbox.url("dev") + "/v2/fulfillment/stores/delivery",
        json=FIND,
        headers={"Authorization": f"Bearer {token}"},
        verify=sandbox.ca_file,
        timeout=10,
    )
    assert answer.status_code == 401 and "revoked" in answer.json()["error"]["message"]


def test_bad_credentials_are_an_authentication_error(sandbox):
    env = Environment("dev", sandbox.url("dev"), "nobody", "wrong", ca_bundle=sandbox.ca_file)
    with ConnectSession(env) as dev, pytest.raises(AuthenticationError) as caught:
        dev.call("find_delivery_stores", **FIND)
    assert caught.value.status == 401 and caught.value.code == "invalid_client"
    assert "wrong" not in str(caught.value)


def test_arguments_are_checked_against_the_spec_before_sending(sandbox):
    with session_for(sandbox) as dev:
        before = len(dev.history)
        with pytest.raises(InvalidRequestError) as caught:
            dev.call("find_delivery_stores", find_by={"postal_code": "94105"}, radius=3)
        keys = {e.key for e in caught.value.errors}
        assert keys == {"find_by"} and caught.value.status is None  # radius: new, not a typo
        with pytest.raises(InvalidRequestError) as caught:  # strict: unknown fields refused
            dev.call(
                "find_delivery_stores", find_by={"postal_code": "94105"}, radius=3, strict=True
            )
        assert {e.key for e in caught.value.errors} == {"radius", "find_by"}
        with pytest.raises(InvalidRequestError, match=r"order_id: is required"):
            dev.call("get_order", user_id="u")
        with pytest.raises(InvalidRequestError, match=r"service_option_id: must be an integer"):
            dev.call("reserve_service_option", user_id="u", service_option_id="soon")
        with pytest.raises(InvalidRequestError) as caught:
            dev.call(
                "list_delivery_service_options",
                user_id="u",
                address=ADDRESS,
                items=[{"line_num": "1", "count": "2", "item": PEANUT_BUTTER}],
            )
        assert caught.value.errors[0].key == "items[0].count"
        with pytest.raises(ck.spec.UnknownOperationError, match="find_delivery_stores"):
            dev.call("find_delivery_store", **FIND)
        assert len(dev.history) == before  # nothing was sent


def test_api_errors_are_typed_and_carry_the_envelope(sandbox, unique):
    with session_for(sandbox) as dev:
        with pytest.raises(InvalidRequestError) as caught:
            dev.call("get_user_link", user_id=f"nobody-{unique}")
        error = caught.value
        assert (error.status, error.code, error.key, error.message) == (
            400,
            1001,
            "user_id",
            "User Not Found",
        )
        assert error.method == "GET" and error.path.endswith("/link")
        dev.call("create_user", user_id=f"u-{unique}", first_name="Ann")
        with pytest.raises(NotFoundError):
            dev.call("get_order", user_id=f"u-{unique}", order_id="none")
        raw = dev.post("/v2/fulfillment/users", json={"user_id": 1})
        assert raw.status_code == 400  # raw requests answer as requests does: no raise


def test_a_session_gets_a_token_of_each_apis_own_scope(sandbox):
    with session_for(sandbox, scope="connect:recommendations") as other:
        assert other.call("find_delivery_stores", **FIND).status_code == 200
        fulfillment = other.tokens.for_scope("connect:fulfillment")
        assert fulfillment is not other.auth  # one token per API, each limited to it
        assert fulfillment.token().scope == "connect:fulfillment"
        assert other.auth.token().scope == "connect:recommendations"


def test_the_multi_error_envelope_keeps_every_field_error(sandbox):
    with session_for(sandbox) as dev:
        answer = dev.post("/v2/fulfillment/users", json={"user_id": 5})
        error = dev._error(ck.spec.get("create_user"), answer)
        assert isinstance(error, InvalidRequestError) and error.code == 9999
        assert {e.key for e in error.errors} == {"user_id", "first_name"}


def test_deprecated_operations_and_fields_warn_once_naming_the_replacement(sandbox, unique):
    from connect_kit.client import _arguments as module

    module._warned.clear()
    with session_for(sandbox) as dev:
        dev.call("create_user", user_id=f"d-{unique}", first_name="Dee")
        with pytest.warns(DeprecatedWarning, match="use create_user_address"):
            dev.call("lastmile_validate_address", user_id=f"d-{unique}", **ADDRESS)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            dev.call("lastmile_validate_address", user_id=f"d-{unique}", **ADDRESS)  # once only
        with pytest.warns(DeprecatedWarning) as caught:
            result = dev.call("list_orders", user_id=f"d-{unique}")
        assert "no replacement" in str(caught[0].message)
        assert result.warnings[0] == "list_orders is deprecated"


def test_history_is_one_row_per_call_and_bounded(sandbox):
    with session_for(sandbox, history_size=3) as dev:
        for _ in range(5):
            dev.call("find_delivery_stores", **FIND)
        history = dev.history
        assert len(history) == 3
        assert list(history.columns) == [
            "time",
            "env",
            "method",
            "path",
            "operation",
            "status",
            "elapsed_ms",
            "attempts",
            "error_code",
        ]
        assert set(history["operation"]) == {"find_delivery_stores"}
        assert (history["status"] == 200).all() and (history["attempts"] == 1).all()


def test_prod_writes_need_an_explicit_opt_in(sandbox, unique):
    with session_for(sandbox, "prod") as prod:
        assert prod.call("find_delivery_stores", **FIND).status_code == 200  # reads are fine
        with pytest.raises(ProdWriteRefused, match="allow_writes"):
            prod.call("create_user", user_id=f"p-{unique}", first_name="P")
        with pytest.raises(ProdWriteRefused):
            prod.post("/v2/fulfillment/users", json={"user_id": f"p-{unique}", "first_name": "P"})
        assert sandbox.instances["prod"].state.get("user", f"p-{unique}") is None
    with session_for(sandbox, "prod", allow_writes=True) as prod:
        assert prod.call("create_user", user_id=f"p-{unique}", first_name="P").status_code == 200
        assert "writes allowed" in repr(prod)


def test_status_has_a_row_per_environment(sandbox, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("INSTACART_BROKEN_URL", "https://127.0.0.1:9")
    monkeypatch.setenv("INSTACART_BROKEN_CLIENT_ID", "id")
    monkeypatch.setenv("INSTACART_BROKEN_CLIENT_SECRET", "secret-value")
    frame = ck.status().set_index("env")
    assert set(frame.index) == {"dev", "prod", "broken"}
    assert frame.loc["dev", "kind"] == "development" and bool(frame.loc["dev", "sandbox"])
    assert bool(frame.loc["dev", "token"])
    assert frame.loc["dev", "latency_ms"] > 0
    assert not frame.loc["broken", "reachable"] and "TransportError" in frame.loc["broken", "error"]
    assert "secret-value" not in frame.to_string()


@pytest.fixture
def odd_server(tmp_path):
    """A real HTTPS server that answers what the sandbox never does: redirects, HTML errors."""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse, PlainTextResponse, Response
    from starlette.routing import Route

    from connect_kit.serve.server import ServerThread, bind, make_server
    from connect_kit.serve.tls import make_certificates

    async def token(request):
        return JSONResponse(
            {"access_token": "t" * 43, "token_type": "Bearer", "expires_in": 3600, "created_at": 0}
        )

    async def moved(request):
        return Response(status_code=302, headers={"Location": "https://127.0.0.1:1/elsewhere"})

    async def html(request):
        return PlainTextResponse("<html><body>Bad gateway</body></html>", status_code=502)

    app = Starlette(
        routes=[
            Route("/v2/oauth/token", token, methods=["POST"]),
            Route("/moved", moved),
            Route("/html", html),
        ]
    )
    certificates = make_certificates(tmp_path)
    sock = bind()
    thread = ServerThread([(make_server(app, certificates), sock)])
    thread.start()
    env = Environment(
        "odd",
        f"https://127.0.0.1:{sock.getsockname()[1]}",
        "id",
        "secret",
        ca_bundle=str(certificates.ca_file),
    )
    yield env
    thread.stop()


def test_redirects_are_not_followed(odd_server):
    with ConnectSession(odd_server) as session:
        answer = session.get("/moved")
        assert answer.status_code == 302 and answer.headers["Location"].endswith("/elsewhere")
        assert len(session.history) == 2  # the token call and the one request: no hop


def test_non_json_error_bodies_become_typed_errors(odd_server):
    with ConnectSession(odd_server, retry=RetryPolicy(max_attempts=1)) as session:
        answer = session.get("/html")
        with pytest.raises(ServerError) as caught:
            session.check(answer)
        assert caught.value.status == 502 and "Bad gateway" in caught.value.message
        assert session.check(session.get("/moved")).status_code == 302


def test_tokens_are_refreshed_a_little_before_they_expire(sandbox):
    with session_for(sandbox) as dev:
        dev.call("find_delivery_stores", **FIND)
        first = dev.auth.current
        real_clock = dev.auth.clock
        # 100 s before expiry: inside the refresh margin (10% of its life, at most 5 min)
        dev.auth.clock = lambda: real_clock() + first.lifetime - 100
        dev.call("find_delivery_stores", **FIND)
        assert dev.auth.current.value != first.value and dev.auth.fetches >= 1


def test_allow_writes_from_dotenv_opens_prod(sandbox, monkeypatch, tmp_path, unique):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("INSTACART_PROD_ALLOW_WRITES", "true")
    prod = ck.connect("prod")
    assert prod.allow_writes
    assert prod.call("create_user", user_id=f"env-{unique}", first_name="E").status_code == 200
    prod.close()


def test_a_user_session_gets_a_post_checkout_token(sandbox, unique):
    with session_for(sandbox) as dev:
        dev.call("create_user", user_id=f"pc-{unique}", first_name="Pc")
        user = dev.for_user(f"pc-{unique}")
        assert "as user" in repr(user)
        assert user.token_info["scope"] == "connect:post_checkout"
        assert user.auth.current.value != dev.auth.token().value  # a token of its own
        with pytest.raises(PermissionDeniedError):  # it does not open the Fulfillment API
            user.call("find_delivery_stores", **FIND)
        user.close()
        with pytest.raises(InvalidRequestError) as caught:  # the assertion names no user here
            dev.for_user(f"nobody-{unique}").auth.token()
        assert caught.value.code == "invalid_grant"


def test_a_live_session_follows_the_environments_proxies_as_they_change(sandbox, monkeypatch):
    from connect_kit.errors import TransportError

    live = replace(instance_environment(sandbox, "dev"), sandbox=False)  # trusts the environment
    with ConnectSession(live, retry=RetryPolicy(max_attempts=1)) as dev:
        dev.auth.token()
        assert dev.call("find_delivery_stores", **FIND).status_code == 200
        monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")  # a proxy that is not there
        with pytest.raises(TransportError) as caught:
            dev.call("find_delivery_stores", **FIND)
        assert not caught.value.sent  # the proxy refused: nothing reached the server
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        assert dev.call("find_delivery_stores", **FIND).status_code == 200
        monkeypatch.delenv("NO_PROXY")
        monkeypatch.delenv("HTTPS_PROXY")
        assert dev.call("find_delivery_stores", **FIND).status_code == 200
