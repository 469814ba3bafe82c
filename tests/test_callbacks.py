"""Order callbacks end to end: the sandbox sends them, connect_kit.callbacks receives them.

Real servers on loopback over HTTPS, no mocks. These tests use their own sandbox, so that
configuring callbacks never touches the session-wide one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd
import pytest
import requests
from helpers import (
    Api,
    advance,
    delivery_order,
    last_mile_order,
    new_user,
    place_order,
    start_batch,
)

import connect_kit as ck
from connect_kit.callbacks import Receiver, listen
from connect_kit.sandbox import Sandbox
from connect_kit.sandbox.handlers import Context
from connect_kit.sandbox.handlers.common import record_event

USERS = "/v2/fulfillment/users"
DELIVERY = [  # the documented events only (spec.events): no verifying_replacements, etc.
    "fulfillment.brand_new",
    "fulfillment.acknowledged",
    "fulfillment.picking",
    "fulfillment.checkout",
    "fulfillment.delivering",
    "fulfillment.order_location",
    "fulfillment.order_location",
    "fulfillment.delivered",
    "fulfillment.rating_reminder",
]
PICKUP = [  # no bags_check; At store and Bags verified are last-mile events
    "fulfillment.brand_new",
    "fulfillment.acknowledged",
    "fulfillment.picking",
    "fulfillment.checkout",
    "fulfillment.staged",
    "fulfillment.pickup_runner_started",
    "fulfillment.pickup_geofence_reached",
    "fulfillment.customer_acknowledged",
    "fulfillment.delivered",
    "fulfillment.rating_reminder",
]
LAST_MILE = [  # a staged last-mile order is told with the documented Staged
    "fulfillment.brand_new",
    "fulfillment.staged",
    "fulfillment.acknowledged_for_delivery",
    "fulfillment.at_store_eta",
    "fulfillment.at_store",
    "fulfillment.bags_verified",
    "fulfillment.delivering",
    "fulfillment.order_location",
    "fulfillment.order_location",
    "fulfillment.arrival_at_customer",
    "fulfillment.delivered",
    "fulfillment.rating_reminder",
]
#: events of a delivery order that carry the batch's id (all but brand_new and the reminder)
WITH_BATCH_ID = len(DELIVERY) - 2


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(latency=False) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def api(sb: Sandbox) -> Api:
    return Api(sb, "dev")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with listen() as r:
        yield r


@pytest.fixture(scope="module")
def quiet() -> Iterator[Receiver]:
    """A receiver that tests only send refused callbacks to (it stays empty)."""
    with listen() as r:
        yield r


@pytest.fixture
def send_to(sb: Sandbox) -> Iterator[Callable[..., Any]]:
    """Configure the dev instance's callbacks; turned off again after the test."""
    try:
        yield lambda *args, **kw: sb.callbacks("dev", *args, **kw)
    finally:
        sb.callbacks("dev", None)


def token_of(r: Receiver, **changes: str) -> requests.Response:
    form = {
        "client_id": r.client_id,
        "client_secret": r.client_secret,
        "grant_type": "client_credentials",
        **changes,
    }
    return requests.post(r.auth_url, data=form, verify=r.ca_file, timeout=10)


