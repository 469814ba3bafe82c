"""Order Feedback: a customer's rating of an order, created or replaced, kept on the order.

Documented and enforced: ``rating_value`` (STARS1..STARS5) is required, ``highlights`` are
the docs' ten values (the spec's model); the backend call names the user in the path and
needs a client-credentials token; the frontend call uses a user token whose user must own
the order. Each rating is announced with the documented "Rating updated" callback.

The sandbox's choices (SANDBOX.md, "Order Feedback"), made like the Recommendations API's,
whose errors are documented: an unknown user is 400 ``User Not Found`` (1001, key
``user_id``); an order that is not the user's is 404 ``Order not found`` (4000, key
``order_id``); a user token on the backend path is 403, a client-credentials token on the
frontend path 400 ``User ID not found`` (4001, as Post-checkout). Any order of the user may be
rated, whatever its status; a new rating replaces the last one whole.
"""

from __future__ import annotations

from typing import Any

from ...spec.events import RATING_UPDATED
from ..errors import ApiError, not_found
from ._registry import Context, handles
from .common import order_or_error, record_event, user_or_error

BACKEND_NEEDS_APP_TOKEN = (
    "This backend endpoint needs a client credentials access token; with a user token, use "
    "the frontend endpoint (/v2/feedback/orders/{order_id}/rating)"
)


def _rate(ctx: Context, user: dict[str, Any]) -> dict[str, Any]:
    """Store the body as the feedback of the user's order named in the path."""
    order = order_or_error(ctx)
    if order.get("user_id") != user["user_id"]:  # another user's: as unknown as a missing one
        raise not_found("Order not found", "order_id")
    body = ctx.body
    now = ctx.instance.now().isoformat()
    before = order.get("feedback") or {}
    order["feedback"] = {
        "rating_value": body.rating_value,
        "highlights": list(body.highlights or ()),
        "thank_you_note": body.thank_you_note,
        "created_at": before.get("created_at", now),
        "updated_at": now,
    }
    ctx.state.put("order", order["id"], order)
    record_event(
        ctx,
        order,
        RATING_UPDATED,
        rating_value=body.rating_value,
        highlights=order["feedback"]["highlights"],
    )
    return {"success": True}


@handles("set_order_feedback")
def set_order_feedback(ctx: Context) -> dict[str, Any]:
    if ctx.grant is not None and ctx.grant.user_id is not None:
        raise ApiError(403, BACKEND_NEEDS_APP_TOKEN, None)
    return _rate(ctx, user_or_error(ctx))


@handles("set_order_feedback_as_user")
def set_order_feedback_as_user(ctx: Context) -> dict[str, Any]:
    if ctx.grant is None or ctx.grant.user_id is None:
        raise ApiError(400, "User ID not found", 4001)
    return _rate(ctx, user_or_error(ctx, ctx.grant.user_id))
