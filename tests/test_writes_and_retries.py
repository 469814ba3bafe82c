"""Retries and creates under an adversary: what reached the server is decided by type, a
create is read back only when an earlier attempt may have been carried out, an unknown
outcome says so and recovers when sent again, and the deadline bounds the whole call."""

from __future__ import annotations

import asyncio
import http.client
import time

import pytest
import requests
from helpers import ADDRESS, Api, hold, new_user, order_through, reserve
from hostile import Seen, hostile_server, json_of, trickling_server
from starlette.responses import StreamingResponse
from starlette.routing import Route
from test_session import session_for
from test_session_faults import recording
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from connect_kit.client._responses import transport_error
from connect_kit.client._retry import RetryPolicy
from connect_kit.client._session import ConnectSession
from connect_kit.errors import InvalidRequestError, ServerError, TransportError

FIND = {"find_by": ADDRESS}
STORES = "/v2/fulfillment/stores/delivery"


# Sent or not: by the exception's type -------------------------------------------------


def _refused_with_reset_in_its_text() -> Exception:
    cause = NewConnectionError(None, "Failed to establish a new connection: Connection reset")
    return requests.ConnectionError(MaxRetryError(None, "/x", cause))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("exc", "sent"),
    [
        (_refused_with_reset_in_its_text(), False),  # its text says "reset": not sent still
        (requests.ConnectTimeout("connect timed out"), False),
        (requests.exceptions.SSLError("certificate verify failed"), False),
        (
            requests.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError())),
            True,
        ),
        (
            requests.ConnectionError(
                ProtocolError("Connection aborted.", http.client.RemoteDisconnected("closed"))
            ),
            True,
        ),
        (requests.ConnectionError(ProtocolError("a reply the client could not read")), True),
        (requests.ReadTimeout("read timed out"), True),
        (requests.exceptions.ChunkedEncodingError("IncompleteRead"), True),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else str(value),
)
def test_whether_a_request_reached_the_server_is_decided_by_type_not_text(exc, sent):
    assert transport_error(exc, "POST", "/v2/x").sent is sent


# Creates: read back only when an earlier attempt may have been carried out --------------


@pytest.fixture
def placed(sandbox, dev, unique):
    """(user_id, order_id, hold_id) of an order already made by the caller."""
    user_id, order_id = f"dup-{unique}", f"dup-order-{unique}"
    new_user(dev, user_id)
    hold_id = hold(dev, user_id)
    with session_for(sandbox) as session:
        order_through(session, user_id, order_id, hold_id)
    return user_id, order_id, hold_id


def test_a_genuine_duplicate_raises_without_retries(sandbox, placed):
    with session_for(sandbox) as session, pytest.raises(InvalidRequestError, match="already"):
        order_through(session, *placed)


def test_a_genuine_duplicate_after_a_429_raises(sandbox, placed):
    policy, waits = recording(then=sandbox.reset_faults)
    with session_for(sandbox, retry=policy) as session:
        session.auth.token()
        sandbox.faults("dev", rate_limit=0.001, retry_after=0.01)
        session.call("find_delivery_stores", **FIND)  # the window's one request
        with pytest.raises(InvalidRequestError, match="already"):
            order_through(session, *placed)  # 429 (not processed), then 'already exists'
        assert session.history.iloc[-1]["attempts"] == 2
    assert waits == [0.01]  # the order met the 429, waited, then met 'already exists'


def test_a_genuine_duplicate_after_a_401_raises(own_sandbox, unique):
    api = Api(own_sandbox, "dev")
    user_id, order_id = f"dup401-{unique}", f"dup401-order-{unique}"
    new_user(api, user_id)
    hold_id = hold(api, user_id)
    with session_for(own_sandbox) as session:
        order_through(session, user_id, order_id, hold_id)
        own_sandbox.expire_tokens("dev")  # the next attempt meets a 401 (not processed)
        with pytest.raises(InvalidRequestError, match="already"):
            order_through(session, user_id, order_id, hold_id)
        assert session.history.iloc[-1]["attempts"] == 2


def test_an_unknown_outcome_says_so_and_sending_again_reads_it_back(sandbox, dev, unique):
    user_id, order_id = f"doubt-{unique}", f"doubt-order-{unique}"
    new_user(dev, user_id)
    hold_id = hold(dev, user_id)
    with session_for(sandbox, retry=RetryPolicy(max_attempts=1)) as session:
        session.auth.token()
        sandbox.faults("dev", lose_rate=1.0)  # carried out, the answer lost, no retry left
        with pytest.raises(TransportError) as caught:
            order_through(session, user_id, order_id, hold_id)
        sandbox.reset_faults()
        error = caught.value
        assert error.may_have_been_processed
        assert "may have been carried out" in str(error) and "same order_id" in str(error)
        again = order_through(session, user_id, order_id, hold_id)  # as the error says
    assert again.recovered and again.json["id"] == order_id
    orders = sandbox.instances["dev"].state.find("order", user_id=user_id)
    assert [o["id"] for o in orders] == [order_id]


