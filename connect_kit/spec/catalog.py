"""The Catalog API: a retailer's products and store items, submitted for asynchronous ingestion
(docs.instacart.com/catalog/catalog_api/overview, .../product/request-overview,
.../item/overview). Both need scope ``connect:data_ingestion`` (client credentials).

* A product is the same in every store: its name, brand, details, images, size.
* An item is a product at one store (``store_identifier``, the inventory file's
  ``location_code``): its price, cost unit, availability, lead times.

A submission creates or updates; only the attributes it carries change. Every submission names
its product by ``lookup_code`` (a UPC or PLU) or ``retailer_reference_code``, and carries at
least one attribute besides them, "or the update fails". ``item_name`` is needed when a
product is created. Ingestion is asynchronous (new products show within 1-3 business days,
updates within 2-3 hours), so the answer says nothing about the outcome. The request envelope
(one object per call) and the answer (an empty object) are not confirmed by the docs: see the
sandbox's SANDBOX.md, "Catalog".
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, get_args

from pydantic import Field, model_validator

from .base import Operation, RequestModel, ResponseModel
from .common import Timestamp

SCOPE = "connect:data_ingestion"
#: How an item is sold: by unit, or by a unit of weight; its price is per that unit.
CostUnit = Literal["each", "lb", "g", "kg"]
COST_UNITS: tuple[str, ...] = get_args(CostUnit)
IDENTIFIERS = ("lookup_code", "retailer_reference_code")
_EXAMPLE_CODE = "850006801015"  # a product the sandbox's seed catalogue does not have


class _Submission(RequestModel):
    """What every submission has: the product's identifiers, and at least one attribute."""

    #: Fields that name what is submitted, not what changes.
    identifiers: ClassVar[tuple[str, ...]] = IDENTIFIERS

    lookup_code: str | None = Field(
        None,
        min_length=1,
        examples=[_EXAMPLE_CODE],
        description="The product's UPC (with its check digit) or PLU. "
        "Required without retailer_reference_code.",
    )
    retailer_reference_code: str | None = Field(
        None,
        min_length=1,
        examples=["8500-06801"],
        description="The retailer's own code; groups lookup codes into one product. "
        "Required without lookup_code.",
    )

    @model_validator(mode="after")
    def _named_and_not_empty(self) -> _Submission:
        if self.lookup_code is None and self.retailer_reference_code is None:
            raise ValueError("give lookup_code or retailer_reference_code")
        attributes = [
            name
            for name in self.model_fields_set
            if name not in self.identifiers and getattr(self, name) is not None
        ]
        if not attributes:
            *others, last = self.identifiers
            raise ValueError(
                f"give at least one attribute besides {', '.join(others)} and {last}, "
                "or the update fails"
            )
        return self


class CatalogProductRequest(_Submission):
    """A product: the same in every store of the retailer."""

    item_name: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        examples=["Sunny Acres Oat Milk, 64 fl oz"],
        description="The storefront name, without abbreviations; required to create a product.",
    )
    brand_name: str | None = Field(
        None,
        max_length=100,
        examples=["Sunny Acres"],
        description="Applied only when the product is created.",
    )
    item_details: str | None = Field(None, description="Additional details or custom content.")
    department: str | None = Field(None, examples=["Dairy & Eggs"])
    remote_image_url: str | None = Field(None, description="The primary image's URL.")
    additional_images_url: list[dict[str, Any]] | None = Field(
        None, description="Secondary images: a JSON array of objects."
    )
    size: str | None = Field(None, examples=["64"], description="The amount in the pack.")
    size_uom: str | None = Field(None, examples=["fl oz"], description="The unit of size.")
    kosher: bool | None = None
    organic: bool | None = None
    retailer_oms_eligible: bool | None = Field(None, description="The retailer uses OMS.")
    ca_prop65_text: str | None = Field(None, description="US only: California Prop 65 text.")
    code_set_version: int | None = Field(
        None, description="The catalog code set to match the code with; the current one."
    )
    generated_at: Timestamp | None = Field(
        None, examples=["2025-01-15T14:30:00Z"], description="When the data was generated."
    )


class CatalogItemRequest(_Submission):
    """An item: a product at one store."""

    identifiers: ClassVar[tuple[str, ...]] = (*IDENTIFIERS, "store_identifier")

    store_identifier: str = Field(
        min_length=1,
        examples=["000-3801"],
        description="The store: the location_code of the inventory file.",
    )
    price: float | None = Field(
        None, ge=0, examples=[4.99], description="Per cost_unit, in USD (US) or CAD (Canada)."
    )
    cost_unit: CostUnit | None = Field(None, examples=["each"])
    available: bool | None = Field(None, examples=[True], description="On sale at the store.")
    alcoholic: bool | None = None
    balance_on_hand: int | None = Field(None, description="How many the store has.")
    available_for_cart: bool | None = Field(None, description="Caper Cart; required for Caper.")
    baked_good_baggable: bool | None = None
    blackout_times: list[dict[str, Any]] | None = Field(
        None, description="When the item is unavailable: a JSON array."
    )
    is_catering: bool | None = None
    order_lead_time: int | None = Field(None, ge=0, description="Minutes.")
    cancel_lead_time: int | None = Field(None, ge=0, description="Minutes.")
    configurable_products: list[dict[str, Any]] | None = Field(
        None, description="Variants: a JSON array."
    )


class CatalogSubmission(ResponseModel):
    """An accepted submission: ingested later, so there is nothing to read back."""


_CATALOG = "/v2/data_ingestion/catalog"

# fmt: off
OPERATIONS = (
    Operation(
        "submit_catalog_product", "POST", f"{_CATALOG}/product/submission", "catalog",
        "submissions", "Create or update a product (asynchronous: ingested later).",
        CatalogProductRequest, CatalogSubmission, scope=SCOPE, mutating=True, ref="CAT1",
    ),
    Operation(
        "submit_catalog_item", "POST", f"{_CATALOG}/item/submission", "catalog",
        "submissions", "Create or update a product's item at a store (asynchronous).",
        CatalogItemRequest, CatalogSubmission, scope=SCOPE, mutating=True, ref="CAT2",
    ),
)
# fmt: on
