"""The receiver: an HTTPS server on loopback with its own CA, serving :mod:`._app`."""

from __future__ import annotations

import html
import secrets
import shutil
import tempfile
import weakref
from pathlib import Path
from typing import Any

import pandas as pd

from ._events import events_frame
from ._inbox import Inbox

TOKEN_TTL = 3600


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
        from ..serve.server import HOST, ServerThread, bind, make_server
        from ..serve.tls import make_certificates
        from ._app import build_app

        for name, value in (("client_id", client_id), ("client_secret", client_secret)):
            if value is not None and (not isinstance(value, str) or not value):
                raise ValueError(f"{name} must be a non-empty string, got {type(value).__name__}")
        if isinstance(token_ttl, bool) or not isinstance(token_ttl, int) or token_ttl <= 0:
            raise ValueError(f"token_ttl must be a positive number of seconds, got {token_ttl!r}")
        self.client_id = client_id or f"receiver-{secrets.token_hex(6)}"
        self.client_secret = client_secret or secrets.token_urlsafe(32)
        self.token_ttl = token_ttl
        self._inbox = Inbox(self.client_id, self.client_secret, token_ttl)
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
        server = make_server(build_app(self._inbox), self.certificates)
        self._thread = ServerThread([(server, sock)])
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
        self._inbox.fail_next(count, status)

    def expire_tokens(self) -> int:
        """Expire every token issued so far; returns how many were live."""
        return self._inbox.expire_tokens()

    def clear(self) -> None:
        """Forget the events received so far, and the counts."""
        self._inbox.clear()

    # reading -------------------------------------------------------------------------------

    @property
    def received(self) -> int:
        return self._inbox.received

    @property
    def duplicates(self) -> int:
        return self._inbox.duplicates

    @property
    def refused(self) -> int:
        return self._inbox.refused

    def __len__(self) -> int:
        return len(self._inbox)

    def wait_for(self, n: int, timeout: float = 10.0) -> bool:
        """Block until ``n`` distinct events have arrived (True), or ``timeout`` s pass."""
        return self._inbox.wait_for(n, timeout)

    @property
    def arrivals(self) -> list[int]:
        """The event ids in the order they arrived, duplicates included."""
        return self._inbox.arrivals()

    def event_list(self) -> list[dict[str, Any]]:
        """The distinct events (as received), by event_timestamp then event_id."""
        return self._inbox.event_list()

    @property
    def events(self) -> pd.DataFrame:
        """The distinct events as a DataFrame, ordered by event_timestamp then event_id.

        Columns: ``event_id`` (Int64), ``event_name`` (category), ``event_timestamp`` (UTC),
        ``order_id`` (string), ``retailer_id`` when any event carries one, then each other
        ``event_metadata`` key as ``metadata.<key>``.
        """
        return events_frame(self.event_list())

    # display -------------------------------------------------------------------------------

    def _summary(self) -> str:
        kept, received, duplicates = self._inbox.counts()
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
                self._inbox.unfollow(refresh)
            else:
                shown.value = self._repr_html_(last)

        self._inbox.follow(refresh)
        return widget


def listen(
    *, client_id: str | None = None, client_secret: str | None = None, port: int = 0
) -> Receiver:
    """Start a callback receiver on 127.0.0.1 (a free port by default) and return it."""
    return Receiver(client_id=client_id, client_secret=client_secret, port=port).start()
