"""The sandbox's HTTP face: one Starlette app per instance, routed from the spec.

Every operation goes through the same steps: bearer token, faults, path and query
parameters, body (capped, parsed and validated with the spec's request model), the
operation's handler, and a response shaped by the spec's response model.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

import orjson
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from .. import spec
from ..spec._openapi import openapi
from ..spec.base import Operation
from . import oauth
from .errors import ApiError, OAuthError, bad_request, from_validation, not_found
from .faults import FaultSettings
from .handlers import BODY_ERRORS, HANDLERS, Context
from .instance import Instance

MAX_BODY = 1 << 20  # 1 MiB
TRANSPORT = "connect_kit.transport"  # scope extension set by the server's protocol
log = logging.getLogger("connect_kit.sandbox")


class JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


class DropConnection:
    """Close the connection without answering (the 'dropped connection' fault)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        transport = scope.get("extensions", {}).get(TRANSPORT)
        if transport is None:  # a server without the hook: the nearest thing is a 502
            await JSON({"error": {"message": "Bad gateway", "code": 5000}, "meta": {}}, 502)(
                scope, receive, send
            )
            return
        transport.abort()
        for _ in range(5):  # let the server see the disconnect before the app returns
            await asyncio.sleep(0)


def seconds(value: float) -> str:
    """A number of seconds for a header, never in exponent form (3600, 0.25, not 3.6e+03)."""
    return f"{value:.3f}".rstrip("0").rstrip(".")


def error_response(error: ApiError | OAuthError) -> JSON:
    headers = error.headers if isinstance(error, ApiError) else {"Cache-Control": "no-store"}
    return JSON(error.body(), error.status, headers=headers)


def client_left(name: str) -> JSON:
    """The answer to a request whose client closed the connection before its body was in.

    Nothing was done and nobody will read the answer (the server drops it): a client going
    away is ordinary network life, not a sandbox error, so it is only noted at DEBUG.
    """
    log.debug("the client left before its request to %s was complete", name)
    return error_response(ApiError(400, "The request body is incomplete", 1001, "body"))


async def read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY:
        raise ApiError(413, "Request body is too large (at most 1 MiB)", 1001, "body")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise ApiError(413, "Request body is too large (at most 1 MiB)", 1001, "body")
        chunks.append(chunk)
    return b"".join(chunks)


def path_params(op: Operation, request: Request) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for name, kind in op.path_params.items():
        raw = request.path_params[name]
        if kind is int:
            if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):  # not "²" nor "١٢"
                raise bad_request("must be an integer", name)
            params[name] = int(raw)
        else:
            params[name] = raw
    for name in op.query:
        value = request.query_params.get(name)
        if not value:
            raise bad_request("can't be blank", name)
        params[name] = value
    return params


def validate_body(op: Operation, body: bytes) -> Any:
    if op.request is None:
        return None
    try:
        return op.request.model_validate_json(body if body.strip() else b"{}", strict=True)
    except ValidationError as exc:
        raise BODY_ERRORS.get(op.name, from_validation)(exc) from None


def shape(op: Operation, data: Any) -> Any:
    """The handler's answer passed through the spec's response model."""
    if op.response is None:
        return data
    return op.response.model_validate(data).model_dump(mode="json", exclude_unset=True)


def parse_oauth_body(op: Operation, request: Request, body: bytes) -> Any:
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return dict(parse_qsl(body.decode("utf-8", "replace")))
    try:
        parsed = orjson.loads(body or b"{}")
    except orjson.JSONDecodeError:
        raise OAuthError(400, "invalid_request", "The request body is not valid JSON.") from None
    if isinstance(parsed, dict) and op.request is not None:
        for name in op.request.model_fields:  # every parameter of the token endpoints is text
            if parsed.get(name) is not None and not isinstance(parsed[name], str):
                raise OAuthError(400, "invalid_request", f"{name} must be a string.")
    return parsed


