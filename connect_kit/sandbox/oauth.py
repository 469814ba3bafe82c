"""OAuth as Connect does it: the token and revoke endpoints, and bearer-token checks.

Tokens are stored by their SHA-256 only; the sandbox never keeps a token it could leak.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson

from .errors import ApiError, OAuthError
from .instance import Instance

RETAILER_JSON_BEARER = "urn:ietf:params:oauth:grant-type:retailer-json-bearer"
USER_GRANTS = ("fulfillment_user_assertion", RETAILER_JSON_BEARER)  # a token for one user
# scope -> the grant types that may ask for it (connect/api/permissions_scopes)
SCOPES: dict[str, tuple[str, ...]] = {
    "connect:fulfillment": ("client_credentials",),
    "connect:recommendations": ("client_credentials", *USER_GRANTS),
    "Connect::Orders::RatingService": ("client_credentials", *USER_GRANTS),
    "connect:compliance": ("client_credentials",),
    "connect:data_ingestion": ("client_credentials",),
    "connect:post_checkout": ("fulfillment_user_assertion",),
    "account_linking": ("authorization_code",),
}
# without a scope, a token gets every API of the app its grant type may reach
DEFAULT_SCOPES = {
    grant: [scope for scope, grants in SCOPES.items() if grant in grants]
    for grant in ("client_credentials", *USER_GRANTS, "authorization_code")
}
POST_CHECKOUT = "connect:post_checkout"
# which scope a path prefix needs (the Transaction API needs none: any app token)
AREA_SCOPES = (
    ("/v2/fulfillment_sandbox/", "connect:fulfillment"),
    ("/v2/fulfillment/", "connect:fulfillment"),
    ("/v2/post_checkout/", "connect:post_checkout"),
    ("/v2/recommendations/", "connect:recommendations"),
    ("/v2/feedback/", "Connect::Orders::RatingService"),
    ("/v2/data_ingestion/", "connect:data_ingestion"),
)

INVALID_CLIENT = (
    "Client authentication failed due to unknown client, no client authentication included, "
    "or unsupported authentication method."
)
INVALID_GRANT = (
    "The provided authorization grant is invalid, expired, revoked, does not match the "
    "redirection URI used in the authorization request, or was issued to another client."
)
QUERY_PARAMS_FORBIDDEN = (
    "Providing OAuth credentials as query parameters may cause them to be compromised. "
    "Please reach out to Instacart's security team and have the credentials rotated."
)


@dataclass(frozen=True)
class Grant:
    """Who a valid bearer token speaks for."""

    client_id: str
    scopes: frozenset[str]
    user_id: str | None = None  # user-assertion tokens: the Connect user
    instacart_user_id: int | None = None  # linking tokens: the Instacart account


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _authenticate(instance: Instance, body: dict[str, Any]) -> dict[str, Any]:
    client_id, client_secret = body.get("client_id"), body.get("client_secret")
    if not isinstance(client_id, str) or not isinstance(client_secret, str):
        raise OAuthError(401, "invalid_client", INVALID_CLIENT)
    client = instance.state.get("client", client_id)
    if client is None or not secrets.compare_digest(client["secret"], client_secret):
        raise OAuthError(401, "invalid_client", INVALID_CLIENT)
    return client


def _scopes(requested: Any, grant_type: str) -> list[str]:
    if requested is None or requested == "":
        return list(DEFAULT_SCOPES[grant_type])
    if not isinstance(requested, str):
        raise OAuthError(400, "invalid_scope", "scope must be a string.")
    scopes = [s for s in requested.replace(",", " ").split() if s]
    if not scopes or any(grant_type not in SCOPES.get(s, ()) for s in scopes):
        raise OAuthError(
            400, "invalid_scope", "The requested scope is invalid, unknown, or malformed."
        )
    return scopes


def issue_token(instance: Instance, body: Any, query: dict[str, str]) -> dict[str, Any]:
    """``POST /v2/oauth/token``."""
    if {"client_id", "client_secret"} & set(query):
        raise OAuthError(403, "query_params_forbidden", QUERY_PARAMS_FORBIDDEN)
    if not isinstance(body, dict):
        raise OAuthError(400, "invalid_request", "The request body must be a JSON object.")
    client = _authenticate(instance, body)
    grant_type = body.get("grant_type")
    if grant_type in (None, ""):
        raise OAuthError(400, "invalid_request", "grant_type can't be blank.")
    if grant_type not in DEFAULT_SCOPES:
        raise OAuthError(
            400,
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server.",
        )
    scopes = _scopes(body.get("scope"), grant_type)
    record: dict[str, Any] = {"client_id": client["client_id"], "scopes": scopes}
    if grant_type in USER_GRANTS:
        record["user_id"] = _asserted_user(instance, body.get("assertion"))
    elif grant_type == "authorization_code":
        record["instacart_user_id"] = _redeem_code(instance, body)
    now = instance.now()
    lifetime: float = instance.token_ttl
    if instance.faults.settings.token_lifetime is not None:
        lifetime = min(lifetime, instance.faults.settings.token_lifetime)
    token = secrets.token_urlsafe(32)  # 43 characters, like Connect's
    record["expires_at"] = (now + timedelta(seconds=lifetime)).timestamp()
    instance.state.put("token", digest(token), record)
    answer = {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": instance.token_ttl,
        "created_at": int(now.timestamp()),
    }
    answer["scope"] = " ".join(scopes)  # what it was granted, asked for or not
    return answer


# The reference's own example assertion is not strict JSON: { "user_id": kamalsingh1234}
_LOOSE_USER_ID = re.compile(rb'^\s*{\s*"user_id"\s*:\s*"?([^"\s}]+)"?\s*}\s*$')


def _asserted_user(instance: Instance, assertion: Any) -> str:
    try:
        raw = base64.b64decode(str(assertion), validate=True)
    except (binascii.Error, ValueError):
        raise OAuthError(400, "invalid_grant", INVALID_GRANT) from None
    try:
        user_id = orjson.loads(raw)["user_id"]
    except (orjson.JSONDecodeError, TypeError, KeyError):
        loose = _LOOSE_USER_ID.match(raw)
        user_id = loose.group(1).decode("utf-8", "replace") if loose else None
    if not isinstance(user_id, str) or instance.state.get("user", user_id) is None:
        raise OAuthError(400, "invalid_grant", INVALID_GRANT)
    return user_id


def _redeem_code(instance: Instance, body: dict[str, Any]) -> int:
    code = body.get("code")
    grant = instance.state.get("auth_code", digest(code)) if isinstance(code, str) else None
    if (
        grant is None
        or grant["redirect_uri"] != body.get("redirect_uri")
        or grant["expires_at"] < instance.now().timestamp()
    ):
        raise OAuthError(400, "invalid_grant", INVALID_GRANT)
    instance.state.delete("auth_code", digest(str(code)))  # codes are single-use
    return grant["instacart_user_id"]


def revoke_token(instance: Instance, body: Any, query: dict[str, str]) -> dict[str, Any]:
    """``POST /v2/oauth/token/revoke``: 200 ``{}``, also for unknown tokens (RFC 7009)."""
    if {"client_id", "client_secret"} & set(query):
        raise OAuthError(403, "query_params_forbidden", QUERY_PARAMS_FORBIDDEN)
    if not isinstance(body, dict):
        raise OAuthError(400, "invalid_request", "The request body must be a JSON object.")
    client = _authenticate(instance, body)
    token = body.get("token")
    if not isinstance(token, str) or not token:
        raise OAuthError(400, "invalid_request", "token can't be blank.")
    record = instance.state.get("token", digest(token))
    if record is not None:
        if record["client_id"] != client["client_id"]:
            raise OAuthError(
                403, "unauthorized_client", "You are not authorized to revoke this token"
            )
        record["revoked"] = True
        instance.state.put("token", digest(token), record)
    return {}


def unauthorized(message: str) -> ApiError:
    return ApiError(
        401,
        message,
        None,
        headers={
            "WWW-Authenticate": f'Bearer error="invalid_token", error_description="{message}"'
        },
    )


def check_bearer(instance: Instance, authorization: str | None, path: str) -> Grant:
    """The grant of a request's bearer token, or the 401/403 error the API answers."""
    if not authorization:
        raise unauthorized("The access token is missing")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise unauthorized("The access token is malformed")
    record = instance.state.get("token", digest(token))
    if record is None:
        raise unauthorized("The access token is invalid")
    if record.get("revoked"):
        raise unauthorized("The access token was revoked")
    if record["expires_at"] <= instance.now().timestamp():
        raise unauthorized("The access token expired")
    needed = next((scope for prefix, scope in AREA_SCOPES if path.startswith(prefix)), None)
    if needed == POST_CHECKOUT and record.get("user_id") is None:
        # each Post-checkout endpoint's table: a token that speaks for no user (client
        # credentials, a linking token) is 400 "User ID not found", code 4001
        raise ApiError(400, "User ID not found", 4001)
    if needed is not None and needed not in record["scopes"]:
        raise ApiError(403, f"The access token's scope does not include {needed}", None)
    return Grant(
        record["client_id"],
        frozenset(record["scopes"]),
        record.get("user_id"),
        record.get("instacart_user_id"),
    )


def expire_all(instance: Instance) -> int:
    """Expire every token now (the 'early token expiry' fault, all at once)."""
    count = 0
    for key, record in instance.state.items("token"):
        if record["expires_at"] > instance.now().timestamp():
            record["expires_at"] = instance.now().timestamp()
            instance.state.put("token", key, record)
            count += 1
    return count
