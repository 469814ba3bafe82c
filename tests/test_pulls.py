"""The ready-made pulls: each a DataFrame from a thin layer over call()."""

from __future__ import annotations

import warnings

import pytest
from helpers import ADDRESS, BANANAS, PEANUT_BUTTER, cart, delivery_order, new_user
from test_session import session_for

from connect_kit.client import _arguments as session_module
from connect_kit.errors import ConnectWarning


@pytest.fixture
def dev_session(sandbox):
    with session_for(sandbox) as session:
        yield session


@pytest.mark.parametrize(
    ("place", "kind"),
    [
        (ADDRESS, "delivery"),
        ((37.7910, -122.3940), "delivery"),
        ("94105", "pickup"),
        ("m6k 3l5", "pickup"),
        ("60601", "last_mile"),
        ("94105", "dispatch"),
    ],
)
def test_read_stores(dev_session, place, kind):
    frame = dev_session.read_stores(place, kind=kind)
    assert len(frame) > 0 and frame["location_code"].dtype == "string"
    if kind == "pickup":
        assert frame["flags.pickup"].all()


def test_read_stores_refuses_what_cannot_work(dev_session):
    with pytest.raises(ValueError, match="address or coordinates"):
        dev_session.read_stores("94105")
    with pytest.raises(ValueError, match="kind must be one of"):
        dev_session.read_stores("94105", kind="drone")
    with pytest.raises(TypeError, match="place must be"):
        dev_session.read_stores(94105, kind="pickup")


def test_read_time_slots_preview_and_cart(dev_session, dev, unique):
    preview = dev_session.read_time_slots(postal_code="94105", eta=True)
    assert set(preview["window.type"]) == {"scheduled", "eta", "priority_eta"}
    assert str(preview["window.start_at"].dtype).startswith("datetime64")
    user_id = f"slots-{unique}"
    new_user(dev, user_id)
    listed = dev_session.read_time_slots(
        user_id=user_id, address=ADDRESS, items=cart(PEANUT_BUTTER)
    )
    assert len(listed) > 0 and set(listed["id"]).isdisjoint(set(preview["id"]))
    pickup = dev_session.read_time_slots(
        kind="pickup", user_id=user_id, location_code="000-3801", items=cart(BANANAS)
    )
    assert set(pickup["window.type"]) == {"scheduled"}


def test_read_order_items_and_orders(dev_session, dev, unique):
    orders = []
    for n in range(3):
        user_id, order_id = f"r{n}-{unique}", f"order-{n}-{unique}"
        delivery_order(dev, user_id, order_id)
        orders.append((user_id, order_id))
    one = dev_session.read_order(*orders[0])
    assert len(one) == 1 and one.loc[0, "status"] == "brand_new"
    items = dev_session.read_order_items(*orders[0])
    assert list(items["order_id"].unique()) == [orders[0][1]]
    assert items["item.upc"].tolist() == ["987665788999", "070481001157"]
    many = dev_session.read_orders(orders, workers=2)
    assert many["id"].tolist() == [o for _, o in orders]
    with pytest.warns(ConnectWarning, match="1 of 2 orders"):
        partial = dev_session.read_orders([orders[1], ("nobody", "none")])
    assert partial["id"].tolist() == [orders[1][1]]
    assert partial.attrs["errors"]["message"].tolist() == ["User Not Found"]


def test_read_link(dev_session, dev, unique):
    user_id = f"link-{unique}"
    new_user(dev, user_id)
    instacart = dev.ok(
        "POST",
        "/v2/fulfillment_sandbox/instacart_users",
        {"email": f"{unique}@example.com", "phone": "4155550142", "password": "pw",
         "instacartplus_member": True},
    )["id"]  # fmt: skip
    code = dev.ok(
        "POST",
        f"/v2/fulfillment_sandbox/instacart_users/{instacart}/authorize",
        {"redirect_uri": "https://example.com/cb", "scope": "account_linking"},
    )["code"]
    linking = dev.http.post(
        dev.url + "/v2/oauth/token",
        json={"client_id": dev.client_id, "client_secret": dev.client_secret,
              "grant_type": "authorization_code", "code": code,
              "redirect_uri": "https://example.com/cb"},
        timeout=10,
    ).json()["access_token"]  # fmt: skip
    dev.ok("POST", f"/v2/fulfillment/users/{user_id}/link", {"linking_token": linking})
    session_module._warned.clear()  # deprecations warn once per process
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a deprecated field served is a note, not a warning
        frame = dev_session.read_link(user_id)
    assert any("express_member" in note for note in frame.attrs["warnings"])
    assert frame.loc[0, "instacartplus_member"]
    assert str(frame["expired_at"].dtype).startswith("datetime64")
