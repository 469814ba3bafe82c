"""Whatever a server answers, a failure reaches the user as a typed error or a message.

A hostile server (a real HTTPS server, served the way the sandbox is) answers error bodies
that no documented endpoint sends: envelopes of the wrong types, lists, nulls, huge or deeply
nested bodies, text that is not UTF-8. Each becomes the :mod:`connect_kit.errors` class of
its status, carrying the body's text, never an ``AttributeError`` or ``TypeError`` from inside
the package. The composer, the same: its Send turns every failure into a message.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import ipywidgets as w
import pandas as pd
import pytest

import connect_kit as ck
from connect_kit import spec
from connect_kit.client._config import Environment
from connect_kit.client._retry import RetryPolicy
from connect_kit.client._session import ConnectSession
from connect_kit.errors import (
    APIError,
    AuthenticationError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)

CLIENT_SECRET = "hostile-client-secret-3f9a"
ECHOED_TOKEN = "echoed-token-that-is-secret-7c1d"

# name -> the body, as bytes on the wire
BODIES: dict[str, bytes] = {
    name: text if isinstance(text, bytes) else text.encode()
    for name, text in {
        "errors_of_strings": '{"error": {"errors": ["x"]}}',
        "errors_not_a_list": '{"error": {"message": "m", "errors": 5}}',
        "message_a_number": '{"error": {"message": 5}}',
        "inner_error_a_string": '{"error": {"errors": [{"error": "x"}]}}',
        "inner_message_a_number": (
            '{"error": {"message": "Multiple errors", "code": 9999, '
            '"errors": [{"error": {"message": 7}}]}}'
        ),
        "inner_item_null": '{"error": {"message": "m", "errors": [null]}}',
        "code_an_object": '{"error": {"message": "m", "code": {"x": 1}}}',
        "error_null": '{"error": null}',
        "error_a_list": '{"error": ["x"]}',
        "error_a_number": '{"error": 5}',
        "oauth_description_a_number": '{"error": "invalid_client", "error_description": 5}',
        "oauth_without_description": '{"error": "invalid_client"}',
        "meta_a_string": '{"error": {"message": "m"}, "meta": "x"}',
        "a_list": '["not", "an", "object"]',
        "json_null": "null",
        "a_number": "5",
        "a_string": '"just text"',
        "html": "<html><body>Bad gateway</body></html>",
        "long_text": "x" * 100_000,
        "deep": "[" * 100_000,
        "deep_but_whole": "[" * 900 + "]" * 900,
        "not_utf8": b"\xff\xfe\x00{\x81",
        "empty": "",
        "echoes_secrets": json.dumps(
            {
                "error": None,
                "echo": f"client_secret={CLIENT_SECRET} token={ECHOED_TOKEN}",
                "access_token": ECHOED_TOKEN,
            }
        ),
    }.items()
}

# bodies that fit the spec's envelope: name -> (message, code, key)
FITTING: dict[str, bytes] = {
    "meta_null": b'{"error": {"message": "Meta is null", "code": 1001}, "meta": null}',
    "meta_key_a_number": b'{"error": {"message": "Key is a number"}, "meta": {"key": 5}}',
    "inner_meta_null": (
        b'{"error": {"message": "Multiple errors", "code": 9999, "errors": '
        b'[{"error": {"message": "First is wrong", "code": 1001}, "meta": null}]}, "meta": null}'
    ),
    "long_message": b'{"error": {"message": "' + b"m" * 100_000 + b'"}}',
    "message_echoes_the_secret": (
        b'{"error": {"message": "bad secret ' + CLIENT_SECRET.encode() + b'", "code": 1}}'
    ),
}
READ_AS: dict[str, tuple[str, Any, str | None]] = {
    "meta_null": ("Meta is null", 1001, None),
    "meta_key_a_number": ("Key is a number", None, "5"),
    "inner_meta_null": ("Multiple errors", 9999, None),
    "long_message": ("mmmmmmmmmm", None, None),
    "message_echoes_the_secret": ("bad secret [redacted]", 1, None),
}
ALL = {**BODIES, **FITTING}

CLASSES = {
    400: InvalidRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    418: APIError,
    429: RateLimitError,
    500: ServerError,
    503: ServerError,
}


def _answer(name: str, status: int) -> Any:
    from starlette.responses import Response

    return Response(ALL[name], status_code=status, media_type="application/json")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Iterator[Environment]:
    """A real HTTPS server whose error answers fit no shape the API documents.

    ``GET /v2/fulfillment/users/{name}--{status}/link`` answers body ``name`` with ``status``;
    a token request whose client id is ``{name}--{status}`` is refused the same way.
    """
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse, PlainTextResponse
    from starlette.routing import Route

    from connect_kit.serve.server import ServerThread, bind, make_server
    from connect_kit.serve.tls import make_certificates

    async def token(request):
        client_id = (await request.json()).get("client_id", "")
        if "--" in client_id:
            name, status = client_id.rsplit("--", 1)
            return _answer(name, int(status))
        return JSONResponse(
            {"access_token": "t" * 43, "token_type": "Bearer", "expires_in": 3600, "created_at": 0}
        )

    async def revoke(request):
        return JSONResponse({})

    async def link(request):
        name, status = request.path_params["user_id"].rsplit("--", 1)
        return _answer(name, int(status))

    async def stores(request):
        return PlainTextResponse("stores, but not as JSON")

    app = Starlette(
        routes=[
            Route("/v2/oauth/token", token, methods=["POST"]),
            Route("/v2/oauth/token/revoke", revoke, methods=["POST"]),
            Route("/v2/fulfillment/users/{user_id}/link", link),
            Route("/v2/fulfillment/stores/delivery", stores, methods=["POST"]),
        ]
    )
    certificates = make_certificates(tmp_path_factory.mktemp("hostile"))
    sock = bind()
    thread = ServerThread([(make_server(app, certificates), sock)])
    thread.start()
    yield Environment(
        "hostile",
        f"https://127.0.0.1:{sock.getsockname()[1]}",
        "client",
        CLIENT_SECRET,
        ca_bundle=str(certificates.ca_file),
    )
    thread.stop()


def _check(error: APIError, name: str, status: int) -> None:
    """The class of the status, the body's text as the message, no secret, a short repr."""
    assert type(error) is CLASSES[status]
    assert error.status == status
    text = ALL[name].decode("utf-8", "replace").strip()
    if name in READ_AS:
        message, code, key = READ_AS[name]
        assert error.message.startswith(message) and (error.code, error.key) == (code, key)
    elif text and name != "not_utf8":
        scrubbed = text.replace(CLIENT_SECRET, "[redacted]").replace(ECHOED_TOKEN, "[redacted]")
        assert error.message[:40] == scrubbed[:40]
    assert error.message and len(error.message) <= 500
    shown = [str(error), repr(error), error.message, json.dumps(error.body, default=str)]
    shown += [str(e) for e in error.errors]
    assert not any(s in text for s in (CLIENT_SECRET, ECHOED_TOKEN) for text in shown)


