"""The Catalog API: products and store items sent for ingestion, and the catalogue the rest of
the sandbox sells from (:func:`catalog_product`).

Documented and enforced: a submission names its product by ``lookup_code`` or
``retailer_reference_code`` and carries at least one other attribute (the spec's models);
``item_name`` is needed to create a product; ``brand_name`` is applied only when a product is
created; an update changes only the attributes it carries. Everything else is the sandbox's
choice (SANDBOX.md, "Catalog"):

* ingestion is immediate: what is accepted is in the instance's catalogue as the answer leaves;
* the seed catalogue stays as it is: a product submission for a seed product is accepted and
  kept, but changes nothing the sandbox shows; an item submission with ``available: false``
  takes a seed product off sale at that store;
* a new product is sold only where an item submission puts it (``available`` not false), and
  only once it has a ``lookup_code`` (the sandbox names every product by its UPC): it sells
  by the ``cost_unit`` and is alcohol as its latest item submission says;
* an item's ``store_identifier`` must be a store of the instance (400 ``Store not found``).

Products are ``catalog_product`` documents keyed by lookup code (``rrc:<code>`` while only a
retailer reference code is known); items are ``catalog_item`` documents keyed
``<location_code>/<product key>``.
"""

from __future__ import annotations

from typing import Any

from ...spec.catalog import IDENTIFIERS
from .. import seed
from ..errors import bad_request
from ._registry import CURRENT, Context, handles

PRODUCT, ITEM = "catalog_product", "catalog_item"
_STATIC = ("brand_name",)  # applied only when the product is created


def _attributes(body: Any) -> dict[str, Any]:
    """What a submission changes: every attribute it carries, identifiers aside."""
    fields = body.model_fields_set - set(body.identifiers)
    return body.model_dump(mode="json", include=fields, exclude_none=True)


def _seed_product(lookup_code: str | None, rrc: str | None) -> seed.Product | None:
    return seed.product(upc=lookup_code) or seed.product(rrc=rrc)


def _submitted(ctx: Context, lookup_code: str | None, rrc: str | None) -> dict[str, Any] | None:
    """The product document a submission or an order line names: by lookup code, else by
    retailer reference code."""
    if lookup_code is not None:
        return ctx.state.get(PRODUCT, lookup_code)
    if rrc is None:
        return None
    found = ctx.state.find(PRODUCT, retailer_reference_code=rrc)
    return found[0] if found else None


def _key(lookup_code: str | None, rrc: str | None) -> str:
    return lookup_code if lookup_code is not None else f"rrc:{rrc}"


@handles("submit_catalog_product")
def submit_catalog_product(ctx: Context) -> dict[str, Any]:
    body = ctx.body
    attributes = _attributes(body)
    known = _seed_product(body.lookup_code, body.retailer_reference_code)
    record = _submitted(ctx, body.lookup_code, None) or _submitted(
        ctx, None, body.retailer_reference_code
    )  # a product known by its retailer code may be given its lookup code now
    if record is None and known is None and "item_name" not in attributes:
        raise bad_request("item_name is required to create a product", "item_name")
    if record is not None or known is not None:  # an update: static fields stay as they were
        for name in _STATIC:
            attributes.pop(name, None)
    now = ctx.instance.now().isoformat()
    if record is None:
        record = {
            "lookup_code": body.lookup_code or (known.upc if known else None),
            "retailer_reference_code": body.retailer_reference_code
            or (known.rrc if known else None),
            "seed": known is not None,
            "attributes": {},
            "created_at": now,
        }
    old_key = _key(record["lookup_code"], record["retailer_reference_code"])
    for name in IDENTIFIERS:  # a later submission may give the code the product lacked
        record[name] = record.get(name) or getattr(body, name)
    record["attributes"].update(attributes)
    record["updated_at"] = now
    new_key = _key(record["lookup_code"], record["retailer_reference_code"])
    if new_key != old_key:
        ctx.state.delete(PRODUCT, old_key)
    ctx.state.put(PRODUCT, new_key, record)
    return {}


