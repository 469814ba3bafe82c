"""Driving test orders end to end while their callbacks arrive, and their timelines."""

from __future__ import annotations

import time

import pytest
from helpers import SPARKLING_WATER, last_mile_order, new_user, place_order
from test_session import session_for

import connect_kit as ck


@pytest.fixture
def watched(sandbox):
    """A receiver that the dev instance sends its callbacks to, for one test."""
    with ck.callbacks.listen() as receiver:
        sandbox.callbacks("dev", receiver)
        try:
            yield receiver
        finally:
            sandbox.callbacks("dev", None)


def events_of(receiver, order_id):
    frame = receiver.events
    return list(frame[frame["order_id"] == order_id]["event_name"].astype(str))


def test_a_delivery_order_with_a_replacement_the_customer_approves(sandbox, dev, unique, watched):
    user_id, order_id = f"drv-{unique}", f"drv-order-{unique}"
    new_user(dev, user_id)
    place_order(dev, user_id, order_id)
    with session_for(sandbox) as session:
        order = ck.drive(session, user_id, order_id)
        assert order.advance(to="picking") == "picking"
        order.find("2")
        order.replace("1", upc=SPARKLING_WATER["upc"])
        with session.for_user(user_id) as customer:
            items = customer.call("get_order_items", order_id=order_id).json["line_items"]
            replaced = next(i for i in items if i["id"] == "1")
            assert (replaced["status"], replaced["replacement_status"]) == ("REPLACED", "PENDING")
            customer.call(
                "handle_item_replacement", order_id=order_id, order_item_id="1", status="APPROVED"
            )
        assert order.advance(to="delivered") == "delivered"
        timeline = order.timeline()
    assert timeline["status"].iloc[-1] == "delivered"
    assert timeline["action"].iloc[0].startswith("batch ")
    assert timeline["action"].iloc[1] == "advance to picking"
    assert "replaced line 1" in set(timeline["action"])
    expected = [  # the documented events: verifying_replacements etc. change silently
        "fulfillment.brand_new",
        "fulfillment.acknowledged",
        "fulfillment.picking",
        "fulfillment.order_item_replacement",
        "fulfillment.checkout",
        "fulfillment.delivering",
        "fulfillment.order_location",
        "fulfillment.order_location",
        "fulfillment.delivered",
        "fulfillment.rating_reminder",
    ]
    assert _wait_events(watched, order_id, len(expected)) == expected
    html = order.styled_timeline().to_html()
    assert "delivered" in html and "background-color" in html


def _wait_events(receiver, order_id, count):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        names = events_of(receiver, order_id)
        if len(names) >= count:
            return names
        time.sleep(0.05)
    return events_of(receiver, order_id)


def test_a_pickup_order_goes_on_to_its_runner_batch(sandbox, dev, unique):
    user_id, order_id = f"drp-{unique}", f"drp-order-{unique}"
    new_user(dev, user_id)
    place_order(dev, user_id, order_id, kind="pickup")
    with session_for(sandbox) as session:
        order = ck.drive(session, user_id, order_id, kind="pickup")
        assert order.advance(to="delivered") == "delivered"
        actions = list(order.timeline()["action"])
    assert any("runner_customer" in a for a in actions)
    assert "advance to staged" in actions and "advance to at_store" in actions


def test_a_last_mile_order_and_a_simulated_cancel(sandbox, dev, unique):
    user_id = f"drl-{unique}"
    new_user(dev, user_id)
    last_mile_order(dev, user_id, f"drl-order-{unique}")
    with session_for(sandbox) as session:
        order = ck.drive(session, user_id, f"drl-order-{unique}", kind="last_mile")
        assert order.advance(to="at_store") == "at_store"
        assert order.advance(to="delivered") == "delivered"
        place_order(dev, user_id, f"drl-cancel-{unique}")
        canceled = ck.drive(session, user_id, f"drl-cancel-{unique}")
        assert canceled.simulate("canceled") == "canceled"
        with pytest.raises(ValueError, match="cannot start"):
            canceled.advance(to="delivered")
    with pytest.raises(ValueError, match="kind must be one of"):
        ck.drive(session, user_id, "x", kind="drone")