def test_a_create_carried_out_whose_read_back_is_lost_too_says_so_and_stays_in_doubt(
    sandbox, dev, unique
):
    user_id, order_id = f"lost2-{unique}", f"lost2-order-{unique}"
    new_user(dev, user_id)
    hold_id = hold(dev, user_id)
    with session_for(sandbox) as session:  # the default policy: the create is sent again
        session.auth.token()
        sandbox.faults("dev", lose_rate=1.0)  # every answer lost: the create's, the read-back's
        with pytest.raises(TransportError) as caught:
            order_through(session, user_id, order_id, hold_id)
        sandbox.reset_faults()
        error = caught.value
        assert error.may_have_been_processed
        assert "was carried out" in str(error) and "same order_id" in str(error)
        again = order_through(session, user_id, order_id, hold_id)  # as the error says
    assert again.recovered and again.json["id"] == order_id
    orders = sandbox.instances["dev"].state.find("order", user_id=user_id)
    assert [o["id"] for o in orders] == [order_id]


def test_a_create_without_its_own_id_is_never_sent_twice(sandbox, dev, unique):
    user_id = f"noid-{unique}"
    new_user(dev, user_id)
    held = reserve(dev, user_id, "last_mile", location_code="000-3801")
    policy, waits = recording(then=sandbox.reset_faults)
    with session_for(sandbox, retry=policy) as session:
        session.auth.token()
        sandbox.faults("dev", lose_rate=1.0)
        with pytest.raises(TransportError) as caught:
            session.call(
                "create_last_mile_order",  # order_id is optional here: none given
                user_id=user_id,
                location_code="000-3801",
                service_option_hold_id=held["id"],
                first_name="Kamal",
                last_name="Singh",
                user_phone="+18005550100",
                items_count=2,
                items_weight=3.5,
            )
        sandbox.reset_faults()
    assert waits == [] and caught.value.may_have_been_processed
    assert "not sent again" in str(caught.value)
    assert len(sandbox.instances["dev"].state.find("order", user_id=user_id)) == 1


def test_reads_are_retried_on_500_and_writes_are_not(sandbox, unique):
    policy, waits = recording(then=sandbox.reset_faults)
    with session_for(sandbox, retry=policy) as session:
        session.auth.token()
        sandbox.faults("dev", error_rate=1.0, error_status=500)
        assert session.call("find_delivery_stores", **FIND).status_code == 200
        assert session.history.iloc[-1]["attempts"] == 2
        sandbox.faults("dev", error_rate=1.0, error_status=500)
        with pytest.raises(ServerError) as caught:
            session.call("create_user", user_id=f"w500-{unique}", first_name="W")
        sandbox.reset_faults()
        assert session.history.iloc[-1]["attempts"] == 1 and len(waits) == 1
    assert caught.value.may_have_been_processed and "not sent again" in str(caught.value)


# The deadline bounds the whole call ------------------------------------------------------


def _trickled_body(seen: Seen) -> list[Route]:
    async def stores(request):
        async def drip():
            yield b'{"stores": ['
            for _ in range(100):  # ten seconds of a byte every 100 ms: each read is quick
                await asyncio.sleep(0.1)
                yield b" "
            yield b"]}"

        return StreamingResponse(drip(), media_type="application/json")

    return [Route(STORES, stores, methods=["POST"])]


def _silent(seen: Seen) -> list[Route]:
    async def stores(request):
        await asyncio.sleep(10)
        return json_of({"stores": []})

    return [Route(STORES, stores, methods=["POST"])]


@pytest.mark.parametrize("routes", [_trickled_body, _silent], ids=["trickled body", "silent"])
def test_a_slow_answer_is_cut_off_at_the_deadline(tmp_path, routes):
    policy = RetryPolicy(deadline=1.0)
    with (
        hostile_server(tmp_path, routes(Seen())) as (env, _),
        ConnectSession(env, retry=policy, timeout=(5.0, 30.0)) as session,
    ):
        session.auth.token()
        started = time.monotonic()
        with pytest.raises(TransportError) as caught:
            session.post(STORES, json=FIND)
        took = time.monotonic() - started
    assert took < 5.0  # the server would have taken 10 s; a generous bound on a 1 s deadline
    error = caught.value
    assert error.sent and (error.deadline or "no answer in time" in str(error))


def test_trickled_headers_are_cut_off_at_the_deadline(tmp_path):
    head = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 1000
    with trickling_server(tmp_path, head) as env:
        session = ConnectSession(env, retry=RetryPolicy(deadline=1.0))
        started = time.monotonic()
        with pytest.raises(TransportError) as caught:  # the token call: it needs no token
            session.post("/v2/oauth/token", json={"grant_type": "client_credentials"})
        took = time.monotonic() - started
    assert took < 5.0 and caught.value.deadline and "1 s deadline" in str(caught.value)


def test_a_create_that_succeeded_after_a_retry_is_no_longer_in_doubt(sandbox, dev, unique):
    user_id, order_id = f"known-{unique}", f"known-order-{unique}"
    new_user(dev, user_id)
    hold_id = hold(dev, user_id)
    policy, waits = recording(then=sandbox.reset_faults)
    with session_for(sandbox, retry=policy) as session:
        session.auth.token()
        sandbox.faults("dev", error_rate=1.0, error_status=503)  # may have been carried out...
        made = order_through(session, user_id, order_id, hold_id)
        assert made.status_code == 200  # ...then known
        with pytest.raises(InvalidRequestError, match="already"):  # so a second is a duplicate
            order_through(session, user_id, order_id, hold_id)
    assert len(waits) == 1
