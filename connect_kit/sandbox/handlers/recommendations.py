"""The Recommendations API: replacement and complementary items from the seed catalogue.

Documented: backend calls use a client-credentials token and name the user in the path
(unknown user: 400 ``User Not Found`` 1001, key ``user_id``); frontend calls use a user token
and the token's user; an order that is not the user's: 404 ``Resource not found`` 4000;
``max_*_items`` defaults to 5. Everything else is the sandbox's choice (SANDBOX.md,
"Recommendations"), made deterministic so the same question always gets the same answer:

* a store sells every catalogue item, except alcohol where it sells none;
* an item's stock level at a store comes from a hash of the store's location code and the
  item's UPC (:func:`stock_level`); an item the store does not sell, or the catalogue does not
  know, is ``OUT_OF_STOCK``;
* replacements are other items of the same category that the store has (in stock or low),
  the closest first (:func:`replacements`);
* complementary items come from the categories that :data:`PAIRINGS` pairs with the items'
  own, taken in turn from each item (:func:`complements`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from functools import lru_cache
from itertools import zip_longest
from typing import Any

from ...spec.common import ItemRef
from .. import seed
from ..errors import ApiError, bad_request, not_found
from ._registry import Context, handles
from .common import product_of, user_or_error

#: Out of 100 hash buckets: below OUT_OF_STOCK_BELOW an item is out of stock, below
#: LOW_STOCK_BELOW low on stock, otherwise in stock.
OUT_OF_STOCK_BELOW = 8
LOW_STOCK_BELOW = 20
#: Category -> the categories whose items go with it, most plausible first (simulated).
PAIRINGS: dict[str, tuple[str, ...]] = {
    "Produce": ("Dairy & Eggs", "Pantry", "Bakery"),
    "Dairy & Eggs": ("Bakery", "Produce", "Pantry"),
    "Bakery": ("Dairy & Eggs", "Deli", "Pantry"),
    "Meat & Seafood": ("Produce", "Pantry", "Wine"),
    "Deli": ("Bakery", "Snacks", "Beverages"),
    "Pantry": ("Produce", "Meat & Seafood", "Dairy & Eggs"),
    "Snacks": ("Beverages", "Deli", "Beer"),
    "Frozen": ("Snacks", "Beverages", "Pantry"),
    "Beverages": ("Snacks", "Deli", "Frozen"),
    "Wine": ("Deli", "Meat & Seafood", "Snacks"),
    "Beer": ("Snacks", "Deli", "Meat & Seafood"),
    "Spirits": ("Beverages", "Produce", "Snacks"),
    "Household": ("Personal Care", "Pet", "Baby"),
    "Personal Care": ("Household", "Baby", "Pantry"),
    "Baby": ("Personal Care", "Household", "Produce"),
    "Pet": ("Household", "Pantry", "Snacks"),
}
_BY_CATEGORY: dict[str, tuple[seed.Product, ...]] = {
    category: tuple(p for p in seed.PRODUCTS if p.category == category)
    for category in seed.CATEGORIES
}
BACKEND_NEEDS_APP_TOKEN = (
    "This backend endpoint needs a client credentials access token; with a user token, use "
    "the frontend endpoint (the same path without /users/{user_id})"
)
UNKNOWN_STORE = "Could not find specified store."


# the catalogue's side ----------------------------------------------------------------------


def _digest(*parts: str) -> int:
    return int(hashlib.sha256(":".join(parts).encode()).hexdigest()[:12], 16)


def sells(store: seed.StoreSeed, product: seed.Product) -> bool:
    """Whether a store sells a product: all of them, but alcohol only where it sells alcohol."""
    return store.alcohol or not product.alcohol


def stock_level(store: seed.StoreSeed | None, product: seed.Product | None) -> str:
    """An item's stock level at a store: a fixed hash bucket of (location code, UPC).

    About 8% of what a store sells is out of stock and 12% low on stock, the same for every
    call, instance and restart; what it does not sell is out of stock.
    """
    if store is None or product is None or not sells(store, product):
        return "OUT_OF_STOCK"
    return _level(store.location_code, product.upc)


@lru_cache(maxsize=65536)  # the catalogue never changes: neither do the levels
def _level(location_code: str, upc: str) -> str:
    bucket = _digest(location_code, upc) % 100
    if bucket < OUT_OF_STOCK_BELOW:
        return "OUT_OF_STOCK"
    return "LOW_STOCK" if bucket < LOW_STOCK_BELOW else "IN_STOCK"


def available(store: seed.StoreSeed, product: seed.Product) -> bool:
    """Whether a store has a product to offer: in stock or low on stock."""
    return stock_level(store, product) != "OUT_OF_STOCK"


def replacements(store: seed.StoreSeed, product: seed.Product) -> tuple[seed.Product, ...]:
    """Every replacement the store has for a product, best first: items of its category
    (not itself) that the store has, those sold the same way (each or lb) first, then by
    the nearest price, then by UPC."""
    return _replacements(store, product)


@lru_cache(maxsize=4096)
def _replacements(store: seed.StoreSeed, product: seed.Product) -> tuple[seed.Product, ...]:
    found = [
        p
        for p in _BY_CATEGORY.get(product.category, ())
        if p.upc != product.upc and available(store, p)
    ]
    found.sort(
        key=lambda p: (p.unit != product.unit, abs(p.price_cents - product.price_cents), p.upc)
    )
    return tuple(found)


def _goes_with(store: seed.StoreSeed, product: seed.Product) -> Iterator[seed.Product]:
    """What goes with one product: the store's items of each paired category, taken in turn
    (one of the first category, one of the second, ...), each category's in the order of a
    hash of the two UPCs (so different items get different suggestions)."""
    return iter(_paired(store, product))


@lru_cache(maxsize=4096)
def _paired(store: seed.StoreSeed, product: seed.Product) -> tuple[seed.Product, ...]:
    columns = [
        sorted(
            (p for p in _BY_CATEGORY.get(category, ()) if available(store, p)),
            key=lambda p: (_digest(product.upc, p.upc), p.upc),
        )
        for category in PAIRINGS.get(product.category, ())
    ]
    return tuple(p for row in zip_longest(*columns) for p in row if p is not None)


def complements(
    store: seed.StoreSeed, products: Iterable[seed.Product], limit: int
) -> list[tuple[seed.Product, seed.Product]]:
    """At most ``limit`` items that go with ``products``, each with the product it was found
    for: one for each product in turn, none of the products themselves and none twice."""
    products = list(products)
    seen = {p.upc for p in products}
    queues = [(product, _goes_with(store, product)) for product in products]
    chosen: list[tuple[seed.Product, seed.Product]] = []
    while queues and len(chosen) < limit:
        for product, queue in list(queues):
            found = next((p for p in queue if p.upc not in seen), None)
            if found is None:
                queues.remove((product, queue))
                continue
            chosen.append((found, product))
            seen.add(found.upc)
            if len(chosen) == limit:
                break
    return chosen


# the caller, the store and the order -------------------------------------------------------


def _backend_user(ctx: Context) -> dict[str, Any]:
    """The user of a backend call: a client-credentials token, the user named in the path."""
    if ctx.grant is not None and ctx.grant.user_id is not None:
        raise ApiError(403, BACKEND_NEEDS_APP_TOKEN, None)
    return user_or_error(ctx)


def _frontend_user(ctx: Context) -> dict[str, Any]:
    """The user of a frontend call: the user its token speaks for."""
    if ctx.grant is None or ctx.grant.user_id is None:
        raise ApiError(400, "User ID not found", 4001)
    return user_or_error(ctx, ctx.grant.user_id)


def _store(ctx: Context, location_code: str | None) -> seed.StoreSeed | None:
    return next(
        (s for s in seed.stores_for(ctx.instance.name) if s.location_code == location_code), None
    )


def _store_or_error(ctx: Context) -> seed.StoreSeed:
    store = _store(ctx, ctx.body.location_code)
    if store is None:
        raise bad_request(UNKNOWN_STORE, "location_code")
    return store


def _order(ctx: Context, user: dict[str, Any]) -> dict[str, Any]:
    """The user's order named in the path (another user's is as unknown as a missing one)."""
    order = ctx.state.get("order", ctx.params["order_id"])
    if order is None or order.get("user_id") != user["user_id"]:
        raise not_found()
    return order


def _order_lines(order: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
    """(line_num, {"upc": ...}) of each item the order holds (none for last-mile orders)."""
    return [
        (line["line_num"], {"upc": line["item"]["upc"]})
        for line in order.get("items", [])
        if not line.get("deleted")
    ]


def _request_lines(ctx: Context) -> list[tuple[str | None, dict[str, str]]]:
    """(line_num, the item as it was named) of each item of a list-based request."""
    return [(line.line_num, _named(line.item)) for line in ctx.body.items]


def _named(ref: ItemRef) -> dict[str, str]:
    return {"upc": ref.upc} if ref.upc is not None else {"rrc": str(ref.rrc)}


def _as_named(named: dict[str, str], product: seed.Product) -> dict[str, str]:
    """A product named the way the item it was found for was named: by UPC, or by RRC."""
    return {"upc": product.upc} if "upc" in named else {"rrc": product.rrc}


# answers -----------------------------------------------------------------------------------


def _replacement_items(
    store: seed.StoreSeed | None, lines: Iterable[tuple[str | None, dict[str, str]]], limit: int
) -> dict[str, Any]:
    answer = []
    for line_num, named in lines:
        product = product_of(named)
        found = replacements(store, product) if store and product else []
        entry: dict[str, Any] = {
            "item": {**named, "stock_level": stock_level(store, product)},
            "replacement_items": [
                {**_as_named(named, p), "stock_level": stock_level(store, p)} for p in found[:limit]
            ],
        }
        if line_num is not None:
            entry = {"line_num": line_num, **entry}
        answer.append(entry)
    return {"items": answer}


def _complementary_items(
    store: seed.StoreSeed | None, lines: Iterable[tuple[str | None, dict[str, str]]], limit: int
) -> dict[str, Any]:
    naming: dict[str, dict[str, str]] = {}  # UPC -> the item as the request named it
    products = []
    for _, named in lines:
        product = product_of(named)
        if product is not None:
            products.append(product)
            naming.setdefault(product.upc, named)
    found = complements(store, products, limit) if store else []
    return {
        "complementary_items": [_as_named(naming[origin.upc], p) for p, origin in found],
    }


# handlers ----------------------------------------------------------------------------------


def _for_items(ctx: Context, kind: str) -> dict[str, Any]:
    store = _store_or_error(ctx)
    if kind == "replacement":
        return _replacement_items(store, _request_lines(ctx), ctx.body.max_replacement_items)
    return _complementary_items(store, _request_lines(ctx), ctx.body.max_complementary_items)


def _for_order(ctx: Context, order: dict[str, Any], kind: str) -> dict[str, Any]:
    store = _store(ctx, order.get("store_location"))
    lines = _order_lines(order)
    if kind == "replacement":
        return _replacement_items(store, lines, ctx.body.max_replacement_items)
    return _complementary_items(store, lines, ctx.body.max_complementary_items)


@handles("find_replacement_items")
def find_replacement_items(ctx: Context) -> dict[str, Any]:
    _backend_user(ctx)
    return _for_items(ctx, "replacement")


@handles("find_replacement_items_as_user")
def find_replacement_items_as_user(ctx: Context) -> dict[str, Any]:
    _frontend_user(ctx)
    return _for_items(ctx, "replacement")


@handles("find_replacement_items_for_order")
def find_replacement_items_for_order(ctx: Context) -> dict[str, Any]:
    return _for_order(ctx, _order(ctx, _backend_user(ctx)), "replacement")


@handles("find_replacement_items_for_order_as_user")
def find_replacement_items_for_order_as_user(ctx: Context) -> dict[str, Any]:
    return _for_order(ctx, _order(ctx, _frontend_user(ctx)), "replacement")


@handles("find_complementary_items")
def find_complementary_items(ctx: Context) -> dict[str, Any]:
    _backend_user(ctx)
    return _for_items(ctx, "complementary")


@handles("find_complementary_items_as_user")
def find_complementary_items_as_user(ctx: Context) -> dict[str, Any]:
    _frontend_user(ctx)
    return _for_items(ctx, "complementary")


@handles("find_complementary_items_for_order")
def find_complementary_items_for_order(ctx: Context) -> dict[str, Any]:
    return _for_order(ctx, _order(ctx, _backend_user(ctx)), "complementary")


@handles("find_complementary_items_for_order_as_user")
def find_complementary_items_for_order_as_user(ctx: Context) -> dict[str, Any]:
    return _for_order(ctx, _order(ctx, _frontend_user(ctx)), "complementary")
