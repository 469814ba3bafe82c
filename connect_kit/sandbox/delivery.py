"""The sandbox's callback sender: each recorded order event, POSTed to the retailer's URL.

One :class:`Sender` per configured instance. Events are queued by the handlers (which run on
the sandbox's event loop, so they never wait for the network) and delivered by a background
thread: it fetches an OAuth token from the retailer's Auth URI (form-encoded client
credentials), caches it until it expires, POSTs each event as JSON with
``Authorization: Bearer <token>``, and retries failures with bounded exponential backoff.

For testing a receiver's idempotency it can send some events twice (``duplicates``, a
probability, seeded) and deliver small batches out of order (``shuffle``).
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

log = logging.getLogger(__name__)

ATTEMPTS = 4  # per event: the first try and three retries
BACKOFF = 0.1  # seconds before the first retry, doubled each time...
MAX_BACKOFF = 2.0  # ...up to this
TIMEOUT = 5.0  # per HTTP request
SHUFFLE_BATCH = 8  # at most this many events are reordered together
SHUFFLE_WAIT = 0.05  # how long the sender waits for a batch to fill when shuffling
DEFAULT_TOKEN_TTL = 3600  # when the token answer has no expires_in
TOKEN_MARGIN = 5.0  # a cached token is renewed this many seconds before it expires
PERMANENT = frozenset({400, 403, 404, 405, 410, 413, 415, 422})  # retrying would not help


@dataclass(frozen=True, repr=False)
class CallbackSettings:
    """Where an instance sends its callbacks, and how."""

    url: str
    auth_url: str
    client_id: str
    client_secret: str
    ca_file: str | None = None
    duplicates: float = 0.0
    shuffle: bool = False
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("url", "auth_url"):
            value = getattr(self, name)
            if not isinstance(value, str) or urlsplit(value).scheme != "https":
                raise ValueError(f"{name} must be an https:// URL, got {value!r}")
        for name in ("client_id", "client_secret"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise ValueError(f"{name} must be a non-empty string")
        if isinstance(self.duplicates, bool) or not isinstance(self.duplicates, int | float):
            raise ValueError(f"duplicates must be a probability (0..1), got {self.duplicates!r}")
        if not 0.0 <= self.duplicates <= 1.0:
            raise ValueError(f"duplicates must be a probability (0..1), got {self.duplicates!r}")

    def __repr__(self) -> str:  # never the secret
        return (
            f"CallbackSettings(url={self.url!r}, auth_url={self.auth_url!r}, "
            f"client_id={self.client_id!r}, duplicates={self.duplicates}, "
            f"shuffle={self.shuffle})"
        )


_STOP = object()


class Sender:
    """Delivers one instance's events to one callback URL from a background thread.

    Attributes:
        delivered: POSTs answered with a 2xx (a duplicate counts twice).
        failures: ``(event_id, reason)`` of the events given up on.
        tokens: tokens fetched from the Auth URI so far.
    """

    def __init__(self, settings: CallbackSettings, still_recorded: Any = None) -> None:
        self.settings = settings
        # ``still_recorded(event)``: False when the handler that recorded it was rolled back
        self._still_recorded = still_recorded
        self._queue: queue.Queue[Any] = queue.Queue()
        self._random = random.Random(settings.seed)
        self._http = requests.Session()
        self._token: str | None = None
        self._token_expiry = 0.0
        self._busy = 0  # events taken off the queue and not finished yet
        self._idle = threading.Condition()
        self._stopping = threading.Event()
        self.delivered = 0
        self.tokens = 0
        self.failures: list[tuple[int, str]] = []
        self._thread = threading.Thread(target=self._run, name="connect-kit-callbacks", daemon=True)
        self._thread.start()

    # the handlers' side --------------------------------------------------------------------

    def submit(self, event: dict[str, Any]) -> None:
        """Queue an event for delivery (returns at once)."""
        if not self._stopping.is_set():
            with self._idle:
                self._busy += 1
            self._queue.put(dict(event))

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued event has been delivered or given up on."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    @property
    def pending(self) -> int:
        with self._idle:
            return self._busy

    def stop(self, timeout: float = 5.0) -> None:
        """Stop sending; events still queued are dropped."""
        self._stopping.set()
        self._queue.put(_STOP)
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)
        self._http.close()

    def __repr__(self) -> str:
        state = "stopped" if self._stopping.is_set() else "sending"
        return (
            f"<Sender {state} to {self.settings.url}: {self.delivered} delivered, "
            f"{len(self.failures)} failed, {self.pending} pending>"
        )

    # the thread's side ---------------------------------------------------------------------

    def _done(self, count: int = 1) -> None:
        with self._idle:
            self._busy -= count
            self._idle.notify_all()

    def _run(self) -> None:
        while not self._stopping.is_set():
            first = self._queue.get()
            if first is _STOP:
                break
            batch = [first]
            if self.settings.shuffle:
                batch.extend(self._more(SHUFFLE_BATCH - 1))
                self._random.shuffle(batch)
            stop_after = _STOP in batch
            events = [e for e in batch if e is not _STOP]
            for i, event in enumerate(events):
                if self._stopping.is_set():
                    self._done(len(events) - i)
                    continue
                try:
                    self._send_event(event)
                except Exception as exc:  # never let one event kill the thread
                    self.failures.append((event["event_id"], f"{type(exc).__name__}"))
                finally:
                    self._done()
            if stop_after:
                break
        with self._idle:  # whatever is left will not be sent
            self._busy = 0
            self._idle.notify_all()

    def _more(self, most: int) -> list[Any]:
        """Up to ``most`` more events, waiting a moment for them to come."""
        found: list[Any] = []
        deadline = time.monotonic() + SHUFFLE_WAIT
        while len(found) < most:
            try:
                item = self._queue.get(timeout=max(deadline - time.monotonic(), 0.001))
            except queue.Empty:
                break
            found.append(item)
            if item is _STOP:
                break
        return found

    def _send_event(self, event: dict[str, Any]) -> None:
        if self._still_recorded is not None and not self._still_recorded(event):
            return  # the request that recorded it failed and was rolled back
        copies = 2 if self._random.random() < self.settings.duplicates else 1
        for _ in range(copies):
            reason = self._deliver(event)
            if reason is not None:
                self.failures.append((event["event_id"], reason))
                log.warning("callback %s not delivered: %s", event["event_id"], reason)
                return

    def _deliver(self, event: dict[str, Any]) -> str | None:
        """POST one event, retrying; None once delivered, else why it was given up on."""
        reason = "not sent"
        for attempt in range(ATTEMPTS):
            if attempt:
                delay = min(BACKOFF * 2 ** (attempt - 1), MAX_BACKOFF)
                if self._stopping.wait(delay):
                    return "sender stopped"
            try:
                token = self._access_token()
                answer = self._http.post(
                    self.settings.url,
                    json=event,
                    headers={"Authorization": f"Bearer {token}"},
                    verify=self.settings.ca_file or True,
                    timeout=TIMEOUT,
                )
            except (requests.RequestException, ValueError) as exc:
                reason = str(exc) if type(exc) is ValueError else type(exc).__name__
                self._token = None
                continue
            if 200 <= answer.status_code < 300:
                self.delivered += 1
                return None
            reason = f"HTTP {answer.status_code}"
            if answer.status_code == 401:
                self._token = None  # expired or revoked: fetch a new one and try again
            elif answer.status_code in PERMANENT:
                return reason
        return reason

    def _access_token(self) -> str:
        if self._token is not None and time.monotonic() < self._token_expiry:
            return self._token
        s = self.settings
        answer = self._http.post(
            s.auth_url,
            data={
                "client_id": s.client_id,
                "client_secret": s.client_secret,
                "grant_type": "client_credentials",
            },
            verify=s.ca_file or True,
            timeout=TIMEOUT,
        )
        if answer.status_code != 200:
            raise ValueError(f"the Auth URI answered HTTP {answer.status_code}")
        body = answer.json()
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise ValueError("the Auth URI's answer has no access_token")
        ttl = body.get("expires_in", DEFAULT_TOKEN_TTL)
        ttl = ttl if isinstance(ttl, int | float) and ttl > 0 else DEFAULT_TOKEN_TTL
        self._token = token
        self._token_expiry = time.monotonic() + max(ttl - TOKEN_MARGIN, ttl / 2)
        self.tokens += 1
        return token
