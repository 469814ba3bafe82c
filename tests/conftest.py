"""Shared fixtures: a real sandbox (dev and prod over HTTPS) per test module, and checks that
no test leaves anything behind in the checkout."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import Api

from connect_kit.sandbox import Sandbox

# Variables that change HTTP behaviour from outside: cleared for every test.
OUTSIDE = (
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
)


def _clear(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in OUTSIDE:
        monkeypatch.delenv(name, raising=False)
    for name in list(os.environ):
        if name.startswith("INSTACART_"):
            monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session", autouse=True)
def _clean_session_environment() -> Iterator[None]:
    """Cleared before the session-wide sandbox and clients are made..."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        _clear(monkeypatch)
        yield


CHECKOUT = Path(__file__).resolve().parent.parent
LEFT_BEHIND = (".connect-kit", "flows", "notebooks/stores.csv")  # what a careless test leaves


@pytest.fixture(autouse=True)
def _nothing_left_in_the_checkout() -> Iterator[None]:
    """Tests write into their tmp_path: one that leaves a file in the checkout fails."""
    before = {name for name in LEFT_BEHIND if (CHECKOUT / name).exists()}
    yield
    left = [name for name in LEFT_BEHIND if (CHECKOUT / name).exists() and name not in before]
    assert not left, f"this test left {left} in the checkout: run it in tmp_path"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """...and again for each test, in case a test set one."""
    _clear(monkeypatch)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    """Both instances, without their latency profiles (tests ask for latency explicitly); one
    per test module: time slots have few places (fewer still in the US evening, when the day's
    are gone), and the whole suite's bookings would fill one sandbox's."""
    with Sandbox(latency=False) as sb:
        yield sb


@pytest.fixture
def own_sandbox() -> Iterator[Sandbox]:
    """A sandbox of the test's own, for tests that expire every token of an instance."""
    with Sandbox(latency=False) as sb:
        yield sb


@pytest.fixture(autouse=True)
def _no_faults_left(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "sandbox" in request.fixturenames:
        request.getfixturevalue("sandbox").reset_faults()


@pytest.fixture(scope="module")
def dev(sandbox: Sandbox) -> Api:
    return Api(sandbox, "dev")


@pytest.fixture(scope="module")
def prod(sandbox: Sandbox) -> Api:
    return Api(sandbox, "prod")


_ids = itertools.count(1)


@pytest.fixture
def unique() -> str:
    """A fresh suffix for ids, so tests sharing the sandbox never collide."""
    return f"t{os.getpid()}-{next(_ids)}"


@pytest.fixture(scope="session", autouse=True)
def _stop_the_embedded_sandbox() -> Iterator[None]:
    """connect() starts the embedded sandbox for environments without credentials."""
    yield
    from connect_kit import sandbox

    sandbox.stop()
