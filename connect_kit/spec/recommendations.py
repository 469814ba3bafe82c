"""The Recommendations API: replacement and complementary items, for a list of items or for an
order (docs.instacart.com/connect/api/recommendations/overview).

Every operation is a POST that changes nothing. Each comes twice:

* backend, ``/v2/recommendations/users/{user_id}/...``, called with a client-credentials
  token that names the user in the path;
* frontend, ``/v2/recommendations/...``, called with a user token (grant
  ``fulfillment_user_assertion`` or ``urn:ietf:params:oauth:grant-type:retailer-json-bearer``)
  whose user the server reads from the token.

Both need scope ``connect:recommendations``. The operation names follow the docs pages
(``.../replacement_items/backend/find_replacement_items_for_order``); the frontend ones end in
``_as_user``, as they are called as the user (``session.for_user(user_id).call(...)``).

Replacement answers list each item with its ``stock_level`` and its suggested replacements
(at most ``max_replacement_items`` per item); complementary answers are one list of items (at
most ``max_complementary_items`` in all). What the docs leave open is the sandbox's choice:
see the sandbox's SANDBOX.md, "Recommendations".
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import Field

from .base import Operation, RequestModel, ResponseModel, open_enum
from .common import ItemRef

SCOPE = "connect:recommendations"
#: An item's stock level at the store (the docs' examples write them in lower case).
STOCK_LEVELS = ("IN_STOCK", "LOW_STOCK", "OUT_OF_STOCK")
#: How many suggestions an answer holds when the request does not say.
DEFAULT_MAX_ITEMS = 5


# Requests -------------------------------------------------------------------------------


class ItemLine(RequestModel):
    """One item to find recommendations for."""

    line_num: str | None = Field(None, examples=["1"], description="Echoed in the answer.")
    item: ItemRef


def _max(what: str) -> Any:
    return Field(
        DEFAULT_MAX_ITEMS,
        ge=0,
        examples=[DEFAULT_MAX_ITEMS],
        description=f"The most {what} to return. Defaults to {DEFAULT_MAX_ITEMS}.",
    )


class _ItemsRequest(RequestModel):
    location_code: str = Field(
        min_length=1, examples=["000-3801"], description="The store whose inventory is used."
    )
    cart_id: str | None = Field(None, description="The ID of the cart.")
    items: list[ItemLine] = Field(min_length=1)


class ReplacementItemsRequest(_ItemsRequest):
    max_replacement_items: int = _max("replacement items for each item")


class ComplementaryItemsRequest(_ItemsRequest):
    max_complementary_items: int = _max("complementary items in all")


class OrderReplacementItemsRequest(RequestModel):
    max_replacement_items: int = _max("replacement items for each item")


class OrderComplementaryItemsRequest(RequestModel):
    max_complementary_items: int = _max("complementary items in all")


# Responses ------------------------------------------------------------------------------


class StockedItem(ResponseModel):
    """An item (by ``upc`` or ``rrc``) and how well the store has it in stock."""

    rrc: str | None = None
    upc: str | None = None
    stock_level: Annotated[str, open_enum(*STOCK_LEVELS)]


class ReplacementLine(ResponseModel):
    """An item of the request or the order, with its suggested replacements."""

    record_key: ClassVar[str | None] = "line_num"

    line_num: str | None = None
    item: StockedItem
    replacement_items: list[StockedItem] = []


class ReplacementItems(ResponseModel):
    items: list[ReplacementLine] = []


class ComplementaryItem(ResponseModel):
    """A suggested item that goes with the request's or the order's items."""

    record_key: ClassVar[str | None] = "upc"

    rrc: str | None = None
    upc: str | None = None


class ComplementaryItems(ResponseModel):
    complementary_items: list[ComplementaryItem] = []


# Operations -----------------------------------------------------------------------------

_BACKEND = "/v2/recommendations/users/{user_id}"
_FRONTEND = "/v2/recommendations"


def _op(name, path, group, summary, request, response, records, ref) -> Operation:
    return Operation(
        name, "POST", path, "recommendations", group, summary, request, response,
        scope=SCOPE, records=records, ref=ref, user_token=name.endswith("_as_user"),
    )  # fmt: skip


def _pair(name, tail, group, summary, request, response, records, refs) -> list[Operation]:
    """The backend operation (client credentials, user in the path) and its frontend twin
    (a user token: the user comes from the token)."""
    backend, frontend = refs
    return [
        _op(name, f"{_BACKEND}/{tail}", group, f"{summary} (backend: client credentials).",
            request, response, records, backend),
        _op(f"{name}_as_user", f"{_FRONTEND}/{tail}", group,
            f"{summary} (frontend: a user token).", request, response, records, frontend),
    ]  # fmt: skip


_ORDER = "orders/{order_id}"

# fmt: off
OPERATIONS = (
    *_pair("find_replacement_items", "replacement_items", "replacements",
           "Suggested replacements for each of a list of items, in stock at a store",
           ReplacementItemsRequest, ReplacementItems, "items", ("R1", "R5")),
    *_pair("find_replacement_items_for_order", f"{_ORDER}/replacement_items", "replacements",
           "Suggested replacements for each item of an order, at its store",
           OrderReplacementItemsRequest, ReplacementItems, "items", ("R2", "R6")),
    *_pair("find_complementary_items", "complementary_items", "complements",
           "Items that go with a list of items, in stock at a store",
           ComplementaryItemsRequest, ComplementaryItems, "complementary_items", ("R3", "R7")),
    *_pair("find_complementary_items_for_order", f"{_ORDER}/complementary_items", "complements",
           "Items that go with the items of an order, at its store",
           OrderComplementaryItemsRequest, ComplementaryItems, "complementary_items",
           ("R4", "R8")),
)
# fmt: on
