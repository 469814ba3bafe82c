"""The sandbox's callback sender against a scripted retailer: how it retries and gets tokens.

It sends the way the client does, with the package's RetryPolicy and token cache. The
retailer here is a real HTTPS server on loopback (connect_kit.serve) whose answers each test
writes in advance; tests/test_callbacks.py holds the sender against the real receiver.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from connect_kit._retry import RetryPolicy
from connect_kit.sandbox.delivery import POLICY, CallbackSettings, Sender
from connect_kit.serve.server import ServerThread, bind, make_server
from connect_kit.serve.tls import make_certificates

EVENT = {
    "event_id": 1,
    "event_name": "fulfillment.brand_new",
    "event_timestamp": "2020-07-07T16:35:22Z",
    "event_metadata": {"order_id": "o-1", "user_id": "u-1"},
}
OK: tuple[int, dict[str, str]] = (200, {})


class Retailer:
    """Answers ``/token`` and ``/callbacks`` from scripts (then 200), and notes each call."""

    def __init__(self) -> None:
        self.tokens: list[tuple[int, dict[str, Any]]] = []  # (status, body) to answer
        self.callbacks: list[tuple[int, dict[str, str]]] = []  # (status, headers)
        self.calls: list[tuple[str, float, str]] = []  # (path, monotonic time, bearer)
        self.issued = 0
        self._lock = threading.Lock()

    def times(self, path: str) -> list[float]:
        return [at for p, at, _ in self.calls if p == path]

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        headers = dict(scope["headers"])
        bearer = headers.get(b"authorization", b"").decode()
        path = scope["path"].strip("/")
        with self._lock:
            self.calls.append((path, time.monotonic(), bearer))
            if path == "token":
                self.issued += 1
                status, body = self.tokens.pop(0) if self.tokens else (200, {})
                body = {"access_token": f"t{self.issued}", "expires_in": 3600, **body}
                extra: dict[str, str] = {}
            else:
                status, extra = self.callbacks.pop(0) if self.callbacks else OK
                body = {}
        answer = [(b"content-type", b"application/json")]
        answer += [(k.lower().encode(), v.encode()) for k, v in extra.items()]
        await send({"type": "http.response.start", "status": status, "headers": answer})
        await send({"type": "http.response.body", "body": orjson.dumps(body)})


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, list]]:
    """The base URL, the CA file, and a one-item list holding the current Retailer."""
    certificates = make_certificates(Path(tmp_path_factory.mktemp("retailer")))
    current = [Retailer()]

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await current[0](scope, receive, send)

    sock = bind()
    thread = ServerThread([(make_server(app, certificates), sock)])
    thread.start()
    try:
        yield f"https://127.0.0.1:{sock.getsockname()[1]}", str(certificates.ca_file), current
    finally:
        thread.stop()


@pytest.fixture
def retailer(served) -> Retailer:
    served[2][0] = Retailer()
    return served[2][0]


@pytest.fixture
def start(served) -> Iterator[Any]:
    """``start(**sender_options)``: a sender to the retailer, stopped after the test."""
    base, ca_file, _ = served
    senders: list[Sender] = []

    def make(**options: Any) -> Sender:
        settings = CallbackSettings(f"{base}/callbacks", f"{base}/token", "app", "s3cret", ca_file)
        senders.append(Sender(settings, **options))
        return senders[-1]

    yield make
    for sender in senders:
        sender.stop()


def deliver(sender: Sender, timeout: float = 10.0) -> Sender:
    sender.submit(EVENT)
    assert sender.flush(timeout)
    return sender


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(times)]


def test_the_sender_retries_with_the_shared_policy(start, retailer):
    retailer.callbacks = [(503, {}), (502, {}), (500, {})]
    sender = deliver(start())
    assert isinstance(sender.retry, RetryPolicy) and sender.retry.max_attempts == 4
    assert (sender.delivered, sender.failures, sender.tokens) == (1, [], 1)
    waits = gaps(retailer.times("callbacks"))
    assert len(waits) == 3
    for wait, backoff in zip(waits, (0.1, 0.2, 0.4), strict=True):  # no jitter: as documented
        assert backoff - 0.02 <= wait < backoff + 0.5


def test_four_attempts_then_it_gives_up(start, retailer):
    retailer.callbacks = [(503, {})] * 5
    sender = deliver(start())
    assert sender.failures == [(1, "HTTP 503")] and sender.delivered == 0
    assert len(retailer.times("callbacks")) == 4


def test_a_policy_of_its_own(start, retailer):
    retailer.callbacks = [(503, {})] * 5
    sender = deliver(start(retry=RetryPolicy(max_attempts=2, backoff=0.01)))
    assert sender.failures == [(1, "HTTP 503")]
    assert len(retailer.times("callbacks")) == 2


@pytest.mark.parametrize("status", [400, 404, 422])
def test_an_answer_that_blames_the_event_is_not_retried(start, retailer, status):
    retailer.callbacks = [(status, {})]
    sender = deliver(start())
    assert sender.failures == [(1, f"HTTP {status}")]
    assert len(retailer.times("callbacks")) == 1


def test_other_answers_are_retried(start, retailer):
    retailer.callbacks = [(408, {}), (409, {}), (501, {})]
    sender = deliver(start())
    assert sender.failures == [] and len(retailer.times("callbacks")) == 4


def test_retry_after_is_honoured(start, retailer):
    retailer.callbacks = [(429, {"Retry-After": "0.5"})]
    sender = deliver(start())
    assert sender.failures == []
    (wait,) = gaps(retailer.times("callbacks"))
    assert wait >= 0.5  # not the 0.1 s backoff


def test_a_retry_after_above_the_ceiling_is_given_up_on_at_once(start, retailer):
    retailer.callbacks = [(503, {"Retry-After": "3600"})]
    started = time.monotonic()
    sender = deliver(start())
    assert time.monotonic() - started < 2
    assert sender.failures == [(1, "HTTP 503")]
    assert len(retailer.times("callbacks")) == 1
    assert POLICY.max_retry_after < 3600


@pytest.mark.parametrize("header", ["-5", "nan", "soon"])
def test_a_hostile_retry_after_falls_back_to_the_backoff(start, retailer, header):
    retailer.callbacks = [(429, {"Retry-After": header})]
    sender = deliver(start())
    assert sender.failures == []
    (wait,) = gaps(retailer.times("callbacks"))
    assert 0.08 <= wait < 1


def test_stop_cuts_a_wait_short(start, retailer):
    retailer.callbacks = [(429, {"Retry-After": "5"})]
    sender = start()
    sender.submit(EVENT)
    deadline = time.monotonic() + 5
    while not retailer.times("callbacks") and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)  # the sender is waiting now
    started = time.monotonic()
    sender.stop()
    assert time.monotonic() - started < 1
    assert not sender._thread.is_alive()
    assert sender.failures == [(1, "sender stopped")]


# tokens -----------------------------------------------------------------------------------


def test_one_token_for_many_events(start, retailer):
    sender = start()
    for event_id in range(1, 6):
        sender.submit({**EVENT, "event_id": event_id})
    assert sender.flush(10)
    assert sender.delivered == 5 and sender.tokens == 1
    bearers = {bearer for path, _, bearer in retailer.calls if path == "callbacks"}
    assert bearers == {"Bearer t1"}


def test_a_401_fetches_a_new_token_and_sends_again_at_once(start, retailer):
    retailer.callbacks = [(401, {})]
    sender = deliver(start())
    assert sender.failures == [] and sender.tokens == 2
    bearers = [bearer for path, _, bearer in retailer.calls if path == "callbacks"]
    assert bearers == ["Bearer t1", "Bearer t2"]
    (wait,) = gaps(retailer.times("callbacks"))
    assert wait < 0.1  # no backoff before the resend


def test_a_refused_token_is_never_sent_again(start, retailer):
    retailer.callbacks = [(401, {}), (401, {})]
    retailer.tokens = [(200, {}), (503, {})]  # t1; then the Auth URI fails once
    sender = deliver(start())
    assert sender.failures == [] and sender.tokens == 3
    bearers = [bearer for path, _, bearer in retailer.calls if path == "callbacks"]
    assert bearers == ["Bearer t1", "Bearer t3", "Bearer t4"]


def test_an_auth_uri_that_fails_is_retried(start, retailer):
    retailer.tokens = [(503, {}), (200, {"access_token": ""})]
    sender = deliver(start())
    assert sender.failures == [] and sender.delivered == 1
    assert len(retailer.times("token")) == 3 and sender.tokens == 1


def test_an_auth_uri_that_keeps_failing_is_named_in_the_failure(start, retailer):
    retailer.tokens = [(500, {})] * 5
    sender = deliver(start())
    assert sender.failures == [(1, "the Auth URI answered HTTP 500")]
    assert retailer.times("callbacks") == [] and len(retailer.times("token")) == 4


@pytest.mark.parametrize("expires_in", [None, "soon", -1, 0, True, 1e12])
def test_a_token_without_a_sane_lifetime_lives_an_hour(start, retailer, expires_in):
    retailer.tokens = [(200, {"expires_in": expires_in})]
    sender = deliver(start())
    token = sender._token_cache.get(sender._key)
    assert token is not None and token.lifetime == 3600
    assert "t1" not in repr(token)


def test_a_short_lived_token_is_renewed_before_it_expires(start, retailer):
    retailer.tokens = [(200, {"expires_in": 1})]
    sender = deliver(start())
    time.sleep(0.95)  # within the last tenth of its life
    deliver(sender)
    assert sender.tokens == 2 and sender.failures == []
