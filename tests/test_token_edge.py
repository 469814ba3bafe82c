"""The token and the credentials at the HTTP edge: the bearer token goes only to its own
origin, credentials never travel in a query string, and a token that expires again while a
call waits to retry is fetched again."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import requests
from helpers import ADDRESS
from hostile import Seen, bearer, hostile_server, json_of
from starlette.routing import Route
from test_session import session_for

import connect_kit as ck
from connect_kit.client._retry import RetryPolicy
from connect_kit.client._session import ConnectSession
from connect_kit.errors import ConfigurationError

FIND = {"find_by": ADDRESS}
STORES = "/v2/fulfillment/stores/delivery"
CANARY = "canary-query-secret-5c1b7e"


def recorder(seen: Seen) -> list[Route]:
    async def anything(request):
        seen.requests.append(
            (request.method, request.url.path, request.headers.get("authorization"))
        )
        return json_of({"stores": []})

    return [Route("/{path:path}", anything, methods=["GET", "POST", "PUT", "DELETE"])]


# The bearer token belongs to its origin -------------------------------------------------


def test_the_bearer_token_never_goes_to_another_origin(sandbox, tmp_path):
    seen = Seen()
    same_ca = Path(sandbox.ca_file)  # trusted by the session: only the origin differs
    with (
        hostile_server(tmp_path, recorder(seen), ca_of=same_ca) as (other, _),
        session_for(sandbox) as dev,
    ):
        dev.call("find_delivery_stores", **FIND)  # the session has a token now
        for method in ("GET", "POST"):
            with pytest.raises(ConfigurationError, match="its own server"):
                dev.request(method, other.url + STORES, json=FIND)
        prepared = dev.prepare_request(requests.Request("POST", other.url + STORES, json=FIND))
        with pytest.raises(ConfigurationError, match="its own server"):
            dev.send(prepared)
    assert seen.requests == []  # nothing at all reached the other origin


def test_same_host_on_another_port_is_another_origin(sandbox):
    with session_for(sandbox) as dev:
        other_port = sandbox.url("prod")  # the same host, 127.0.0.1, on the prod port
        with pytest.raises(ConfigurationError, match="its own server"):
            dev.post(other_port + STORES, json=FIND)
        # an absolute URL to its own origin is fine, whatever the case of its scheme
        own = dev.base_url.replace("https://", "HTTPS://")
        assert dev.post(own + STORES, json=FIND).status_code == 200


# Credentials never in a query string ------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v2/oauth/token", {"client_id": "someone", "client_secret": CANARY}),
        ("/v2/oauth/token?client_secret=" + CANARY, None),
        (STORES, {"access_token": CANARY}),
        (STORES + "?token=" + CANARY, None),
    ],
)
def test_credentials_in_a_query_string_are_refused_before_sending(sandbox, caplog, path, params):
    caplog.set_level(logging.DEBUG)
    with session_for(sandbox) as dev:
        before = len(dev.history)
        with pytest.raises(ConfigurationError, match="query string") as caught:
            dev.post(path, params=params, json={"grant_type": "client_credentials"})
        assert len(dev.history) == before  # nothing was sent
    assert CANARY not in str(caught.value) and CANARY not in repr(caught.value)
    assert CANARY not in caplog.text
    assert "rotated" in str(caught.value)  # what it would have cost


def test_a_snippet_of_a_request_with_query_credentials_shows_no_secret(sandbox):
    with session_for(sandbox) as dev:
        prepared = dev.prepare_request(
            requests.Request("GET", dev.base_url + STORES, params={"client_secret": CANARY})
        )
    for lang in ("curl", "python", "java", "go"):
        assert CANARY not in str(ck.snippet(prepared, lang))


# A token that expires again during a back-off ---------------------------------------------


def test_a_token_that_expires_again_during_a_back_off_is_fetched_again(tmp_path):
    """401 (refresh), then 503, then the new token expires while the call waits: the caller
    never sees that second 401."""
    statuses = iter([503])  # what the server answers a valid token, in turn (then 200)

    def routes(seen: Seen) -> list[Route]:
        async def stores(request):
            token = bearer(request)
            seen.requests.append(("POST", request.url.path, token))
            if token not in seen.valid:
                return json_of({"error": {"message": "The access token expired"}}, 401)
            status = next(statuses, 200)
            return json_of({"stores": []} if status == 200 else {"error": {}}, status)

        return [Route(STORES, stores, methods=["POST"])]

    seen = Seen()

    def expire_every_token(seconds: float) -> None:  # what the back-off's wait lets happen
        seen.valid.clear()

    policy = RetryPolicy(sleep=expire_every_token)
    with (
        hostile_server(tmp_path, routes(seen), seen) as (env, _),
        ConnectSession(env, retry=policy) as session,
    ):
        session.auth.token()
        seen.valid.clear()  # the token expires before the call
        response = session.post(STORES, json=FIND)
        assert response.status_code == 200
    used = [token for _, path, token in seen.api_calls()]
    assert used == [seen.tokens[0], seen.tokens[1], seen.tokens[1], seen.tokens[2]]
    assert len(seen.tokens) == 3  # one fetch per expiry


@pytest.mark.parametrize(
    "answer",
    [{}, {"access_token": ""}, {"access_token": 5}, {"access_token": "t", "expires_in": "x"}, []],
)
def test_a_token_answer_without_a_usable_token_is_a_clear_error(tmp_path, answer):
    from connect_kit.errors import APIError

    async def token(request):
        return json_of(answer)

    routes = [Route("/v2/oauth/token", token, methods=["POST"])]
    with (
        hostile_server(tmp_path, routes, tokens=False) as (env, _),
        ConnectSession(env) as session,
        pytest.raises(APIError, match="without a usable access_token"),
    ):
        session.call("find_delivery_stores", **FIND)
