"""What the tests share: a plain HTTPS client for a sandbox instance, and order set-ups."""

from __future__ import annotations

from typing import Any

import requests

from connect_kit.sandbox import Sandbox

ADDRESS = {"address_line_1": "50 Beale St", "postal_code": "94105"}
PEANUT_BUTTER = {"upc": "987665788999"}  # the reference's example item
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
    body = {"user_id": user_id, "first_name": "kamal", "phone_number": "800-555-0100", **fields}
    return api.ok("POST", "/v2/fulfillment/users", body)


def cart(*refs: dict[str, str], count: int = 1) -> list[dict[str, Any]]:
    return [{"line_num": str(i), "count": count, "item": ref} for i, ref in enumerate(refs, 1)]


def hold(api: Api, user_id: str, kind: str = "delivery", items: list | None = None) -> int:
    """List the cart's slots and hold the first available one; returns the hold id."""
    items = items or cart(PEANUT_BUTTER)
    body: dict[str, Any] = {"items": items}
    if kind == "delivery":
        body["address"] = ADDRESS
    elif kind == "pickup":
        body["location_code"] = "000-3801"
    else:
        body = {"location_code": "000-3801"}
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
