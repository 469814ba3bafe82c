"""Users, addresses and account linking (reference 4.1)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from .. import seed
from ..errors import ApiError, bad_request
from ..oauth import digest
from ._registry import Context, handles
from .common import active_user, stores_near, user_or_error

LONG_DISTANCE_KM = 15.0


def _public(user: dict[str, Any]) -> dict[str, Any]:
    return {
        k: user[k]
        for k in ("user_id", "first_name", "last_name", "phone_number", "locale")
        if user.get(k) is not None
    }


def _new_user(user_id: str, body: Any) -> dict[str, Any]:
    return {
        "user_id": user_id,
        # the reference shows names returned capitalised ("john" -> "John")
        "first_name": body.first_name.capitalize() if body.first_name else None,
        "last_name": body.last_name.capitalize() if body.last_name else None,
        "phone_number": body.phone_number,
        "locale": body.locale,
        "active": True,
        "addresses": [],
    }


@handles("create_user")
def create_user(ctx: Context) -> dict[str, Any]:
    body = ctx.body
    if ctx.state.get("user", body.user_id) is not None:
        raise bad_request("User ID has already been taken", "user_id")
    return _public(ctx.state.put("user", body.user_id, _new_user(body.user_id, body)))


def _validate_address(ctx: Context, user_id: str, body: Any) -> dict[str, Any]:
    place = seed.place(body.postal_code)
    if place is None:
        raise bad_request("Address could not be validated", "postal_code")
    user = ctx.state.get("user", user_id)
    if user is None:
        if not body.first_name:
            raise bad_request("can't be blank", "first_name")
        user = _new_user(user_id, body)
    elif not user.get("active", True):
        raise ApiError(403, "User Not Active", None)
    nearest = stores_near(ctx, place.latitude, place.longitude)
    far = not nearest or nearest[0][0] > LONG_DISTANCE_KM
    address = body.model_dump(
        include={"address_line_1", "address_line_2", "address_type", "postal_code", "city"},
        exclude_none=True,
    )
    user["addresses"] = [a for a in user.get("addresses", []) if a != address] + [address]
    ctx.state.put("user", user_id, user)
    return {
        "user_id": user_id,
        "address_line_1": body.address_line_1,
        "postal_code": body.postal_code,
        "flags": {"long_distance_delivery": far},
    }


@handles("create_user_address")
@handles("lastmile_validate_address")
def create_user_address(ctx: Context) -> dict[str, Any]:
    return _validate_address(ctx, ctx.params["user_id"], ctx.body)


@handles("lastmile_create_user_and_validate_address")
def legacy_create_user_and_validate(ctx: Context) -> dict[str, Any]:
    return _validate_address(ctx, ctx.body.user_id, ctx.body)


@handles("link_user")
def link_user(ctx: Context) -> dict[str, Any]:
    user = active_user(ctx)
    token = ctx.state.get("token", digest(ctx.body.linking_token))
    if (
        token is None
        or "account_linking" not in token["scopes"]
        or token.get("revoked")
        or token["expires_at"] <= ctx.instance.now().timestamp()
    ):
        raise bad_request("Linking token is invalid", "linking_token")
    instacart_user_id = token["instacart_user_id"]
    for other in ctx.state.find("user", instacart_user_id=instacart_user_id):
        if other["user_id"] != user["user_id"]:
            raise bad_request(
                "Validation failed: Common identities can only have one user per isolation context",
                "linking_token",
            )
    user["instacart_user_id"] = instacart_user_id
    ctx.state.put("user", user["user_id"], user)
    return {"success": True}


@handles("get_user_link")
def get_user_link(ctx: Context) -> dict[str, Any]:
    user = user_or_error(ctx)
    if not user.get("active", True):
        raise ApiError(403, "User Not Active", None)
    account = (
        ctx.state.get("instacart_user", user["instacart_user_id"])
        if user.get("instacart_user_id") is not None
        else None
    )
    if account is None:
        raise bad_request("User Not Linked", "user_id")
    member = bool(account.get("instacartplus_member"))
    answer: dict[str, Any] = {"instacartplus_member": member, "express_member": member}
    if member:
        expiry = ctx.instance.now().replace(hour=0, minute=0, second=0, microsecond=0)
        answer["expired_at"] = (expiry + timedelta(days=365)).isoformat()
    return answer
