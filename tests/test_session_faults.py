"""The session under the sandbox's injected faults: retries, Retry-After, drops, storms,
and a canary search for secrets in everything the session produces."""

from __future__ import annotations

import logging
import threading
import warnings

import pytest
from helpers import ADDRESS, hold, new_user, order_through
from test_session import session_for

from connect_kit.client._retry import RetryPolicy
from connect_kit.errors import RateLimitError, ServerError, TransportError
from connect_kit.sandbox import Sandbox

FIND = {"find_by": ADDRESS}


def recording(then=None, **policy) -> tuple[RetryPolicy, list[float]]:
    """A policy whose sleeps are recorded (and, optionally, do something instead of waiting)."""
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if then:
            then()

    return RetryPolicy(sleep=sleep, **policy), waits


def test_server_errors_on_reads_are_retried_then_raised(sandbox):
    sandbox.faults("dev", error_rate=1.0, error_status=503)
    policy, waits = recording(max_attempts=3)
    with session_for(sandbox, retry=policy) as dev, pytest.raises(ServerError) as caught:
        dev.call("find_delivery_stores", **FIND)
    assert caught.value.status == 503 and caught.value.code == 5000
    assert len(waits) == 2
    row = dev.history.iloc[-1]
    assert (row["attempts"], row["status"], row["error_code"]) == (3, 503, "5000")


def test_a_retry_succeeds_once_the_fault_clears(sandbox):
    policy, waits = recording(then=sandbox.reset_faults)
    with session_for(sandbox, retry=policy) as dev:
        dev.auth.token()
        sandbox.faults("dev", error_rate=1.0, error_status=502)
        assert dev.call("find_delivery_stores", **FIND).status_code == 200
        assert dev.history.iloc[-1]["attempts"] == 2 and len(waits) == 1


def test_writes_are_not_retried_once_they_may_have_reached_the_server(sandbox, unique):
    policy, waits = recording()
    dev = session_for(sandbox, retry=policy)
    dev.auth.token()
    sandbox.faults("dev", error_rate=1.0, error_status=503)
    with pytest.raises(ServerError):
        dev.call("create_user", user_id=f"w-{unique}", first_name="W")
    assert waits == [] and dev.history.iloc[-1]["attempts"] == 1
    sandbox.reset_faults()
    dev.close()


def test_retry_after_is_honoured(sandbox):
    sandbox.faults("dev", rate_limit=1, retry_after=0.25)
    policy, waits = recording(then=sandbox.reset_faults)
    with session_for(sandbox, retry=policy) as dev:
        dev.call("find_delivery_stores", **FIND)  # the one call the limit allows this second
        assert dev.call("find_delivery_stores", **FIND).status_code == 200
    assert waits == [0.25]


def test_a_huge_retry_after_raises_with_the_wait_instead_of_hanging(sandbox):
    sandbox.faults("dev", rate_limit=1, retry_after=3600)
    policy, waits = recording()
    with session_for(sandbox, retry=policy) as dev:
        dev.call("find_delivery_stores", **FIND)
        with pytest.raises(RateLimitError) as caught:
            dev.call("find_delivery_stores", **FIND)
    assert caught.value.retry_after == 3600 and caught.value.status == 429
    assert "retry after 3600 s" in str(caught.value)
    assert waits == []


def test_dropped_connections_retry_reads_but_not_writes(sandbox, unique):
    policy, waits = recording(then=sandbox.reset_faults)
    with session_for(sandbox, retry=policy) as dev:
        dev.auth.token()
        sandbox.faults("dev", drop_rate=1.0)
        assert dev.call("find_delivery_stores", **FIND).status_code == 200
        assert len(waits) == 1
        sandbox.faults("dev", drop_rate=1.0)
        with pytest.raises(TransportError) as caught:
            dev.call("create_user", user_id=f"d-{unique}", first_name="D")
        assert caught.value.sent and "dropped" in str(caught.value)
        assert len(waits) == 1  # no second wait: the write was not retried


def test_connection_refused_is_retried_then_a_transport_error(tmp_path):
    stopped = Sandbox(tmp_path, latency=False)  # on disk: its CA outlives it
    dev = session_for(stopped, retry=RetryPolicy(sleep=lambda s: None, max_attempts=2))
    stopped.stop()
    with pytest.raises(TransportError) as caught:
        dev.call("find_delivery_stores", **FIND)
    assert not caught.value.sent and "could not connect" in str(caught.value)
    assert dev.history.iloc[-1]["attempts"] == 2


