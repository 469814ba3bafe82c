"""The sandbox's callback sender: each recorded order event, POSTed to the retailer's URL.

One :class:`Sender` per configured instance. Events are queued by the handlers (which run on
the sandbox's event loop, so they never wait for the network) and delivered by a background
thread: it fetches an OAuth token from the retailer's Auth URI (form-encoded client
credentials) and POSTs each event as JSON with ``Authorization: Bearer <token>``.

It sends the way the client does: the token is cached and fetched again by the package's
token cache (:mod:`connect_kit._tokens`: renewed a little before it expires, and once after
a 401), and failures are retried by its :class:`~connect_kit._retry.RetryPolicy` (bounded
backoff, an overall deadline, a sane ``Retry-After`` honoured). A callback may be delivered
twice anyway (receivers key on ``event_id``), so every failure that is not plainly the
event's fault is retried.

For testing a receiver's idempotency it can send some events twice (``duplicates``, a
probability, seeded) and deliver small batches out of order (``shuffle``). A configured
``retailer_id`` is added to every envelope it sends (the docs' optional field, enabled by
Instacart's site configuration).
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import random
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from .._retry import RetryPolicy
from .._tokens import Key, Token, TokenCache

log = logging.getLogger(__name__)

TIMEOUT = 5.0  # per HTTP request
SHUFFLE_BATCH = 8  # at most this many events are reordered together
SHUFFLE_WAIT = 0.05  # how long the sender waits for a batch to fill when shuffling
DEFAULT_TOKEN_TTL = 3600  # when the token answer has no expires_in
PERMANENT = frozenset({400, 403, 404, 405, 410, 413, 415, 422})  # retrying would not help
RETRIED = frozenset(range(300, 600)) - PERMANENT  # any other answer that is not a 2xx


def _no_jitter() -> float:
    return 1.0  # the whole backoff: 0.1 s, 0.2 s, 0.4 s, as SANDBOX.md says


POLICY = RetryPolicy(
    max_attempts=4,  # per event: the first try and three retries
    backoff=0.1,
    max_backoff=2.0,
    deadline=30.0,
    max_retry_after=10.0,  # a longer wait would hold up every event queued behind this one
    statuses=RETRIED,
    random=_no_jitter,
)


class AuthUriError(Exception):
    """The retailer's Auth URI gave no token (its message says why; never the secret)."""


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
    retailer_id: str | None = None

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
        if self.retailer_id is not None and (
            not isinstance(self.retailer_id, str) or not self.retailer_id.strip()
        ):
            raise ValueError(f"retailer_id must be a non-empty string, got {self.retailer_id!r}")

    def __repr__(self) -> str:  # never the secret
        return (
            f"CallbackSettings(url={self.url!r}, auth_url={self.auth_url!r}, "
            f"client_id={self.client_id!r}, duplicates={self.duplicates}, "
            f"shuffle={self.shuffle}, retailer_id={self.retailer_id!r})"
        )


_STOP = object()


class Sender:
    """Delivers one instance's events to one callback URL from a background thread.

    Args:
        settings: where to send, and how.
        still_recorded: ``still_recorded(event)`` is False when the handler that recorded
            the event was rolled back (it is then not sent).
        retry: the retry policy (:data:`POLICY` by default). Its waits are made on the
            sender's stop event, so that :meth:`stop` cuts them short.

    Attributes:
        delivered: POSTs answered with a 2xx (a duplicate counts twice).
        failures: ``(event_id, reason)`` of the events given up on.
        tokens: tokens fetched from the Auth URI so far.
    """

    def __init__(
        self,
        settings: CallbackSettings,
        still_recorded: Any = None,
        *,
        retry: RetryPolicy = POLICY,
    ) -> None:
        self.settings = settings
        self._still_recorded = still_recorded
        self._queue: queue.Queue[Any] = queue.Queue()
        self._random = random.Random(settings.seed)
        self._http = requests.Session()
        self._token_cache = TokenCache()
        self._key: Key = (settings.auth_url, settings.client_id, "")
        self._busy = 0  # events taken off the queue and not finished yet
        self._idle = threading.Condition()
        self._stopping = threading.Event()
        self.retry = dataclasses.replace(retry, sleep=self._wait)
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

    def _wait(self, seconds: float) -> None:
        self._stopping.wait(seconds)  # over at once when the sender stops

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
        """POST one event, retried as the policy says; None once delivered, else why it was
        given up on. A token answered 401 is replaced before the next send, which follows at
        once the first time (after that, after the policy's wait)."""
        policy = self.retry
        started = policy.clock()
        attempt, stale, resent = 0, None, False  # stale: a token answered 401, to replace
        while True:
            attempt += 1
            try:
                token = self._token(stale)
                stale = None
                answer = self._http.post(
                    self.settings.url,
                    json=self._envelope(event),
                    headers={"Authorization": f"Bearer {token.value}"},
                    verify=self.settings.ca_file or True,
                    timeout=TIMEOUT,
                )
            except (requests.RequestException, AuthUriError) as exc:
                reason = str(exc) if isinstance(exc, AuthUriError) else type(exc).__name__
                delay = policy.next_delay(attempt, policy.clock() - started)
            else:
                if 200 <= answer.status_code < 300:
                    self.delivered += 1
                    return None
                reason = f"HTTP {answer.status_code}"
                if answer.status_code == 401:
                    stale = token.value  # expired or revoked: fetch a new one first
                    if not resent:
                        resent = True
                        continue
                delay = policy.next_delay(
                    attempt,
                    policy.clock() - started,
                    status=answer.status_code,
                    retry_after=answer.headers.get("Retry-After"),
                )
            if delay is None:
                return reason
            policy.sleep(delay)
            if self._stopping.is_set():
                return "sender stopped"
            resent = False

    def _envelope(self, event: dict[str, Any]) -> dict[str, Any]:
        """The event as sent: with the configured ``retailer_id``, if any."""
        if self.settings.retailer_id is None:
            return event
        return {**event, "retailer_id": self.settings.retailer_id}

    def _token(self, refused: str | None) -> Token:
        if refused is not None:
            return self._token_cache.refresh(self._key, refused, self._fetch_token)
        return self._token_cache.token(self._key, self._fetch_token, time.time)

    def _fetch_token(self) -> Token:
        """A new token from the Auth URI (form-encoded client credentials)."""
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
            raise AuthUriError(f"the Auth URI answered HTTP {answer.status_code}")
        try:
            body = answer.json()
        except ValueError:
            body = None
        value = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(value, str) or not value:
            raise AuthUriError("the Auth URI's answer has no access_token")
        ttl = body.get("expires_in", DEFAULT_TOKEN_TTL)
        ok = isinstance(ttl, int | float) and not isinstance(ttl, bool) and 0 < ttl < 1e9
        now = time.time()
        self.tokens += 1
        return Token(
            value=value,
            scope=body.get("scope") if isinstance(body.get("scope"), str) else None,
            expires_at=now + (ttl if ok else DEFAULT_TOKEN_TTL),
            obtained_at=now,
        )
