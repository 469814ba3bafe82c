"""Bulk pulls: bounded pool, input order, per-row errors, faults, rate limits, Ctrl-C."""

from __future__ import annotations

import _thread
import threading

import pytest
from helpers import ADDRESS, delivery_order
from test_session import session_for

from connect_kit.retry import RetryPolicy
from connect_kit.spec import UnknownOperationError

PLACES = [
    {"find_by": {"latitude": 37.7910, "longitude": -122.3940}},
    {"find_by": ADDRESS},
    {"find_by": {"latitude": 34.0736, "longitude": -118.4004}},
]


@pytest.fixture(scope="module")
def orders(dev, request):
    """Twelve delivery orders, made once for this module."""
    suffix = f"bulk-{id(request)}"
    made = []
    for n in range(12):
        user_id, order_id = f"u{n}-{suffix}", f"o{n}-{suffix}"
        delivery_order(dev, user_id, order_id)
        made.append({"user_id": user_id, "order_id": order_id})
    return made


def test_results_keep_the_input_order(sandbox, orders):
    with session_for(sandbox) as dev:
        bulk = dev.call_many("get_order", orders, workers=4, progress=False)
    assert bulk.done == len(orders) and not bulk.failures and not bulk.interrupted
    assert [r.json["id"] for r in bulk.results] == [o["order_id"] for o in orders]
    frame = bulk.frame
    assert list(frame["input"]) == list(range(len(orders)))
    assert list(frame["id"]) == [o["order_id"] for o in orders]


def test_failed_rows_land_in_their_own_frame(sandbox, orders):
    params = [orders[0], {"user_id": "nobody", "order_id": "x"}, orders[1], {"user_id": "u"}]
    with session_for(sandbox) as dev:
        bulk = dev.call_many("get_order", params, workers=2, progress=False)
    assert [r is not None for r in bulk.results] == [True, False, True, False]
    errors = bulk.errors
    assert list(errors["index"]) == [1, 3]
    assert list(errors["error"]) == ["InvalidRequestError", "InvalidRequestError"]
    assert errors.loc[0, "status"] == 400 and errors.loc[0, "message"] == "User Not Found"
    assert errors.loc[1, "key"] == "order_id"  # refused before sending: no status
    assert errors["status"].isna().tolist() == [False, True]
    assert "2 of 4 done, 2 failed" in repr(bulk)


def test_injected_server_errors_are_retried_and_nothing_is_lost(sandbox, orders):
    policy = RetryPolicy(sleep=lambda s: None, max_attempts=6)
    with session_for(sandbox, retry=policy) as dev:
        dev.auth.token()
        sandbox.faults("dev", error_rate=0.3, error_status=503)
        bulk = dev.call_many("get_order", orders * 3, workers=8, progress=False)
        history = dev.history
    assert bulk.done == len(orders) * 3 and not bulk.failures
    assert history["attempts"].max() > 1  # some calls were retried


def test_a_client_side_rate_keeps_within_the_servers_limit(sandbox):
    with session_for(sandbox, retry=RetryPolicy(max_attempts=1)) as dev:
        dev.auth.token()
        sandbox.faults("dev", rate_limit=40)
        bulk = dev.call_many(
            "find_delivery_stores", PLACES * 12, workers=8, rate=30, progress=False
        )
    assert not bulk.failures, bulk.errors.head()
    assert bulk.done == 36


def test_ctrl_c_returns_what_was_fetched(sandbox):
    sandbox.faults("dev", latency_ms=40)
    with session_for(sandbox) as dev:
        dev.auth.token()
        timer = threading.Timer(0.4, _thread.interrupt_main)
        timer.start()
        bulk = dev.call_many("find_delivery_stores", PLACES * 100, workers=2, progress=False)
        timer.cancel()
    assert bulk.interrupted
    assert 0 < bulk.done < 300
    kept = [r for r in bulk.results if r is not None]
    assert all(r.status_code == 200 and r.json["stores"] for r in kept)
    assert set(bulk.frame["input"]) == {i for i, r in enumerate(bulk.results) if r is not None}


def test_progress_bar_and_argument_checks(sandbox, capsys):
    with session_for(sandbox) as dev:
        dev.call_many("find_delivery_stores", PLACES, workers=2)
        assert "find_delivery_stores" in capsys.readouterr().err
        with pytest.raises(UnknownOperationError):
            dev.call_many("find_stores_everywhere", PLACES)
        with pytest.raises(ValueError, match="workers"):
            dev.call_many("find_delivery_stores", PLACES, workers=0)
        with pytest.raises(ValueError, match="rate"):
            dev.call_many("find_delivery_stores", PLACES, rate=-1)
