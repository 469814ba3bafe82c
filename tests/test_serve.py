"""connect_kit.serve against the uvicorn installed: what it takes from uvicorn's internals.

``serve/server.py`` subclasses uvicorn's ``HttpToolsProtocol`` and relies on a few of its
internals (``UVICORN_INTERNALS``), so ``pyproject.toml`` pins uvicorn to a range. These tests
are what an upgrade must pass before the pin moves: the pin itself, the shape of what is
relied on, and each behaviour end to end, over TLS on loopback.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import inspect
import socket
import ssl
import threading
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests
import uvicorn
from packaging.requirements import Requirement
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from connect_kit.serve.server import (
    TRANSPORT,
    UVICORN_INTERNALS,
    Protocol,
    ServerThread,
    bind,
    make_server,
)
from connect_kit.serve.tls import Certificates, make_certificates

PYPROJECT = Path(__file__).parents[1] / "pyproject.toml"
SLOW = 0.3  # seconds /slow takes to answer


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """``/slow`` answers late, ``/drop`` drops the connection, anything else tells whether
    the connection's socket has TCP_NODELAY set."""
    if scope["type"] != "http":
        return
    transport = scope["extensions"][TRANSPORT]
    if scope["path"] == "/drop":
        transport.abort()
        return
    if scope["path"] == "/slow":
        await asyncio.sleep(SLOW)
    sock = transport.get_extra_info("socket")
    nodelay = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": orjson.dumps({"nodelay": nodelay})})


@pytest.fixture
def certificates(tmp_path: Path) -> Certificates:
    return make_certificates(tmp_path)


@pytest.fixture
def served(certificates: Certificates) -> Iterator[tuple[str, ServerThread]]:
    sock = bind()
    thread = ServerThread([(make_server(app, certificates), sock)])
    thread.start()
    try:
        yield f"https://127.0.0.1:{sock.getsockname()[1]}", thread
    finally:
        thread.stop()


# the pin and the shape -------------------------------------------------------------------


def test_installed_uvicorn_is_within_the_pinned_range():
    dependencies = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    (pin,) = [r for r in map(Requirement, dependencies) if r.name == "uvicorn"]
    assert any(spec.operator == "<" for spec in pin.specifier)  # an upgrade is a decision
    assert pin.specifier.contains(importlib.metadata.version("uvicorn"))


@pytest.mark.parametrize(
    ("name", "parameters"),
    [
        ("__init__", ["self", "config", "server_state", "app_state", "_loop"]),
        ("connection_made", ["self", "transport"]),
        ("on_message_begin", ["self"]),
        ("send_400_response", ["self", "msg"]),
        ("shutdown", ["self"]),
    ],
)
def test_the_methods_serve_overrides_keep_their_signatures(name, parameters):
    assert list(inspect.signature(getattr(HttpToolsProtocol, name)).parameters) == parameters


class FakeTransport:
    """Just enough of an asyncio transport for uvicorn's ``connection_made``."""

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 40000), "sockname": ("127.0.0.1", 443)}.get(name, default)

    def is_closing(self) -> bool:
        return False


def test_a_request_starts_with_a_scope_and_a_connection_without_a_cycle():
    config = uvicorn.Config(app, http=Protocol, lifespan="off", log_config=None)
    config.load()
    loop = asyncio.new_event_loop()
    try:
        protocol = Protocol(config, ServerState(), {}, loop)
        assert set(UVICORN_INTERNALS) <= set(dir(protocol))
        assert protocol.cycle is None  # what shutdown() reads as "idle"
        transport = FakeTransport()
        protocol.connection_made(transport)
        protocol.on_message_begin()
        assert protocol.scope["type"] == "http"
        assert protocol.scope["extensions"][TRANSPORT] is transport
    finally:
        loop.close()


# the behaviours, end to end ----------------------------------------------------------------


def test_answers_go_out_without_nagles_delay(served, certificates):
    url, _ = served
    answer = requests.get(url + "/", verify=str(certificates.ca_file), timeout=10)
    assert answer.status_code == 200 and answer.json()["nodelay"] != 0


def test_the_app_can_drop_the_connection(served, certificates):
    url, _ = served
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(url + "/drop", verify=str(certificates.ca_file), timeout=10)
    assert requests.get(url + "/", verify=str(certificates.ca_file), timeout=10).status_code == 200


def test_bytes_that_are_not_http_get_a_json_envelope(served, certificates):
    url, _ = served
    port = int(url.rsplit(":", 1)[1])
    context = ssl.create_default_context(cafile=str(certificates.ca_file))
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as plain,
        context.wrap_socket(plain, server_hostname="127.0.0.1") as tls,
    ):
        tls.sendall(b"GET / HTTP/9.9\r\nHost: x\r\n\r\n")
        chunks = []
        while chunk := tls.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    lines = head.lower().split(b"\r\n")
    assert b"content-type: application/json" in lines and b"connection: close" in lines
    assert any(line.startswith(b"date: ") for line in lines)
    error = orjson.loads(body)
    assert error["error"]["message"] and error["error"]["code"] is None and error["meta"] == {}


def test_stop_closes_an_idle_keep_alive_connection_at_once(served, certificates):
    url, thread = served
    with requests.Session() as session:  # keeps its connection open, idle, in its pool
        assert session.get(url + "/", verify=str(certificates.ca_file), timeout=10).ok
        started = time.monotonic()
        thread.stop()
        took = time.monotonic() - started
    assert took < 1.0  # not the 2 s of graceful shutdown that a TLS close would wait for
    assert not thread.thread.is_alive()


def test_stop_lets_a_request_in_flight_finish(
    served: tuple[str, ServerThread], certificates: Certificates
) -> None:
    url, thread = served
    answers: list[requests.Response] = []

    def call() -> None:
        answers.append(requests.get(url + "/slow", verify=str(certificates.ca_file), timeout=10))

    caller = threading.Thread(target=call)
    caller.start()
    time.sleep(SLOW / 3)  # the request is in the app now
    thread.stop()
    caller.join(10)
    assert [a.status_code for a in answers] == [200]
    assert answers[0].headers.get("connection") == "close"
