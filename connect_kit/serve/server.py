"""Serving the instances: uvicorn over TLS on loopback, in a background thread.

The server speaks through :class:`Protocol`, uvicorn's httptools protocol with four
changes: answers go out without Nagle's delay, the app may drop a connection, a request
that is not HTTP gets a JSON envelope, and an idle connection is closed at once on stop.
uvicorn has no public hook for the last three, so :data:`UVICORN_INTERNALS` lists what they
rely on; ``pyproject.toml`` pins uvicorn to the versions where it holds, and
``tests/test_serve.py`` checks its shape and each behaviour end to end.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from email.utils import formatdate
from typing import Any, cast

import orjson
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .tls import Certificates

HOST = "127.0.0.1"  # loopback only, always
TRANSPORT = "connect_kit.transport"  # the scope extension that carries the connection

# What Protocol relies on inside uvicorn's HttpToolsProtocol, beyond asyncio's protocol API:
UVICORN_INTERNALS = {
    "on_message_begin": "called as a request starts; sets self.scope, the request's scope",
    "send_400_response": "called with a message when the bytes are not an HTTP request",
    "shutdown": "called on each connection when the server stops",
    "cycle": "None before the first request, then its cycle, with response_complete",
}


class Protocol(HttpToolsProtocol):
    """uvicorn's protocol, handing the app its transport so a fault can drop a connection."""

    connection: asyncio.Transport | None = None  # ours, set when the connection is made

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self.connection = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:  # answers go out at once, not after the client's delayed ACK
            # (40 ms a request); asyncio and uvloop set it on TCP transports too, this makes
            # sure of it whatever the loop
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        scope = cast(dict[str, Any], self.scope)
        scope.setdefault("extensions", {})[TRANSPORT] = self.connection

    def send_400_response(self, msg: str) -> None:
        """A request that is not even HTTP still gets the API's error envelope, not plain text."""
        connection = self.connection
        if connection is None:  # pragma: no cover - uvicorn parses only after connection_made
            return
        body = orjson.dumps({"error": {"message": msg.rstrip("."), "code": None}, "meta": {}})
        connection.write(
            b"HTTP/1.1 400 Bad Request\r\n"
            b"date: %s\r\n"
            b"content-type: application/json\r\n"
            b"content-length: %d\r\n"
            b"connection: close\r\n\r\n%s" % (formatdate(usegmt=True).encode(), len(body), body)
        )
        connection.close()

    def shutdown(self) -> None:
        # An idle keep-alive connection is closed at once: a TLS close would wait for the
        # client's close_notify, which an idle pooled client never sends.
        if self.connection is not None and (self.cycle is None or self.cycle.response_complete):
            self.connection.abort()
        else:
            super().shutdown()


def bind(port: int = 0) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, port))
    sock.listen(256)
    sock.setblocking(False)
    return sock


def make_server(app: Any, certificates: Certificates) -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        http=Protocol,
        ssl_certfile=str(certificates.cert_file),
        ssl_keyfile=str(certificates.key_file),
        lifespan="off",
        access_log=False,
        log_config=None,
        log_level=logging.WARNING,
        timeout_keep_alive=30,
        timeout_graceful_shutdown=2,
        server_header=False,
    )
    return uvicorn.Server(config)


def new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is absent on Windows
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


class ServerThread:
    """Several uvicorn servers, each on its own socket, sharing one event loop thread."""

    def __init__(self, servers: list[tuple[uvicorn.Server, socket.socket]]) -> None:
        self.servers = servers
        self.loop = new_loop()
        self.thread = threading.Thread(target=self._run, name="connect-kit-sandbox", daemon=True)
        self.error: BaseException | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(
                asyncio.gather(*(s.serve(sockets=[sock]) for s, sock in self.servers))
            )
        except BaseException as exc:  # surfaced by start()
            self.error = exc
        finally:
            self.loop.close()

    def start(self, timeout: float = 15.0) -> None:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not all(s.started for s, _ in self.servers):
            if self.error or not self.thread.is_alive():
                raise RuntimeError(f"the sandbox could not start: {self.error!r}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the sandbox did not start within {timeout:.0f} s")
            time.sleep(0.005)

    def stop(self, timeout: float = 5.0) -> None:
        for server, _ in self.servers:
            server.should_exit = True
        if self.thread.is_alive():
            self.thread.join(timeout)
        self.close_sockets()

    def close_sockets(self) -> None:
        """Release the ports (also when the servers never started)."""
        for _, sock in self.servers:
            sock.close()

    def run_forever(self) -> None:
        """Serve in the calling thread until interrupted (the CLI's foreground mode)."""
        self.thread.start()
        try:
            while self.thread.is_alive():
                self.thread.join(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()
