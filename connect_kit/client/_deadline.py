"""An overall deadline for one HTTP attempt, headers and body included.

requests' read timeout bounds each wait for bytes, not the whole answer: a server that
trickles a byte a second keeps a request alive for ever. Here, one watchdog thread holds the
deadline of every attempt in flight; the session's connections register their socket with the
attempt they serve, and at the deadline the watchdog shuts the socket down, so the blocked read
ends at once and the attempt fails as cut off::

    with watch(5.0) as attempt:
        response = session.send(prepared)  # through a WatchedAdapter
    attempt.fired  # True when the deadline cut it off
"""

from __future__ import annotations

import contextvars
import heapq
import itertools
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPSConnection
from urllib3.connectionpool import HTTPSConnectionPool


class Attempt:
    """One attempt in flight: its deadline and the sockets it reads from."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.fired = False
        self._done = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def add(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            if self.fired:
                _shut(sock)
            elif not self._done:
                self._sockets.append(sock)

    def fire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.fired = True
            for sock in self._sockets:
                _shut(sock)
            self._sockets.clear()

    def finish(self) -> None:
        with self._lock:
            self._done = True
            self._sockets.clear()


def _shut(sock: socket.socket) -> None:
    """End every read and write on ``sock`` now. The plain socket's shutdown, not the TLS
    layer's: the reading thread still owns the TLS object, and sees the end of the stream."""
    with suppress(OSError):  # already closed
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Watchdog:
    """One daemon thread that fires attempts whose deadline has passed."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Attempt]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def add(self, attempt: Attempt) -> None:
        with self._wake:
            heapq.heappush(self._heap, (attempt.deadline, next(self._order), attempt))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="connect-kit-deadline", daemon=True
                )
                self._thread.start()
            if self._heap[0][2] is attempt:  # sooner than any other: wake up for it
                self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._heap:
                    self._wake.wait()
                deadline, _, attempt = self._heap[0]
                now = time.monotonic()
                if deadline > now:
                    self._wake.wait(deadline - now)
                    continue
                heapq.heappop(self._heap)
            attempt.fire()


_WATCHDOG = _Watchdog()
_current: contextvars.ContextVar[Attempt | None] = contextvars.ContextVar(
    "connect_kit_attempt", default=None
)


def attempt_timeouts(timeout: Any, left: float) -> tuple[float, float]:
    """An attempt's (connect, read) timeouts: the session's, neither longer than what is
    ``left`` of the call's deadline."""
    if isinstance(timeout, tuple):
        connect, read = timeout
    else:
        connect = read = timeout
    left = max(left, 0.001)
    return (
        left if connect is None else min(float(connect), left),
        left if read is None else min(float(read), left),
    )


@contextmanager
def watch(seconds: float) -> Iterator[Attempt]:
    """Cut off whatever this thread reads through a watched connection after ``seconds``."""
    attempt = Attempt(time.monotonic() + max(0.0, seconds))
    _WATCHDOG.add(attempt)
    token = _current.set(attempt)
    try:
        yield attempt
    finally:
        _current.reset(token)
        attempt.finish()


class _WatchedConnection(HTTPSConnection):
    """An HTTPS connection that hands its socket to the attempt it is serving."""

    def request(self, *args: Any, **kwargs: Any) -> None:
        attempt = _current.get()
        if attempt is not None:
            attempt.add(self.sock)
        super().request(*args, **kwargs)

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        attempt = _current.get()
        if attempt is not None:
            attempt.add(self.sock)  # connected late, or a fresh socket
        return super().getresponse(*args, **kwargs)


class _WatchedPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedConnection


class WatchedAdapter(HTTPAdapter):
    """requests' adapter, its HTTPS connections watched by :func:`watch`."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _watched(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        return _watched(super().proxy_manager_for(proxy, **proxy_kwargs))


def _watched(manager: Any) -> Any:
    manager.pool_classes_by_scheme = {**manager.pool_classes_by_scheme, "https": _WatchedPool}
    return manager
