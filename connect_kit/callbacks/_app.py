"""The receiver's HTTP face: a Starlette app with two routes, like the sandbox's.

``POST /oauth/token`` is the retailer's Auth URI: a form-encoded client-credentials request
gets a bearer token. ``POST /callbacks`` is the Callback URL: an event envelope with a live
bearer token is taken (200), anything else refused with an OAuth-style JSON error. Every
answer is JSON and marked ``Cache-Control: no-store``; other paths are 404, other methods
405 with ``Allow``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from ._events import InvalidEvent, validate_event
from ._inbox import Inbox

FORM = "application/x-www-form-urlencoded"


class JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def answer(
    content: Any,
    status: int = 200,
    headers: dict[str, str] | None = None,
    background: BackgroundTask | None = None,
) -> JSON:
    headers = {"Cache-Control": "no-store", **(headers or {})}
    return JSON(content, status, headers, background=background)


def invalid(error: str, description: str) -> JSON:
    return answer({"error": error, "error_description": description}, 400)


def build_app(inbox: Inbox) -> Starlette:
    """The ASGI app of one receiver, reading and writing ``inbox``."""

    async def token(request: Request) -> Response:
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != FORM:
            return invalid("invalid_request", f"expected a form ({FORM})")
        try:
            body = await request.body()
        except ClientDisconnect:  # nobody will read the answer
            return invalid("invalid_request", "the request body is incomplete")
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        if form.get("grant_type") != "client_credentials":
            return invalid("unsupported_grant_type", "grant_type must be client_credentials")
        if not inbox.knows(form.get("client_id", ""), form.get("client_secret", "")):
            return answer({"error": "invalid_client"}, 401)
        issued = {
            "access_token": inbox.issue_token(),
            "token_type": "Bearer",
            "expires_in": inbox.token_ttl,
        }
        return answer(issued)

    async def callback(request: Request) -> Response:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        status = inbox.refusal(scheme, value)
        if status == 401:
            challenge = 'Bearer error="invalid_token"' if value else "Bearer"
            return answer({"error": "invalid_token"}, 401, {"WWW-Authenticate": challenge})
        if status is not None:
            return answer({"error": "simulated failure"}, status)
        try:
            event = validate_event(orjson.loads(await request.body()))
        except (orjson.JSONDecodeError, InvalidEvent, ClientDisconnect) as exc:
            inbox.refuse()
            problem = str(exc) if isinstance(exc, InvalidEvent) else "the body is not JSON"
            return invalid("invalid_request", problem)
        inbox.take(event)
        return answer({"received": True}, background=BackgroundTask(notify))

    async def notify() -> None:  # once the answer is sent, on the server's loop
        inbox.notify()

    routes = [
        Route("/oauth/token", token, methods=["POST"]),
        Route("/callbacks", callback, methods=["POST"]),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error})
    app.router.redirect_slashes = False  # "/callbacks/" is an unknown path (404), not a 307
    return app


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's routing errors, as JSON: 404 for another path, 405 for another method."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        return answer({"error": "method_not_allowed"}, 405, dict(exc.headers or {}))
    if exc.status_code == 404:
        return answer({"error": "not_found"}, 404)
    return answer({"error": "invalid_request"}, exc.status_code, dict(exc.headers or {}))
