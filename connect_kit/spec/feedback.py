"""Order Feedback: the customer's rating of an order, filed under the Fulfillment API
(docs.instacart.com/connect/api/fulfillment/order_feedback/...).

One operation, twice, both with scope ``Connect::Orders::RatingService``:

* backend, ``/v2/feedback/users/{user_id}/orders/{order_id}/rating``, called with a
  client-credentials token that names the user in the path;
* frontend, ``/v2/feedback/orders/{order_id}/rating``, called with a user token (grant
  ``fulfillment_user_assertion`` or ``urn:ietf:params:oauth:grant-type:retailer-json-bearer``)
  whose user must own the order: ``session.for_user(user_id).call(...)``.

Each creates the order's feedback or replaces it. ``rating_value`` is required; the values of
``rating_value`` and ``highlights`` are the docs' own. Rating updates are announced by the
documented "Rating updated" callback. What the docs leave open is the sandbox's choice: see
the sandbox's SANDBOX.md, "Order Feedback".
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import Field

from .base import Operation, RequestModel
from .common import Success

SCOPE = "Connect::Orders::RatingService"
#: STARS1 (dissatisfied, the lowest) to STARS5 (happy, the highest).
RatingValue = Literal["STARS1", "STARS2", "STARS3", "STARS4", "STARS5"]
RATING_VALUES: tuple[str, ...] = get_args(RatingValue)
#: What the customer liked: the first six about the shopper, the last four about a pickup.
Highlight = Literal[
    "QUALITY_ITEMS",
    "SMART_BAGGING",
    "EXTRA_EFFORT",
    "HELPFUL_CHAT",
    "GOOD_REPLACEMENTS",
    "SMOOTH_DELIVERY",
    "FAST_PICKUP",
    "CLEAR_PICKUP_INSTRUCTIONS",
    "EASY_PARKING",
    "SMOOTH_HANDOFF",
]
HIGHLIGHTS: tuple[str, ...] = get_args(Highlight)


class OrderFeedbackRequest(RequestModel):
    """The customer's feedback on an order."""

    rating_value: RatingValue = Field(
        examples=["STARS5"], description="STARS1 (dissatisfied) to STARS5 (happy)."
    )
    highlights: list[Highlight] | None = Field(
        None, examples=[["QUALITY_ITEMS", "SMOOTH_DELIVERY"]], description="What went well."
    )
    thank_you_note: str | None = Field(
        None, examples=["Thank you for picking such ripe bananas!"], description="A note."
    )


_PATH = "orders/{order_id}/rating"

# fmt: off
OPERATIONS = (
    Operation(
        "set_order_feedback", "POST", f"/v2/feedback/users/{{user_id}}/{_PATH}",
        "fulfillment", "feedback",
        "Create or update a user's feedback on an order (backend: client credentials).",
        OrderFeedbackRequest, Success, scope=SCOPE, mutating=True, ref="FB1",
    ),
    Operation(
        "set_order_feedback_as_user", "POST", f"/v2/feedback/{_PATH}",
        "fulfillment", "feedback",
        "Create or update the feedback on the token's user's order (frontend: a user token).",
        OrderFeedbackRequest, Success, scope=SCOPE, mutating=True, ref="FB2", user_token=True,
    ),
)
# fmt: on
