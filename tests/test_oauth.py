"""OAuth against the sandbox: tokens, scopes, grants, revocation and bearer checks."""

from __future__ import annotations

import base64
import json

import pytest
import requests
from helpers import error_of, new_user

STORES = "/v2/fulfillment/stores/delivery"
FIND = {"find_by": {"latitude": 37.7910, "longitude": -122.3940}}


def token_call(api, body=None, **kw):
    return api.http.post(api.url + "/v2/oauth/token", json=body, timeout=10, **kw)


def creds(api, **extra):
    return {"client_id": api.client_id, "client_secret": api.client_secret, **extra}


def test_client_credentials_token_looks_like_connects(dev):
    answer = token_call(dev, creds(dev, grant_type="client_credentials"))
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 86400
    assert len(body["access_token"]) == 43 and isinstance(body["created_at"], int)
    # no scope asked: every API of the app, and the answer says which (connect/api/access_tokens)
    granted = set(body["scope"].split())
    assert {"connect:fulfillment", "connect:recommendations"} <= granted
    assert {"Connect::Orders::RatingService", "connect:data_ingestion"} <= granted
    assert "connect:post_checkout" not in granted  # a user's API: another grant type
    assert answer.headers["cache-control"] == "no-store"
    asked = token_call(
        dev, creds(dev, grant_type="client_credentials", scope="connect:fulfillment")
    )
    assert asked.json()["scope"] == "connect:fulfillment"


def test_token_accepts_a_form_body_too(dev):
    answer = dev.http.post(
        dev.url + "/v2/oauth/token", data=creds(dev, grant_type="client_credentials"), timeout=10
    )
    assert answer.status_code == 200 and answer.json()["access_token"]


def test_credentials_in_the_query_string_are_refused(dev):
    answer = dev.http.post(
        dev.url + "/v2/oauth/token",
        params=creds(dev, grant_type="client_credentials"),
        timeout=10,
    )
    assert answer.status_code == 403
    assert answer.json()["error"] == "query_params_forbidden"
    assert "security team" in answer.json()["error_description"]