def _store(ctx: Context, location_code: str) -> seed.StoreSeed:
    for store in seed.stores_for(ctx.instance.name):
        if store.location_code == location_code:
            return store
    raise bad_request("Store not found", "store_identifier")


def _product_key(ctx: Context, lookup_code: str | None, rrc: str | None) -> str:
    """The key of the product an item submission is for: its lookup code, else the lookup
    code that its retailer reference code has in the catalogue, else ``rrc:<code>``."""
    if lookup_code is not None:
        return lookup_code
    known = seed.product(rrc=rrc)
    if known is not None:
        return known.upc
    record = _submitted(ctx, None, rrc)
    if record is not None and record.get("lookup_code"):
        return str(record["lookup_code"])
    return f"rrc:{rrc}"


@handles("submit_catalog_item")
def submit_catalog_item(ctx: Context) -> dict[str, Any]:
    body = ctx.body
    store = _store(ctx, body.store_identifier)
    product = _product_key(ctx, body.lookup_code, body.retailer_reference_code)
    key = f"{store.location_code}/{product}"
    record = ctx.state.get(ITEM, key) or {
        "store_identifier": store.location_code,
        "product": product,
        "attributes": {},
    }
    record["attributes"].update(_attributes(body))
    record["updated"] = ctx.state.next_id("catalog_item_update", 1)  # the latest wins
    ctx.state.put(ITEM, key, record)
    return {}


# The catalogue the sandbox sells from ---------------------------------------------------


def _item(ctx: Context, store: seed.StoreSeed, product: str) -> dict[str, Any] | None:
    record = ctx.state.get(ITEM, f"{store.location_code}/{product}")
    return record["attributes"] if record is not None else None


def _on_sale(item: dict[str, Any] | None) -> bool:
    return item is not None and item.get("available") is not False


def catalog_product(
    upc: str | None, rrc: str | None, store: seed.StoreSeed | None = None
) -> seed.Product | None:
    """The product a cart or an order names by UPC or RRC (both: they must agree): a seed
    product, or one sent to the request's instance through the Catalog API. With ``store``,
    only if that store has it on sale. An empty code is no code (an order line keeps
    ``"rrc": ""`` for a submitted product that has none)."""
    upc, rrc = upc or None, rrc or None
    known = seed.product(upc=upc, rrc=rrc)
    ctx = CURRENT.get()
    if ctx is None:
        return known
    if known is not None:
        if store is None:
            return known
        item = _item(ctx, store, known.upc)
        return known if item is None or _on_sale(item) else None
    record = _submitted(ctx, upc, rrc)
    if (
        record is None
        or record["seed"]  # another code of a seed product: not sold by it
        or not record.get("lookup_code")
        or "item_name" not in record["attributes"]
    ):
        return None
    if rrc is not None and record.get("retailer_reference_code") != rrc:
        return None
    keys = [str(record["lookup_code"])]  # and where items came before the lookup code:
    if record.get("retailer_reference_code"):
        keys.append(f"rrc:{record['retailer_reference_code']}")
    if store is not None:
        item = next((i for k in keys if (i := _item(ctx, store, k)) is not None), None)
        if not _on_sale(item):
            return None
    else:
        items = [r for k in keys for r in ctx.state.find(ITEM, product=k)]
        item = max(items, key=lambda r: r["updated"])["attributes"] if items else None
    return _as_product(record, item or {})


def _as_product(record: dict[str, Any], item: dict[str, Any]) -> seed.Product:
    """A submitted product, as the seed's products are: its item's unit, price and alcohol."""
    product = record["attributes"]
    code = str(record["lookup_code"])
    price = item.get("price")
    return seed.Product(
        upc=code,
        rrc=record.get("retailer_reference_code") or "",
        name=product["item_name"],
        brand=product.get("brand_name", ""),
        category=product.get("department", ""),
        unit=item.get("cost_unit", "each"),
        price_cents=round(price * 100) if price is not None else 0,
        alcohol=bool(item.get("alcoholic", False)),
        deliverable=True,
        scan_code=code.zfill(14),
    )
