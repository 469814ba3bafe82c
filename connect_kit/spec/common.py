"""Objects shared by several operations: addresses, items, windows, orders, errors."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any, ClassVar, Literal, get_args

import phonenumbers
from pydantic import AfterValidator, Field, field_validator, model_validator

from .base import (
    RequestModel,
    ResponseModel,
    StrictObject,
    deprecated_field,
    open_enum,
    volatile,
)

PostalCode = Annotated[
    str,
    Field(
        pattern=r"^[0-9A-Z]{3,10}$",
        description="Digits and uppercase letters, no spaces.",
        examples=["94105"],
    ),
]
Locale = Annotated[
    str, Field(pattern=r"^[a-z]{2}-[A-Z]{2}$", description="IETF tag.", examples=["en-US"])
]
Cents = Annotated[int, Field(ge=0, description="Amount in cents.")]


def _plausible(moment: datetime) -> datetime:
    if not 1970 <= moment.year <= 2999:  # also keeps time-zone arithmetic inside datetime's range
        raise ValueError("must be a time between the years 1970 and 2999")
    return moment


Timestamp = Annotated[
    datetime, AfterValidator(_plausible), Field(description="ISO 8601, years 1970 to 2999.")
]

#: How the API wants phone numbers in requests (breaking change, changelog 2026-05-12,
#: effective 2026-06-09), and the example the spec gives.
E164_EXAMPLE = "+14155550100"
E164_MESSAGE = f"must be an E.164 phone number, e.g. {E164_EXAMPLE}"


def _e164(number: str) -> str:
    """``number`` if it is already written in E.164: a plus, the country code and a valid
    number, nothing else (no spaces, dashes or brackets); checked with ``phonenumbers``.

    >>> _e164("+14155550100")
    '+14155550100'
    >>> _e164("+1 415 555 0100")
    Traceback (most recent call last):
    ...
    ValueError: must be an E.164 phone number, e.g. +14155550100
    """
    try:
        parsed = phonenumbers.parse(number, None)  # no default region: the "+" is needed
    except phonenumbers.NumberParseException:
        raise ValueError(E164_MESSAGE) from None
    if (
        not number.startswith("+")
        or not phonenumbers.is_valid_number(parsed)
        or phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) != number
    ):
        raise ValueError(E164_MESSAGE)
    return number


#: A phone number in a request: E.164 (``+14155550100``). Responses keep plain ``str``.
PhoneNumber = Annotated[
    str,
    AfterValidator(_e164),
    Field(description="E.164: a plus, the country code and the number, e.g. +14155550100."),
]
ReplacementPolicy = Literal["no_replacements", "users_choice", "shoppers_choice"]
REPLACEMENT_POLICIES: tuple[str, ...] = get_args(ReplacementPolicy)
POS_PAYMENT_METHODS = ("UNSPECIFIED", "UNKNOWN", "MARQETA", "BYPASS")


class Address(RequestModel):
    """A delivery address (reference 3.1)."""

    address_line_1: str = Field(min_length=1, examples=["50 Beale St"])
    address_line_2: str | None = None
    address_type: str | None = Field(None, examples=["residential"])
    postal_code: PostalCode
    city: str | None = Field(None, examples=["San Francisco"])


class ItemRef(StrictObject):
    """A catalog item, named by exactly one of ``upc`` or ``rrc``."""

    upc: str | None = Field(None, min_length=1, examples=["987665788999"])
    rrc: str | None = Field(None, min_length=1, examples=["0452-38492"])

    @model_validator(mode="after")
    def _exactly_one(self) -> ItemRef:
        if (self.upc is None) == (self.rrc is None):
            raise ValueError("give exactly one of upc or rrc")
        return self


class OrderItem(RequestModel):
    """One cart line (reference 3.4)."""

    line_num: str = Field(min_length=1, examples=["1"])
    count: int | None = Field(None, ge=0, examples=[2])
    weight: float | None = Field(None, ge=0)
    special_instructions: str | None = None
    replacement_policy: ReplacementPolicy | None = None
    replacement_items: list[ItemRef] | None = None
    item: ItemRef

    @model_validator(mode="after")
    def _count_or_weight(self) -> OrderItem:
        if self.count is None and self.weight is None:
            raise ValueError("give count or weight")
        return self


class OrderUser(RequestModel):
    """The ``user`` object of create and update order (reference 3.5)."""

    birthday: date | None = Field(None, description="Needed for alcohol.")
    phone_number: PhoneNumber | None = Field(None, examples=[E164_EXAMPLE])
    sms_opt_in: bool | None = None


class DesiredWindow(RequestModel):
    """A window the customer would like (at least 60 minutes, starting and ending on the hour)."""

    starts_at: Timestamp
    ends_at: Timestamp

    @model_validator(mode="after")
    def _on_the_hour(self) -> DesiredWindow:
        if (self.starts_at.tzinfo is None) != (self.ends_at.tzinfo is None):
            raise ValueError("give starts_at and ends_at both with a UTC offset, or both without")
        for moment in (self.starts_at, self.ends_at):
            if moment.minute or moment.second or moment.microsecond:
                raise ValueError("windows must start and end on the hour")
        if self.ends_at - self.starts_at < timedelta(minutes=60):
            raise ValueError("windows must be at least 60 minutes long")
        return self


class FindBy(StrictObject):
    """Where to look for stores: coordinates, an address, or a postal code.

    Exactly one form is given; which forms an endpoint accepts is in ``forms``.
    """

    forms: ClassVar[tuple[str, ...]] = ("coordinates", "address", "postal_code")

    latitude: float | None = Field(None, ge=-90, le=90, examples=[37.7910])
    longitude: float | None = Field(None, ge=-180, le=180, examples=[-122.3940])
    address_line_1: str | None = Field(None, min_length=1)
    address_line_2: str | None = None
    address_type: str | None = None
    city: str | None = None
    postal_code: PostalCode | None = None

    @property
    def form(self) -> str:
        if self.latitude is not None or self.longitude is not None:
            return "coordinates"
        if self.address_line_1 is not None:
            return "address"
        return "postal_code"

    @model_validator(mode="after")
    def _one_form(self) -> FindBy:
        coords = self.latitude is not None or self.longitude is not None
        address = self.address_line_1 is not None or self.address_line_2 is not None
        expected = " or ".join(_FORM_NAMES[f] for f in self.forms)
        if coords and (address or self.postal_code is not None):
            raise ValueError(f"give exactly one of {expected}")
        if coords and (self.latitude is None or self.longitude is None):
            raise ValueError("latitude and longitude go together")
        if address and (self.address_line_1 is None or self.postal_code is None):
            raise ValueError("an address needs address_line_1 and postal_code")
        if not coords and not address and self.postal_code is None:
            raise ValueError(f"give {expected}")
        if self.form not in self.forms:
            raise ValueError(f"this endpoint accepts {expected}")
        return self


_FORM_NAMES = {
    "coordinates": "latitude/longitude",
    "address": "an address (address_line_1, postal_code)",
    "postal_code": "a postal_code",
}


# Responses -------------------------------------------------------------------------------


class ItemIdentity(ResponseModel):
    upc: str | None = None
    rrc: str | None = None


class OrderItemResponse(ResponseModel):
    """One line of an order as the API returns it."""

    record_key: ClassVar[str | None] = "line_num"

    line_num: str
    qty: int | float | None = None
    qty_unit: Annotated[str, open_enum("each", "lb")] | None = None
    replaced: bool | None = None
    scan_code: str | None = None
    replacement_policy: Annotated[str, open_enum(*REPLACEMENT_POLICIES)] | None = None
    item: ItemIdentity | None = None


class FulfillmentDetails(ResponseModel):
    store_location: str | None = None
    window_starts_at: datetime
    window_ends_at: datetime
    delivered_at: datetime | None = volatile(None)
    bag_count: int | None = None


#: An order's statuses (reference 3.9), in lifecycle order. The one list: Post-checkout
#: workflow states, sandbox batch states and callback event names are made from it.
ORDER_STATUSES = (
    "brand_new",
    "acknowledged",
    "picking",
    "verifying_replacements",
    "checkout",
    "receipt_sanity_check",
    "bags_check",
    "staged",
    "staged_for_delivery",
    "acknowledged_for_delivery",
    "at_store",
    "bags_verified",
    "delivering",
    "delivered",
    "canceled",
)


def order_statuses(*names: str) -> tuple[str, ...]:
    """``names``, each checked to be one of :data:`ORDER_STATUSES`: how other lists of the
    spec and the sandbox name statuses.

    >>> order_statuses("brand_new", "staged")
    ('brand_new', 'staged')
    """
    unknown = [name for name in names if name not in ORDER_STATUSES]
    if unknown:
        raise ValueError(f"not order statuses: {', '.join(unknown)}")
    return names


class WarningError(ResponseModel):
    message: str
    error_code: int | str | None = None


class ResponseWarning(ResponseModel):
    """A non-fatal issue an answer carries (delivery/get_order ``warnings[]``):
    ``{"error": {"message", "error_code"}, "meta": {"items": [...]}}``."""

    error: WarningError
    meta: dict[str, Any] = {}


class Order(ResponseModel):
    """An order (reference 3.9): the response of create, get, update, tip, cancel, stage."""

    record_key: ClassVar[str | None] = "id"

    id: str
    status: Annotated[str, open_enum(*ORDER_STATUSES)]
    order_url: str | None = None
    created_at: datetime | None = volatile(None)
    cancellation_reason: (
        Annotated[
            str,
            open_enum(
                "customer_driven",
                "instacart_driven",
                "retailer_driven",
                "shopper_driven",
                "unbatchable",
                "other",
            ),
        ]
        | None
    ) = None
    locale: str | None = None
    is_express: bool | None = deprecated_field("is_instacartplus")
    is_instacartplus: bool | None = None
    metadata: dict[str, Any] | None = None
    fulfillment_details: FulfillmentDetails | None = None
    warnings: list[ResponseWarning] | None = None
    items: list[OrderItemResponse] | None = None
    pos_payment_method: Annotated[str, open_enum(*POS_PAYMENT_METHODS)] | None = None


class OrdersResponse(ResponseModel):
    orders: list[Order] = []


class Success(ResponseModel):
    success: bool


class ErrorDetail(ResponseModel):
    message: str
    code: int | None = None
    errors: list[ErrorEnvelope] | None = None


class ErrorEnvelope(ResponseModel):
    """The API's error body: ``{"error": {"message", "code"}, "meta": {"key"}}``.

    Several errors at once come as one wrapper (code 9999) whose ``error.errors`` lists them.
    """

    error: ErrorDetail
    meta: dict[str, Any] = {}

    @field_validator("meta", mode="before")
    @classmethod
    def _null_meta(cls, value: Any) -> Any:
        """``"meta": null`` is read as no meta (answers with nothing to point at send it)."""
        return {} if value is None else value


ErrorDetail.model_rebuild()
