"""OAuth: generate and revoke access tokens (reference section 2)."""

from __future__ import annotations

from pydantic import Field

from .base import Operation, RequestModel, ResponseModel, secret

GRANT_TYPES = (
    "client_credentials",
    "fulfillment_user_assertion",
    "authorization_code",
    "urn:ietf:params:oauth:grant-type:retailer-json-bearer",
)


class TokenRequest(RequestModel):
    client_id: str = Field(min_length=1)
    client_secret: str = secret(min_length=1)
    grant_type: str = Field(
        examples=["client_credentials"], json_schema_extra={"x-enum": list(GRANT_TYPES)}
    )
    scope: str | None = Field(
        None,
        examples=["connect:fulfillment"],
        description="Defaults to every API configured for the app; comma-separate several.",
    )
    code: str | None = secret(default=None, description="authorization_code grant.")
    redirect_uri: str | None = Field(None, description="authorization_code grant.")
    assertion: str | None = secret(
        default=None, description='fulfillment_user_assertion: base64 of {"user_id": "..."}.'
    )


class Token(ResponseModel):
    access_token: str = secret()
    token_type: str = "Bearer"
    expires_in: int
    created_at: int = Field(
        description="When the token was made, in seconds since 1970.",
        json_schema_extra={"x-volatile": True, "format": "unix-time"},
    )
    scope: str | None = None


class RevokeRequest(RequestModel):
    client_id: str = Field(min_length=1)
    client_secret: str = secret(min_length=1)
    token: str = secret(min_length=1)


class Revoked(ResponseModel):
    """An empty object."""


class OAuthErrorBody(ResponseModel):
    """The token endpoints' errors, shaped as OAuth's: ``{"error", "error_description"}``."""

    error: str = Field(examples=["invalid_client"])
    error_description: str


OPERATIONS = (
    Operation(
        "create_token",
        "POST",
        "/v2/oauth/token",
        "auth",
        "oauth",
        "Generate an access token (client credentials, user assertion or linking code).",
        TokenRequest,
        Token,
        scope=None,
        mutating=True,
        ref="#1",
    ),
    Operation(
        "revoke_token",
        "POST",
        "/v2/oauth/token/revoke",
        "auth",
        "oauth",
        "Revoke an access token.",
        RevokeRequest,
        Revoked,
        scope=None,
        mutating=True,
        ref="#2",
    ),
)
