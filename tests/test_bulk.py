"""Bulk pulls: bounded pool, input order, per-row errors, faults, rate limits, Ctrl-C."""

from __future__ import annotations

import _thread
import asyncio
import os
import signal
import threading
import time

import pytest
from helpers import ADDRESS, delivery_order
from hostile import Seen, hostile_server, json_of
from starlette.responses import StreamingResponse
from starlette.routing import Route
from test_session import session_for

from connect_kit.client._retry import RetryPolicy
from connect_kit.client._session import ConnectSession
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


# Every input accounted for, whatever happens -------------------------------------------

ORDER = "/v2/fulfillment/users/{user_id}/orders/{order_id}"


def _cut_short_for_odd_orders(seen: Seen) -> list[Route]:
    async def order(request):
        number = int(request.path_params["order_id"])
        if number % 2 == 0:
            return json_of({"id": str(number), "status": "brand_new"})

        async def broken():
            yield b'{"id": "'
            raise RuntimeError("the connection breaks mid-body")  # uvicorn aborts it

        return StreamingResponse(broken(), media_type="application/json")

    return [Route(ORDER, order, methods=["GET"])]


def test_a_body_cut_short_is_an_error_row_not_a_lost_row(tmp_path):
    params = [{"user_id": "u", "order_id": str(n)} for n in range(10)]
    with (
        hostile_server(tmp_path, _cut_short_for_odd_orders(Seen())) as (env, _),
        ConnectSession(env, retry=RetryPolicy(max_attempts=2, backoff=0.0)) as session,
    ):
        bulk = session.call_many("get_order", params, workers=4, progress=False)
    assert bulk.done == 5 and len(bulk.failures) == 5  # every input is a result or an error
    errors = bulk.errors
    assert list(errors["index"]) == [1, 3, 5, 7, 9]
    assert set(errors["error"]) == {"TransportError"}
    assert all("cut short" in message for message in errors["message"])


def test_ctrl_c_returns_at_once_without_waiting_for_calls_in_flight(tmp_path):
    async def slow(request):
        await asyncio.sleep(4)  # longer than the calls' deadline
        return json_of({"stores": []})

    routes = [Route("/v2/fulfillment/stores/delivery", slow, methods=["POST"])]
    with hostile_server(tmp_path, routes) as (env, _):
        session = ConnectSession(env, retry=RetryPolicy(deadline=3.0))
        session.auth.token()
        timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))  # a real Ctrl-C
        started = time.monotonic()
        timer.start()
        bulk = session.call_many("find_delivery_stores", PLACES * 4, workers=4, progress=False)
        took = time.monotonic() - started
        timer.cancel()
    assert bulk.interrupted and took < 2.5  # the calls in flight would take 3 s (their deadline)
    assert bulk.done == 0 and len(bulk.failures) == 12  # every input is an error row
    messages = list(bulk.errors["message"])
    assert sum("in flight" in m for m in messages) == 4
    assert sum("before it was sent" in m for m in messages) == 8


def test_history_can_be_read_while_a_pool_writes_it(sandbox):
    with session_for(sandbox, history_size=100_000) as dev:
        dev.auth.token()
        assert len(dev.history) == 1  # warm: pandas' first frame imports more of pandas
        pulled = []
        pool = threading.Thread(
            target=lambda: pulled.append(
                dev.call_many("find_delivery_stores", PLACES * 100, workers=8, progress=False)
            )
        )
        pool.start()
        sizes = []
        while pool.is_alive():  # read while eight threads write
            sizes.append(len(dev.history))
        pool.join()
        assert len(dev.history) == 301  # the token call and every call
    assert pulled[0].done == 300 and sizes == sorted(sizes)
    assert any(1 < size < 301 for size in sizes)  # some reads happened mid-pull