@pytest.mark.parametrize(
    ("change", "status", "error"),
    [
        ({"client_secret": "wrong"}, 401, "invalid_client"),
        ({"client_id": "nobody"}, 401, "invalid_client"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({"grant_type": None}, 400, "invalid_request"),
        ({"scope": "connect:everything"}, 400, "invalid_scope"),
        ({"scope": "connect:post_checkout"}, 400, "invalid_scope"),  # needs a user assertion
    ],
)
def test_token_errors_use_the_oauth_shape(dev, change, status, error):
    body = {k: v for k, v in {**creds(dev, grant_type="client_credentials"), **change}.items()}
    body = {k: v for k, v in body.items() if v is not None}
    answer = token_call(dev, body)
    assert (answer.status_code, answer.json()["error"]) == (status, error)
    assert answer.json()["error_description"]


def test_token_for_one_instance_does_not_open_the_other(dev, prod):
    answer = prod.post(STORES, FIND, token=dev.token)
    assert answer.status_code == 401
    assert token_call(prod, creds(dev, grant_type="client_credentials")).status_code == 401


def test_bearer_failures_are_401_and_say_why(dev):
    cases = {
        None: "missing",
        "": "missing",
        "Basic abc": "malformed",
        "Bearer": "malformed",
        "Bearer not-a-token": "invalid",
    }
    for header, word in cases.items():
        headers = {} if header is None else {"Authorization": header}
        answer = dev.post(STORES, FIND, token=None, headers=headers)
        status, message, code, _ = error_of(answer)
        assert (status, code) == (401, None) and word in message
        assert "invalid_token" in answer.headers["www-authenticate"]


def test_a_scope_without_the_api_is_403(dev):
    token = dev.new_token("connect:recommendations")
    status, message, code, _ = error_of(dev.post(STORES, FIND, token=token))
    assert (status, code) == (403, None) and "connect:fulfillment" in message


def test_comma_separated_scopes_share_a_grant(dev):
    token = dev.new_token("connect:fulfillment,connect:recommendations")
    assert dev.post(STORES, FIND, token=token).status_code == 200


def test_revoked_tokens_stop_working(dev):
    token = dev.new_token()
    assert dev.post(STORES, FIND, token=token).status_code == 200
    revoked = dev.http.post(
        dev.url + "/v2/oauth/token/revoke", json=creds(dev, token=token), timeout=10
    )
    assert (revoked.status_code, revoked.json()) == (200, {})
    status, message, _, _ = error_of(dev.post(STORES, FIND, token=token))
    assert status == 401 and "revoked" in message


def test_revoke_needs_the_issuing_application(sandbox, dev):
    other_id, other_secret = sandbox.create_client("dev")
    token = dev.new_token()
    answer = dev.http.post(
        dev.url + "/v2/oauth/token/revoke",
        json={"client_id": other_id, "client_secret": other_secret, "token": token},
        timeout=10,
    )
    assert answer.status_code == 403
    assert answer.json() == {
        "error": "unauthorized_client",
        "error_description": "You are not authorized to revoke this token",
    }
    assert dev.post(STORES, FIND, token=token).status_code == 200
    unknown = dev.http.post(
        dev.url + "/v2/oauth/token/revoke", json=creds(dev, token="nope"), timeout=10
    )
    assert unknown.status_code == 200  # RFC 7009: unknown tokens revoke silently


def test_tokens_expire_with_the_instance_clock(sandbox, dev):
    token = dev.new_token()
    sandbox.advance_clock("dev", 86400 + 1)
    try:
        status, message, _, _ = error_of(dev.post(STORES, FIND, token=token))
        assert status == 401 and "expired" in message
    finally:
        sandbox.advance_clock("dev", -(86400 + 1))
    assert dev.post(STORES, FIND, token=token).status_code == 200


def test_short_token_lifetime_is_configurable():
    from connect_kit.sandbox import Sandbox

    with Sandbox(latency=False, token_ttl=60) as sb:
        client_id, secret = sb.credentials("dev")
        answer = requests.post(
            sb.url("dev") + "/v2/oauth/token",
            json={
                "client_id": client_id,
                "client_secret": secret,
                "grant_type": "client_credentials",
            },
            verify=sb.ca_file,
            timeout=10,
        )
        assert answer.json()["expires_in"] == 60


def test_user_assertion_gives_a_post_checkout_token(dev, unique):
    user_id = f"kamal-{unique}"
    new_user(dev, user_id)
    assertion = base64.b64encode(json.dumps({"user_id": user_id}).encode()).decode()
    answer = token_call(
        dev, creds(dev, grant_type="fulfillment_user_assertion", assertion=assertion)
    )
    assert answer.status_code == 200, answer.text
    user_token = answer.json()["access_token"]
    # a post-checkout token does not open the Fulfillment API
    assert dev.post(STORES, FIND, token=user_token).status_code == 403
    bad = base64.b64encode(b'{"user_id": "nobody-at-all"}').decode()
    refused = token_call(dev, creds(dev, grant_type="fulfillment_user_assertion", assertion=bad))
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_grant")
    garbage = token_call(dev, creds(dev, grant_type="fulfillment_user_assertion", assertion="%%"))
    assert garbage.json()["error"] == "invalid_grant"


def test_the_reference_assertion_example_works(dev):
    # the reference's example is base64 of { "user_id": kamalsingh1234} (not strict JSON)
    created = dev.post("/v2/fulfillment/users", {"user_id": "kamalsingh1234", "first_name": "K"})
    assert created.status_code == 200 or error_of(created)[1] == "User ID has already been taken"
    example = "eyAidXNlcl9pZCI6IGthbWFsc2luZ2gxMjM0fQ=="
    answer = token_call(dev, creds(dev, grant_type="fulfillment_user_assertion", assertion=example))
    assert answer.status_code == 200, answer.text