@pytest.mark.parametrize("status", sorted(CLASSES))
@pytest.mark.parametrize("name", sorted(ALL))
def test_a_malformed_error_body_becomes_the_typed_error_of_its_status(hostile, name, status):
    with ConnectSession(hostile, retry=RetryPolicy(max_attempts=1)) as session:
        with pytest.raises(APIError) as caught:
            session.call("get_user_link", user_id=f"{name}--{status}")
        _check(caught.value, name, status)
        code = session.history["error_code"].iloc[-1]
        if name in READ_AS:
            expected = READ_AS[name][1]
            assert (code == str(expected)) if expected is not None else code is pd.NA
        else:
            assert code == str(status)


@pytest.mark.parametrize("status", [400, 401, 500])
@pytest.mark.parametrize("name", sorted(ALL))
def test_a_malformed_token_refusal_becomes_a_typed_error(hostile, name, status):
    from dataclasses import replace

    env = replace(hostile, client_id=f"{name}--{status}")
    with ConnectSession(env, retry=RetryPolicy(max_attempts=1)) as session:
        with pytest.raises(APIError) as caught:
            session.call("get_user_link", user_id="never-sent--200")
        _check(caught.value, name, status)


def test_the_message_of_a_body_that_fits_no_shape_is_its_text_shortened(hostile):
    with (
        ConnectSession(hostile, retry=RetryPolicy(max_attempts=1)) as session,
        pytest.raises(InvalidRequestError) as caught,
    ):
        session.call("get_user_link", user_id="long_text--400")
    assert caught.value.message.startswith("x" * 150) and len(caught.value.message) <= 200


