"""The spec as an OpenAPI 3.1 document (served by the sandbox at ``/openapi.json``)."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from . import OPERATIONS
from .auth import OAuthErrorBody
from .base import Operation
from .common import ErrorEnvelope

_REF = "#/components/schemas/{model}"
_MAX_ID = 10**18 - 1  # integer path parameters: at most 18 digits
_ERRORS = {
    "400": "Invalid request (error envelope; code 9999 lists several errors).",
    "401": "Missing, malformed, expired or revoked access token.",
    "403": "The token's scope does not cover this API, or the user is not active.",
    "404": "Not found.",
    "413": "The request body is over 1 MiB.",
    "429": "Too many requests (Retry-After tells how long to wait).",
}
# The token endpoints answer their own errors in the OAuth shape (413 and 429 as the others).
_OAUTH_ERRORS = {
    "400": "Invalid request, grant type, scope or grant (OAuth error).",
    "401": "Unknown client or wrong secret: invalid_client (OAuth error).",
    "403": "Credentials in the query string, or another application's token (OAuth error).",
}


@cache
def _schemas() -> tuple[dict[Any, Any], dict[str, Any]]:
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (ErrorEnvelope, "serialization"),
        (OAuthErrorBody, "serialization"),
    ]
    for op in OPERATIONS.values():
        if op.request is not None:
            models.append((op.request, "validation"))
        if op.response is not None:
            models.append((op.response, "serialization"))
    refs, top = models_json_schema(list(dict.fromkeys(models)), ref_template=_REF)
    return refs, top.get("$defs", {})


def _parameters(op: Operation) -> list[dict[str, Any]]:
    params = []
    for name, kind in op.path_params.items():
        schema = (
            {"type": "integer", "minimum": 0, "maximum": _MAX_ID}
            if kind is int
            else {"type": "string", "minLength": 1}
        )
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    for name in op.query:
        params.append(
            {
                "name": name,
                "in": "query",
                "required": True,
                "schema": {"type": "string", "minLength": 1},
            }
        )
    return params


def _body_required(model: type[BaseModel]) -> bool:
    """Whether a body must be sent: an empty one reads as ``{}``, which may well do."""
    try:
        model.model_validate({})
    except ValidationError:
        return True
    return False


def _error(text: str, model: type, refs: dict[Any, Any]) -> dict[str, Any]:
    return {
        "description": text,
        "content": {"application/json": {"schema": refs[(model, "serialization")]}},
    }


def _operation(op: Operation, refs: dict[Any, Any]) -> dict[str, Any]:
    errors = {status: _error(text, ErrorEnvelope, refs) for status, text in _ERRORS.items()}
    if not op.needs_token:
        del errors["404"]
        errors |= {s: _error(text, OAuthErrorBody, refs) for s, text in _OAUTH_ERRORS.items()}
    doc: dict[str, Any] = {
        "operationId": op.name,
        "summary": op.summary,
        "tags": [op.area],
        "parameters": _parameters(op),
        "responses": {
            "200": {
                "description": "Success.",
                "content": {"application/json": {"schema": refs[(op.response, "serialization")]}},
            },
            **dict(sorted(errors.items())),
        },
        "x-mutating": op.mutating,
        "x-ref": op.ref,
    }
    if op.request is not None:
        doc["requestBody"] = {
            "required": _body_required(op.request),
            "content": {"application/json": {"schema": refs[(op.request, "validation")]}},
        }
    if op.needs_token:
        doc["security"] = [{"bearer": []}]
        doc["x-scope"] = op.scope
    else:
        doc["security"] = []
    if op.deprecation:
        doc["deprecated"] = True
        doc["x-replacement"] = op.replacement
    return doc


def openapi(server: str = "https://connect.instacart.com", sandbox: bool = True) -> dict[str, Any]:
    """The OpenAPI document of every operation (the sandbox API only when ``sandbox``)."""
    refs, schemas = _schemas()
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS.values():
        if op.area == "sandbox" and not sandbox:
            continue
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, refs)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Instacart Connect (as simulated by connect-kit)", "version": "v2"},
        "servers": [{"url": server}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
