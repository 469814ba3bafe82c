"""A local receiver for Instacart's order callbacks: the retailer's side of the webhooks.

Instacart fetches an OAuth token from the retailer's own token endpoint (a form-encoded
client-credentials POST), then POSTs each order event as JSON with that token. ``listen()``
plays the retailer: it serves both endpoints over HTTPS on loopback, with its own local CA,
keeps each event once (callbacks may come twice, and in any order) and shows them as a
DataFrame.

>>> import connect_kit as ck
>>> receiver = ck.callbacks.listen()  # doctest: +SKIP
>>> sb = ck.sandbox.start()           # doctest: +SKIP
>>> sb.callbacks("dev", receiver)     # doctest: +SKIP
>>> receiver.wait_for(1, timeout=5)   # doctest: +SKIP
>>> receiver.events                   # doctest: +SKIP
>>> receiver.stop()                   # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import hmac
import html
import secrets
import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import orjson
import pandas as pd

__all__ = ["Receiver", "listen", "validate_event"]

TOKEN_TTL = 3600
BASE_COLUMNS = ("event_id", "event_name", "event_timestamp", "order_id")


class InvalidEvent(ValueError):
    """A callback body that is not an event envelope."""


def validate_event(body: Any) -> dict[str, Any]:
    """The event if ``body`` is a callback envelope, else :class:`InvalidEvent` naming the field.

    An envelope has ``event_id`` (integer), ``event_name`` (non-empty string),
    ``event_timestamp`` (ISO-8601), ``event_metadata`` (object) and optionally ``retailer_id``
    (string). Unknown top-level fields are tolerated (the API adds fields over time).
    """
    if not isinstance(body, dict):
        raise InvalidEvent("the body must be a JSON object (an event envelope)")
    event_id = body.get("event_id")
    if isinstance(event_id, bool) or not isinstance(event_id, int):
        raise InvalidEvent("event_id: expected an integer")
    if not -(2**63) <= event_id < 2**63:
        raise InvalidEvent("event_id: expected a 64-bit integer")
    name = body.get("event_name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidEvent("event_name: expected a non-empty string")
    stamp = body.get("event_timestamp")
    if not isinstance(stamp, str):
        raise InvalidEvent("event_timestamp: expected an ISO-8601 string")
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidEvent("event_timestamp: expected an ISO-8601 string") from None
    if moment.tzinfo is None:
        raise InvalidEvent("event_timestamp: expected a time zone (e.g. a trailing Z)")
    if not isinstance(body.get("event_metadata"), dict):
        raise InvalidEvent("event_metadata: expected an object")
    if "retailer_id" in body and not isinstance(body["retailer_id"], str):
        raise InvalidEvent("retailer_id: expected a string")
    return body


class Receiver:
    """An HTTPS callback receiver on 127.0.0.1 with its own OAuth token endpoint.

    Attributes:
        url: the callback URL (``POST``, bearer token required).
        auth_url: the token endpoint (``POST``, form-encoded client credentials).
        client_id, client_secret: what the sender must present (random by default).
        ca_file: PEM of the local CA that signed the receiver's certificate.
        received: callbacks accepted, duplicates included.
        duplicates: callbacks whose ``event_id`` had already been received.
        refused: callbacks answered with an error status (no or bad token, simulated failure).
        arrivals: event ids in the order they came (``events`` is sorted instead).
    """

    def __init__(
        self,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        port: int = 0,
        token_ttl: int = TOKEN_TTL,
    ) -> None:
        from .serve.server import HOST, ServerThread, bind, make_server
        from .serve.tls import make_certificates

        for name, value in (("client_id", client_id), ("client_secret", client_secret)):
            if value is not None and (not isinstance(value, str) or not value):
                raise ValueError(f"{name} must be a non-empty string, got {type(value).__name__}")
        if not isinstance(token_ttl, int) or token_ttl <= 0:
            raise ValueError(f"token_ttl must be a positive number of seconds, got {token_ttl!r}")
        self.client_id = client_id or f"receiver-{secrets.token_hex(6)}"
        self.client_secret = client_secret or secrets.token_urlsafe(32)
        self.token_ttl = token_ttl
        self._lock = threading.Condition(threading.RLock())
        self._events: dict[int, dict[str, Any]] = {}
        self._arrivals: list[int] = []  # event ids as they came, duplicates included
        self._tokens: dict[str, float] = {}  # access token -> monotonic expiry
        self._listeners: list[Callable[[], None]] = []
        self._fail_next: list[int] = []
        self.received = 0
        self.duplicates = 0
        self.refused = 0
        self._tmp = Path(tempfile.mkdtemp(prefix="connect-kit-callbacks-"))
        try:
            self.certificates = make_certificates(self._tmp)
            sock = bind(port)
        except BaseException:
            shutil.rmtree(self._tmp, ignore_errors=True)
            raise
        base = f"https://{HOST}:{sock.getsockname()[1]}"
        self.url = f"{base}/callbacks"
        self.auth_url = f"{base}/oauth/token"

        async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
            await self._app(scope, receive, send)  # a plain function: uvicorn sees ASGI 3

        self._thread = ServerThread([(make_server(app, self.certificates), sock)])
        self._thread.thread.name = "connect-kit-callbacks"
        self.running = False

    # lifecycle ---------------------------------------------------------------------------

    def start(self) -> Receiver:
        if not self.running:
            self._thread.start()
            self.running = True
        return self

    def stop(self) -> None:
        """Stop serving and remove the certificates (the events stay readable)."""
        if self.running:
            self._thread.stop()
            self.running = False
        self._thread.close_sockets()
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def ca_file(self) -> str:
        """PEM file of the receiver's local CA (what the sender verifies against)."""
        return str(self.certificates.ca_file)

    # controls for testing a sender ---------------------------------------------------------

    def fail_next(self, count: int = 1, status: int = 503) -> None:
        """Answer the next ``count`` callbacks with ``status`` (to see a sender retry)."""
        with self._lock:
            self._fail_next.extend([status] * count)

    def expire_tokens(self) -> int:
        """Expire every token issued so far; returns how many were live."""
        with self._lock:
            now = time.monotonic()
            live = sum(1 for expiry in self._tokens.values() if expiry > now)
            self._tokens.clear()
            return live

    def clear(self) -> None:
        """Forget the events received so far, and the counts."""
        with self._lock:
            self._events.clear()
            self._arrivals.clear()
            self.received = self.duplicates = self.refused = 0

    # reading -------------------------------------------------------------------------------

    def __len__(self) -> int:
        with self._lock:
            return len(self._events)

    def wait_for(self, n: int, timeout: float = 10.0) -> bool:
        """Block until ``n`` distinct events have arrived (True), or ``timeout`` s pass."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self._events) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(left)
            return True

    @property
    def arrivals(self) -> list[int]:
        """The event ids in the order they arrived, duplicates included."""
        with self._lock:
            return list(self._arrivals)

    def event_list(self) -> list[dict[str, Any]]:
        """The distinct events (as received), by event_timestamp then event_id."""
        with self._lock:
            events = list(self._events.values())
        return sorted(events, key=_order_key)

    @property
    def events(self) -> pd.DataFrame:
        """The distinct events as a DataFrame, ordered by event_timestamp then event_id.

        Columns: ``event_id`` (Int64), ``event_name`` (category), ``event_timestamp`` (UTC),
        ``order_id`` (string), ``retailer_id`` when any event carries one, then each other
        ``event_metadata`` key as ``metadata.<key>``.
        """
        return events_frame(self.event_list())

    # serving -------------------------------------------------------------------------------

    async def _app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        chunks = []
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        status, payload, extra = self._handle(
            scope["method"], scope["path"], headers, b"".join(chunks)
        )
        body = orjson.dumps(payload)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"cache-control", b"no-store"),
                    *extra,
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
        if status == 200 and scope["path"] == "/callbacks":
            self._notify()

    def _handle(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any, list[tuple[bytes, bytes]]]:
        if path == "/oauth/token":
            if method != "POST":
                return 405, {"error": "method_not_allowed"}, [(b"allow", b"POST")]
            return self._token(headers, body)
        if path == "/callbacks":
            if method != "POST":
                return 405, {"error": "method_not_allowed"}, [(b"allow", b"POST")]
            return self._callback(headers, body)
        return 404, {"error": "not_found"}, []

    def _token(
        self, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any, list[tuple[bytes, bytes]]]:
        kind = headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/x-www-form-urlencoded":
            return (
                400,
                {
                    "error": "invalid_request",
                    "error_description": "expected a form (application/x-www-form-urlencoded)",
                },
                [],
            )
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        if form.get("grant_type") != "client_credentials":
            return (
                400,
                {
                    "error": "unsupported_grant_type",
                    "error_description": "grant_type must be client_credentials",
                },
                [],
            )
        good_id = hmac.compare_digest(form.get("client_id", "").encode(), self.client_id.encode())
        good_secret = hmac.compare_digest(
            form.get("client_secret", "").encode(), self.client_secret.encode()
        )
        if not (good_id and good_secret):
            return 401, {"error": "invalid_client"}, []
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = time.monotonic() + self.token_ttl
        answer = {"access_token": token, "token_type": "Bearer", "expires_in": self.token_ttl}
        return 200, answer, []

    def _callback(
        self, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any, list[tuple[bytes, bytes]]]:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        with self._lock:
            expiry = self._tokens.get(token.strip()) if scheme.lower() == "bearer" else None
            if expiry is None or expiry <= time.monotonic():
                self.refused += 1
                challenge = b'Bearer error="invalid_token"' if token else b"Bearer"
                return 401, {"error": "invalid_token"}, [(b"www-authenticate", challenge)]
            if self._fail_next:
                self.refused += 1
                return self._fail_next.pop(0), {"error": "simulated failure"}, []
        try:
            event = validate_event(orjson.loads(body))
        except (orjson.JSONDecodeError, InvalidEvent) as exc:
            problem = str(exc) if isinstance(exc, InvalidEvent) else "the body is not JSON"
            with self._lock:
                self.refused += 1
            return 400, {"error": "invalid_request", "error_description": problem}, []
        with self._lock:
            self.received += 1
            self._arrivals.append(event["event_id"])
            if event["event_id"] in self._events:
                self.duplicates += 1
            else:
                self._events[event["event_id"]] = event
            self._lock.notify_all()
        return 200, {"received": True}, []

    def _notify(self) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            with contextlib.suppress(Exception):  # a broken widget never breaks the receiver
                listener()

    # display -------------------------------------------------------------------------------

    def _summary(self) -> str:
        with self._lock:
            kept, received, duplicates = len(self._events), self.received, self.duplicates
        status = "listening" if self.running else "stopped"
        return (
            f"{kept} event{'s' * (kept != 1)} ({received} received, "
            f"{duplicates} duplicate{'s' * (duplicates != 1)}), {status} on {self.url}"
        )

    def __repr__(self) -> str:
        return f"<Receiver {self._summary()}>"

    def _repr_html_(self, last: int = 20) -> str:
        frame = self.events.tail(last)
        table = frame.to_html(index=False, na_rep="", border=0) if len(frame) else ""
        note = f"<p>last {last} shown</p>" if len(self) > last else ""
        return (
            f"<div><p><b>Callback receiver</b>: {html.escape(self._summary())}</p>"
            f"{table}{note}</div>"
        )

    def live(self, last: int = 20) -> Any:
        """An ipywidgets HTML widget showing the latest events, refreshed as they arrive."""
        import ipywidgets

        widget = ipywidgets.HTML(value=self._repr_html_(last))
        ref = weakref.ref(widget)

        def refresh() -> None:
            shown = ref()
            if shown is None:  # the widget is gone: stop following
                with self._lock:
                    self._listeners.remove(refresh)
            else:
                shown.value = self._repr_html_(last)

        with self._lock:
            self._listeners.append(refresh)
        return widget


def listen(
    *, client_id: str | None = None, client_secret: str | None = None, port: int = 0
) -> Receiver:
    """Start a callback receiver on 127.0.0.1 (a free port by default) and return it."""
    return Receiver(client_id=client_id, client_secret=client_secret, port=port).start()


# the frame ------------------------------------------------------------------------------


def _order_key(event: dict[str, Any]) -> tuple[datetime, int]:
    return datetime.fromisoformat(event["event_timestamp"].replace("Z", "+00:00")), event[
        "event_id"
    ]


def events_frame(events: list[dict[str, Any]]) -> pd.DataFrame:
    """Callback envelopes as a typed DataFrame (see :attr:`Receiver.events`)."""
    columns: dict[str, Any] = {
        "event_id": pd.array([e["event_id"] for e in events], dtype="Int64"),
        "event_name": pd.Categorical([e["event_name"] for e in events]),
        "event_timestamp": pd.to_datetime(
            [e["event_timestamp"] for e in events], utc=True, format="ISO8601"
        ),
        "order_id": pd.array(
            [_text(e["event_metadata"].get("order_id")) for e in events], dtype="string"
        ),
    }
    if any("retailer_id" in e for e in events):
        columns["retailer_id"] = pd.array([e.get("retailer_id") for e in events], dtype="string")
    keys: list[str] = []
    for event in events:
        keys.extend(k for k in event["event_metadata"] if k != "order_id" and k not in keys)
    for key in keys:
        columns[f"metadata.{key}"] = _typed([e["event_metadata"].get(key) for e in events])
    frame = pd.DataFrame(columns)
    frame["event_timestamp"] = frame["event_timestamp"].astype("datetime64[us, UTC]")
    return frame


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _typed(values: list[Any]) -> Any:
    present = [v for v in values if v is not None]
    kinds = {type(v) for v in present}
    if kinds == {int}:
        return pd.array(values, dtype="Int64")
    if kinds and kinds <= {int, float}:
        return pd.array(values, dtype="Float64")
    if kinds == {bool}:
        return pd.array(values, dtype="boolean")
    if kinds == {str}:
        return pd.array(values, dtype="string")
    return pd.Series(values, dtype=object).array
