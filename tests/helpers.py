"""What the tests share: a plain HTTPS client for a sandbox instance, and order set-ups."""

from __future__ import annotations

import itertools
from typing import Any

import requests

from connect_kit.sandbox import Sandbox

ADDRESS = {"address_line_1": "50 Beale St", "postal_code": "94105"}
PEANUT_BUTTER = {"upc": "987665788999"}  # the reference's example item
# what listing last-mile slots for a cart requires besides location_code
# (last_mile/list_cart_service_options)
LAST_MILE_CART = {"address": ADDRESS, "cart_total_cents": 4250, "items_count": 12}
SPARKLING_WATER = {"upc": "070481001157"}
BANANAS = {"upc": "000000004011"}  # sold by weight


class Api:
    """A plain HTTPS client for one sandbox instance: requests plus the instance's CA.

    It is the test's own view of the wire, not connect-kit's session.
    """

    def __init__(self, sandbox: Sandbox, env: str, scope: str | None = None) -> None:
        self.sandbox, self.env = sandbox, env
        self.url = sandbox.url(env)
        self.http = requests.Session()
        self.http.verify = sandbox.ca_file
        self.client_id, self.client_secret = sandbox.credentials(env)
        self.token = self.new_token(scope)

    def new_token(self, scope: str | None = None, **extra: Any) -> str:
        body = {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "grant_type": "client_credentials",
            **extra,
        }
        if scope:
            body["scope"] = scope
        answer = self.http.post(self.url + "/v2/oauth/token", json=body, timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()["access_token"]

    def request(self, method: str, path: str, token: str | None = "default", **kw: Any):
        headers = kw.pop("headers", {})
        if token == "default":
            token = self.token
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        kw.setdefault("timeout", 10)
        return self.http.request(method, self.url + path, headers=headers, **kw)

    def get(self, path: str, **kw: Any):
        return self.request("GET", path, **kw)

    def post(self, path: str, json: Any = None, **kw: Any):
        return self.request("POST", path, json=json, **kw)

    def put(self, path: str, json: Any = None, **kw: Any):
        return self.request("PUT", path, json=json, **kw)

    def ok(self, method: str, path: str, json: Any = None, **kw: Any) -> Any:
        answer = self.request(method, path, json=json, **kw)
        assert answer.status_code == 200, f"{method} {path}: {answer.status_code} {answer.text}"
        return answer.json()


def error_of(answer: requests.Response) -> tuple[int, str, int | None, str | None]:
    """(status, message, code, meta key) of an error envelope."""
    body = answer.json()
    return (
        answer.status_code,
        body["error"]["message"],
        body["error"]["code"],
        body.get("meta", {}).get("key"),
    )


def new_user(api: Api, user_id: str, **fields: Any) -> dict[str, Any]:
    body = {"user_id": user_id, "first_name": "kamal", "phone_number": "+18005550100", **fields}
    return api.ok("POST", "/v2/fulfillment/users", body)


def cart(*refs: dict[str, str], count: int = 1) -> list[dict[str, Any]]:
    return [{"line_num": str(i), "count": count, "item": ref} for i, ref in enumerate(refs, 1)]


def hold(api: Api, user_id: str, kind: str = "delivery", items: list | None = None) -> int:
    """List the cart's slots and hold the first available one; returns the hold id."""
    items = items or cart(PEANUT_BUTTER)
    body: dict[str, Any] = {"items": items}
    if kind == "delivery":
        # spread over the San Francisco stores: the whole suite would fill one store's slots
        body.update(address=ADDRESS, location_code=next_store())
    elif kind == "pickup":
        body["location_code"] = "000-3801"
    else:
        body = {"location_code": "000-3801", **LAST_MILE_CART}
    path = f"/v2/fulfillment/users/{user_id}/service_options/cart/{kind}"
    options = api.ok("POST", path, body)["service_options"]
    slot = next(o for o in options if o["availability"]["available"])
    reserved = api.ok(
        "POST", f"/v2/fulfillment/users/{user_id}/service_options/{slot['id']}/reserve"
    )
    return reserved["service_option_hold"]["id"]


def delivery_order(api: Api, user_id: str, order_id: str, items: list | None = None) -> dict:
    """A brand_new delivery order for a new user."""
    new_user(api, user_id)
    items = items or cart(PEANUT_BUTTER, SPARKLING_WATER)
    body = {
        "order_id": order_id,
        "service_option_hold_id": hold(api, user_id, items=items),
        "initial_tip_cents": 500,
        "address": ADDRESS,
        "items": items,
    }
    return api.ok("POST", f"/v2/fulfillment/users/{user_id}/orders/delivery", body)


# Orders spread over several stores, and the sandbox API --------------------------------

# San Francisco stores of both environments that deliver, offer pickup and sell alcohol.
# Tests that make many orders spread them over these, so that no store's slots fill up.
SF_STORES = ("000-3801", "000-3802", "104-2210", "104-2215", "211-0457", "000-3844")
WINE = {"upc": "820523917124"}  # alcohol
SALT_PELLETS = {"upc": "863430003788"}  # big and bulky: not deliverable
_stores = itertools.cycle(SF_STORES)
_phones = itertools.count(1)


def next_store() -> str:
    """The next of ``SF_STORES``, round robin."""
    return next(_stores)


def reserve(
    api: Api,
    user_id: str,
    kind: str = "delivery",
    items: list | None = None,
    location_code: str | None = None,
    skip: tuple[int, ...] = (),
) -> dict[str, Any]:
    """List the cart's slots at a store and hold the first available one (not in ``skip``).

    Returns the ``service_option_hold`` (``id``, ``expires_at``, ``service_option``).
    """
    body: dict[str, Any] = {"location_code": location_code or next_store()}
    if kind == "delivery":
        body.update(address=ADDRESS, items=items or cart(PEANUT_BUTTER))
    elif kind == "pickup":
        body.update(items=items or cart(PEANUT_BUTTER))
    else:  # last mile: what the listing requires besides the store
        body.update(LAST_MILE_CART)
    path = f"/v2/fulfillment/users/{user_id}/service_options"
    options = api.ok("POST", f"{path}/cart/{kind}", body)["service_options"]
    slot = next(o for o in options if o["availability"]["available"] and o["id"] not in skip)
    return api.ok("POST", f"{path}/{slot['id']}/reserve")["service_option_hold"]


def place_order(
    api: Api,
    user_id: str,
    order_id: str,
    kind: str = "delivery",
    items: list | None = None,
    location_code: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A brand_new delivery or pickup order of an existing user at one of ``SF_STORES``."""
    location_code = location_code or next_store()
    items = items or cart(PEANUT_BUTTER, SPARKLING_WATER)
    held = reserve(api, user_id, kind, items, location_code)
    body: dict[str, Any] = {
        "order_id": order_id,
        "service_option_hold_id": held["id"],
        "location_code": location_code,
        "items": items,
    }
    if kind == "delivery":
        body.update(address=ADDRESS, initial_tip_cents=500)
    body.update(fields)
    return api.ok("POST", f"/v2/fulfillment/users/{user_id}/orders/{kind}", body)


def last_mile_order(
    api: Api, user_id: str, order_id: str, location_code: str | None = None, **fields: Any
) -> dict[str, Any]:
    """A brand_new last-mile order of an existing user at one of ``SF_STORES``."""
    location_code = location_code or next_store()
    held = reserve(api, user_id, "last_mile", location_code=location_code)
    body = {
        "order_id": order_id,
        "location_code": location_code,
        "service_option_hold_id": held["id"],
        "first_name": "Kamal",
        "last_name": "Singh",
        "user_phone": "+18005550100",
        "items_count": 12,
        "items_weight": 18.5,
        **fields,
    }
    return api.ok("POST", f"/v2/fulfillment/users/{user_id}/orders/last_mile", body)


def shopper_phone() -> str:
    """A phone number that no other shopper of the session has."""
    return f"628555{next(_phones):04d}"


def new_shopper(api: Api, **fields: Any) -> int:
    """A sandbox shopper with a phone number no other test uses; returns its id."""
    body = {"phone": shopper_phone(), **fields}
    return api.ok("POST", "/v2/fulfillment_sandbox/shoppers", body)["id"]


def start_batch(api: Api, order_ids: list[str], **fields: Any) -> dict[str, Any]:
    """Batch orders for a new shopper (``{"id", "workflow_state"}``)."""
    body = {"shopper_id": new_shopper(api), "orders": [{"id": o} for o in order_ids], **fields}
    return api.ok("POST", "/v2/fulfillment_sandbox/batches", body)


def advance(api: Api, batch_id: int, state: str | None = None) -> dict[str, Any]:
    """Move a batch to its next state, or to ``state``."""
    body = {"workflow_state": state} if state else None
    return api.ok("POST", f"/v2/fulfillment_sandbox/batches/{batch_id}/advance", body)


def status_and_key(answer: requests.Response) -> tuple[int, str | None]:
    """(status, meta key) of an error envelope, for messages that are pydantic's wording."""
    status, _, _, key = error_of(answer)
    return status, key


def order_through(session: Any, user_id: str, order_id: str, hold_id: int) -> Any:
    """A delivery order made through a connect-kit session (its Result)."""
    return session.call(
        "create_delivery_order",
        user_id=user_id,
        order_id=order_id,
        service_option_hold_id=hold_id,
        initial_tip_cents=0,
        address=ADDRESS,
        items=cart(PEANUT_BUTTER),
    )
