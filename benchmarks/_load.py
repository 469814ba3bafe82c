"""A small closed-loop HTTPS load generator for the benchmarks (loopback only).

``measure`` opens a few keep-alive TLS connections to 127.0.0.1 and, on each, sends the same
raw HTTP/1.1 request again as soon as the previous answer is complete (one in flight per
connection, no pipelining). After a warm-up it counts the answers completed during a fixed
window. Every answer must be a 200: anything else, or a dropped connection, is counted as an
error. Parsing is minimal (status line and Content-Length) so that the client costs little and
costs the same whatever server it measures. It is meant to run in its own process, so that it
does not share the server's GIL.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from dataclasses import dataclass
from typing import cast

HOST = "127.0.0.1"  # loopback only, always
MAX_REQUESTS = 2_000_000  # per measurement, a bound on top of the time bound
HEADER_END = b"\r\n\r\n"


@dataclass(frozen=True)
class Result:
    """What one measurement counted."""

    ok: int  # 200 answers completed inside the window
    errors: int  # non-200 answers, unparsable answers, lost connections (whole run)
    seconds: float  # length of the window
    client_cpu: float  # CPU seconds this process used in the window (is the client the limit?)
    first_error: str | None = None

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


class Tally:
    """Counts shared by the connections of one measurement."""

    def __init__(self) -> None:
        self.counting = False  # inside the measured window
        self.stopping = False
        self.ok = self.errors = self.sent = 0
        self.first_error: str | None = None

    def error(self, what: str) -> None:
        self.errors += 1
        if self.first_error is None:
            self.first_error = what


class Connection(asyncio.Protocol):
    """One keep-alive connection sending ``request`` over and over."""

    def __init__(self, request: bytes, tally: Tally, done: asyncio.Future[None]) -> None:
        self.request, self.tally, self.done = request, tally, done
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.expected = 0  # length of the answer being read, once its headers are in
        self.closed = False  # closed by us: not an error

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self.send()

    def send(self) -> None:
        tally = self.tally
        if tally.stopping or tally.sent >= MAX_REQUESTS:
            self.close()
            return
        tally.sent += 1
        assert self.transport is not None
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.buffer and not self.closed:
            if not self.expected and not self.read_headers():
                return
            if len(self.buffer) < self.expected:
                return
            status = self.buffer[9:12]
            self.buffer = self.buffer[self.expected :]
            self.expected = 0
            self.answered(status)

    def read_headers(self) -> bool:
        end = self.buffer.find(HEADER_END)
        if end < 0:
            return False
        head = self.buffer[:end].lower()
        at = head.find(b"\r\ncontent-length:")
        if at < 0:
            self.tally.error(f"answer without Content-Length: {head[:80]!r}")
            self.close()
            return False
        line_end = head.find(b"\r\n", at + 2)
        value = head[at + 17 : line_end if line_end > 0 else len(head)]
        self.expected = end + len(HEADER_END) + int(value)
        return True

    def answered(self, status: bytes) -> None:
        if status != b"200":
            self.tally.error(f"status {status.decode(errors='replace')}")
        elif self.tally.counting:
            self.tally.ok += 1
        self.send()

    def close(self) -> None:
        self.closed = True
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed:
            self.tally.error(f"connection lost: {exc!r}")
        if not self.done.done():
            self.done.set_result(None)


async def run(
    port: int, request: bytes, ca_file: str, connections: int, warmup: float, duration: float
) -> Result:
    loop = asyncio.get_running_loop()
    tally = Tally()
    context = ssl.create_default_context(cafile=ca_file)  # checks the chain and 127.0.0.1
    closed: list[asyncio.Future[None]] = []
    for _ in range(connections):
        done: asyncio.Future[None] = loop.create_future()
        closed.append(done)
        await loop.create_connection(
            lambda done=done: Connection(request, tally, done), HOST, port, ssl=context
        )
    await asyncio.sleep(warmup)
    tally.counting = True
    start, cpu = loop.time(), time.process_time()
    await asyncio.sleep(duration)
    tally.counting = False
    seconds, cpu = loop.time() - start, time.process_time() - cpu
    tally.stopping = True
    _, pending = await asyncio.wait(closed, timeout=5.0)
    for _ in pending:
        tally.error("no answer within 5 s of the end")
    return Result(tally.ok, tally.errors, seconds, cpu, tally.first_error)


def new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # pragma: no cover
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def measure(
    port: int,
    request: bytes,
    ca_file: str,
    *,
    connections: int = 8,
    warmup: float = 0.5,
    duration: float = 3.0,
) -> Result:
    """Requests per second that ``request`` gets from https://127.0.0.1:``port``."""
    loop = new_loop()
    try:
        return loop.run_until_complete(run(port, request, ca_file, connections, warmup, duration))
    finally:
        loop.close()
