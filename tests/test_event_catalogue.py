"""The callback catalogue is the documented one, and the sandbox sends exactly it.

The docs' table "Callbacks by fulfillment workflow type" (event_callbacks) is written out here
on its own, so that the spec's catalogue is checked against the docs, not against itself.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from helpers import (
    PEANUT_BUTTER,
    SPARKLING_WATER,
    advance,
    cart,
    last_mile_order,
    new_shopper,
    new_user,
    place_order,
    start_batch,
)

import connect_kit as ck
from connect_kit.sandbox.delivery import CallbackSettings
from connect_kit.sandbox.handlers import Context
from connect_kit.sandbox.handlers.common import record_event
from connect_kit.spec import events

SB = "/v2/fulfillment_sandbox"
USERS = "/v2/fulfillment/users"

# title: (delivery, pickup, last mile), as the docs' table gives them
DOCS_TABLE = {
    "Brand new": "DPL",
    "Acknowledged": "DPL",
    "Picking": "DP",
    "Order item replacement": "DP",
    "Order item refund": "DP",
    "Checkout": "DP",
    "Delivering": "DL",
    "Order location": "DL",
    "Late delivery": "DL",
    "Customer missing": "DL",
    "Staged": "DPL",
    "Customer acknowledged": "P",
    "Pickup runner started": "P",
    "Unable to find customer": "P",
    "Runner not found": "P",
    "Pickup Geofence reached": "P",
    "Late pickup": "P",
    "Delivered": "DPL",
    "Rescheduled": "DPL",
    "Canceled": "DPL",
    "Tip adjustment": "DL",
    "At store": "L",
    "Acknowledged for delivery": "L",
    "Bags verified": "L",
    "Arrival at customer": "L",
    "At store ETA": "L",
    "Rating updated": "DPL",
    "Rating reminder": "DPL",
}
UNDOCUMENTED = {
    "fulfillment.verifying_replacements",
    "fulfillment.receipt_sanity_check",
    "fulfillment.bags_check",
    "fulfillment.staged_for_delivery",
}
PICKUP_RUNNER = {
    "fulfillment.customer_acknowledged",
    "fulfillment.pickup_runner_started",
    "fulfillment.unable_to_find_customer",
    "fulfillment.runner_not_found",
    "fulfillment.pickup_geofence_reached",
    "fulfillment.late_pickup",
}
LAST_MILE_ONLY = {"fulfillment.at_store", "fulfillment.bags_verified"}
KIND = {"delivery": "D", "pickup": "P", "last_mile": "L", "dispatch": "L"}


def names(sandbox, order_id: str) -> list[str]:
    return [e["event_name"] for e in sandbox.events("dev", order_id)]


def event_of(sandbox, order_id: str, name: str) -> dict[str, Any]:
    return next(e for e in sandbox.events("dev", order_id) if e["event_name"] == name)


def through(dev, batch_id: int, last: str) -> None:
    while advance(dev, batch_id)["workflow_state"] != last:
        pass


def a_delivery(dev, unique: str, *, replace: bool = False) -> tuple[str, str]:
    """A delivery order driven to delivered (with a replacement and a refund if asked)."""
    user, order_id = f"u-{unique}", f"o-{unique}"
    new_user(dev, user)
    place_order(dev, user, order_id, items=cart(PEANUT_BUTTER, SPARKLING_WATER))
    shopper = new_shopper(dev)
    batch = start_batch(dev, [order_id], shopper_id=shopper)
    if replace:
        advance(dev, batch["id"], "picking")
        items = f"{SB}/shoppers/{shopper}/orders/{order_id}/items"
        dev.ok("PUT", f"{items}/1", {"status": "replaced", "replacement_item": SPARKLING_WATER})
        dev.ok("PUT", f"{items}/2", {"status": "to_refund"})
    through(dev, batch["id"], "completed")
    return user, order_id


def a_pickup(dev, unique: str) -> tuple[str, str, int]:
    """A pickup order, staged and with its runner batch generated; returns the runner batch."""
    user, order_id = f"u-{unique}", f"o-{unique}"
    new_user(dev, user)
    place_order(dev, user, order_id, "pickup")
    batch = start_batch(dev, [order_id])
    through(dev, batch["id"], "staged")
    runner = start_batch(dev, [order_id], batch_type="runner_customer")
    return user, order_id, runner["id"]


def a_last_mile(dev, unique: str, **stage: Any) -> tuple[str, str]:
    user, order_id = f"u-{unique}", f"o-{unique}"
    new_user(dev, user)
    last_mile_order(dev, user, order_id)
    dev.ok("POST", f"{USERS}/{user}/orders/{order_id}/staged", {"bags_count": 2, **stage})
    batch = start_batch(dev, [order_id], batch_type="delivery_only")
    through(dev, batch["id"], "completed")
    return user, order_id


# the catalogue ---------------------------------------------------------------------------


def test_the_catalogue_is_the_documented_table():
    assert len(events.FULFILLMENT_EVENTS) == 28
    by_title = {e.title: e for e in events.FULFILLMENT_EVENTS}
    assert set(by_title) == set(DOCS_TABLE)
    for title, columns in DOCS_TABLE.items():
        event = by_title[title]
        expected = {w for w, c in zip(events.WORKFLOWS, "DPL", strict=True) if c in columns}
        assert event.workflows == expected, title
        assert event.name == "fulfillment." + title.lower().replace(" ", "_")
    documented = (*(e.name for e in events.FULFILLMENT_EVENTS), "chat_message_created")
    assert documented == events.EVENT_NAMES
    assert not UNDOCUMENTED & set(events.EVENT_NAMES)
    confirmed = {e.name for e in events.CATALOGUE.values() if e.confirmed}
    assert confirmed == {"fulfillment.brand_new", "chat_message_created"}
    documented_fields = {
        (e.name, f.name) for e in events.CATALOGUE.values() for f in e.fields if f.documented
    }
    assert documented_fields == {
        ("fulfillment.brand_new", "delivery_window"),
        ("fulfillment.checkout", "items"),
        ("fulfillment.at_store_eta", "bag_label"),
        ("chat_message_created", "topic_id"),
    }
    envelope = ck.spec.field(events.EventEnvelope, path="event_name")
    assert envelope.enum == events.EVENT_NAMES


def test_statuses_without_a_documented_event_are_silent():
    silent = {s for s, name in events.STATUS_EVENT.items() if name is None}
    assert silent == {"verifying_replacements", "receipt_sanity_check", "bags_check"}
    assert events.STATUS_EVENT["staged_for_delivery"] == "fulfillment.staged"
    assert not events.applies("fulfillment.at_store", "pickup")
    assert events.applies("fulfillment.at_store", "dispatch")
    with pytest.raises(ValueError, match="not a documented callback event"):
        events.applies("fulfillment.bags_check", "pickup")


# what the sandbox sends ------------------------------------------------------------------


def test_every_emitted_event_is_documented_for_its_workflow(sandbox, dev, unique):
    _, delivery = a_delivery(dev, f"{unique}-d", replace=True)
    _, pickup, runner = a_pickup(dev, f"{unique}-p")
    through(dev, runner, "completed")
    _, last_mile = a_last_mile(dev, f"{unique}-l")
    for order_id, kind in ((delivery, "delivery"), (pickup, "pickup"), (last_mile, "last_mile")):
        sent = names(sandbox, order_id)
        assert sent[0] == "fulfillment.brand_new" and sent[-2:] == [
            "fulfillment.delivered",
            "fulfillment.rating_reminder",
        ]
        for name in sent:
            assert name in events.EVENT_NAMES
            assert KIND[kind] in DOCS_TABLE[events.CATALOGUE[name].title], (kind, name)
        assert not UNDOCUMENTED & set(sent)
    # every event of the sandbox so far, from every test
    assert not UNDOCUMENTED & {e["event_name"] for e in sandbox.events("dev")}


def test_pickup_runner_events_on_pickup_only(sandbox, dev, unique):
    _, delivery = a_delivery(dev, f"{unique}-d")
    _, last_mile = a_last_mile(dev, f"{unique}-l")
    _, pickup, runner = a_pickup(dev, f"{unique}-p")
    assert names(sandbox, pickup)[-1] == "fulfillment.pickup_runner_started"
    through(dev, runner, "completed")
    sent = names(sandbox, pickup)
    assert sent[sent.index("fulfillment.staged") :] == [
        "fulfillment.staged",
        "fulfillment.pickup_runner_started",
        "fulfillment.pickup_geofence_reached",  # runner batch at_store: the customer is there
        "fulfillment.customer_acknowledged",  # bags_verified: the customer checked the bags
        "fulfillment.delivered",
        "fulfillment.rating_reminder",
    ]
    assert not LAST_MILE_ONLY & set(sent)  # the runner batch's at_store is silent
    for other in (delivery, last_mile):
        assert not PICKUP_RUNNER & set(names(sandbox, other))
    assert set(names(sandbox, last_mile)) >= LAST_MILE_ONLY
    assert not LAST_MILE_ONLY & set(names(sandbox, delivery))


def test_a_late_pickup(sandbox, dev, unique):
    _, order_id, runner = a_pickup(dev, unique)
    state = sandbox.instances["dev"].state
    with state.transaction():  # the window ended an hour ago
        order = state.get("order", order_id)
        order["window_ends_at"] = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        state.put("order", order_id, order)
    advance(dev, runner)
    assert names(sandbox, order_id)[-2:] == [
        "fulfillment.late_pickup",
        "fulfillment.pickup_geofence_reached",
    ]


def test_events_on_request(sandbox, dev, unique):
    _, pickup, _ = a_pickup(dev, f"{unique}-p")
    user = f"u-{unique}-d"
    new_user(dev, user)
    place_order(dev, user, f"o-{unique}-d")
    for name in ("fulfillment.unable_to_find_customer", "fulfillment.runner_not_found"):
        event = sandbox.simulate_event("dev", pickup, name)
        assert event["event_name"] == name and names(sandbox, pickup)[-1] == name
    missing = sandbox.simulate_event("dev", f"o-{unique}-d", "fulfillment.customer_missing")
    assert missing["event_metadata"]["order_id"] == f"o-{unique}-d"
    with pytest.raises(ValueError, match="not sent for pickup orders"):
        sandbox.simulate_event("dev", pickup, "fulfillment.customer_missing")
    with pytest.raises(ValueError, match="not sent for delivery orders"):
        sandbox.simulate_event("dev", f"o-{unique}-d", "fulfillment.runner_not_found")
    with pytest.raises(ValueError, match="sandbox's own steps"):
        sandbox.simulate_event("dev", pickup, "fulfillment.delivered")
    with pytest.raises(ValueError, match="not a documented callback event"):
        sandbox.simulate_event("dev", pickup, "fulfillment.bags_check")
    with pytest.raises(ValueError, match="no order"):
        sandbox.simulate_event("dev", f"nope-{unique}", "fulfillment.runner_not_found")


def test_late_delivery_is_not_sent_for_pickup(sandbox, dev, unique):
    _, pickup, _ = a_pickup(dev, f"{unique}-p")
    before = names(sandbox, pickup)
    answer = dev.ok("POST", f"{SB}/orders/{pickup}/callbacks", {"event_name": "late_delivery"})
    assert answer == {"success": True} and names(sandbox, pickup) == before
    dev.ok("POST", f"{SB}/orders/{pickup}/callbacks", {"event_name": "rescheduled"})
    assert names(sandbox, pickup)[-1] == "fulfillment.rescheduled"


# payloads --------------------------------------------------------------------------------


def test_brand_new_carries_the_delivery_window(sandbox, dev, unique):
    user, order_id = f"u-{unique}", f"o-{unique}"
    new_user(dev, user)
    created = place_order(dev, user, order_id)
    details = created["fulfillment_details"]
    window = event_of(sandbox, order_id, "fulfillment.brand_new")["event_metadata"]
    assert window["delivery_window"] == {
        "start_at": details["window_starts_at"],
        "end_at": details["window_ends_at"],
    }


def test_checkout_carries_the_items(sandbox, dev, unique):
    _, order_id = a_delivery(dev, unique, replace=True)
    items = event_of(sandbox, order_id, "fulfillment.checkout")["event_metadata"]["items"]
    by_line = {item["line_num"]: item for item in items}
    replaced, refunded = by_line["1"], by_line["2"]
    assert replaced["requested_item_upc"] == PEANUT_BUTTER["upc"]
    assert replaced["delivered_item_upc"] == SPARKLING_WATER["upc"]
    assert replaced["replaced"] is True and replaced["requested_item_rrc"]
    assert refunded["requested_item_upc"] == SPARKLING_WATER["upc"]
    assert refunded["delivered_item_upc"] is None and refunded["qty"] == 0
    for item in items:
        assert {"delivered_item_rrc", "requested_item_rrc", "item", "qty"} <= set(item)


def test_at_store_eta_carries_the_bag_label(sandbox, dev, unique):
    _, labelled = a_last_mile(dev, f"{unique}-a", bag_label="B-7")
    _, unlabelled = a_last_mile(dev, f"{unique}-b")
    eta = event_of(sandbox, labelled, "fulfillment.at_store_eta")["event_metadata"]
    assert eta["bag_label"] == "B-7"
    assert datetime.fromisoformat(eta["eta"].replace("Z", "+00:00")) > datetime.now(UTC)
    other = event_of(sandbox, unlabelled, "fulfillment.at_store_eta")["event_metadata"]
    assert isinstance(other["bag_label"], str) and other["bag_label"]
    sent = names(sandbox, labelled)
    assert sent.index("fulfillment.acknowledged_for_delivery") < sent.index(
        "fulfillment.at_store_eta"
    )
    assert sent.index("fulfillment.at_store_eta") < sent.index("fulfillment.at_store")


def test_order_location_while_delivering(sandbox, dev, unique):
    _, order_id = a_delivery(dev, unique)
    located = [
        e
        for e in sandbox.events("dev", order_id)
        if e["event_name"] == "fulfillment.order_location"
    ]
    assert len(located) == 2
    start, end = (e["event_metadata"]["coordinates"] for e in located)
    assert start != end
    for point in (start, end):
        assert set(point) == {"latitude", "longitude"}
    sent = names(sandbox, order_id)
    assert sent.index("fulfillment.delivering") < sent.index("fulfillment.order_location")


def test_tip_adjustment_on_a_tip_update(sandbox, dev, unique):
    user, order_id = a_delivery(dev, f"{unique}-d")
    dev.ok("PUT", f"{USERS}/{user}/orders/{order_id}/tip", {"tip_amount_cents": 900})
    tipped = sandbox.events("dev", order_id)[-1]
    assert tipped["event_name"] == "fulfillment.tip_adjustment"
    assert tipped["event_metadata"]["tip_amount_cents"] == 900
    user, pickup, runner = a_pickup(dev, f"{unique}-p")
    through(dev, runner, "completed")
    before = names(sandbox, pickup)
    dev.ok("PUT", f"{USERS}/{user}/orders/{pickup}/tip", {"tip_amount_cents": 100})
    assert names(sandbox, pickup) == before  # Tip adjustment: delivery and last mile only


def test_rating_updated_for_the_order_feedback_api(sandbox, dev, unique):
    """How the Order Feedback handlers record Rating updated: on every workflow."""
    _, order_id = a_delivery(dev, unique)
    instance = sandbox.instances["dev"]
    with instance.state.transaction():
        order = instance.state.get("order", order_id)
        ctx = Context(instance, None, {}, None)
        event = record_event(ctx, order, events.RATING_UPDATED, rating_value="STARS5")
    assert event is not None and event["event_metadata"]["rating_value"] == "STARS5"
    assert names(sandbox, order_id)[-1] == "fulfillment.rating_updated"
    with pytest.raises(ValueError, match="not a documented callback event"):
        record_event(ctx, order, "fulfillment.rated")


def test_no_rating_reminder_for_a_rated_order(sandbox, dev, unique):
    user, order_id = f"u-{unique}", f"o-{unique}"
    new_user(dev, user)
    place_order(dev, user, order_id)
    batch = start_batch(dev, [order_id])
    advance(dev, batch["id"], "delivering")
    state = sandbox.instances["dev"].state
    with state.transaction():  # rated already, as the Order Feedback handlers keep it
        order = state.get("order", order_id)
        order["feedback"] = {"rating_value": "STARS5", "highlights": []}
        state.put("order", order_id, order)
    advance(dev, batch["id"])
    assert names(sandbox, order_id)[-1] == "fulfillment.delivered"


# retailer_id -----------------------------------------------------------------------------


def test_retailer_id_when_configured(sandbox, dev, unique):
    with ck.callbacks.listen() as receiver:
        try:
            sender = sandbox.callbacks("dev", receiver, retailer_id="R-42")
            assert sender is not None and sender.settings.retailer_id == "R-42"
            user = f"u-{unique}"
            new_user(dev, user)
            place_order(dev, user, f"o-{unique}-a")
            assert receiver.wait_for(1, timeout=10)
            sandbox.callbacks("dev", receiver)  # no retailer_id configured
            place_order(dev, user, f"o-{unique}-b")
            assert receiver.wait_for(2, timeout=10)
        finally:
            sandbox.callbacks("dev", None)
        sent = {e["event_metadata"]["order_id"]: e for e in receiver.event_list()}
    assert sent[f"o-{unique}-a"]["retailer_id"] == "R-42"
    assert "retailer_id" not in sent[f"o-{unique}-b"]
    assert "retailer_id" not in sandbox.events("dev", f"o-{unique}-a")[0]  # a sending option
    with pytest.raises(ValueError, match="retailer_id must be a non-empty string"):
        CallbackSettings("https://x/cb", "https://x/token", "a", "b", retailer_id="")