def post_event(r: Receiver, body: Any, token: str | None, **kw: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(r.url, json=body, headers=headers, verify=r.ca_file, timeout=10, **kw)


def envelope(event_id: int, name: str = "fulfillment.brand_new", **metadata: Any) -> dict:
    return {
        "event_id": event_id,
        "event_name": name,
        "event_timestamp": "2020-07-07T16:35:22Z",
        "event_metadata": {"order_id": "b7fab7ae", **metadata},
    }


def names_of(r: Receiver, order_id: str) -> list[str]:
    frame = r.events
    return list(frame[frame["order_id"] == order_id]["event_name"].astype(str))


def drive_delivery(api: Api, unique: str) -> tuple[str, str]:
    """A delivery order from brand_new to delivered; returns (user_id, order_id)."""
    user, order_id = f"u-{unique}", f"o-{unique}"
    delivery_order(api, user, order_id)
    batch = start_batch(api, [order_id])
    while advance(api, batch["id"])["workflow_state"] != "completed":
        pass
    return user, order_id


def get_order(api: Api, user: str, order_id: str) -> dict[str, Any]:
    return api.ok("GET", f"{USERS}/{user}/orders/{order_id}")


# the receiver on its own -----------------------------------------------------------------


def test_receiver_issues_tokens_for_its_credentials(receiver):
    answer = token_of(receiver)
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0
    assert isinstance(body["access_token"], str) and len(body["access_token"]) > 20
    assert token_of(receiver).json()["access_token"] != body["access_token"]
    assert token_of(receiver, client_secret="wrong").status_code == 401
    assert token_of(receiver, client_id="someone-else").status_code == 401
    assert token_of(receiver, grant_type="password").status_code == 400
    as_json = requests.post(
        receiver.auth_url,
        json={"client_id": receiver.client_id, "client_secret": receiver.client_secret},
        verify=receiver.ca_file,
        timeout=10,
    )
    assert as_json.status_code == 400  # the Auth URI takes a form, as Instacart sends it
    assert requests.get(receiver.auth_url, verify=receiver.ca_file, timeout=10).status_code == 405


def test_receiver_takes_given_credentials_and_never_shows_the_secret():
    with listen(client_id="retailer-app", client_secret="s3cret-value-123") as r:
        assert (r.client_id, r.client_secret) == ("retailer-app", "s3cret-value-123")
        assert token_of(r).status_code == 200
        assert r.url.startswith("https://127.0.0.1:") and r.url.endswith("/callbacks")
        assert r.auth_url.endswith("/oauth/token")
        for text in (repr(r), r._repr_html_()):
            assert "s3cret-value-123" not in text
    with listen() as other:
        assert other.client_secret not in repr(other)
        assert other.client_secret != "s3cret-value-123"


def test_callbacks_need_a_valid_bearer_token(receiver):
    token = token_of(receiver).json()["access_token"]
    assert post_event(receiver, envelope(1), None).status_code == 401
    refused = post_event(receiver, envelope(1), "not-a-token")
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Bearer")
    basic = requests.post(
        receiver.url,
        json=envelope(1),
        headers={"Authorization": f"Basic {token}"},
        verify=receiver.ca_file,
        timeout=10,
    )
    assert basic.status_code == 401
    assert post_event(receiver, envelope(1), token).status_code == 200
    assert receiver.expire_tokens() == 1
    assert post_event(receiver, envelope(2), token).status_code == 401
    assert len(receiver) == 1 and receiver.refused == 4


@pytest.mark.parametrize(
    "body",
    [
        [],
        "event",
        {},
        {**envelope(1), "event_id": "1"},
        {**envelope(1), "event_id": True},
        {**envelope(1), "event_id": 2**64},
        {**envelope(1), "event_name": ""},
        {**envelope(1), "event_timestamp": "yesterday"},
        {**envelope(1), "event_timestamp": "2020-07-07T16:35:22"},
        {**envelope(1), "event_metadata": None},
        {**envelope(1), "retailer_id": 7},
    ],
)
def test_a_malformed_event_is_refused(quiet, body):
    token = token_of(quiet).json()["access_token"]
    answer = post_event(quiet, body, token)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"
    assert answer.json()["error_description"]
    assert len(quiet) == 0 and quiet.received == 0


def test_a_body_that_is_not_json_is_refused(receiver):
    token = token_of(receiver).json()["access_token"]
    answer = requests.post(
        receiver.url,
        data=b"{not json",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        verify=receiver.ca_file,
        timeout=10,
    )
    assert answer.status_code == 400
    assert requests.get(receiver.url, verify=receiver.ca_file, timeout=10).status_code == 405


def test_receiver_keeps_each_event_once_in_timestamp_order(receiver):
    token = token_of(receiver).json()["access_token"]
    later = {**envelope(5, "fulfillment.picking", batch_id=3), "retailer_id": "r-1"}
    later["event_timestamp"] = "2020-07-07T16:40:00Z"
    bodies = [later, envelope(7, shopper="ann"), envelope(6, batch_id=2), envelope(7)]
    for body in bodies:
        assert post_event(receiver, body, token).status_code == 200
    assert receiver.wait_for(3, timeout=1)
    assert not receiver.wait_for(4, timeout=0.05)
    assert (receiver.received, receiver.duplicates, len(receiver)) == (4, 1, 3)
    assert receiver.arrivals == [5, 7, 6, 7]
    frame = receiver.events
    assert list(frame["event_id"]) == [6, 7, 5]  # same second: by event_id
    assert str(frame["event_id"].dtype) == "Int64"
    assert isinstance(frame["event_name"].dtype, pd.CategoricalDtype)
    assert str(frame["event_timestamp"].dtype) == "datetime64[us, UTC]"
    assert str(frame["order_id"].dtype) == "string"
    assert list(frame.columns) == [
        "event_id",
        "event_name",
        "event_timestamp",
        "order_id",
        "retailer_id",
        "metadata.batch_id",  # metadata keys in the order first seen
        "metadata.shopper",
    ]
    assert str(frame["metadata.batch_id"].dtype) == "Int64"
    assert frame["metadata.shopper"].tolist()[1] == "ann"  # the first copy is kept
    html = receiver._repr_html_()
    assert "fulfillment.picking" in html and "3 events (4 received, 1 duplicate)" in html
    receiver.clear()
    assert len(receiver.events) == 0 and receiver.received == 0
    assert list(receiver.events.columns) == [
        "event_id",
        "event_name",
        "event_timestamp",
        "order_id",
    ]


def test_live_widget_follows_the_events(receiver):
    widget = receiver.live()
    assert "0 events" in widget.value
    token = token_of(receiver).json()["access_token"]
    post_event(receiver, envelope(42, "fulfillment.acknowledged"), token)
    deadline = time.monotonic() + 5
    while "fulfillment.acknowledged" not in widget.value and time.monotonic() < deadline:
        time.sleep(0.01)
    assert "fulfillment.acknowledged" in widget.value and "1 event " in widget.value


def test_stopped_receiver_keeps_its_events():
    r = listen()
    token = token_of(r).json()["access_token"]
    post_event(r, envelope(1), token)
    r.stop()
    assert "stopped" in repr(r) and len(r.events) == 1
    with pytest.raises(OSError):  # the port is closed (and the CA file removed)
        token_of(r)
    r.stop()  # twice is fine


def test_callbacks_is_public():
    assert ck.callbacks.listen is listen


# the sandbox sends ---------------------------------------------------------------------


def test_a_delivery_order_sends_its_whole_lifecycle(sb, api, receiver, send_to, unique):
    sender = send_to(receiver)
    assert receiver.client_secret not in repr(sender)
    user, order_id = drive_delivery(api, unique)
    assert receiver.wait_for(len(DELIVERY), timeout=10)
    assert sender.flush(timeout=5)
    assert names_of(receiver, order_id) == DELIVERY
    recorded = [e["event_id"] for e in sb.events("dev", order_id)]
    frame = receiver.events
    mine = frame[frame["order_id"] == order_id]
    assert list(mine["event_id"]) == recorded
    assert mine["event_timestamp"].is_monotonic_increasing
    assert set(mine["metadata.user_id"]) == {user}
    assert mine["metadata.batch_id"].notna().sum() == WITH_BATCH_ID
    assert sender.tokens == 1  # fetched once, then cached
    assert receiver.duplicates == 0 and sender.failures == []
    assert get_order(api, user, order_id)["status"] == "delivered"


def test_duplicates_are_received_twice_and_kept_once(api, receiver, send_to, unique):
    sender = send_to(receiver, duplicates=1.0)
    _, order_id = drive_delivery(api, unique)
    assert receiver.wait_for(len(DELIVERY), timeout=10)
    assert sender.flush(timeout=5)
    assert names_of(receiver, order_id) == DELIVERY
    assert receiver.received == 2 * len(DELIVERY)
    assert receiver.duplicates == len(DELIVERY)
    assert len(receiver.events) == len(DELIVERY)
    assert sender.delivered == 2 * len(DELIVERY)


def test_shuffled_delivery_is_kept_and_ordered(api, receiver, send_to, unique):
    sender = send_to(receiver, shuffle=True, seed=7)
    orders = []
    user = f"u-{unique}"
    new_user(api, user)
    for i in range(4):
        orders.append(f"o-{unique}-{i}")
        place_order(api, user, orders[-1])
    batch = start_batch(api, orders)  # every state change: one event per order, at once
    while advance(api, batch["id"])["workflow_state"] != "completed":
        pass
    total = 4 * len(DELIVERY)
    assert receiver.wait_for(total, timeout=10)
    assert sender.flush(timeout=5)
    assert receiver.arrivals != sorted(receiver.arrivals)  # some came out of order
    frame = receiver.events
    assert len(frame) == total and receiver.duplicates == 0
    assert list(frame["event_id"]) == sorted(frame["event_id"])
    assert frame["event_timestamp"].is_monotonic_increasing
    for order_id in orders:
        assert names_of(receiver, order_id) == DELIVERY


def test_the_sender_retries_and_renews_its_token(api, receiver, send_to, unique):
    sender = send_to(receiver)
    receiver.fail_next(2)  # the first event is answered 503 twice, then taken
    user, order_id = f"u-{unique}", f"o-{unique}"
    delivery_order(api, user, order_id)
    assert receiver.wait_for(1, timeout=10)
    receiver.expire_tokens()  # the sender's cached token is now refused: it fetches another
    batch = start_batch(api, [order_id])
    assert receiver.wait_for(2, timeout=10)
    assert sender.flush(timeout=5)
    assert names_of(receiver, order_id) == DELIVERY[:2]
    assert receiver.refused == 3 and sender.tokens == 2 and sender.failures == []
    assert batch["workflow_state"] == "acknowledged"


def test_a_receiver_that_keeps_failing_is_given_up_on(api, receiver, send_to, unique):
    sender = send_to(receiver)
    receiver.fail_next(10)
    user, order_id = f"u-{unique}", f"o-{unique}"
    started = time.monotonic()
    delivery_order(api, user, order_id)  # the API answers at once: delivery is elsewhere
    assert time.monotonic() - started < 5
    assert sender.flush(timeout=10)
    assert len(sender.failures) == 1 and sender.failures[0][1] == "HTTP 503"
    assert len(receiver) == 0 and receiver.refused == 4  # bounded attempts


def test_a_pickup_order_end_to_end(api, receiver, send_to, unique):
    send_to(receiver)
    user, order_id = f"u-{unique}", f"o-{unique}"
    new_user(api, user)
    place_order(api, user, order_id, "pickup")
    batch = start_batch(api, [order_id])
    while advance(api, batch["id"])["workflow_state"] != "staged":
        pass
    runner = start_batch(api, [order_id], batch_type="runner_customer")
    while advance(api, runner["id"])["workflow_state"] != "completed":
        pass
    assert receiver.wait_for(len(PICKUP), timeout=10)
    assert names_of(receiver, order_id) == PICKUP
    order = get_order(api, user, order_id)
    assert order["status"] == "delivered" and "delivered_at" in order["fulfillment_details"]


def test_a_last_mile_order_end_to_end(api, receiver, send_to, unique):
    send_to(receiver)
    user, order_id = f"u-{unique}", f"o-{unique}"
    new_user(api, user)
    last_mile_order(api, user, order_id)
    api.ok("POST", f"{USERS}/{user}/orders/{order_id}/staged", {"bags_count": 2})
    batch = start_batch(api, [order_id], batch_type="delivery_only")
    while advance(api, batch["id"])["workflow_state"] != "completed":
        pass
    assert receiver.wait_for(len(LAST_MILE), timeout=10)
    assert names_of(receiver, order_id) == LAST_MILE
    order = get_order(api, user, order_id)
    assert order["status"] == "delivered"
    assert order["fulfillment_details"]["bag_count"] == 2


def test_turning_callbacks_off_stops_sending(sb, api, receiver, send_to, unique):
    sender = send_to(receiver)
    user = f"u-{unique}"
    delivery_order(api, user, f"o-{unique}")
    assert receiver.wait_for(1, timeout=10)
    assert sb.callbacks("dev", None) is None
    assert sb.instances["dev"].callbacks is None
    assert not sender._thread.is_alive()
    place_order(api, user, f"o-{unique}-after")
    assert sb.events("dev", f"o-{unique}-after")  # recorded...
    time.sleep(0.3)
    assert len(receiver) == 1 and receiver.received == 1  # ...but not sent


def test_callbacks_are_per_instance(sb, receiver, send_to, unique):
    send_to(receiver)
    prod = Api(sb, "prod")
    user = f"u-{unique}"
    new_user(prod, user)
    place_order(prod, user, f"o-{unique}", location_code="104-2210")
    time.sleep(0.3)
    assert len(receiver) == 0


def test_callback_settings_are_checked(sb, receiver):
    with pytest.raises(ValueError, match="url must be an https:// URL"):
        sb.callbacks(
            "dev",
            "http://127.0.0.1:1/callbacks",
            auth_url=receiver.auth_url,
            client_id="a",
            client_secret="b",
        )
    with pytest.raises(ValueError, match="need auth_url, client_secret"):
        sb.callbacks("dev", receiver.url, client_id="a")
    with pytest.raises(ValueError, match="duplicates must be a probability"):
        sb.callbacks("dev", receiver, duplicates=2)
    with pytest.raises(ValueError, match="unknown sandbox environment"):
        sb.callbacks("staging", receiver)
    assert sb.instances["dev"].callbacks is None


def test_the_sender_stops_with_its_sandbox(receiver):
    with Sandbox(latency=False) as other:
        sender = other.callbacks("dev", receiver)
        assert sender is not None and sender._thread.is_alive()
    assert not sender._thread.is_alive()
    assert other.instances["dev"].callbacks is None


def test_an_event_rolled_back_with_its_request_is_not_sent(sb, receiver, send_to, unique):
    sender = send_to(receiver)
    instance = sb.instances["dev"]
    ctx = Context(instance, None, {}, None)
    order = {"id": f"o-{unique}", "user_id": f"u-{unique}"}
    with pytest.raises(RuntimeError), instance.state.transaction():
        record_event(ctx, order, "fulfillment.brand_new")
        raise RuntimeError("the handler failed after recording its event")
    with instance.state.transaction():
        kept = record_event(ctx, order, "fulfillment.canceled")
    assert sender.flush(timeout=5)
    assert receiver.wait_for(1, timeout=5)
    assert names_of(receiver, order["id"]) == ["fulfillment.canceled"]
    assert receiver.event_list()[0]["event_id"] == kept["event_id"]
    assert receiver.received == 1