def test_thread_storm_fetches_one_token_per_expiry(own_sandbox):
    """16 threads, thousands of calls, tokens expired three times: four fetches in all."""
    state = own_sandbox.instances["dev"].state
    dev = session_for(own_sandbox)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(150):
                dev.call("find_delivery_stores", **FIND)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    expiries = 0
    while any(t.is_alive() for t in threads) and expiries < 3:
        issued = state.count("token")
        if issued == expiries + 1:  # the current token is in use: expire it
            # tokens live a day: let the calls in flight finish before the next expiry
            threading.Event().wait(0.2)
            own_sandbox.expire_tokens("dev")
            expiries += 1
            while state.count("token") == issued and any(t.is_alive() for t in threads):
                threading.Event().wait(0.005)
        threading.Event().wait(0.02)
    for thread in threads:
        thread.join()
    assert not errors, errors[:3]
    assert expiries == 3
    assert state.count("token") == 1 + expiries
    assert dev.auth.fetches == 1 + expiries
    calls = dev.history
    assert (calls[calls["operation"] == "find_delivery_stores"]["status"] == 200).all()
    dev.close()


def test_canary_no_secret_or_token_in_anything_the_session_produces(sandbox, caplog, unique):
    caplog.set_level(logging.DEBUG)
    _, secret = sandbox.credentials("dev")
    produced: list[str] = []

    def with_no_scope() -> None:
        with session_for(sandbox, scope="connect:nothing") as other:
            other.call("find_delivery_stores", **FIND)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dev = session_for(sandbox)
        result = dev.call("find_delivery_stores", **FIND)
        dev.call("create_user", user_id=f"c-{unique}", first_name="C")
        dev.call("lastmile_validate_address", user_id=f"c-{unique}", **ADDRESS)
        for call in (
            lambda: dev.call("get_order", user_id=f"c-{unique}", order_id="none"),
            lambda: dev.call("find_delivery_stores", find_by={"postal_code": "1"}),
            with_no_scope,
        ):
            try:
                call()
            except Exception as exc:
                produced += [str(exc), repr(exc), str(getattr(exc, "body", ""))]
        token = dev.auth.current.value
        produced += [
            repr(dev),
            str(dev),
            repr(result),
            repr(result.request),
            str(result.request.headers),
            str(dev.token_info),
            dev.history.to_string(),
            repr(dev.auth),
            repr(dev.env),
            repr(dev.auth.current),
        ]
        dev.close()
    produced += [str(w.message) for w in caught]
    produced += [record.getMessage() for record in caplog.records]
    text = "\n".join(produced)
    assert secret not in text
    assert token not in text


def test_a_retried_create_that_meets_already_exists_reads_the_order_back(sandbox, dev, unique):
    user_id, order_id = f"lost-{unique}", f"lost-order-{unique}"
    new_user(dev, user_id)
    hold_id = hold(dev, user_id)
    policy, waits = recording(then=sandbox.reset_faults)
    with session_for(sandbox, retry=policy) as session:
        session.auth.token()
        sandbox.faults("dev", lose_rate=1.0)  # the order is made, the answer is lost
        result = order_through(session, user_id, order_id, hold_id)
        history = session.history
    assert result.recovered and result.operation.name == "get_order"
    assert result.json["id"] == order_id and result.json["status"] == "brand_new"
    assert any("read back with get_order" in w for w in result.warnings)
    create = history[history["operation"] == "create_delivery_order"].iloc[-1]
    assert (create["attempts"], create["status"]) == (2, 400)
    assert len(waits) == 1
    orders = sandbox.instances["dev"].state.find("order", user_id=user_id)
    assert [o["id"] for o in orders] == [order_id]  # one order, not two


def test_a_lost_answer_to_a_create_without_read_back_is_not_retried(sandbox, unique):
    policy, waits = recording()
    with session_for(sandbox, retry=policy) as session:
        session.auth.token()
        sandbox.faults("dev", lose_rate=1.0)
        with pytest.raises(TransportError) as caught:
            session.call("create_user", user_id=f"lu-{unique}", first_name="L")
        sandbox.reset_faults()
    assert caught.value.sent and waits == []
    assert sandbox.instances["dev"].state.get("user", f"lu-{unique}") is not None
