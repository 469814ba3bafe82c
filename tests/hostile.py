"""Hostile servers for tests: small apps over the project's own HTTPS serving that answer
slowly, cut short, off-spec, or remember what reached them."""

from __future__ import annotations

import itertools
import shutil
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from connect_kit.client._config import Environment
from connect_kit.serve.server import ServerThread, bind, make_server
from connect_kit.serve.tls import make_certificates


@dataclass
class Seen:
    """What reached a hostile server: one (method, path, Authorization) per request."""

    requests: list[tuple[str, str, str | None]] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)  # issued, oldest first
    valid: set[str] = field(default_factory=set)  # tokens the server still accepts

    def api_calls(self) -> list[tuple[str, str, str | None]]:
        return [r for r in self.requests if not r[1].startswith("/v2/oauth/")]


def token_routes(seen: Seen) -> list[Route]:
    """A token endpoint issuing tok-1, tok-2... and a revoke endpoint that accepts anything."""
    counter = itertools.count(1)

    async def token(request: Request) -> JSONResponse:
        seen.requests.append(("POST", request.url.path, request.headers.get("authorization")))
        value = f"tok-{next(counter)}-" + "x" * 36
        seen.tokens.append(value)
        seen.valid.add(value)
        return JSONResponse(
            {"access_token": value, "token_type": "Bearer", "expires_in": 3600, "created_at": 0}
        )

    async def revoke(request: Request) -> JSONResponse:
        return JSONResponse({})

    return [
        Route("/v2/oauth/token", token, methods=["POST"]),
        Route("/v2/oauth/token/revoke", revoke, methods=["POST"]),
    ]


def bearer(request: Request) -> str:
    return request.headers.get("authorization", "").removeprefix("Bearer ")


def loopback(name: str, port: int, ca_file: Path) -> Environment:
    """A development environment for a test's own server on a loopback port."""
    return Environment(
        name,
        f"https://127.0.0.1:{port}",
        "id",
        "hostile-client-secret",
        ca_bundle=str(ca_file),
        kind="development",
        kind_reason="declared by the test",
    )


@contextmanager
def hostile_server(
    tmp_path: Path,
    routes: list[Route],
    seen: Seen | None = None,
    name: str = "hostile",
    ca_of: Path | None = None,
    tokens: bool = True,
) -> Iterator[tuple[Environment, Seen]]:
    """Serve ``routes`` (and a token endpoint) over HTTPS on loopback; yields a development
    environment for it, and what reached it. ``ca_of``: the CA file of another server (a
    sandbox's) whose CA signs this one's certificate too, so that its clients trust it.
    ``tokens=False``: no token endpoint of its own (``routes`` bring theirs)."""
    seen = seen if seen is not None else Seen()
    app = Starlette(routes=[*(token_routes(seen) if tokens else []), *routes])
    folder = tmp_path / name
    if ca_of is not None:  # make_certificates reuses a CA it finds in the folder
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(ca_of, folder / "ca.pem")
        shutil.copy(ca_of.parent / "ca-key.pem", folder / "ca-key.pem")
    certificates = make_certificates(folder)
    sock = bind()
    thread = ServerThread([(make_server(app, certificates), sock)])
    thread.start()
    try:
        yield loopback(name, sock.getsockname()[1], certificates.ca_file), seen
    finally:
        thread.stop()


@contextmanager
def raw_tls_server(
    tmp_path: Path,
    name: str,
    serve: Callable[[ssl.SSLSocket, threading.Event], None],
    env: str | None = None,
) -> Iterator[Environment]:
    """A TLS server of its own CA on loopback that hands each connection, once TLS is up, to
    ``serve(tls, stop)``: for answers no HTTP server library would give (``stop`` is set when
    the server closes); the environment is called ``env`` (default: ``name``)."""
    certificates = make_certificates(tmp_path / name)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificates.cert_file, certificates.key_file)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def handle(conn: socket.socket) -> None:
        try:
            with context.wrap_socket(conn, server_side=True) as tls:
                serve(tls, stop)
        except OSError:
            pass

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield loopback(env or name, listener.getsockname()[1], certificates.ca_file)
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def trickling_server(
    tmp_path: Path, head: bytes, every: float = 0.1, seconds: float = 10.0
) -> AbstractContextManager[Environment]:
    """A raw TLS server that answers every request by sending ``head`` one byte every
    ``every`` seconds for up to ``seconds`` (headers that never end: no HTTP server library
    would write them so slowly)."""

    def serve(tls: ssl.SSLSocket, stop: threading.Event) -> None:
        tls.settimeout(seconds)
        tls.recv(65536)
        ends = time.monotonic() + seconds
        for byte in itertools.cycle(head):
            if stop.is_set() or time.monotonic() > ends:
                break
            tls.sendall(bytes([byte]))
            time.sleep(every)

    return raw_tls_server(tmp_path, "trickle", serve)


def silent_server(tmp_path: Path) -> AbstractContextManager[Environment]:
    """A raw TLS server that accepts, reads the request, and never answers."""

    def serve(tls: ssl.SSLSocket, stop: threading.Event) -> None:
        tls.recv(65536)
        stop.wait(10)  # holds the connection open, answering nothing

    return raw_tls_server(tmp_path, "silent", serve, env="dev")


def json_of(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status)