# The composer -------------------------------------------------------------------------------


def _empty(form) -> None:
    """Every text input of the form emptied, every optional choice left unset."""
    for field in form.fields:
        if isinstance(field.widget, w.Text | w.Textarea):
            field.widget.value = ""
        elif isinstance(field.widget, w.Dropdown) and None in dict(field.widget.options).values():
            field.widget.value = None
    form.as_user.value = ""


OFFERED = sorted(op.name for op in spec.OPERATIONS.values() if op.area != "auth")


@pytest.mark.filterwarnings("ignore::connect_kit.errors.DeprecatedWarning")
@pytest.mark.parametrize("filled", ["examples", "empty"])
@pytest.mark.parametrize("operation", OFFERED)
def test_the_composer_send_never_raises_whatever_the_operation(
    sandbox, tmp_path, monkeypatch, operation, filled
):
    monkeypatch.chdir(tmp_path)  # no .env: dev is the embedded sandbox
    form = ck.composer("dev", operation)
    if filled == "empty":
        _empty(form)
    else:
        form.as_user.value = "composer-user"
    result = form.submit()  # what Send does; it must not raise
    assert result is not None or form.message.value


@pytest.mark.parametrize(
    ("operation", "values"),
    [
        ("get_user_link", {"user_id": "errors_of_strings--400"}),
        ("get_user_link", {"user_id": "inner_error_a_string--404"}),
        ("get_user_link", {"user_id": "errors_not_a_list--400"}),
        ("get_user_link", {"user_id": "deep--404"}),
        ("find_delivery_stores", {"find_by": '{"latitude": 37.79, "longitude": -122.39}'}),
    ],
)
def test_the_composer_shows_any_answer_of_a_hostile_server_as_a_message(
    hostile, tmp_path, monkeypatch, operation, values
):
    monkeypatch.chdir(tmp_path)
    for setting, value in {
        "URL": hostile.url,
        "CLIENT_ID": hostile.client_id,
        "CLIENT_SECRET": hostile.client_secret,
        "CA_BUNDLE": hostile.ca_bundle,
    }.items():
        monkeypatch.setenv(f"INSTACART_HOSTILE_{setting}", value)
    form = ck.composer("hostile", operation)
    for field in form.fields:
        if field.name in values:
            field.widget.value = values[field.name]
    assert form.submit() is None  # no exception, no result
    shown = form.message.value + "".join(f.error.value for f in form.fields)
    assert shown and CLIENT_SECRET not in shown and "Traceback" not in shown


def test_a_success_whose_body_is_not_json_is_a_typed_error(tmp_path):
    from hostile import hostile_server
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def stores(request):
        return PlainTextResponse("<html>maintenance</html>", status_code=200)

    routes = [Route("/v2/fulfillment/stores/delivery", stores, methods=["POST"])]
    with (
        hostile_server(tmp_path, routes) as (env, _),
        ConnectSession(env) as session,
        pytest.raises(APIError, match="not JSON: <html>maintenance") as caught,
    ):
        session.call("find_delivery_stores", find_by={"latitude": 37.79, "longitude": -122.39})
    assert caught.value.status == 200