def endpoint(op: Operation, instance: Instance) -> Callable[[Request], Awaitable[Response]]:
    """The request handler of one operation on one instance."""
    handler = HANDLERS.get(op.name)
    token_endpoint = {"create_token": oauth.issue_token, "revoke_token": oauth.revoke_token}.get(
        op.name
    )
    if handler is None and token_endpoint is None:
        raise RuntimeError(f"the sandbox has no handler for {op.name}")
    has_body = op.request is not None
    dev_only = op.area == "sandbox" and not instance.profile.sandbox_api
    state = instance.state

    async def serve(request: Request) -> Response:
        try:
            if dev_only:
                raise not_found()
            grant = None
            if op.needs_token:
                grant = oauth.check_bearer(
                    instance, request.headers.get("authorization"), request.scope["path"]
                )
            client = grant.client_id if grant else (request.client.host if request.client else "")
            decision = instance.faults.decide(client)
            if decision.delay:
                await asyncio.sleep(decision.delay)
            if decision.drop:
                return DropConnection()  # type: ignore[return-value]
            if decision.status == 429:
                raise ApiError(
                    429,
                    "Too many requests",
                    None,
                    headers={"Retry-After": seconds(decision.retry_after or 0)},
                )
            if decision.status:
                raise ApiError(decision.status, "The service is unavailable, retry later", 5000)
            body = await read_body(request) if has_body else b""
            if token_endpoint is not None:
                answer = token_endpoint(
                    instance, parse_oauth_body(op, request, body), dict(request.query_params)
                )
                response = JSON(shape(op, answer), headers={"Cache-Control": "no-store"})
            else:
                ctx = Context(
                    instance,
                    grant,
                    path_params(op, request),
                    validate_body(op, body),
                    request.headers,
                )
                if op.mutating:  # all of a change, or none of it
                    with state.transaction():
                        response = JSON(shape(op, handler(ctx)))  # type: ignore[misc]
                else:
                    with state.lock:
                        response = JSON(shape(op, handler(ctx)))  # type: ignore[misc]
            if decision.lose:  # done, but the answer never reaches the client
                return DropConnection()  # type: ignore[return-value]
            return response
        except (ApiError, OAuthError) as error:
            return error_response(error)
        except ClientDisconnect:
            return client_left(op.name)
        except Exception:  # a bug of the sandbox: answer like a server, log it for us
            log.exception("sandbox error in %s", op.name)
            return JSON({"error": {"message": "Internal error", "code": 5000}, "meta": {}}, 500)

    serve.__name__ = op.name
    return serve


async def serve_openapi(request: Request) -> Response:
    instance: Instance = request.app.state.instance
    return JSON(openapi(server=instance.base_url, sandbox=instance.profile.sandbox_api))


OWN_CLIENT_ONLY = (
    "Reading or changing faults needs a client-credentials token of this instance's own "
    "client (sb.credentials(env)), not a user's, a linking or another client's token"
)


def check_own_client(instance: Instance, grant: oauth.Grant) -> None:
    """Only the instance's own application, with a client-credentials token, may touch its
    faults: not a user's Post-checkout token, a linking token, nor another application's."""
    own_client_id, _ = instance.credentials()
    speaks_for_a_user = grant.user_id is not None or grant.instacart_user_id is not None
    if speaks_for_a_user or grant.client_id != own_client_id:
        raise ApiError(403, OWN_CLIENT_ONLY, None)


async def serve_faults(request: Request) -> Response:
    """``GET``/``PUT /_sandbox/faults``: read or change this instance's faults, with a
    client-credentials token of the instance's own client (any scope)."""
    instance: Instance = request.app.state.instance
    try:
        grant = oauth.check_bearer(
            instance, request.headers.get("authorization"), request.scope["path"]
        )
        check_own_client(instance, grant)
        if request.method == "PUT":
            try:
                changes = orjson.loads(await read_body(request))
            except orjson.JSONDecodeError:
                raise bad_request("Invalid JSON", "body") from None
            if not isinstance(changes, dict):
                raise bad_request("must be a JSON object", "body")
            try:
                instance.faults.update(**changes)
            except (TypeError, ValueError) as exc:
                raise bad_request(str(exc), "body") from None
        return JSON(vars(instance.faults.settings) | {"names": list(FaultSettings.names())})
    except ApiError as error:
        return error_response(error)
    except ClientDisconnect:
        return client_left("the faults endpoint")


def allowed_methods(path: str) -> str | None:
    """The ``Allow`` header of a path: every method of every operation whose template matches.

    Starlette only knows the first route that matched the path, and the API has paths served
    by several operations (``GET`` and ``PUT .../orders/{order_id}``).
    """
    methods = {m for m in ("GET", "POST", "PUT", "DELETE") if spec.match(m, path)}
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods)) or None


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:  # another product's path (/idp/v1) is told so
        from ._coverage import out_of_scope  # not at import: `python -m` runs that module

        return error_response(not_found(out_of_scope(request.url.path) or "Not found"))
    headers = dict(exc.headers or {})
    if exc.status_code == 405 and (allow := allowed_methods(request.url.path)):
        headers["Allow"] = allow
    return error_response(
        ApiError(exc.status_code, exc.detail or "Request not allowed", None, headers=headers)
    )


def build_app(instance: Instance) -> Starlette:
    """The ASGI app that serves one instance."""
    endpoints = {op.name: endpoint(op, instance) for op in spec.OPERATIONS.values()}
    routes = [
        Route(op.path, endpoints[op.name], methods=[op.method], name=op.name)
        for op in spec.OPERATIONS.values()
    ]
    routes.append(Route("/openapi.json", serve_openapi, methods=["GET"]))
    routes.append(Route("/_sandbox/faults", serve_faults, methods=["GET", "PUT"]))
    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error})
    app.router.redirect_slashes = False  # ".../users/" is an unknown path (404), not a 307
    app.state.instance = instance
    return app
