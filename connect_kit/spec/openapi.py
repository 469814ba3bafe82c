"""The spec as an OpenAPI 3.1 document (served by the sandbox at ``/openapi.json``)."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic.json_schema import models_json_schema

from . import OPERATIONS
from .base import Operation
from .common import ErrorEnvelope

_REF = "#/components/schemas/{model}"
_ERRORS = {
    "400": "Invalid request (error envelope; code 9999 lists several errors).",
    "401": "Missing, malformed, expired or revoked access token.",
    "403": "The token's scope does not cover this API, or the user is not active.",
    "404": "Not found.",
    "429": "Too many requests (Retry-After tells how long to wait).",
}


@cache
def _schemas() -> tuple[dict[Any, Any], dict[str, Any]]:
    models: list[tuple[type, str]] = [(ErrorEnvelope, "serialization")]
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
            {"type": "integer", "minimum": 0} if kind is int else {"type": "string", "minLength": 1}
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


def _operation(op: Operation, refs: dict[Any, Any]) -> dict[str, Any]:
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
            **{
                status: {
                    "description": text,
                    "content": {
                        "application/json": {"schema": refs[(ErrorEnvelope, "serialization")]}
                    },
                }
                for status, text in _ERRORS.items()
            },
        },
        "x-mutating": op.mutating,
        "x-ref": op.ref,
    }
    if op.request is not None:
        doc["requestBody"] = {
            "required": True,
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
