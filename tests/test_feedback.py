"""Order Feedback against the sandbox, over HTTPS: the backend call (client credentials, the
user in the path) and the frontend one (a user token), the documented values, the errors, the
rating kept on the order and the Rating updated callback; through requests and a session."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from helpers import Api, error_of, new_user, place_order, status_and_key
from test_session import session_for

from connect_kit import spec
from connect_kit.errors import InvalidRequestError, NotFoundError
from connect_kit.spec.events import RATING_UPDATED
from connect_kit.spec.feedback import HIGHLIGHTS, RATING_VALUES

SCOPE = "Connect::Orders::RatingService"
RETAILER_JSON_BEARER = "urn:ietf:params:oauth:grant-type:retailer-json-bearer"


def backend(user_id: str, order_id: str) -> str:
    return f"/v2/feedback/users/{user_id}/orders/{order_id}/rating"


def frontend(order_id: str) -> str:
    return f"/v2/feedback/orders/{order_id}/rating"


def user_token(api: Api, user_id: str, scope: str | None = SCOPE, grant: str | None = None) -> str:
    assertion = base64.b64encode(json.dumps({"user_id": user_id}).encode()).decode()
    extra: dict[str, Any] = {
        "grant_type": grant or "fulfillment_user_assertion",
        "assertion": assertion,
    }
    return api.new_token(scope, **extra)


def an_order(api: Api, unique: str, kind: str = "delivery") -> tuple[str, str]:
    user_id, order_id = f"fb-u-{unique}", f"fb-o-{unique}"
    new_user(api, user_id)
    place_order(api, user_id, order_id, kind)
    return user_id, order_id


def feedback_of(sandbox, order_id: str, env: str = "dev") -> dict[str, Any] | None:
    order = sandbox.instances[env].state.get("order", order_id)
    assert order is not None
    return order.get("feedback")


def ratings(sandbox, order_id: str) -> list[dict[str, Any]]:
    events = sandbox.events("dev", order_id)
    return [e["event_metadata"] for e in events if e["event_name"] == RATING_UPDATED]


# The spec --------------------------------------------------------------------------------


def test_the_spec_has_both_calls_with_the_docs_values():
    backend_op, frontend_op = spec.get("set_order_feedback"), spec.get("set_order_feedback_as_user")
    assert (backend_op.method, backend_op.path) == ("POST", backend("{user_id}", "{order_id}"))
    assert (frontend_op.method, frontend_op.path) == ("POST", frontend("{order_id}"))
    for op in (backend_op, frontend_op):
        assert (op.area, op.group, op.scope) == ("fulfillment", "feedback", SCOPE)
        assert op.mutating and not op.deprecated and op.records is None
        assert op.identity is None and op.read_back is None
    assert RATING_VALUES == ("STARS1", "STARS2", "STARS3", "STARS4", "STARS5")
    assert len(HIGHLIGHTS) == 10 and "CLEAR_PICKUP_INSTRUCTIONS" in HIGHLIGHTS
    rating = spec.field(backend_op, "request", "rating_value")
    assert rating.required and tuple(rating.enum) == RATING_VALUES
    assert not spec.field(backend_op, "request", "thank_you_note").required


# Backend: client credentials, the user in the path ------------------------------------------


def test_a_rating_is_created_then_replaced_and_kept_on_the_order(dev, sandbox, unique):
    user_id, order_id = an_order(dev, unique)
    body = {"rating_value": "STARS5", "highlights": ["QUALITY_ITEMS", "SMOOTH_DELIVERY"]}
    assert dev.ok("POST", backend(user_id, order_id), {**body, "thank_you_note": "Thanks!"}) == {
        "success": True
    }
    first = feedback_of(sandbox, order_id)
    assert first is not None
    assert first["rating_value"] == "STARS5" and first["thank_you_note"] == "Thanks!"
    assert first["highlights"] == ["QUALITY_ITEMS", "SMOOTH_DELIVERY"]
    assert dev.ok("POST", backend(user_id, order_id), {"rating_value": "STARS2"})["success"]
    second = feedback_of(sandbox, order_id)
    assert second is not None
    assert (second["rating_value"], second["highlights"], second["thank_you_note"]) == (
        "STARS2",
        [],
        None,
    )
    assert second["created_at"] == first["created_at"]
    assert [(r["rating_value"], r["highlights"]) for r in ratings(sandbox, order_id)] == [
        ("STARS5", ["QUALITY_ITEMS", "SMOOTH_DELIVERY"]),
        ("STARS2", []),
    ]
    assert all(r["order_id"] == order_id for r in ratings(sandbox, order_id))


def test_a_pickup_order_takes_the_pickup_highlights(dev, sandbox, unique):
    user_id, order_id = an_order(dev, unique, "pickup")
    body = {"rating_value": "STARS4", "highlights": ["FAST_PICKUP", "EASY_PARKING"]}
    assert dev.ok("POST", backend(user_id, order_id), body) == {"success": True}
    assert feedback_of(sandbox, order_id)["highlights"] == ["FAST_PICKUP", "EASY_PARKING"]


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({}, "rating_value"),
        ({"highlights": ["QUALITY_ITEMS"]}, "rating_value"),
        ({"rating_value": "STARS6"}, "rating_value"),
        ({"rating_value": "stars5"}, "rating_value"),
        ({"rating_value": 5}, "rating_value"),
        ({"rating_value": "STARS3", "highlights": ["GREAT_MUSIC"]}, "highlights[0]"),
        ({"rating_value": "STARS3", "highlights": "QUALITY_ITEMS"}, "highlights"),
        ({"rating_value": "STARS3", "thank_you_note": 7}, "thank_you_note"),
    ],
)
def test_the_documented_values_are_enforced(dev, unique, body, key):
    user_id, order_id = an_order(dev, unique)
    assert status_and_key(dev.post(backend(user_id, order_id), body)) == (400, key)


def test_an_unknown_user_or_order_is_refused(dev, unique):
    user_id, order_id = an_order(dev, unique)
    rating = {"rating_value": "STARS3"}
    answer = dev.post(backend(f"nobody-{unique}", order_id), rating)
    assert error_of(answer) == (400, "User Not Found", 1001, "user_id")
    answer = dev.post(backend(user_id, f"nothing-{unique}"), rating)
    assert error_of(answer) == (404, "Order not found", 4000, "order_id")
    other_user, _ = an_order(dev, f"{unique}-other")  # a real user, not this order's
    answer = dev.post(backend(other_user, order_id), rating)
    assert error_of(answer) == (404, "Order not found", 4000, "order_id")


def test_the_scope_is_needed_and_the_backend_takes_no_user_token(dev, unique):
    user_id, order_id = an_order(dev, unique)
    rating = {"rating_value": "STARS3"}
    fulfillment_only = dev.new_token("connect:fulfillment")
    assert dev.post(backend(user_id, order_id), rating, token=fulfillment_only).status_code == 403
    scoped = dev.new_token(SCOPE)
    assert dev.post(backend(user_id, order_id), rating, token=scoped).status_code == 200
    answer = dev.post(backend(user_id, order_id), rating, token=user_token(dev, user_id))
    assert answer.status_code == 403 and "client credentials" in error_of(answer)[1]
    assert dev.post(backend(user_id, order_id), rating, token=None).status_code == 401


# Frontend: a user token whose user owns the order ------------------------------------------


@pytest.mark.parametrize("grant", ["fulfillment_user_assertion", RETAILER_JSON_BEARER])
def test_the_frontend_rates_the_token_users_own_order(dev, sandbox, unique, grant):
    user_id, order_id = an_order(dev, unique)
    token = user_token(dev, user_id, grant=grant)
    body = {"rating_value": "STARS1", "highlights": ["HELPFUL_CHAT"], "thank_you_note": "Hm."}
    assert dev.ok("POST", frontend(order_id), body, token=token) == {"success": True}
    assert feedback_of(sandbox, order_id)["rating_value"] == "STARS1"
    assert ratings(sandbox, order_id)[-1]["user_id"] == user_id


def test_the_frontend_needs_the_users_own_order_and_a_user_token(dev, unique):
    user_id, order_id = an_order(dev, unique)
    _, other_order = an_order(dev, f"{unique}-other")
    rating = {"rating_value": "STARS4"}
    token = user_token(dev, user_id)
    answer = dev.post(frontend(other_order), rating, token=token)
    assert error_of(answer) == (404, "Order not found", 4000, "order_id")
    answer = dev.post(frontend(f"nothing-{unique}"), rating, token=token)
    assert error_of(answer)[:3] == (404, "Order not found", 4000)
    answer = dev.post(frontend(order_id), rating)  # the app's own token: no user
    assert error_of(answer) == (400, "User ID not found", 4001, None)
    post_checkout_only = user_token(dev, user_id, scope="connect:post_checkout")
    assert dev.post(frontend(order_id), rating, token=post_checkout_only).status_code == 403
    no_scope = user_token(dev, user_id, scope=None)  # every scope a user token may have
    assert dev.post(frontend(order_id), rating, token=no_scope).status_code == 200


def test_prod_rates_its_own_orders(prod, sandbox, unique):
    user_id, order_id = an_order(prod, unique)
    assert prod.ok("POST", backend(user_id, order_id), {"rating_value": "STARS5"})["success"]
    assert feedback_of(sandbox, order_id, "prod")["rating_value"] == "STARS5"


# Through connect-kit's session ----------------------------------------------------------


def test_a_session_rates_as_the_app_and_as_the_user(dev, sandbox, unique):
    user_id, order_id = an_order(dev, unique)
    with session_for(sandbox) as session:  # set to connect:fulfillment: a token per scope
        res = session.call(
            "set_order_feedback",
            user_id=user_id,
            order_id=order_id,
            rating_value="STARS4",
            highlights=["EXTRA_EFFORT"],
        )
        assert res.status_code == 200 and res.json == {"success": True}
        assert res.frame.to_dict("records") == [{"success": True}]
        with session.for_user(user_id) as customer:
            res = customer.call(
                "set_order_feedback_as_user", order_id=order_id, rating_value="STARS5"
            )
            assert res.json == {"success": True} and res.warnings == []
            with pytest.raises(NotFoundError) as missing:
                customer.call(
                    "set_order_feedback_as_user", order_id=f"none-{unique}", rating_value="STARS5"
                )
            assert missing.value.status == 404
    assert feedback_of(sandbox, order_id)["rating_value"] == "STARS5"
    assert [r["rating_value"] for r in ratings(sandbox, order_id)] == ["STARS4", "STARS5"]


def test_a_session_refuses_an_undocumented_value_before_sending(sandbox, unique):
    with session_for(sandbox) as session, pytest.raises(InvalidRequestError) as refused:
        session.call(
            "set_order_feedback", user_id=f"u-{unique}", order_id="o", rating_value="STARS9"
        )
    assert refused.value.key == "rating_value" and refused.value.status is None
